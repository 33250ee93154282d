//! The case page: everything a worker sees about a family on one page, read as one unit of
//! work, with one access resolution and one commit for its audit entries.

use crate::casework::{self, AgencyView, EntryView, StaffMember, Standing, TimelineFilter};
use crate::risk::PersonRiskLine;
use crate::{App, Result};
use hearth_domain::access::{Action, CaseRole, FieldClass};
use hearth_domain::due::{DueItem, DueKind};
use hearth_domain::first_weeks::{self, MaracProgress, Task, VictimProgress};
use hearth_domain::ids::CaseId;
use hearth_domain::paging::{Page, Paged};
use hearth_domain::targets::FirstContact;
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::CaseGuard;
use hearth_store::cases::{self, CaseRecord};
use hearth_store::timeline;
use hearth_store::UnitOfWork;
use std::collections::HashMap;
use uuid::Uuid;

pub struct CasePage {
    pub case: CaseRecord,
    /// One page of the timeline, as filtered.
    pub entries: Paged<EntryView>,
    pub first_contact: Option<FirstContact>,
    pub agencies: Vec<AgencyView>,
    pub risk: Vec<PersonRiskLine>,
    pub due: Vec<DueItem>,
    /// Workers to allocate, if the user may allocate here; empty otherwise.
    pub workers: Vec<StaffMember>,
    /// Each person at a glance, in the order they joined the case.
    pub glance: Vec<PersonGlance>,
    /// The family's first weeks: first contact, risk assessment, safety plan, MARAC.
    pub tasks: Vec<Task>,
    /// What the user may do here, as the guard that opened the case decided.
    pub may: May,
    /// Each member of the family against the programmes.
    pub plan: crate::programmes::FamilyPlan,
}

/// What the user may do on a record's page, from the guard that opened it: the page offers
/// only what the policy would allow.
#[derive(Debug, Clone, Copy, Default)]
pub struct May {
    pub record: bool,
    pub history: bool,
}

impl May {
    pub(crate) fn from_case(guard: &CaseGuard) -> Self {
        May {
            record: guard.allows(Action::RecordWork),
            history: guard.allows(Action::ViewRecordHistory),
        }
    }

    pub(crate) fn from_person(guard: &hearth_store::access::PersonGuard) -> Self {
        May {
            record: guard.allows(Action::RecordWork),
            history: guard.allows(Action::ViewRecordHistory),
        }
    }
}

/// One person at the top of the case page. Each part the firewall withholds is `None`, so a
/// template cannot show what the user may not see.
#[derive(Debug, Clone)]
pub struct PersonGlance {
    pub person_id: Uuid,
    pub name: String,
    pub roles: Vec<CaseRole>,
    /// Whether anything beyond name and role is shown (last contact, next due): behind the
    /// firewall it is not, rather than saying "none recorded" of what is hidden.
    pub shown: bool,
    pub risk: Option<PersonRiskLine>,
    pub marac: Option<MaracProgress>,
    pub safe_contact: Option<SafeContactLine>,
    pub last_contact: Option<LastContact>,
    pub next_due: Option<DueItem>,
}

#[derive(Debug, Clone)]
pub enum SafeContactLine {
    NoneRecorded,
    Line(String),
}

/// The newest contact (or attempt) recorded with a person, as the store reads it.
pub use hearth_store::timeline::LastContact;

pub async fn view(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    (filter, page): (&TimelineFilter, Page),
) -> Result<CasePage> {
    let mut w = app.view().await?;
    let guard = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let many = guard.as_cases();
    let case = cases::record(&mut w, &guard).await?;
    let entries = casework::visible_entries(&mut w, (&guard, &case.members), filter, page).await?;
    let last_contacts = timeline::last_contacts(&mut w, &guard)
        .await?
        .into_iter()
        .map(|c| (c.person_id, c))
        .collect();
    // Every victim/survivor in the case: the due list asks about those still involved, the task
    // list about each whose risk the user may see. What the page's parts have in common is
    // read once, for all of them.
    let mut victims: Vec<Uuid> = guard
        .roles()
        .into_iter()
        .filter(|(_, role)| *role == CaseRole::VictimSurvivor)
        .map(|(person, _)| person)
        .collect();
    victims.sort();
    victims.dedup();
    let programmes = crate::programmes::due::Underway::in_case(&mut w, &guard).await?;
    let facts = crate::due::due_facts(&mut w, &many, &victims, programmes).await?;
    let standings: HashMap<Uuid, Standing> = casework::standings_from(app, &many, &facts.standing)?;
    let first_contact = standings.get(&case_id.uuid()).and_then(|s| s.first_contact);
    let agencies = casework::agencies_in(&mut w, &guard).await?;
    let risk = crate::risk::in_case_from(&many, &case, &facts.standing.latest)?;
    let due = crate::due::due_from(
        &mut w,
        app,
        (&many, std::slice::from_ref(&case.summary)),
        &standings,
        &facts,
        hearth_domain::due::horizon(uk_today(app.now())),
    )
    .await?;
    let workers = if guard.allows(Action::Allocate) {
        casework::workers_in(&mut w, actor).await?
    } else {
        Vec::new()
    };
    let glance = glance(&mut w, &guard, &case, (&risk, &due, &facts), last_contacts).await?;
    let catalogue = crate::programmes::current(&mut w, actor.org_id).await?;
    let plan = crate::programmes::plan_from(&guard, &case, &catalogue, &facts.programmes, w.now());
    let tasks = first_weeks::tasks(
        case_id.uuid(),
        first_contact,
        &progress(&guard, &glance, &due, &facts, app.now()),
        uk_today(app.now()),
    );
    w.audit(crate::due::viewed(actor, 1));
    w.commit().await?;
    Ok(CasePage {
        glance,
        tasks,
        case,
        entries,
        first_contact,
        agencies,
        risk,
        due,
        workers,
        may: May::from_case(&guard),
        plan,
    })
}

/// Each person once, with what the firewall lets this user see of their risk, MARAC status and
/// safe contact. Reading a person's safe contact is audited as a view of their contact details.
async fn glance(
    w: &mut UnitOfWork,
    guard: &CaseGuard,
    case: &CaseRecord,
    (risk, due, facts): (&[PersonRiskLine], &[DueItem], &crate::due::DueFacts),
    mut last: HashMap<Uuid, LastContact>,
) -> Result<Vec<PersonGlance>> {
    let access = guard.access();
    let mut people: Vec<PersonGlance> = Vec::new();
    for m in &case.members {
        if let Some(p) = people.iter_mut().find(|p| p.person_id == m.person_id) {
            p.roles.push(m.role);
            continue;
        }
        people.push(PersonGlance {
            person_id: m.person_id,
            name: m.full_name(),
            roles: vec![m.role],
            shown: access.may_see(m.person_id, FieldClass::Ordinary),
            risk: risk.iter().find(|r| r.person_id == m.person_id).cloned(),
            marac: None,
            safe_contact: None,
            last_contact: last.remove(&m.person_id),
            next_due: due
                .iter()
                .find(|d| d.person_id == Some(m.person_id) && !d.other_agency)
                .cloned(),
        });
    }
    // Each shown person's current contact details, read together; opening one through the
    // guard audits it as a view of their contact details.
    let located: Vec<Uuid> = people
        .iter()
        .map(|p| p.person_id)
        .filter(|p| access.may_see(*p, FieldClass::Location))
        .collect();
    let contacts = hearth_store::contact::newest_of(w, guard, &located).await?;
    for p in people.iter_mut() {
        // MARAC hears victims/survivors: their status is shown, and only where their risk is.
        // Their newest referrals were read with their risk facts.
        if p.roles.contains(&CaseRole::VictimSurvivor)
            && access.may_see(p.person_id, FieldClass::Sensitive)
        {
            let f = facts.risk.get(&p.person_id);
            p.marac = Some(MaracProgress {
                needed: false,
                referred_on: f.and_then(|f| f.last_marac_referral),
                heard_on: f.and_then(|f| f.last_marac_heard),
            });
        }
        if access.may_see(p.person_id, FieldClass::Location) {
            let current = match contacts.get(&p.person_id) {
                Some(v) => casework::open_contact(guard, v)?,
                None => None,
            };
            p.safe_contact = Some(match current {
                Some(current) if !current.arrangements.is_empty() => {
                    SafeContactLine::Line(current.safe_contact_line())
                }
                _ => SafeContactLine::NoneRecorded,
            });
        }
    }
    Ok(people)
}

/// What the record shows of each victim/survivor's first weeks, for those whose risk the user
/// may see (the others are left out of the task list altogether).
fn progress(
    guard: &CaseGuard,
    glance: &[PersonGlance],
    due: &[DueItem],
    facts: &crate::due::DueFacts,
    now: Timestamp,
) -> Vec<VictimProgress> {
    let access = guard.access();
    let today = uk_today(now);
    glance
        .iter()
        .filter(|p| p.marac.is_some())
        .map(|p| {
            let f = facts.risk.get(&p.person_id);
            let latest = f.and_then(|f| f.latest.as_ref());
            let plan_shown = access.may_see(p.person_id, FieldClass::Location);
            VictimProgress {
                person_id: p.person_id,
                name: p.name.clone(),
                assessed: latest.map(|a| (a.assessed_at, a.level)),
                assessment_due: due
                    .iter()
                    .find(|d| d.kind == DueKind::RiskAssessment && d.person_id == Some(p.person_id))
                    .map(|d| (d.due_on, d.overdue)),
                plan_review: facts
                    .reviews
                    .iter()
                    .find(|r| plan_shown && r.person_id == p.person_id)
                    .map(|r| r.review_on),
                plan_shown,
                marac: MaracProgress {
                    needed: latest.is_some_and(|a| a.level == hearth_domain::risk::RiskLevel::High)
                        || f.is_some_and(|f| !f.marac_proposed(today).is_empty()),
                    ..p.marac.clone().unwrap_or_default()
                },
            }
        })
        .collect()
}
