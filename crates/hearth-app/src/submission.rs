//! "Sent twice, saved once" for every use case that creates a record from a form or API call.

use crate::{AppError, Result};
use hearth_domain::ids::new_id;
use hearth_domain::ids::OrgId;
use hearth_domain::submission::{SubmissionKey, SubmissionKind, KEY_REUSED};
use hearth_domain::Timestamp;
use hearth_store::submissions::{self, Claim, Claimed};
use hearth_store::UnitOfWork;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Once {
    /// The first time: save the new record under this id.
    New(Uuid),
    /// Saved before as this record: answer as the first time did.
    Replay(Uuid),
}

impl Once {
    /// The record's id, new or as first saved.
    pub fn id(self) -> Uuid {
        match self {
            Once::New(id) | Once::Replay(id) => id,
        }
    }
}

/// Who sends a request and what it is about: the key's scope.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    pub org_id: OrgId,
    /// `None` for the public referral form.
    pub actor_id: Option<Uuid>,
    pub kind: SubmissionKind,
    pub target_id: Option<Uuid>,
}

/// Claim the request's key inside the use case's transaction, after its access check. The
/// fingerprint is of everything sent but the key itself, so a replay with a different payload
/// is told apart from a double submit.
pub(crate) async fn claim<T: Serialize>(
    w: &mut UnitOfWork,
    now: Timestamp,
    scope: Scope,
    raw_key: &str,
    payload: &T,
) -> Result<Once> {
    let key = SubmissionKey::parse(raw_key).map_err(|e| AppError::invalid(&e.field, e.message))?;
    let fingerprint = fingerprint(payload)?;
    let id = new_id(now);
    let claimed = submissions::claim(
        w,
        now,
        &Claim {
            org_id: scope.org_id,
            key: key.as_str(),
            actor_id: scope.actor_id,
            kind: scope.kind.code(),
            target_id: scope.target_id,
            fingerprint: &fingerprint,
            result_id: id,
        },
    )
    .await?;
    match claimed {
        Claimed::New => Ok(Once::New(id)),
        Claimed::Replay(existing) => Ok(Once::Replay(existing)),
        Claimed::Mismatch => Err(AppError::Conflict {
            field: Some(SubmissionKey::FIELD),
            message: KEY_REUSED.into(),
        }),
    }
}

/// SHA-256 of the payload as canonical JSON (object keys sorted), without its key.
fn fingerprint<T: Serialize>(payload: &T) -> Result<String> {
    let mut value = serde_json::to_value(payload).map_err(|e| AppError::Internal(e.to_string()))?;
    strip_key(&mut value);
    Ok(hex::encode(Sha256::digest(value.to_string().as_bytes())))
}

fn strip_key(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove(SubmissionKey::FIELD);
            map.values_mut().for_each(strip_key);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_key),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Form {
        body: &'static str,
        submission_key: &'static str,
    }

    #[test]
    fn the_fingerprint_ignores_the_key_and_sees_the_payload() {
        let a = fingerprint(&Form {
            body: "x",
            submission_key: "k1",
        })
        .unwrap();
        let b = fingerprint(&Form {
            body: "x",
            submission_key: "k2",
        })
        .unwrap();
        let c = fingerprint(&Form {
            body: "y",
            submission_key: "k1",
        })
        .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let d = fingerprint(&(
            "adult",
            Form {
                body: "x",
                submission_key: "k3",
            },
        ))
        .unwrap();
        let e = fingerprint(&(
            "young",
            Form {
                body: "x",
                submission_key: "k3",
            },
        ))
        .unwrap();
        assert_ne!(d, e);
        assert_eq!(
            d,
            fingerprint(&(
                "adult",
                Form {
                    body: "x",
                    submission_key: "k4"
                }
            ))
            .unwrap()
        );
    }
}
