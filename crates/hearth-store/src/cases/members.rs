//! Who is in a case in which role, whose involvement is open, and closing one person's involvement.

use crate::access::CaseGuard;
use crate::row;
use crate::Result;
use hearth_domain::access::CaseRole;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::PersonId;
use sqlx::AnyConnection;
use uuid::Uuid;

/// The open cases in which this person's involvement is open, newest case first, with their
/// role in each (a person can hold two roles in one case).
pub async fn open_involvements(
    conn: &mut AnyConnection,
    person: &crate::access::PersonGuard,
) -> Result<Vec<(Uuid, CaseRole)>> {
    use crate::access::Guard;
    let (org_id, person_id) = (person.actor().org_id, person.person_id().uuid());
    let rows = sqlx::query(
        "SELECT m.case_id, m.role FROM case_members m JOIN cases c ON c.id = m.case_id \
         WHERE m.person_id = $1 AND m.org_id = $2 AND c.status = 'open' AND m.closed_at IS NULL \
         ORDER BY c.opened_at DESC, c.id",
    )
    .bind(person_id.to_string())
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((row::id(r, "case_id")?, row::role(r, "role")?)))
        .collect()
}

/// Close one person's involvement: their roles in the case are marked closed and every
/// allocation to them ends. False if it was already closed.
pub async fn close_involvement(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    person_id: PersonId,
    reason: &str,
) -> Result<bool> {
    let case_id = g.case_id();
    let r = sqlx::query(
        "UPDATE case_members SET closed_at = $1, exit_reason = $2 WHERE case_id = $3 AND person_id = $4 AND closed_at IS NULL",
    )
    .bind(to_unix(now))
    .bind(reason)
    .bind(case_id.to_string())
    .bind(person_id.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE allocations SET ended_at = $1 WHERE case_id = $2 AND person_id = $3 AND ended_at IS NULL")
        .bind(to_unix(now))
        .bind(case_id.to_string())
        .bind(person_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected() > 0)
}
