//! Identifiers are UUID v7: time-ordered, so indexes stay compact and lists sort by creation.
//!
//! The records a user reaches through the access policy have their own id types, so a person's
//! id cannot be handed to the door for a case (or an organisation's where a user's belongs) and
//! still compile. Inside SQL they are bound as text, like every id.
//!
//! ```compile_fail
//! use hearth_domain::ids::{CaseId, PersonId};
//! fn open_case(_: CaseId) {}
//! let someone = PersonId::from_uuid(uuid::Uuid::nil());
//! open_case(someone); // a person's id is not a case's
//! ```

use crate::Timestamp;
use std::fmt;
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

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Name a stored id as this kind of record. The caller says what the id is, once,
            /// where it comes out of a row or a path; from then on the type carries it.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// A new id stamped with `now`.
            pub fn new(now: Timestamp) -> Self {
                Self(new_id(now))
            }

            /// Parse from a URL or form; anything malformed is "not found".
            pub fn parse(s: &str) -> Option<Self> {
                parse_id(s).map(Self)
            }

            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl PartialEq<Uuid> for $name {
            fn eq(&self, other: &Uuid) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for Uuid {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

record_id!(
    /// A service (tenant). Every record belongs to exactly one.
    OrgId
);
record_id!(
    /// A family's case.
    CaseId
);
record_id!(
    /// A person: adult, child or person causing harm.
    PersonId
);
record_id!(
    /// A member of staff who signs in.
    UserId
);
record_id!(
    /// A team within a service: it holds cases, and its managers oversee them.
    TeamId
);
record_id!(
    /// A note, contact or key event on a case's timeline.
    EntryId
);
record_id!(
    /// A referral to the service, waiting for triage or decided.
    ReferralId
);
record_id!(
    /// A MARAC meeting.
    MeetingId
);
record_id!(
    /// A referral of one person to MARAC (not a referral to the service).
    MaracReferralId
);
record_id!(
    /// An action agreed at MARAC for one referral.
    MaracActionId
);
record_id!(
    /// One person's place on one programme, in one case.
    EnrolmentId
);
record_id!(
    /// A session of 1:1 work on an enrolment.
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_shows_and_parses_as_its_uuid() {
        let u = Uuid::parse_str("0190b6a2-7a7e-7c3e-9f00-000000000001").unwrap();
        let c = CaseId::from_uuid(u);
        assert_eq!(c.to_string(), u.to_string());
        assert_eq!(CaseId::parse(&format!(" {u} ")), Some(c));
        assert_eq!(CaseId::parse("not-an-id"), None);
        assert_eq!(serde_json_like(c), format!("\"{u}\""));
    }

    fn serde_json_like(c: CaseId) -> String {
        // serde(transparent): the id is its UUID on the wire, so the API does not change.
        toml::Value::try_from(std::collections::BTreeMap::from([("id", c)]))
            .unwrap()
            .get("id")
            .unwrap()
            .to_string()
    }
}
