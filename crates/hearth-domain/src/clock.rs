//! The one place Hearth reads the wall clock. Everything else takes a [`Clock`].

use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// A point in time, always UTC inside Hearth. Shown in UK local time by [`crate::ukdate`].
pub type Timestamp = OffsetDateTime;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real clock, used by the server and the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the single sanctioned read of the wall clock
    fn now(&self) -> Timestamp {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to: tests use it to cross idle timeouts,
/// due dates and 12-month windows without waiting.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<Timestamp>>);

impl FixedClock {
    pub fn at(t: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().expect("clock lock poisoned");
        *t += by;
    }

    pub fn set(&self, to: Timestamp) {
        *self.0.lock().expect("clock lock poisoned") = to;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock poisoned")
    }
}

/// Seconds since the Unix epoch: how the store keeps instants on both backends.
pub fn to_unix(t: Timestamp) -> i64 {
    t.unix_timestamp()
}

pub fn from_unix(secs: i64) -> Timestamp {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = FixedClock::at(datetime!(2026-01-01 09:00 UTC));
        assert_eq!(c.now(), datetime!(2026-01-01 09:00 UTC));
        c.advance(Duration::minutes(31));
        assert_eq!(c.now(), datetime!(2026-01-01 09:31 UTC));
    }

    #[test]
    fn unix_round_trip() {
        let t = datetime!(2026-11-23 12:34:56 UTC);
        assert_eq!(from_unix(to_unix(t)), t);
    }
}
