//! Versions of a person's contact details. Each save adds a version; the unique
//! (person, version) pair makes two people saving at once a conflict, not a silent overwrite.

use crate::access::{require, Guard};
use crate::row;
use crate::sealed::{Sealed, Shows, Subject};
use crate::{FieldCipher, Result, StoreError};
use hearth_domain::access::FieldClass;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::contact::ContactDetails;
use hearth_domain::ids::new_id;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use sqlx::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ContactVersion {
    pub version: i64,
    /// The details themselves: location data, opened through the guard.
    pub sealed: Sealed,
    pub recorded_at: Timestamp,
    pub recorded_by: UserId,
    pub recorded_by_name: String,
}

/// Where a version's sealed value lives, for the cipher's associated data.
pub fn place(person_id: Uuid, version: i64) -> String {
    format!("contact_versions.sealed:{person_id}:{version}")
}

/// The newest version's number (0 when none): what a save must be based on.
pub async fn latest_version(
    conn: &mut AnyConnection,
    guard: &impl Guard,
    person_id: Uuid,
) -> Result<i64> {
    require(guard, person_id)?;
    row::latest_version(conn, "contact_versions", guard.actor().org_id, person_id).await
}

/// The newest version's number for someone a triager is placing in a case as a referral is
/// accepted: the triage guard, not a case guard, is what lets her write their details.
pub async fn latest_version_at_triage(
    conn: &mut AnyConnection,
    triage: &crate::access::ServiceGuard,
    person_id: Uuid,
) -> Result<i64> {
    triage.require(hearth_domain::access::Action::Triage)?;
    row::latest_version(conn, "contact_versions", triage.actor().org_id, person_id).await
}

/// The newest version of each of these people's details that has any, in one statement: a
/// case page shows each person's safe contact arrangements, and only the current ones.
pub async fn newest_of(
    conn: &mut AnyConnection,
    guard: &impl Guard,
    people: &[Uuid],
) -> Result<HashMap<Uuid, ContactVersion>> {
    for p in people {
        require(guard, *p)?;
    }
    let rows = crate::many::fetch_in(
        conn,
        "SELECT c.person_id, c.version, c.sealed, c.recorded_at, c.recorded_by, u.display_name \
         FROM contact_versions c JOIN users u ON u.id = c.recorded_by \
         WHERE c.org_id = $1 AND c.person_id IN ({ids}) \
         AND c.version = (SELECT MAX(n.version) FROM contact_versions n \
                          WHERE n.person_id = c.person_id)",
        &[guard.actor().org_id.to_string()],
        people,
    )
    .await?;
    rows.iter()
        .map(|r| {
            let person_id = row::id(r, "person_id")?;
            Ok((person_id, version_of(r, person_id)?))
        })
        .collect()
}

fn version_of(r: &sqlx::any::AnyRow, person_id: Uuid) -> Result<ContactVersion> {
    let version = row::int(r, "version")?;
    Ok(ContactVersion {
        version,
        sealed: Sealed::new(
            place(person_id, version),
            row::bytes(r, "sealed")?,
            Subject::Person(person_id),
            FieldClass::Location,
            Shows::ContactDetails,
        ),
        recorded_at: row::at(r, "recorded_at")?,
        recorded_by: row::user_id(r, "recorded_by")?,
        recorded_by_name: row::text(r, "display_name")?,
    })
}

/// Every version, newest first, for someone the guard covers.
pub async fn versions(
    conn: &mut AnyConnection,
    guard: &impl Guard,
    person_id: Uuid,
) -> Result<Vec<ContactVersion>> {
    require(guard, person_id)?;
    let org_id = guard.actor().org_id;
    let rows = sqlx::query(
        "SELECT c.version, c.sealed, c.recorded_at, c.recorded_by, u.display_name FROM contact_versions c \
         JOIN users u ON u.id = c.recorded_by WHERE c.person_id = $1 AND c.org_id = $2 ORDER BY c.version DESC",
    )
    .bind(person_id.to_string())
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| version_of(r, person_id)).collect()
}

/// A new version of someone's contact details.
pub struct NewContact<'a> {
    pub org_id: OrgId,
    pub person_id: Uuid,
    pub version: i64,
    pub details: &'a ContactDetails,
    pub by: UserId,
}

/// Seal and save a new version, and index its phone number and postcode for search in place of
/// the last version's.
pub async fn insert(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    now: Timestamp,
    new: NewContact<'_>,
) -> Result<()> {
    let (person_id, details) = (new.person_id, new.details);
    load(conn, cipher, now, new).await?;
    crate::identity::index_contact(conn, cipher, person_id, details).await
}

/// Seal and save a new version without indexing it: for a bulk load, which then indexes the
/// whole organisation at once with [`crate::identity::reindex`].
pub async fn load(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    now: Timestamp,
    new: NewContact<'_>,
) -> Result<()> {
    let NewContact {
        org_id,
        person_id,
        version,
        details,
        by,
    } = new;
    let json = serde_json::to_string(details).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let sealed = cipher.encrypt(&place(person_id, version), &json)?;
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

/// The current contact details, opened for the store's own use (indexing them); never handed
/// out: readers get them sealed, through a guard.
pub(crate) async fn current(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    person_id: Uuid,
) -> Result<Option<ContactDetails>> {
    let Some(r) = sqlx::query(
        "SELECT version, sealed FROM contact_versions WHERE person_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(person_id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let json = cipher.decrypt(
        &place(person_id, row::int(&r, "version")?),
        &row::bytes(&r, "sealed")?,
    )?;
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("contact details: {e}")))
}

/// Every person's current contact details in the organisation, opened for the store's own use
/// (rebuilding its index). One statement, not one a person.
pub(crate) async fn current_of_organisation(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
) -> Result<HashMap<Uuid, ContactDetails>> {
    let rows = sqlx::query(
        "SELECT c.person_id, c.version, c.sealed FROM contact_versions c WHERE c.org_id = $1 \
         AND c.version = (SELECT MAX(n.version) FROM contact_versions n WHERE n.person_id = c.person_id)",
    )
    .bind(cipher.org_id().to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        let person_id = row::id(r, "person_id")?;
        let json = cipher.decrypt(
            &place(person_id, row::int(r, "version")?),
            &row::bytes(r, "sealed")?,
        )?;
        let details = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("contact details: {e}")))?;
        out.insert(person_id, details);
    }
    Ok(out)
}
