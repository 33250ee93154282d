//! Versions of a person's contact details. Each save adds a version; the unique
//! (person, version) pair makes two people saving at once a conflict, not a silent overwrite.

use crate::row;
use crate::Result;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use sqlx::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ContactVersion {
    pub version: i64,
    pub sealed: Vec<u8>,
    pub recorded_at: Timestamp,
    pub recorded_by: Uuid,
    pub recorded_by_name: String,
}

/// Where a version's sealed value lives, for the cipher's associated data.
pub fn place(person_id: Uuid, version: i64) -> String {
    format!("contact_versions.sealed:{person_id}:{version}")
}

/// Every version, newest first.
pub async fn versions(
    conn: &mut AnyConnection,
    org_id: Uuid,
    person_id: Uuid,
) -> Result<Vec<ContactVersion>> {
    let rows = sqlx::query(
        "SELECT c.version, c.sealed, c.recorded_at, c.recorded_by, u.display_name FROM contact_versions c \
         JOIN users u ON u.id = c.recorded_by WHERE c.person_id = $1 AND c.org_id = $2 ORDER BY c.version DESC",
    )
    .bind(person_id.to_string())
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ContactVersion {
                version: row::int(r, "version")?,
                sealed: row::bytes(r, "sealed")?,
                recorded_at: row::at(r, "recorded_at")?,
                recorded_by: row::id(r, "recorded_by")?,
                recorded_by_name: row::text(r, "display_name")?,
            })
        })
        .collect()
}

pub async fn insert(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: Uuid,
    person_id: Uuid,
    version: i64,
    sealed: Vec<u8>,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO contact_versions (id, org_id, person_id, version, sealed, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(person_id.to_string())
    .bind(version)
    .bind(sealed)
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
