//! Work recorded on a case, one feature per module: contact details, the timeline, allocation
//! and closure, where each case stands, person details, the family and agencies. Every read and
//! write opens the record through a guard, so the firewall applies throughout: someone whose
//! only link to a family is work with the person causing harm never receives a victim's or
//! child's location or sensitive data, not even as an error message. Programmes, courses and
//! measures follow the same shape: a module per feature, its use cases opening a guard.

mod agencies;
mod allocation;
mod contact;
mod family;
mod person;
mod standing;
mod timeline;

pub use agencies::*;
pub use allocation::*;
pub use contact::*;
pub use family::*;
pub use person::*;
pub use standing::*;
pub use timeline::*;
