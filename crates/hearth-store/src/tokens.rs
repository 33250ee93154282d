//! API tokens for partner systems and scripts. Only hashes are stored.

use crate::row;
use crate::Result;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: Uuid,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

fn token(r: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row::id(r, "id")?,
        org_id: row::org_id(r, "org_id")?,
        user_id: row::user_id(r, "user_id")?,
        name: row::text(r, "name")?,
        created_at: row::at(r, "created_at")?,
        last_used_at: row::opt_at(r, "last_used_at")?,
        revoked_at: row::opt_at(r, "revoked_at")?,
    })
}

/// An API token to record: only its hash is kept.
pub struct NewToken<'a> {
    pub id: Uuid,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub created_by: Option<hearth_domain::ids::UserId>,
}

pub async fn insert(conn: &mut AnyConnection, now: Timestamp, new: NewToken<'_>) -> Result<()> {
    let NewToken {
        id,
        org_id,
        user_id,
        name,
        token_hash,
        created_by,
    } = new;
    sqlx::query(
        "INSERT INTO api_tokens (id, org_id, user_id, name, token_hash, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(user_id.to_string())
    .bind(name)
    .bind(token_hash)
    .bind(to_unix(now))
    .bind(created_by.map(|u| u.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A live token by its hash.
pub async fn by_hash(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<ApiToken>> {
    let r = sqlx::query(
        "SELECT id, org_id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens \
         WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(token).transpose()
}

pub async fn mark_used(conn: &mut AnyConnection, now: Timestamp, id: Uuid) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(to_unix(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn list(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(
        "SELECT id, org_id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens \
         WHERE org_id = $1 ORDER BY created_at DESC",
    )
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(token).collect()
}

/// Revoke a token of this organisation; false if there was no such live token.
pub async fn revoke(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: OrgId,
    id: Uuid,
) -> Result<bool> {
    let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
        .bind(to_unix(now))
        .bind(id.to_string())
        .bind(org_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn revoke_all_for_user(
    conn: &mut AnyConnection,
    now: Timestamp,
    user_id: UserId,
) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(to_unix(now))
    .bind(user_id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected())
}
