//! Loading and reading instrument definitions. A new version is checked in full before it is
//! stored; a bad one is refused with its file, line and problem, and the version in use stays.

use crate::users::By;
use crate::{App, AppError, Result};
use hearth_domain::access::Action;
use hearth_domain::ids::OrgId;
use hearth_domain::instrument::{self, Instrument, Kind};
use hearth_store::risk as store;
pub use hearth_store::risk::StoredInstrument;
use hearth_store::UnitOfWork;

/// Make sure every organisation has the shipped definitions (for databases created before
/// they existed). Safe to run at every start.
pub async fn install_shipped_everywhere(app: &App) -> Result<usize> {
    let mut w = app.work().await?;
    let mut added = 0;
    for org in hearth_store::orgs::list(&mut w).await? {
        added += store::install_shipped(&mut w, app.now(), org.id).await?;
    }
    w.commit().await?;
    Ok(added)
}

/// A stored definition, parsed (once per process: versions never change). Stored versions were
/// checked on the way in, so a failure here means the database was changed behind Hearth's back.
pub fn open(w: &UnitOfWork, org_id: OrgId, stored: &StoredInstrument) -> Result<Instrument> {
    w.store()
        .parsed_instrument(org_id, stored)
        .map(|i| (*i).clone())
        .map_err(|e| AppError::Internal(format!("stored instrument no longer parses: {e}")))
}

/// The current version of one instrument.
pub async fn current(w: &mut UnitOfWork, org_id: OrgId, key: &str) -> Result<Instrument> {
    let stored = store::instrument_version(w, org_id, key, None)
        .await?
        .ok_or_else(|| AppError::invalid("instrument", "Choose a checklist from the list"))?;
    open(w, org_id, &stored)
}

/// The version answers were given on.
pub async fn version(
    w: &mut UnitOfWork,
    org_id: OrgId,
    key: &str,
    version: i64,
) -> Result<Instrument> {
    let stored = store::instrument_version(w, org_id, key, Some(version))
        .await?
        .ok_or_else(|| AppError::Internal(format!("instrument {key} v{version} is missing")))?;
    open(w, org_id, &stored)
}

/// The current version of every instrument of a kind.
pub async fn current_of_kind(
    w: &mut UnitOfWork,
    org_id: OrgId,
    kind: Kind,
) -> Result<Vec<Instrument>> {
    store::current_instruments(w, org_id)
        .await?
        .iter()
        .filter(|s| s.kind == kind.code())
        .map(|s| open(w, org_id, s))
        .collect()
}

/// One line of the instruments list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub key: String,
    pub version: i64,
    pub kind: String,
    pub title: String,
    pub source: String,
    pub loaded_at: hearth_domain::Timestamp,
    pub current: bool,
}

/// Every version of every instrument, for the people who manage them.
pub async fn list(app: &App, by: By<'_>) -> Result<Vec<Listed>> {
    by.check(Action::ManageInstruments)?;
    let mut conn = app.store.conn().await?;
    let all = store::all_instruments(&mut conn, by.org_id()).await?;
    let mut out: Vec<Listed> = Vec::new();
    for s in all {
        let current = !out.iter().any(|l| l.key == s.key);
        out.push(Listed {
            key: s.key,
            version: s.version,
            kind: s.kind,
            title: s.title,
            source: s.source,
            loaded_at: s.loaded_at,
            current,
        });
    }
    Ok(out)
}

/// Load a new version of an instrument. The version must be above every version already
/// loaded for its key: answers given on an older version keep meaning what they meant.
pub async fn load(app: &App, by: By<'_>, file: &str, src: &str) -> Result<Instrument> {
    by.check(Action::ManageInstruments)?;
    let org_id = by.org_id();
    let file = file.trim();
    let file = if file.is_empty() {
        "pasted definition"
    } else {
        file
    };
    if src.len() > 200_000 {
        return Err(AppError::invalid(
            "definition",
            "The definition is too long: keep it under 200,000 characters",
        ));
    }
    let def =
        instrument::parse(file, src).map_err(|e| AppError::invalid("definition", e.to_string()))?;
    let now = app.now();
    let mut w = app.store.work(now).await?;
    if let Some(newest) = store::instrument_version(&mut w, org_id, &def.key, None).await? {
        if def.version <= newest.version {
            return Err(AppError::invalid(
                "definition",
                format!(
                    "{file}: {} version {} is already loaded; give the new definition version {} or higher",
                    def.key,
                    newest.version,
                    newest.version + 1
                ),
            ));
        }
        if newest.kind != def.kind.code() {
            return Err(AppError::invalid(
                "definition",
                format!(
                    "{file}: {} is a {} instrument and cannot become a {} one; give it a new key",
                    def.key,
                    newest.kind,
                    def.kind.code()
                ),
            ));
        }
    }
    store::insert_instrument(
        &mut w,
        now,
        store::NewInstrument {
            org_id,
            key: &def.key,
            version: def.version,
            kind: def.kind.code(),
            title: &def.title,
            definition: src,
            source: file,
            by: by.actor_id(),
        },
    )
    .await?;
    w.audit(
        by.event("instrument.load", "organisation", org_id.uuid())
            .detail("instrument", &def.key)
            .detail("version", def.version),
    );
    w.commit().await?;
    Ok(def)
}

/// One stored version as it was loaded, so a manager can read exactly what was asked.
pub async fn definition(
    app: &App,
    by: By<'_>,
    key: &str,
    version: i64,
) -> Result<StoredInstrument> {
    by.check(Action::ManageInstruments)?;
    let mut conn = app.store.conn().await?;
    store::instrument_version(&mut conn, by.org_id(), key, Some(version))
        .await?
        .ok_or(AppError::NotFound)
}
