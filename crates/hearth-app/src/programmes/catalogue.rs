//! The service's programme catalogue: read as it stands, and a new file loaded by those who
//! manage it, refused whole (naming the file, the line and the problem) if it cannot be
//! trusted, so the version in use stays.

use crate::users::By;
use crate::{App, AppError, Result};
use hearth_domain::access::Action;
use hearth_domain::ids::OrgId;
use hearth_domain::programme::{check_successor, parse, Catalogue, Programme};
use hearth_domain::Timestamp;
use hearth_store::programmes as store;
use hearth_store::UnitOfWork;
use std::sync::Arc;

/// The catalogue in use.
pub async fn current(w: &mut UnitOfWork, org_id: OrgId) -> Result<Arc<Catalogue>> {
    let stored = store::current(w, org_id)
        .await?
        .ok_or_else(|| AppError::Internal("the service has no programme catalogue".into()))?;
    Ok(w.store().parsed_catalogue(org_id, &stored)?)
}

/// The version of a programme an enrolment was made on.
pub async fn made_on(
    w: &mut UnitOfWork,
    org_id: OrgId,
    key: &str,
    version: i64,
) -> Result<Programme> {
    let store = w.store().clone();
    store::programme_version(w, &store, org_id, key, version)
        .await?
        .ok_or_else(|| AppError::Internal(format!("programme {key} version {version} is missing")))
}

/// One catalogue file as loaded.
#[derive(Debug, Clone)]
pub struct CatalogueVersion {
    pub version: i64,
    pub source: String,
    pub loaded_at: Timestamp,
    pub loaded_by: String,
}

/// The catalogue page: what is in use, its text to start a new version from, and every file.
#[derive(Debug, Clone)]
pub struct CataloguePage {
    pub current: Arc<Catalogue>,
    pub current_version: i64,
    pub definition: String,
    pub versions: Vec<CatalogueVersion>,
}

pub async fn catalogue_page(app: &App, by: By<'_>) -> Result<CataloguePage> {
    by.check(Action::ManageProgrammes)?;
    let org_id = by.org_id();
    let mut w = app.view().await?;
    let all = store::all(&mut w, org_id).await?;
    let newest = all
        .first()
        .ok_or_else(|| AppError::Internal("the service has no programme catalogue".into()))?;
    let current = w.store().parsed_catalogue(org_id, newest)?;
    let page = CataloguePage {
        current,
        current_version: newest.version,
        definition: newest.definition.clone(),
        versions: all
            .iter()
            .map(|c| CatalogueVersion {
                version: c.version,
                source: c.source.clone(),
                loaded_at: c.loaded_at,
                loaded_by: c
                    .loaded_by_name
                    .clone()
                    .unwrap_or_else(|| "Shipped with Hearth".into()),
            })
            .collect(),
    };
    w.commit().await?;
    Ok(page)
}

/// Load a new catalogue file. It must parse, keep every programme in use (retired rather than
/// removed), leave each version already loaded as it was, and change something; otherwise it
/// is refused whole and the version in use stays.
pub async fn load(app: &App, by: By<'_>, file: &str, src: &str) -> Result<i64> {
    by.check(Action::ManageProgrammes)?;
    let org_id = by.org_id();
    let file = match file.trim() {
        "" => "pasted catalogue",
        f => f,
    };
    if src.len() > 200_000 {
        return Err(AppError::invalid(
            "definition",
            "The catalogue is too long: keep it under 200,000 characters",
        ));
    }
    let new = parse(file, src).map_err(|e| AppError::invalid("definition", e.to_string()))?;
    let mut w = app.work().await?;
    let earlier = store::all(&mut w, org_id).await?;
    let parsed: Vec<Catalogue> = earlier
        .iter()
        .map(|c| w.store().parsed_catalogue(org_id, c).map(|c| (*c).clone()))
        .collect::<std::result::Result<_, _>>()?;
    check_successor(file, src, &new, &parsed)
        .map_err(|e| AppError::invalid("definition", e.to_string()))?;
    let version = earlier.first().map_or(1, |c| c.version + 1);
    let new = store::NewCatalogue {
        org_id,
        version,
        source: file,
        definition: src,
        by: by.actor_id(),
    };
    store::insert(&mut w, app.now(), new).await?;
    w.audit(
        by.event("programmes.load", "organisation", org_id.uuid())
            .detail("version", version),
    );
    w.commit().await?;
    Ok(version)
}

/// Make sure every service has the shipped catalogue (for databases made before programmes
/// existed). Safe to run at every start.
pub async fn install_shipped_catalogue_everywhere(app: &App) -> Result<usize> {
    let mut w = app.work().await?;
    let mut added = 0;
    for org in hearth_store::orgs::list(&mut w).await? {
        added += store::install_shipped(&mut w, app.now(), org.id).await?;
    }
    w.commit().await?;
    Ok(added)
}
