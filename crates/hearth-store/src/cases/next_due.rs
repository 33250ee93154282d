//! Each case's next due as the database keeps it (migration 0018): a date, or unknown since a
//! record it is worked out from changed. What falls due is the app's rule; this reads the
//! unknown cases and writes a worked-out date only where the case's version is still the one
//! read, so a change made while it was worked out is never covered by a date from before it.

use crate::{row, Result, Store};
use hearth_domain::ids::OrgId;
use sqlx::AnyConnection;
use time::Date;
use uuid::Uuid;

/// Kept for a case with nothing due at all: later than any date, so it never falls in a list.
pub const NOTHING_DUE: &str = "9999-12-31";

/// An open case whose next due is not known, at the version it was read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unknown {
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub version: i64,
}

/// Up to `limit` open cases whose next due is not known, an organisation's together.
pub async fn unknown(conn: &mut AnyConnection, limit: usize) -> Result<Vec<Unknown>> {
    let sql = format!(
        "SELECT org_id, id, due_version FROM cases WHERE next_due_on IS NULL AND status = 'open' \
         ORDER BY org_id LIMIT {limit}"
    );
    sqlx::query(&sql)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Unknown {
                org_id: row::org_id(r, "org_id")?,
                case_id: row::id(r, "id")?,
                version: row::int(r, "due_version")?,
            })
        })
        .collect()
}

/// Keep these worked-out dates (`None`: nothing due), each only if its case is unchanged since
/// it was read; how many were kept. `together` writes them in one transaction, for a bulk load
/// with nothing else writing; otherwise each is its own, so the work never holds one case while
/// waiting for another that a writer holds.
pub async fn keep(
    store: &Store,
    worked: &[(Unknown, Option<Date>)],
    together: bool,
) -> Result<usize> {
    let mut kept = 0;
    let mut tx = store.begin().await?;
    for (i, (u, on)) in worked.iter().enumerate() {
        let on = on.map_or(NOTHING_DUE.to_string(), hearth_domain::ukdate::iso);
        let done = sqlx::query(
            "UPDATE cases SET next_due_on = $1 \
             WHERE id = $2 AND due_version = $3 AND next_due_on IS NULL",
        )
        .bind(on)
        .bind(u.case_id.to_string())
        .bind(u.version)
        .execute(&mut *tx)
        .await?;
        kept += usize::try_from(done.rows_affected()).unwrap_or_default();
        if !together && i + 1 < worked.len() {
            tx.commit().await?;
            tx = store.begin().await?;
        }
    }
    tx.commit().await?;
    Ok(kept)
}

/// Forget every case's next due (the rules it was worked out by have changed), and record
/// which rules the next ones are worked out by.
pub async fn forget_all(conn: &mut AnyConnection, rules: &str) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 \
         WHERE next_due_on IS NOT NULL",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('next_due_rules', $1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(rules)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The rules the kept dates were worked out by, as [`forget_all`] last recorded them.
pub async fn rules(conn: &mut AnyConnection) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'next_due_rules'")
            .fetch_optional(conn)
            .await?,
    )
}

/// A case's kept next due: `None` while unknown, else the date or [`NOTHING_DUE`].
pub async fn of_case(conn: &mut AnyConnection, case_id: Uuid) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT next_due_on FROM cases WHERE id = $1")
            .bind(case_id.to_string())
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}
