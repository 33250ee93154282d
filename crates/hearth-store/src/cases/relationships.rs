//! How the people in a case are related.

use crate::access::{CaseGuard, Guard};
use crate::row;
use crate::Result;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use sqlx::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub from_person: Uuid,
    pub kind: String,
    pub to_person: Uuid,
}

/// Record how two people in the guard's case are related.
pub async fn add_relationship(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    r: &Relationship,
) -> Result<()> {
    let (org_id, case_id, by) = (g.actor().org_id, g.case_id(), g.actor().user_id);
    sqlx::query(
        "INSERT INTO relationships (id, org_id, case_id, from_person, kind, to_person, added_at, added_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(case_id.to_string())
    .bind(r.from_person.to_string())
    .bind(&r.kind)
    .bind(r.to_person.to_string())
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn relationships(
    conn: &mut AnyConnection,
    case_id: Uuid,
) -> Result<Vec<Relationship>> {
    let rows = sqlx::query("SELECT from_person, kind, to_person FROM relationships WHERE case_id = $1 ORDER BY added_at, id")
        .bind(case_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Relationship {
                from_person: row::id(r, "from_person")?,
                kind: row::text(r, "kind")?,
                to_person: row::id(r, "to_person")?,
            })
        })
        .collect()
}
