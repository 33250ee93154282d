//! A service's programme catalogue, as loaded: each file whole, newest standing. A file is
//! checked before it is stored (see `hearth_app::programmes`), so a stored one always parses.

use crate::{row, Result, Store};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::{new_id, OrgId, UserId};
use hearth_domain::programme::{Catalogue, Programme, DEFAULT};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use std::sync::Arc;

/// One catalogue file as loaded.
#[derive(Debug, Clone)]
pub struct StoredCatalogue {
    pub version: i64,
    pub source: String,
    pub definition: String,
    pub loaded_at: Timestamp,
    pub loaded_by_name: Option<String>,
}

fn stored(r: &AnyRow) -> Result<StoredCatalogue> {
    Ok(StoredCatalogue {
        version: row::int(r, "version")?,
        source: row::text(r, "source")?,
        definition: row::text(r, "definition")?,
        loaded_at: row::at(r, "loaded_at")?,
        loaded_by_name: row::opt_text(r, "display_name")?,
    })
}

const SELECT: &str = "SELECT c.version, c.source, c.definition, c.loaded_at, u.display_name \
     FROM programme_catalogues c LEFT JOIN users u ON u.id = c.loaded_by WHERE c.org_id = $1";

/// Every catalogue the service has loaded, newest first.
pub async fn all(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<StoredCatalogue>> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY c.version DESC"))
        .bind(org_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(stored).collect()
}

/// The catalogue in use: the newest loaded.
pub async fn current(conn: &mut AnyConnection, org_id: OrgId) -> Result<Option<StoredCatalogue>> {
    let r = sqlx::query(&format!("{SELECT} ORDER BY c.version DESC LIMIT 1"))
        .bind(org_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(stored).transpose()
}

/// A catalogue file to record, already checked.
pub struct NewCatalogue<'a> {
    pub org_id: OrgId,
    pub version: i64,
    pub source: &'a str,
    pub definition: &'a str,
    pub by: Option<UserId>,
}

pub async fn insert(conn: &mut AnyConnection, now: Timestamp, c: NewCatalogue<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO programme_catalogues (id, org_id, version, source, definition, loaded_at, loaded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id(now).to_string())
    .bind(c.org_id.to_string())
    .bind(c.version)
    .bind(c.source)
    .bind(c.definition)
    .bind(to_unix(now))
    .bind(c.by.map(|u| u.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Give a service the shipped catalogue if it has none yet. Safe to run at every start.
pub async fn install_shipped(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: OrgId,
) -> Result<usize> {
    if current(conn, org_id).await?.is_some() {
        return Ok(0);
    }
    let (source, definition) = DEFAULT;
    let c = NewCatalogue {
        org_id,
        version: 1,
        source,
        definition,
        by: None,
    };
    insert(conn, now, c).await?;
    Ok(1)
}

impl Store {
    /// A stored catalogue, parsed: once per process for each (organisation, version), which
    /// never changes.
    pub fn parsed_catalogue(&self, org_id: OrgId, c: &StoredCatalogue) -> Result<Arc<Catalogue>> {
        self.parsed_catalogue_cached(org_id, c.version, || {
            hearth_domain::programme::parse(&c.source, &c.definition)
                .map_err(|e| crate::StoreError::Corrupt(format!("stored catalogue: {e}")))
        })
    }
}

/// The version of a programme an enrolment was made on, from the files the service has
/// loaded (newest first): a later file never changes what an earlier enrolment meant.
pub async fn programme_version(
    conn: &mut AnyConnection,
    store: &Store,
    org_id: OrgId,
    key: &str,
    version: i64,
) -> Result<Option<Programme>> {
    for c in all(conn, org_id).await? {
        let parsed = store.parsed_catalogue(org_id, &c)?;
        if let Some(p) = parsed
            .programmes
            .iter()
            .find(|p| p.key == key && p.version == version)
        {
            return Ok(Some(p.clone()));
        }
    }
    Ok(None)
}
