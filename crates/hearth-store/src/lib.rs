//! Persistence for Hearth.
//!
//! One query layer serves SQLite (the embedded default) and PostgreSQL through sqlx's `Any`
//! driver: the queries are the same text on both, and only the migration DDL differs
//! (`migrations/sqlite`, `migrations/postgres`). See docs/adr/0002-one-query-layer.md.
//!
//! How an actor reaches case records is worked out in one place, [`access`]; work on a record
//! opens a guard through a [`UnitOfWork`], and protected fields come out [`sealed`], opening
//! only through that guard. See docs/adr/0008-one-door-guards-and-the-unit-of-work.md.

pub mod access;
pub mod audit;
pub mod break_glass;
pub mod cases;
pub mod contact;
pub mod crypto;
pub mod db;
pub mod enrolments;
mod group_commit;
pub mod identity;
pub mod many;
pub mod marac;
pub mod migrate;
pub mod orgs;
pub mod partners;
pub mod people;
pub mod programme_sessions;
pub mod programmes;
pub mod referrals;
pub mod rekey;
pub mod risk;
pub mod row;
pub mod safety_plans;
pub mod sealed;
pub mod sessions;
pub mod submissions;
pub mod testing;
pub mod throttle;
pub mod timeline;
pub mod tokens;
pub mod users;
pub mod work;

pub use crypto::{FieldCipher, MasterKey};
pub use db::{Backend, Store, Tx};
pub use work::UnitOfWork;

/// What can go wrong below the use cases.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("encryption error: {0}")]
    Crypto(String),
    #[error("stored data is not as expected: {0}")]
    Corrupt(String),
    #[error("configuration error: {0}")]
    Config(String),
    /// The shared writer could not keep the work: the transaction that carried it was lost, or
    /// the writer could not begin or undo it. Nothing of the work was saved.
    #[error("not saved: {0}")]
    NotSaved(String),
    /// The access policy refused: the use case answers as the decision says (403 or 404).
    #[error("refused by the access policy: {0:?}")]
    Refused(hearth_domain::access::Decision),
}

impl StoreError {
    /// A uniqueness constraint refused the write (for example an email already in use).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(e) => e
                .as_database_error()
                .is_some_and(|d| d.is_unique_violation()),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
