//! Group commit: many requests' work made durable by one fsync.
//!
//! A unit of work that writes runs in a savepoint of its own inside a transaction that several
//! units share ([`writes`]). A page view writes nothing but its audit entries, which are gathered
//! from many views and handed to that shared transaction ([`views`]). Either way nothing is
//! answered until the commit that carries it has returned.

pub(crate) mod views;
pub(crate) mod writes;
