//! Organisations (services) and their teams.

use crate::row;
use crate::{Result, Store};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::{OrgId, TeamId};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub is_demo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub org_id: OrgId,
    pub name: String,
}

fn org(r: &AnyRow) -> Result<Organisation> {
    Ok(Organisation {
        id: row::org_id(r, "id")?,
        name: row::text(r, "name")?,
        slug: row::text(r, "slug")?,
        is_demo: row::flag(r, "is_demo")?,
    })
}

/// Create an organisation with its own data key.
pub async fn create(
    store: &Store,
    conn: &mut AnyConnection,
    now: Timestamp,
    name: &str,
    slug: &str,
    is_demo: bool,
) -> Result<Organisation> {
    let id = OrgId::new(now);
    let (_, wrapped) = store.master_key().new_org_key(id)?;
    sqlx::query(
        "INSERT INTO organisations (id, name, slug, is_demo, wrapped_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(name)
    .bind(slug)
    .bind(i64::from(is_demo))
    .bind(wrapped)
    .bind(to_unix(now))
    .execute(&mut *conn)
    .await?;
    crate::risk::install_shipped(conn, now, id).await?;
    crate::programmes::install_shipped(conn, now, id).await?;
    Ok(Organisation {
        id,
        name: name.into(),
        slug: slug.into(),
        is_demo,
    })
}

pub async fn get(conn: &mut AnyConnection, id: OrgId) -> Result<Option<Organisation>> {
    let r = sqlx::query("SELECT id, name, slug, is_demo FROM organisations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(org).transpose()
}

pub async fn by_slug(conn: &mut AnyConnection, slug: &str) -> Result<Option<Organisation>> {
    let r = sqlx::query("SELECT id, name, slug, is_demo FROM organisations WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(org).transpose()
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Organisation>> {
    let rows = sqlx::query("SELECT id, name, slug, is_demo FROM organisations ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(org).collect()
}

pub async fn create_team(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: OrgId,
    name: &str,
) -> Result<Team> {
    let id = TeamId::new(now);
    sqlx::query("INSERT INTO teams (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.to_string())
        .bind(org_id.to_string())
        .bind(name)
        .bind(to_unix(now))
        .execute(&mut *conn)
        .await?;
    Ok(Team {
        id,
        org_id,
        name: name.into(),
    })
}

pub async fn teams(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<Team>> {
    let rows = sqlx::query("SELECT id, org_id, name FROM teams WHERE org_id = $1 ORDER BY name")
        .bind(org_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Team {
                id: row::team_id(r, "id")?,
                org_id: row::org_id(r, "org_id")?,
                name: row::text(r, "name")?,
            })
        })
        .collect()
}

/// A team, only if it belongs to the organisation.
pub async fn team(
    conn: &mut AnyConnection,
    org_id: OrgId,
    team_id: TeamId,
) -> Result<Option<Team>> {
    Ok(teams(conn, org_id)
        .await?
        .into_iter()
        .find(|t| t.id == team_id))
}
