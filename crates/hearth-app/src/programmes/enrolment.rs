//! One enrolment: its page (where it stands, its history, its sessions, and for Engage what the
//! partner rule still needs) and moving it on: to the waiting list, started with a worker, or
//! ended with a reason. Two people changing it at once never overwrite each other: the second
//! is told, and nothing is lost.

use super::catalogue;
use super::partners::{engage_partners, EngagePanel};
use super::sessions::{session_view, SessionView};
use crate::{event, App, AppError, Result};
use hearth_domain::access::Action;
use hearth_domain::enrolment::{ChangeForm, PartnerNews};
use hearth_domain::ids::{CaseId, EnrolmentId, PersonId, UserId};
use hearth_domain::programme::{engage_may_start, EnrolmentState, Linked, Programme};
use hearth_domain::timeline::Sensitivity;
use hearth_domain::ukdate::{format_date, uk_today};
use hearth_domain::validation::Invalid;
use hearth_domain::Actor;
use hearth_store::access::{CaseGuard, Guard};
use hearth_store::enrolments::{self, Enrolment, HistoryLine};
use hearth_store::{cases, partners, programme_sessions, timeline, UnitOfWork};

/// A worker who may take the enrolment on.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: UserId,
    pub name: String,
    pub role: hearth_domain::Role,
}

/// One enrolment's page.
#[derive(Debug, Clone)]
pub struct EnrolmentPage {
    pub case_id: CaseId,
    pub reference: String,
    pub person_id: PersonId,
    pub person_name: String,
    pub programme: Programme,
    pub enrolment: Enrolment,
    /// The waiting list's priority reason, if the user may see it.
    pub priority_reason: Option<String>,
    pub history: Vec<HistoryLine>,
    pub sessions: Vec<SessionView>,
    /// The others enrolled with this one under its rule (APVA's pair, Grow Together's family).
    pub linked: Vec<String>,
    /// For Engage: what the partner rule needs, in the words the user may see.
    pub engage: Option<EngagePanel>,
    /// Workers who work on the programme, for starting it (when the user may start it).
    pub workers: Vec<Candidate>,
    /// What the user may do: move it to the waiting list or start it; end it or record work.
    pub may_allocate: bool,
    pub may_record: bool,
}

impl EnrolmentPage {
    /// Where it may go next, as the user may take it.
    pub fn next_states(&self) -> Vec<EnrolmentState> {
        EnrolmentState::ALL
            .into_iter()
            .filter(|s| self.enrolment.state.may_become(*s))
            .filter(|s| match s {
                EnrolmentState::Ended => self.may_record,
                _ => self.may_allocate,
            })
            .collect()
    }
}

pub async fn enrolment_page(app: &App, actor: &Actor, id: EnrolmentId) -> Result<EnrolmentPage> {
    let mut w = app.view().await?;
    let (e, guard) = enrolments::open(&mut w, actor, id, Action::ViewCaseRecord).await?;
    let record = cases::record(&mut w, &guard).await?;
    let programme =
        catalogue::made_on(&mut w, actor.org_id, &e.programme_key, e.programme_version).await?;
    let priority_reason = match &e.priority_reason {
        Some(s) => guard.open(s)?.shown(),
        None => None,
    };
    let history = enrolments::history(&mut w, &guard, &e).await?;
    let mut sessions = Vec::new();
    for s in programme_sessions::of_enrolment(&mut w, &guard, id).await? {
        sessions.push(session_view(&guard, s)?);
    }
    let linked = match e.link_id {
        Some(link) => enrolments::in_case(&mut w, &guard)
            .await?
            .iter()
            .filter(|o| o.link_id == Some(link) && o.id != e.id)
            .map(|o| record.name_of(o.person_id.uuid()))
            .collect(),
        None => Vec::new(),
    };
    let engage = match programme.linked {
        Linked::PartnerOfferedIdva => Some(
            engage_partners(&mut w, &guard, &record, &e)
                .await?
                .panel(&guard),
        ),
        _ => None,
    };
    let may_allocate = guard.allows(Action::Allocate);
    let workers = if may_allocate {
        workers_for(&mut w, actor, &programme).await?
    } else {
        Vec::new()
    };
    w.commit().await?;
    Ok(EnrolmentPage {
        case_id: e.case_id,
        person_name: record.name_of(e.person_id.uuid()),
        reference: record.summary.reference,
        person_id: e.person_id,
        may_record: guard.allows(Action::RecordWork),
        may_allocate,
        programme,
        enrolment: e,
        priority_reason,
        history,
        sessions,
        linked,
        engage,
        workers,
    })
}

/// The service's staff who work on this programme and can take it on.
async fn workers_for(w: &mut UnitOfWork, actor: &Actor, p: &Programme) -> Result<Vec<Candidate>> {
    Ok(hearth_store::users::list(w, actor.org_id)
        .await?
        .into_iter()
        .filter(|u| p.worker_roles.contains(&u.role) && !u.is_disabled())
        .map(|u| Candidate {
            id: u.id,
            name: u.display_name,
            role: u.role,
        })
        .collect())
}

/// Move an enrolment on. Starting it or putting it on the waiting list is for those who
/// allocate work; ending it, for those who record work on the case. `form.based_on` is the
/// version the user saw: if it changed since, nothing is written and they are told.
pub async fn change_enrolment(
    app: &App,
    actor: &Actor,
    id: EnrolmentId,
    form: &ChangeForm,
) -> Result<()> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.work().await?;
    let action = match EnrolmentState::parse(&form.to) {
        Some(EnrolmentState::Ended) => Action::RecordWork,
        _ => Action::Allocate,
    };
    let (e, guard) = enrolments::open(&mut w, actor, id, action).await?;
    let programme =
        catalogue::made_on(&mut w, actor.org_id, &e.programme_key, e.programme_version).await?;
    if form.based_on != e.version {
        return Err(changed_meanwhile());
    }
    let since = match EnrolmentState::parse(&form.to) {
        Some(EnrolmentState::Ended) => e.since(),
        _ => e.proposed_on,
    };
    let change = form.parse(e.state, &programme, since, today)?;
    let worker = match change.to {
        EnrolmentState::Active => Some(chosen_worker(&mut w, actor, &programme, form).await?),
        _ => None,
    };
    if let (EnrolmentState::Active, Linked::PartnerOfferedIdva, Some(worker)) =
        (change.to, programme.linked, worker)
    {
        let record = cases::record(&mut w, &guard).await?;
        let partners = engage_partners(&mut w, &guard, &record, &e).await?;
        if let Err(missing) = engage_may_start(worker.uuid(), &partners.for_rule()) {
            let mut invalid = Invalid::default();
            for m in missing {
                invalid.push("to", m);
            }
            return Err(invalid.into());
        }
    }
    let priority_reason = match &change.priority_reason {
        Some(r) => Some(
            guard
                .cipher()
                .encrypt(&enrolments::priority_place(e.id), r)?,
        ),
        None => None,
    };
    let waiting_rank = match change.to {
        EnrolmentState::Waiting => {
            Some(enrolments::next_waiting_rank(&mut w, actor.org_id, &e.programme_key).await?)
        }
        _ => None,
    };
    let changed = enrolments::Changed {
        enrolment: &e,
        based_on: form.based_on,
        change: &change,
        worker_id: worker,
        priority_reason,
        waiting_rank,
    };
    if !enrolments::change(&mut w, &guard, now, changed).await? {
        return Err(changed_meanwhile());
    }
    if let Some(worker) = worker {
        allocate_if_needed(&mut w, &guard, &e, worker).await?;
    }
    after_change(&mut w, &guard, &e, &programme, &change).await?;
    w.audit(
        event(actor, "enrolment.change", "case", e.case_id)
            .detail("enrolment", e.id)
            .detail("state", change.to.code()),
    );
    w.commit().await?;
    Ok(())
}

fn changed_meanwhile() -> AppError {
    AppError::Conflict {
        field: None,
        message:
            "Someone else changed this enrolment while you were looking at it. Nothing was saved: \
                  check where it stands now and make your change again."
                .into(),
    }
}

/// The worker chosen to start it: someone in the service who works on the programme.
async fn chosen_worker(
    w: &mut UnitOfWork,
    actor: &Actor,
    p: &Programme,
    form: &ChangeForm,
) -> Result<UserId> {
    let wrong = || {
        AppError::invalid(
            "worker_id",
            format!("Choose a worker who works on {}", p.name),
        )
    };
    let id = UserId::parse(&form.worker_id).ok_or_else(wrong)?;
    workers_for(w, actor, p)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.id)
        .ok_or_else(wrong)
}

/// The worker of an enrolment works with its person: allocated to them in the case, so the
/// case opens to them, if they are not already.
async fn allocate_if_needed(
    w: &mut UnitOfWork,
    guard: &CaseGuard,
    e: &Enrolment,
    worker: UserId,
) -> Result<()> {
    if cases::is_allocated(w, guard, worker, Some(e.person_id)).await?
        || cases::is_allocated(w, guard, worker, None).await?
    {
        return Ok(());
    }
    let now = w.now();
    let actor = guard.actor().clone();
    let allocation = cases::NewAllocation {
        org_id: actor.org_id,
        case_id: e.case_id,
        person_id: Some(e.person_id),
        worker_id: worker,
        by: Some(actor.user_id),
    };
    cases::allocate(w, now, allocation).await?;
    w.audit(
        event(&actor, "case.allocate", "case", e.case_id)
            .detail("worker", worker)
            .detail("person", e.person_id),
    );
    Ok(())
}

/// What a change leaves on the timeline, and for Engage what the partners' Idvas are told.
async fn after_change(
    w: &mut UnitOfWork,
    guard: &CaseGuard,
    e: &Enrolment,
    p: &Programme,
    change: &hearth_domain::enrolment::Change,
) -> Result<()> {
    let body = match change.to {
        EnrolmentState::Waiting => format!(
            "On the waiting list for {} from {}.",
            p.name,
            format_date(change.on)
        ),
        EnrolmentState::Active => format!("Started {} on {}.", p.name, format_date(change.on)),
        EnrolmentState::Ended => format!(
            "{} ended on {}: {}.",
            p.name,
            format_date(change.on),
            change.exit_reason.as_deref().unwrap_or_default()
        ),
        EnrolmentState::Proposed => return Ok(()),
    };
    let key = format!("enrolment-{}-{}", e.id, change.to.code());
    let noted = timeline::Noted {
        case_id: e.case_id,
        person_id: Some(e.person_id),
        body: &body,
        key: &key,
        sensitivity: Sensitivity::Ordinary,
    };
    timeline::note(w, guard, noted).await?;
    if change.to == EnrolmentState::Ended && p.linked == Linked::PartnerOfferedIdva {
        let news = PartnerNews::of_ending(change.exit_reason.as_deref().unwrap_or_default());
        let record = cases::record(w, guard).await?;
        let partners = engage_partners(w, guard, &record, e).await?;
        let now = w.now();
        partners::leave_news(w, guard, now, e.id, &partners.ids(), (news, change.on)).await?;
    }
    Ok(())
}
