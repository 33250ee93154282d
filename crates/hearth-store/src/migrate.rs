//! Migrations are deploy artefacts: embedded in the binary, applied in order at start-up (or by
//! `hearth migrate`), recorded with a checksum so an edited migration is refused, never re-run.
//! Each backend has its own DDL; the statements that use the tables are shared.

use crate::db::Backend;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

/// (version, description, SQLite DDL, PostgreSQL DDL)
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "contact and timeline",
        include_str!("../migrations/sqlite/0002_contact_and_timeline.sql"),
        include_str!("../migrations/postgres/0002_contact_and_timeline.sql"),
    ),
    (
        3,
        "referrals",
        include_str!("../migrations/sqlite/0003_referrals.sql"),
        include_str!("../migrations/postgres/0003_referrals.sql"),
    ),
    (
        4,
        "break glass",
        include_str!("../migrations/sqlite/0004_break_glass.sql"),
        include_str!("../migrations/postgres/0004_break_glass.sql"),
    ),
    (
        5,
        "person details",
        include_str!("../migrations/sqlite/0005_person_details.sql"),
        include_str!("../migrations/postgres/0005_person_details.sql"),
    ),
    (
        6,
        "relationships",
        include_str!("../migrations/sqlite/0006_relationships.sql"),
        include_str!("../migrations/postgres/0006_relationships.sql"),
    ),
    (
        7,
        "agencies",
        include_str!("../migrations/sqlite/0007_agencies.sql"),
        include_str!("../migrations/postgres/0007_agencies.sql"),
    ),
    (
        8,
        "involvement",
        include_str!("../migrations/sqlite/0008_involvement.sql"),
        include_str!("../migrations/postgres/0008_involvement.sql"),
    ),
    (
        9,
        "risk_and_marac",
        include_str!("../migrations/sqlite/0009_risk_and_marac.sql"),
        include_str!("../migrations/postgres/0009_risk_and_marac.sql"),
    ),
    (
        10,
        "due list indexes",
        include_str!("../migrations/sqlite/0010_due_list_indexes.sql"),
        include_str!("../migrations/postgres/0010_due_list_indexes.sql"),
    ),
    (
        11,
        "submissions",
        include_str!("../migrations/sqlite/0011_submissions.sql"),
        include_str!("../migrations/postgres/0011_submissions.sql"),
    ),
    (
        12,
        "sealed identity",
        include_str!("../migrations/sqlite/0012_sealed_identity.sql"),
        include_str!("../migrations/postgres/0012_sealed_identity.sql"),
    ),
    (
        13,
        "audit chains",
        include_str!("../migrations/sqlite/0013_audit_chains.sql"),
        include_str!("../migrations/postgres/0013_audit_chains.sql"),
    ),
    (
        14,
        "referral case index",
        include_str!("../migrations/sqlite/0014_referral_case_index.sql"),
        include_str!("../migrations/postgres/0014_referral_case_index.sql"),
    ),
    (
        15,
        "unsealed people index",
        include_str!("../migrations/sqlite/0015_unsealed_people.sql"),
        include_str!("../migrations/postgres/0015_unsealed_people.sql"),
    ),
    (
        16,
        "current contact on timeline entries",
        include_str!("../migrations/sqlite/0016_current_contact.sql"),
        include_str!("../migrations/postgres/0016_current_contact.sql"),
    ),
    (
        17,
        "programmes",
        include_str!("../migrations/sqlite/0017_programmes.sql"),
        include_str!("../migrations/postgres/0017_programmes.sql"),
    ),
    (
        18,
        "next due",
        include_str!("../migrations/sqlite/0018_next_due.sql"),
        include_str!("../migrations/postgres/0018_next_due.sql"),
    ),
    (
        19,
        "next due marked once per transaction",
        include_str!("../migrations/sqlite/0019_next_due_once_per_transaction.sql"),
        include_str!("../migrations/postgres/0019_next_due_once_per_transaction.sql"),
    ),
    (
        20,
        "caseload sizes",
        include_str!("../migrations/sqlite/0020_caseload_sizes.sql"),
        include_str!("../migrations/postgres/0020_caseload_sizes.sql"),
    ),
    (
        21,
        "person index by organisation",
        include_str!("../migrations/sqlite/0021_person_index_by_organisation.sql"),
        include_str!("../migrations/postgres/0021_person_index_by_organisation.sql"),
    ),
];

/// The embedded migrations for one backend, up to and including one version.
#[derive(Debug, Clone, Copy)]
struct Embedded {
    backend: Backend,
    up_to: i64,
}

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send>> {
        Box::pin(async move {
            Ok(MIGRATIONS
                .iter()
                .filter(|(version, ..)| *version <= self.up_to)
                .map(|(version, name, sqlite, postgres)| {
                    let sql = match self.backend {
                        Backend::Sqlite => sqlite,
                        Backend::Postgres => postgres,
                    };
                    Migration::new(
                        *version,
                        Cow::Borrowed(name),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The migrations up to `up_to`: [`latest_version`] for a real start.
pub async fn migrator(backend: Backend, up_to: i64) -> crate::Result<Migrator> {
    Ok(Migrator::new(Embedded { backend, up_to }).await?)
}

/// How many migrations this build knows: a newer database than the binary is refused.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}
