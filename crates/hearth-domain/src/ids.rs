//! Identifiers are UUID v7: time-ordered, so indexes stay compact and lists sort by creation.

use crate::Timestamp;
use uuid::{NoContext, Timestamp as UuidTs, Uuid};

/// A new identifier stamped with `now` (not the wall clock, so tests stay deterministic in order).
pub fn new_id(now: Timestamp) -> Uuid {
    let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    Uuid::new_v7(UuidTs::from_unix(NoContext, secs, now.nanosecond()))
}

/// Parse an identifier from a URL or form; anything malformed is simply "not found".
pub fn parse_id(s: &str) -> Option<Uuid> {
    Uuid::try_parse(s.trim()).ok()
}
