//! Where each case stands: first contact against its target, risk and last contact, for caseloads and the due list.

use crate::{App, AppError, Result};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::{CasesGuard, Guard};
use hearth_store::cases;
use std::collections::HashMap;
use uuid::Uuid;

/// What a caseload shows about each case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Standing {
    pub first_contact: Option<hearth_domain::targets::FirstContact>,
    /// The current risk level: the highest of the newest assessments of the people in the case
    /// the user may see, else the referrer's checklist score (high or standard).
    pub risk: Option<hearth_domain::risk::RiskLevel>,
    /// Who set the current level and when; `None` while it comes from the referral.
    pub risk_set: Option<(Timestamp, String)>,
    pub last_contact: Option<Timestamp>,
}

impl Standing {
    /// The next thing that falls due, if any: for now, a first contact not yet made.
    pub fn next_due(&self) -> Option<(&'static str, Timestamp)> {
        match self.first_contact {
            Some(hearth_domain::targets::FirstContact::Due { by }) => Some(("First contact", by)),
            Some(hearth_domain::targets::FirstContact::Overdue { since }) => {
                Some(("First contact", since))
            }
            _ => None,
        }
    }
}

/// What where each case stands is worked out from, read once so that the due list and the case
/// page can use the same rows rather than read them again.
pub(crate) struct StandingFacts {
    /// When each person in each case was last contacted (withdrawn entries left out).
    pub last_contacts: cases::LastContacts,
    first_contacts: HashMap<Uuid, cases::FirstContactFacts>,
    /// The newest assessment of each person in each case, before the firewall.
    pub latest: Vec<hearth_store::risk::StoredAssessment>,
}

/// [`StandingFacts`] for the guard's cases, in three statements however many cases there are.
pub(crate) async fn standing_facts(
    conn: &mut sqlx::AnyConnection,
    guard: &CasesGuard,
) -> Result<StandingFacts> {
    Ok(StandingFacts {
        last_contacts: cases::last_contacts(conn, guard).await?,
        first_contacts: cases::first_contact_facts(conn, guard).await?,
        latest: hearth_store::risk::latest_in_cases(conn, guard).await?,
    })
}

/// Where each of the guard's cases stands, within work already under way.
pub(crate) async fn standings_in(
    conn: &mut sqlx::AnyConnection,
    app: &App,
    guard: &CasesGuard,
) -> Result<HashMap<Uuid, Standing>> {
    standings_from(app, guard, &standing_facts(conn, guard).await?)
}

/// Where each of the guard's cases stands, from facts already read.
pub(crate) fn standings_from(
    app: &App,
    guard: &CasesGuard,
    facts: &StandingFacts,
) -> Result<HashMap<Uuid, Standing>> {
    let now = app.now();
    let mut latest: HashMap<Uuid, Vec<&hearth_store::risk::StoredAssessment>> = HashMap::new();
    for a in &facts.latest {
        latest.entry(a.case_id).or_default().push(a);
    }
    let mut out = HashMap::new();
    for access in guard.cases() {
        let case_id = access.case_id();
        // Behind the firewall, when the victim was last contacted, her referrer's risk score
        // and her first-contact deadline (1 or 3 working days gives her risk band away) are
        // withheld: each is a fact about her.
        let mut standing = Standing {
            last_contact: facts
                .last_contacts
                .get(&case_id)
                .into_iter()
                .flatten()
                .filter(|(p, _)| access.may_see_about(*p, FieldClass::Ordinary))
                .map(|(_, at)| *at)
                .max(),
            ..Default::default()
        };
        if let Some(f) = facts.first_contacts.get(&case_id) {
            let Some(details) = guard.open(&f.details)?.shown() else {
                out.insert(case_id, standing);
                continue;
            };
            let dash = Some(details)
                .and_then(|j| {
                    serde_json::from_str::<hearth_domain::referral::ReferralDetails>(&j).ok()
                })
                .and_then(|d| d.dash_score);
            standing.risk = dash.map(|d| {
                if d >= hearth_domain::targets::HIGH_RISK_SCORE {
                    hearth_domain::risk::RiskLevel::High
                } else {
                    hearth_domain::risk::RiskLevel::Standard
                }
            });
            standing.first_contact = Some(hearth_domain::targets::first_contact_status(
                f.referred_at,
                dash,
                f.first_contact,
                &app.first_contact,
                now,
            ));
        }
        // A risk level is sensitive data about the person: it counts only if the firewall lets
        // the user see it through this case.
        let highest = latest
            .get(&case_id)
            .into_iter()
            .flatten()
            .filter(|a| access.may_see(a.person_id, FieldClass::Sensitive))
            .max_by_key(|a| a.level);
        if let Some(h) = highest {
            standing.risk = Some(h.level);
            standing.risk_set = Some((h.assessed_at, h.assessed_by_name.clone()));
        }
        out.insert(case_id, standing);
    }
    Ok(out)
}

/// One worker's caseload size against the service's capacity per worker.
#[derive(Debug, Clone)]
pub struct WorkerLoad {
    pub user_id: Uuid,
    pub name: String,
    pub role: hearth_domain::Role,
    pub open_cases: i64,
    pub capacity: i64,
}

/// Caseload sizes: a team manager sees their team, the service manager everyone.
pub async fn team_loads(app: &App, actor: &Actor) -> Result<Vec<WorkerLoad>> {
    let mut conn = app.store.conn().await?;
    loads_in(&mut conn, app, actor).await
}

/// [`team_loads`] within work already under way.
pub(crate) async fn loads_in(
    conn: &mut sqlx::AnyConnection,
    app: &App,
    actor: &Actor,
) -> Result<Vec<WorkerLoad>> {
    let scope = hearth_domain::access::grant(actor.role, Action::Allocate);
    if scope == hearth_domain::Scope::None {
        return Err(AppError::Forbidden);
    }
    // A team manager's page is about her team; nobody else's caseload is counted.
    let team = match (scope, actor.team_id) {
        (hearth_domain::Scope::Organisation, _) => None,
        (_, Some(team)) => Some(team),
        (_, None) => return Ok(Vec::new()),
    };
    Ok(cases::caseload_sizes(conn, actor.org_id, team)
        .await?
        .into_iter()
        .filter_map(|(id, name, role, team, n)| {
            let role = hearth_domain::Role::parse(&role)?;
            let mine = scope == hearth_domain::Scope::Organisation
                || (team.is_some() && team == actor.team_id);
            (role.holds_caseload() && role != hearth_domain::Role::TeamManager && mine).then_some(
                WorkerLoad {
                    user_id: id,
                    name,
                    role,
                    open_cases: n,
                    capacity: app.caseload_capacity,
                },
            )
        })
        .collect())
}
