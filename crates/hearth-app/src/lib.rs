//! Hearth's use cases. Each one checks the access policy, validates its input into domain
//! types, does its work in one transaction and writes its audit entries in that same
//! transaction. Nothing changes the data any other way.

pub mod auth;
pub mod break_glass;
pub mod case_page;
pub mod casework;
pub mod demo;
pub mod due;
pub mod error;
pub mod generate;
pub mod home_page;
pub mod instruments;
pub mod marac;
pub mod next_due;
pub mod orgs;
pub mod person_page;
pub mod programmes;
pub mod records;
pub mod referrals;
pub mod risk;
mod risk_facts;
pub mod safety_plans;
pub mod search;
pub mod secrets;
mod submission;
pub mod team_due;
pub mod tokens;
pub mod users;

pub(crate) use error::check;
pub use error::AppError;

use hearth_domain::clock::{Clock, Timestamp};
use hearth_domain::Actor;
use hearth_store::audit::AuditEvent;
use hearth_store::Store;
use std::sync::Arc;
use time::Duration;

/// How sign-in behaves; from configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    pub throttle_window: Duration,
    pub max_failures_per_account: i64,
    pub max_failures_per_address: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(12),
            throttle_window: Duration::minutes(15),
            max_failures_per_account: 5,
            max_failures_per_address: 20,
        }
    }
}

/// Everything a use case needs: the store, the clock, and the settings.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub auth: AuthSettings,
    pub first_contact: hearth_domain::targets::FirstContactTargets,
    /// Open cases one worker can carry; team managers see loads against it.
    pub caseload_capacity: i64,
    /// Why a case or a person's involvement closes: (code, label), from configuration.
    pub exit_reasons: Vec<(String, String)>,
    pub risk: RiskSettings,
    pub marac: MaracSettings,
}

/// When risk is reassessed; from configuration.
#[derive(Debug, Clone)]
pub struct RiskSettings {
    /// Days from one assessment until the next falls due (default 8 weeks).
    pub reassess_after_days: i64,
}

impl Default for RiskSettings {
    fn default() -> Self {
        Self {
            reassess_after_days: 56,
        }
    }
}

/// The local figures the MARAC dashboard needs; from configuration.
#[derive(Debug, Clone, Default)]
pub struct MaracSettings {
    /// Adult women (16 and over) in the area the MARAC covers, for cases per 10,000.
    pub adult_female_population: Option<i64>,
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>, auth: AuthSettings) -> Self {
        Self {
            store,
            clock,
            auth,
            first_contact: Default::default(),
            caseload_capacity: 25,
            exit_reasons: hearth_domain::timeline::EXIT_REASONS
                .iter()
                .map(|(c, l)| (c.to_string(), l.to_string()))
                .collect(),
            risk: RiskSettings::default(),
            marac: MaracSettings::default(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Begin one action's unit of work, now.
    pub async fn work(&self) -> Result<hearth_store::UnitOfWork> {
        Ok(self.store.work(self.now()).await?)
    }

    /// Begin a view, now: reads on one snapshot without the write lock, and audit entries that
    /// are committed with other views' before it returns. For use cases that change nothing.
    pub async fn view(&self) -> Result<hearth_store::UnitOfWork> {
        Ok(self.store.view(self.now()).await?)
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// An audit entry for something the actor did to one entity, in their organisation.
pub(crate) fn event(
    actor: &Actor,
    action: &'static str,
    entity_type: &'static str,
    id: impl Into<uuid::Uuid>,
) -> AuditEvent {
    AuditEvent::new(action, entity_type)
        .org(actor.org_id)
        .actor(actor.user_id)
        .entity(id)
}
