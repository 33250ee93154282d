//! Fresh databases for the workspace's test suites (the store's conformance stories and the
//! integration tests), on the backend `HEARTH_TEST_BACKEND` names: one helper, so that both
//! suites fail the same way, never skip, when PostgreSQL is asked for and not there.

use crate::Backend;
use std::path::PathBuf;

/// The backend the tests run on: SQLite unless `HEARTH_TEST_BACKEND=postgres`.
pub fn backend() -> Backend {
    match std::env::var("HEARTH_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("HEARTH_TEST_BACKEND must be sqlite or postgres, not {other}"),
    }
}

/// Where test databases and key files go.
pub fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("hearth-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A new, empty database named `name` (letters, digits and underscores): its URL, and the SQLite
/// file if that is the backend. PostgreSQL must be reachable when asked for: this fails, never
/// skips.
pub async fn fresh_database(name: &str) -> (String, Option<PathBuf>) {
    match backend() {
        Backend::Sqlite => {
            let path = scratch_dir().join(format!("{name}.db"));
            (path.to_string_lossy().to_string(), Some(path))
        }
        Backend::Postgres => {
            let admin = std::env::var("HEARTH_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .expect("PostgreSQL must be running for HEARTH_TEST_BACKEND=postgres");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
            let (base, _) = admin.rsplit_once('/').expect("admin url has a database");
            (format!("{base}/{name}"), None)
        }
    }
}

/// Bring a store's schema up to `version` and no further, as an older release left it: to
/// put rows in the shape that release wrote, then run [`crate::Store::migrate`] and check the
/// upgrade kept them.
pub async fn migrate_schema_to(store: &crate::Store, version: i64) -> crate::Result<()> {
    store.migrate_schema(version).await
}
