//! Reading columns portably: identifiers and instants are stored as text and integers on both
//! backends, and decoded into domain types here.

use crate::{Result, StoreError};
use hearth_domain::clock::{from_unix, Timestamp};
use hearth_domain::ids::{OrgId, TeamId, UserId};
use hearth_domain::ukdate::from_iso;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::Date;
use uuid::Uuid;

pub fn id(row: &AnyRow, col: &str) -> Result<Uuid> {
    let s: String = row.try_get(col)?;
    Uuid::try_parse(&s).map_err(|_| StoreError::Corrupt(format!("{col} is not a UUID")))
}

/// An organisation id column: the kind is said once, here, as it leaves the row.
pub fn org_id(row: &AnyRow, col: &str) -> Result<OrgId> {
    id(row, col).map(OrgId::from_uuid)
}

/// A member of staff's id column.
pub fn user_id(row: &AnyRow, col: &str) -> Result<UserId> {
    id(row, col).map(UserId::from_uuid)
}

/// A team's id column.
pub fn team_id(row: &AnyRow, col: &str) -> Result<TeamId> {
    id(row, col).map(TeamId::from_uuid)
}

/// A team id column that may be empty (staff who belong to no team).
pub fn opt_team_id(row: &AnyRow, col: &str) -> Result<Option<TeamId>> {
    Ok(opt_id(row, col)?.map(TeamId::from_uuid))
}

pub fn opt_id(row: &AnyRow, col: &str) -> Result<Option<Uuid>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| Uuid::try_parse(&s).map_err(|_| StoreError::Corrupt(format!("{col} is not a UUID"))))
        .transpose()
}

pub fn text(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get(col)?)
}

/// A person's role in a case, as stored.
pub fn role(row: &AnyRow, col: &str) -> Result<hearth_domain::access::CaseRole> {
    let code = text(row, col)?;
    hearth_domain::access::CaseRole::parse(&code)
        .ok_or_else(|| crate::StoreError::Corrupt(format!("case role {code}")))
}

pub fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get(col)?)
}

pub fn int(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get(col)?)
}

pub fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get(col)?)
}

pub fn flag(row: &AnyRow, col: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}

pub fn at(row: &AnyRow, col: &str) -> Result<Timestamp> {
    Ok(from_unix(row.try_get(col)?))
}

pub fn opt_at(row: &AnyRow, col: &str) -> Result<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_unix))
}

pub fn opt_bytes(row: &AnyRow, col: &str) -> Result<Option<Vec<u8>>> {
    Ok(row.try_get(col)?)
}

pub fn bytes(row: &AnyRow, col: &str) -> Result<Vec<u8>> {
    Ok(row.try_get(col)?)
}

/// A date without a time, stored as ISO text (YYYY-MM-DD) on both backends.
pub fn date(row: &AnyRow, col: &str) -> Result<Date> {
    let s: String = row.try_get(col)?;
    from_iso(&s).ok_or_else(|| StoreError::Corrupt(format!("{col} {s}")))
}

pub fn opt_date(row: &AnyRow, col: &str) -> Result<Option<Date>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| from_iso(&s).ok_or_else(|| StoreError::Corrupt(format!("{col} {s}"))))
        .transpose()
}

/// The newest version number of a person's versioned record (0 when none), from a table of
/// this crate's (never from input) with `person_id`, `org_id` and `version` columns.
pub(crate) async fn latest_version(
    conn: &mut sqlx::AnyConnection,
    table: &'static str,
    org_id: OrgId,
    person_id: uuid::Uuid,
) -> crate::Result<i64> {
    let v: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT MAX(version) FROM {table} WHERE person_id = $1 AND org_id = $2"
    ))
    .bind(person_id.to_string())
    .bind(org_id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok(v.unwrap_or(0))
}
