//! Staff accounts.

use crate::row;
use crate::{Result, StoreError};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::{OrgId, TeamId, UserId};
use hearth_domain::{Actor, Role};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub team_id: Option<TeamId>,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub must_change_password: bool,
    /// Encrypted; see `totp_place`.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enrolled_at: Option<Timestamp>,
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor::staff(self.id, self.org_id, self.team_id, self.role)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// Where a user's TOTP secret lives, for the cipher's associated data.
pub fn totp_place(user_id: UserId) -> String {
    format!("users.totp_secret:{user_id}")
}

/// The user's authenticator secret (hex), opened to check a code and nothing else.
pub async fn totp_secret(
    conn: &mut AnyConnection,
    store: &crate::Store,
    user: &User,
) -> Result<Option<String>> {
    let Some(sealed) = &user.totp_secret else {
        return Ok(None);
    };
    let cipher = store.cipher(conn, user.org_id).await?;
    Ok(Some(cipher.decrypt(&totp_place(user.id), sealed)?))
}

const COLUMNS: &str =
    "id, org_id, team_id, email, display_name, role, password_hash, must_change_password, \
                       totp_secret, totp_enrolled_at, disabled_at, created_at";

/// The columns [`user`] reads, each taken from the table named `alias` in a join.
pub(crate) fn columns_of(alias: &str) -> String {
    COLUMNS
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn user(r: &AnyRow) -> Result<User> {
    let role_code = row::text(r, "role")?;
    Ok(User {
        id: row::user_id(r, "id")?,
        org_id: row::org_id(r, "org_id")?,
        team_id: row::opt_team_id(r, "team_id")?,
        email: row::text(r, "email")?,
        display_name: row::text(r, "display_name")?,
        role: Role::parse(&role_code)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role_code}")))?,
        password_hash: row::text(r, "password_hash")?,
        must_change_password: row::flag(r, "must_change_password")?,
        totp_secret: row::opt_bytes(r, "totp_secret")?,
        totp_enrolled_at: row::opt_at(r, "totp_enrolled_at")?,
        disabled_at: row::opt_at(r, "disabled_at")?,
        created_at: row::at(r, "created_at")?,
    })
}

pub struct NewUser<'a> {
    pub id: UserId,
    pub org_id: OrgId,
    pub team_id: Option<TeamId>,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub async fn insert(conn: &mut AnyConnection, now: Timestamp, u: NewUser<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, org_id, team_id, email, display_name, role, password_hash, must_change_password, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(u.id.to_string())
    .bind(u.org_id.to_string())
    .bind(u.team_id.map(|t| t.to_string()))
    .bind(u.email)
    .bind(u.display_name)
    .bind(u.role.code())
    .bind(u.password_hash)
    .bind(i64::from(u.must_change_password))
    .bind(to_unix(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// For sign-in only: looks across organisations because email addresses are unique.
pub async fn by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    let r = sqlx::query(&sql)
        .bind(email)
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(user).transpose()
}

/// A user of the given organisation; users of other organisations do not exist here.
pub async fn get(conn: &mut AnyConnection, org_id: OrgId, id: UserId) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1 AND org_id = $2");
    let r = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(user).transpose()
}

pub async fn list(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE org_id = $1 ORDER BY display_name, email");
    let rows = sqlx::query(&sql)
        .bind(org_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(user).collect()
}

pub async fn set_password(
    conn: &mut AnyConnection,
    now: Timestamp,
    id: UserId,
    hash: &str,
    must_change: bool,
) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3 WHERE id = $4")
        .bind(hash)
        .bind(i64::from(must_change))
        .bind(to_unix(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_totp(
    conn: &mut AnyConnection,
    now: Timestamp,
    id: UserId,
    sealed: Option<Vec<u8>>,
) -> Result<()> {
    let enrolled = sealed.as_ref().map(|_| to_unix(now));
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_enrolled_at = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(sealed)
    .bind(enrolled)
    .bind(to_unix(now))
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_disabled(
    conn: &mut AnyConnection,
    now: Timestamp,
    id: UserId,
    disabled: bool,
) -> Result<()> {
    sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled.then(|| to_unix(now)))
        .bind(to_unix(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn replace_recovery_codes(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user_id: UserId,
    hashes: &[(Uuid, String)],
) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(&mut *conn)
        .await?;
    for (id, h) in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (id, org_id, user_id, code_hash) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(org_id.to_string())
        .bind(user_id.to_string())
        .bind(h)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Use up a recovery code; true if it was valid and unused.
pub async fn use_recovery_code(
    conn: &mut AnyConnection,
    now: Timestamp,
    user_id: UserId,
    code_hash: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(to_unix(now))
    .bind(user_id.to_string())
    .bind(code_hash)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn unused_recovery_codes(conn: &mut AnyConnection, user_id: UserId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id.to_string())
    .fetch_one(&mut *conn)
    .await?)
}

/// Record the time step of an accepted authenticator code, refusing one at or before the last
/// accepted step so a code seen over someone's shoulder cannot be used again.
pub async fn accept_totp_step(conn: &mut AnyConnection, id: UserId, step: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
