//! Hearth's domain: the types and rules of a holistic domestic abuse service.
//!
//! Nothing here performs I/O, awaits, or reads the clock: time is always a
//! parameter, so every rule can be tested at any moment it cares about.

pub mod access;
pub mod audit;
pub mod clock;
pub mod contact;
pub mod due;
pub mod enrolment;
pub mod family;
pub mod first_weeks;
pub mod ids;
pub mod instrument;
pub mod marac;
pub mod paging;
pub mod person;
pub mod programme;
pub mod referral;
pub mod risk;
pub mod role;
pub mod safety_plan;
pub mod search_terms;
pub mod submission;
pub mod targets;
pub mod timeline;
pub mod ukdate;
pub mod validation;

pub use access::{Action, Actor, Scope};
pub use clock::{Clock, FixedClock, SystemClock, Timestamp};
pub use role::Role;
pub use validation::{FieldError, Invalid};
