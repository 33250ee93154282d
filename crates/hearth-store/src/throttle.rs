//! Failed sign-in attempts, counted per account name and per network address.
//! Counted by the name typed, whether or not such an account exists, so throttling
//! gives no hint of which accounts exist.

use crate::Result;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use sqlx::AnyConnection;
use time::Duration;

pub async fn record_failure(
    conn: &mut AnyConnection,
    now: Timestamp,
    account_key: &str,
    address: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_failures (id, account_key, address, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(new_id(now).to_string())
    .bind(account_key)
    .bind(address)
    .bind(to_unix(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Failures in the window for this account name and for this address.
pub async fn recent_failures(
    conn: &mut AnyConnection,
    now: Timestamp,
    window: Duration,
    account_key: &str,
    address: &str,
) -> Result<(i64, i64)> {
    let since = to_unix(now - window);
    let by_account: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE account_key = $1 AND at > $2",
    )
    .bind(account_key)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    let by_address: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE address = $1 AND at > $2")
            .bind(address)
            .bind(since)
            .fetch_one(&mut *conn)
            .await?;
    Ok((by_account, by_address))
}

/// A successful sign-in clears the account's count (not the address's).
pub async fn clear_account(conn: &mut AnyConnection, account_key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE account_key = $1")
        .bind(account_key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Old failures are no longer needed once outside every window.
pub async fn prune(conn: &mut AnyConnection, before: Timestamp) -> Result<u64> {
    let r = sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(to_unix(before))
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected())
}
