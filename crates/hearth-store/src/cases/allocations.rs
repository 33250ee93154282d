//! Ending an allocation, asking whether someone is allocated, who is allocated across a list of
//! cases, and closing a case.

use crate::access::{CaseGuard, Guard};
use crate::{row, Result};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::{PersonId, UserId};
use sqlx::AnyConnection;
use uuid::Uuid;

/// End an active allocation of this worker (to this person, or to the whole family).
pub async fn end_allocation(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    worker_id: UserId,
    person_id: Option<PersonId>,
) -> Result<bool> {
    let case_id = g.case_id().uuid();
    let r = sqlx::query(
        "UPDATE allocations SET ended_at = $1 WHERE case_id = $2 AND worker_id = $3 AND ended_at IS NULL \
         AND COALESCE(person_id, '') = $4",
    )
    .bind(to_unix(now))
    .bind(case_id.to_string())
    .bind(worker_id.to_string())
    .bind(person_id.map(|p| p.to_string()).unwrap_or_default())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Is this worker allocated in the guard's case (to this person, or to the whole family)?
pub async fn is_allocated(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    worker_id: UserId,
    person_id: Option<PersonId>,
) -> Result<bool> {
    let case_id = g.case_id();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM allocations WHERE case_id = $1 AND worker_id = $2 AND ended_at IS NULL \
         AND COALESCE(person_id, '') = $3",
    )
    .bind(case_id.to_string())
    .bind(worker_id.to_string())
    .bind(person_id.map(|p| p.to_string()).unwrap_or_default())
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Close a case: every allocation ends with it. False if it was already closed.
pub async fn close(conn: &mut AnyConnection, g: &CaseGuard, now: Timestamp) -> Result<bool> {
    let case_id = g.case_id().uuid();
    let r = sqlx::query(
        "UPDATE cases SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = 'open'",
    )
    .bind(to_unix(now))
    .bind(case_id.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE allocations SET ended_at = $1 WHERE case_id = $2 AND ended_at IS NULL")
        .bind(to_unix(now))
        .bind(case_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The workers allocated in each of the guard's cases, by name, for a manager's lists.
pub async fn workers_in(
    conn: &mut AnyConnection,
    g: &crate::access::CasesGuard,
) -> Result<std::collections::HashMap<Uuid, Vec<(UserId, String)>>> {
    let mut out: std::collections::HashMap<Uuid, Vec<(UserId, String)>> = Default::default();
    for r in crate::many::fetch_in(
        conn,
        "SELECT DISTINCT a.case_id, a.worker_id, u.display_name FROM allocations a \
         JOIN users u ON u.id = a.worker_id WHERE u.org_id = $1 AND a.ended_at IS NULL \
         AND a.case_id IN ({ids}) ORDER BY u.display_name",
        &[g.actor().org_id.to_string()],
        &g.case_ids(),
    )
    .await?
    {
        let worker = (
            row::user_id(&r, "worker_id")?,
            row::text(&r, "display_name")?,
        );
        let list = out.entry(row::id(&r, "case_id")?).or_default();
        if !list.contains(&worker) {
            list.push(worker);
        }
    }
    Ok(out)
}
