//! The seven programmes in combination: the service's catalogue, each family's plan (who is on
//! which programme), enrolments and their waiting lists, the sessions of 1:1 work, and the
//! linked-support rules that tie one person's support to another's (the Engage partner's Idva
//! offer, APVA's pair, Grow Together's parent and children). Every read and write opens the
//! case through a guard, so the firewall applies as everywhere: an Engage practitioner sees his
//! client's enrolment and sessions, never the partner's.

mod catalogue;
pub(crate) mod due;
mod enrolment;
mod partners;
mod plan;
mod sessions;
mod waiting;

pub use catalogue::*;
pub use enrolment::*;
pub use partners::*;
pub use plan::*;
pub use sessions::*;
pub use waiting::*;
