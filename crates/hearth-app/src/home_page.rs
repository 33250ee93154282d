//! A worker's home page: their caseload, where each case stands, and what is due, read as one
//! view with one access resolution and one audit commit (it was three units of work, resolving
//! the caseload's access twice). A manager's home adds the team at a glance: the triage queue,
//! the team's overdue work and caseloads against capacity, in the same unit of work.

use crate::casework::{loads_in, Standing, WorkerLoad};
use crate::due::standings_and_due;
use crate::{App, Result};
use hearth_domain::access::{grant, Action, Scope};
use hearth_domain::due::DueItem;
use hearth_domain::{Actor, Timestamp};
use hearth_store::cases::{self, CaseSummary};
use hearth_store::{referrals, UnitOfWork};
use std::collections::HashMap;
use uuid::Uuid;

pub struct HomePage {
    pub cases: Vec<CaseSummary>,
    pub standings: HashMap<Uuid, Standing>,
    pub due: Vec<DueItem>,
    /// For a team manager or service manager: the team at a glance.
    pub team: Option<TeamOverview>,
}

pub struct TeamOverview {
    /// Referrals waiting for triage, and when the oldest arrived.
    pub waiting: i64,
    pub oldest_waiting: Option<Timestamp>,
    /// The service's own overdue items across the cases the manager oversees, and by worker.
    pub overdue: usize,
    pub by_worker: crate::team_due::ByWorker,
    pub loads: Vec<WorkerLoad>,
}

/// Whether the actor's home shows a team: they triage and allocate for it.
pub fn oversees(actor: &Actor) -> bool {
    grant(actor.role, Action::Triage) != Scope::None
        && grant(actor.role, Action::ViewCaseRecord) >= Scope::Team
        && grant(actor.role, Action::Allocate) != Scope::None
}

pub async fn view(app: &App, actor: &Actor) -> Result<HomePage> {
    let mut w = app.view().await?;
    let listed = cases::caseload(&mut w, actor).await?;
    let (standings, due) = standings_and_due(&mut w, app, actor, &listed).await?;
    let cases = listed.cases;
    let team = if oversees(actor) {
        Some(team_in(&mut w, app, actor).await?)
    } else {
        None
    };
    w.commit().await?;
    Ok(HomePage {
        cases,
        standings,
        due,
        team,
    })
}

async fn team_in(w: &mut UnitOfWork, app: &App, actor: &Actor) -> Result<TeamOverview> {
    let triage = w.service(actor, Action::Triage).await?;
    let (waiting, oldest_waiting) = referrals::waiting(w, &triage).await?;
    let (overdue, by_worker) = crate::team_due::overdue_in(w, app, actor).await?;
    let loads = loads_in(w, app, actor).await?;
    Ok(TeamOverview {
        waiting,
        oldest_waiting,
        overdue,
        by_worker,
        loads,
    })
}
