//! Organisations and their teams: the public lookup the referral form needs, the team lists the
//! pages offer, and the operator's commands that set a service up. Audited like everything else.

use crate::{App, Result};
use hearth_domain::ids::OrgId;
use hearth_store::audit::AuditEvent;
use hearth_store::orgs;
pub use hearth_store::orgs::{Organisation, Team};
use hearth_store::rekey::{self, Rotated};

/// Which organisation a public page or an operator's command means.
#[derive(Debug, Clone)]
pub enum Which {
    Found(Organisation),
    /// No organisation has the slug given.
    NoSuchSlug,
    /// No slug was given and there is no organisation yet.
    NoneYet,
    /// No slug was given and there are several to choose from.
    Several,
}

/// The one whose slug is given, or the only one there is.
pub async fn which(app: &App, slug: Option<&str>) -> Result<Which> {
    let mut conn = app.store.conn().await?;
    Ok(match slug {
        Some(s) => orgs::by_slug(&mut conn, s)
            .await?
            .map_or(Which::NoSuchSlug, Which::Found),
        None => {
            let mut all = orgs::list(&mut conn).await?;
            match all.len() {
                0 => Which::NoneYet,
                1 => Which::Found(all.pop().expect("one")),
                _ => Which::Several,
            }
        }
    })
}

/// The organisation a public page serves, if the address names one.
pub async fn public(app: &App, slug: Option<&str>) -> Result<Option<Organisation>> {
    Ok(match which(app, slug).await? {
        Which::Found(o) => Some(o),
        _ => None,
    })
}

/// Every organisation, for the operator.
pub async fn list(app: &App) -> Result<Vec<Organisation>> {
    let mut conn = app.store.conn().await?;
    Ok(orgs::list(&mut conn).await?)
}

/// The organisation's teams, by name.
pub async fn teams(app: &App, org_id: OrgId) -> Result<Vec<Team>> {
    let mut conn = app.store.conn().await?;
    Ok(orgs::teams(&mut conn, org_id).await?)
}

/// Set up a new organisation, from the command line.
pub async fn create(app: &App, name: &str, slug: &str) -> Result<Organisation> {
    let mut w = app.work().await?;
    let now = w.now();
    let org = orgs::create(&app.store, &mut w, now, name.trim(), slug.trim(), false).await?;
    w.audit(
        AuditEvent::new("organisation.create", "organisation")
            .org(org.id)
            .entity(org.id)
            .detail("via", "command_line"),
    );
    w.commit().await?;
    Ok(org)
}

/// Add a team to an organisation, from the command line.
pub async fn add_team(app: &App, org_id: OrgId, name: &str) -> Result<Team> {
    let mut w = app.work().await?;
    let now = w.now();
    let team = orgs::create_team(&mut w, now, org_id, name.trim()).await?;
    w.audit(
        AuditEvent::new("team.create", "team")
            .org(org_id)
            .entity(team.id)
            .detail("via", "command_line"),
    );
    w.commit().await?;
    Ok(team)
}

/// Give an organisation a new data key, from the command line: every sealed value moves to it
/// and the search index is rebuilt under it, in one transaction (see `hearth_store::rekey`).
/// Other writes wait while it runs; a server running meanwhile reads the new key as the next
/// piece of work begins.
pub async fn rotate_key(app: &App, org_id: OrgId) -> Result<Rotated> {
    let mut w = app.store.work_alone(app.now()).await?;
    let done = rekey::rotate(&mut w, org_id).await?;
    w.audit(
        AuditEvent::new("organisation.key_rotate", "organisation")
            .org(org_id)
            .entity(org_id)
            .detail("via", "command_line")
            .detail("values", done.values)
            .detail("people_indexed", done.people_indexed),
    );
    w.commit().await?;
    Ok(done)
}
