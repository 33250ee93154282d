//! Signed-in sessions. Only a hash of each token is stored, so a copy of the database
//! cannot be used to take over a session.

use crate::orgs::Organisation;
use crate::row;
use crate::users::User;
use crate::Result;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use std::sync::OnceLock;

/// How far through signing in a session has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password accepted; a code from the authenticator app is needed.
    SecondFactor,
    /// Password accepted; the user must set up an authenticator app first.
    Enrol,
    /// Fully signed in.
    Active,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::SecondFactor => "second_factor",
            Stage::Enrol => "enrol",
            Stage::Active => "active",
        }
    }
    fn parse(s: &str) -> Stage {
        match s {
            "active" => Stage::Active,
            "enrol" => Stage::Enrol,
            _ => Stage::SecondFactor,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub stage: Stage,
    pub csrf_token: String,
    pub pending_totp_secret: Option<Vec<u8>>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

fn session(r: &AnyRow) -> Result<Session> {
    session_named(r, "user_id", "created_at")
}

/// A session from a row whose user and start columns may carry other names (in a row joined
/// with the user's, `id` and `created_at` are the user's).
fn session_named(r: &AnyRow, user_col: &str, created_col: &str) -> Result<Session> {
    Ok(Session {
        token_hash: row::text(r, "token_hash")?,
        org_id: row::org_id(r, "org_id")?,
        user_id: row::user_id(r, user_col)?,
        stage: Stage::parse(&row::text(r, "stage")?),
        csrf_token: row::text(r, "csrf_token")?,
        pending_totp_secret: row::opt_bytes(r, "pending_totp_secret")?,
        created_at: row::at(r, created_col)?,
        last_seen_at: row::at(r, "last_seen_at")?,
        ended_at: row::opt_at(r, "ended_at")?,
    })
}

pub fn pending_totp_place(token_hash: &str) -> String {
    format!("sessions.pending_totp_secret:{token_hash}")
}

/// The authenticator secret being set up in this session (hex), opened to show its QR code
/// and check the first code.
pub async fn pending_totp_secret(
    conn: &mut AnyConnection,
    store: &crate::Store,
    s: &Session,
) -> Result<Option<String>> {
    let Some(sealed) = &s.pending_totp_secret else {
        return Ok(None);
    };
    let cipher = store.cipher(conn, s.org_id).await?;
    Ok(Some(
        cipher.decrypt(&pending_totp_place(&s.token_hash), sealed)?,
    ))
}

pub async fn insert(
    conn: &mut AnyConnection,
    now: Timestamp,
    token_hash: &str,
    org_id: OrgId,
    user_id: UserId,
    stage: Stage,
    csrf_token: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, org_id, user_id, stage, csrf_token, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(token_hash)
    .bind(org_id.to_string())
    .bind(user_id.to_string())
    .bind(stage.code())
    .bind(csrf_token)
    .bind(to_unix(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<Session>> {
    let r = sqlx::query(
        "SELECT token_hash, org_id, user_id, stage, csrf_token, pending_totp_secret, created_at, last_seen_at, ended_at \
         FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(session).transpose()
}

/// A session with its member of staff and their organisation, read in one statement: every
/// request signed in asks this first, and three round trips for it were a tenth of a case page's.
/// None if there is no such session, or its user or organisation has gone.
pub async fn signed_in(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(Session, User, Organisation)>> {
    // Written out once per process, not once a request.
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!(
            "SELECT s.token_hash, s.stage, s.csrf_token, s.pending_totp_secret, \
             s.created_at AS session_created_at, s.last_seen_at, s.ended_at, \
             o.name AS org_name, o.slug AS org_slug, o.is_demo AS org_is_demo, {} \
             FROM sessions s \
             JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id \
             JOIN organisations o ON o.id = s.org_id \
             WHERE s.token_hash = $1",
            crate::users::columns_of("u")
        )
    });
    let Some(r) = sqlx::query(sql)
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let session = session_named(&r, "id", "session_created_at")?;
    let user = crate::users::user(&r)?;
    let org = Organisation {
        id: session.org_id,
        name: row::text(&r, "org_name")?,
        slug: row::text(&r, "org_slug")?,
        is_demo: row::flag(&r, "org_is_demo")?,
    };
    Ok(Some((session, user, org)))
}

pub async fn touch(conn: &mut AnyConnection, now: Timestamp, token_hash: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND ended_at IS NULL")
        .bind(to_unix(now))
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_pending_totp(
    conn: &mut AnyConnection,
    token_hash: &str,
    sealed: Option<Vec<u8>>,
) -> Result<()> {
    sqlx::query("UPDATE sessions SET pending_totp_secret = $1 WHERE token_hash = $2")
        .bind(sealed)
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn end(
    conn: &mut AnyConnection,
    now: Timestamp,
    token_hash: &str,
    reason: &str,
) -> Result<()> {
    sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE token_hash = $3 AND ended_at IS NULL")
        .bind(to_unix(now))
        .bind(reason)
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// End every session of a user: on disabling, password reset, or second-factor reset.
pub async fn end_all_for_user(
    conn: &mut AnyConnection,
    now: Timestamp,
    user_id: UserId,
    reason: &str,
) -> Result<u64> {
    let r = sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE user_id = $3 AND ended_at IS NULL")
        .bind(to_unix(now))
        .bind(reason)
        .bind(user_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected())
}

/// End every session of a user but the one they are using: on changing their own password,
/// anyone else signed in as them is signed out.
pub async fn end_others_for_user(
    conn: &mut AnyConnection,
    now: Timestamp,
    user_id: UserId,
    keep_token_hash: &str,
    reason: &str,
) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE sessions SET ended_at = $1, end_reason = $2 \
         WHERE user_id = $3 AND token_hash <> $4 AND ended_at IS NULL",
    )
    .bind(to_unix(now))
    .bind(reason)
    .bind(user_id.to_string())
    .bind(keep_token_hash)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected())
}
