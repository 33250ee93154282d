//! Claiming submission keys (see `hearth_domain::submission`). One table serves every kind of
//! record, so "sent twice, saved once" is written once.

use crate::{row, Result};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::OrgId;
use sqlx::AnyConnection;
use uuid::Uuid;

/// One request, as far as its key is concerned.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    pub org_id: OrgId,
    pub key: &'a str,
    /// `None` for the public referral form.
    pub actor_id: Option<Uuid>,
    pub kind: &'static str,
    pub target_id: Option<Uuid>,
    pub fingerprint: &'a str,
    /// The id the new record will have if this request is the first with the key.
    pub result_id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// The first request with this key: go on and save it under `result_id`.
    New,
    /// The same request was saved before, as this record.
    Replay(Uuid),
    /// The key was used for a different request (another actor, kind, target or payload).
    Mismatch,
}

/// Claim a key within the caller's unit of work. Units that write run one after another on the
/// shared writer, so a duplicate sent at the same moment comes after the first and sees its row
/// (committed, or earlier in the same shared transaction): concurrent duplicates all get the
/// first answer, never a unique-violation error. A replay's answer rests on that row, so the
/// caller commits before giving it.
pub async fn claim(conn: &mut AnyConnection, now: Timestamp, c: &Claim<'_>) -> Result<Claimed> {
    // The first request with a key (nearly every one) learns so from the insert itself; only a
    // key seen before costs a second statement, to read what it was first used for.
    let inserted = sqlx::query(
        "INSERT INTO submissions (org_id, submission_key, actor_id, kind, target_id, fingerprint, result_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, submission_key) DO NOTHING \
         RETURNING result_id",
    )
    .bind(c.org_id.to_string())
    .bind(c.key)
    .bind(c.actor_id.map(|a| a.to_string()))
    .bind(c.kind)
    .bind(c.target_id.map(|t| t.to_string()))
    .bind(c.fingerprint)
    .bind(c.result_id.to_string())
    .bind(to_unix(now))
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_some() {
        return Ok(Claimed::New);
    }
    let r = sqlx::query(
        "SELECT actor_id, kind, target_id, fingerprint, result_id FROM submissions \
         WHERE org_id = $1 AND submission_key = $2",
    )
    .bind(c.org_id.to_string())
    .bind(c.key)
    .fetch_one(&mut *conn)
    .await?;
    let result_id = row::id(&r, "result_id")?;
    let same = row::opt_id(&r, "actor_id")? == c.actor_id
        && row::text(&r, "kind")? == c.kind
        && row::opt_id(&r, "target_id")? == c.target_id
        && row::text(&r, "fingerprint")? == c.fingerprint;
    Ok(if same {
        Claimed::Replay(result_id)
    } else {
        Claimed::Mismatch
    })
}
