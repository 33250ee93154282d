//! The family's plan: each member of the family against the programmes, with each enrolment's
//! state, worker and next session, so a team manager sees the combination at a glance; and
//! proposing someone (or, under a linked-support rule, several people together) for a
//! programme.

use super::catalogue;
use super::due::Underway;
use crate::submission::{self, Once};
use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, CaseRole, FieldClass};
use hearth_domain::enrolment::{Attendance, ProposalForm};
use hearth_domain::ids::{CaseId, EnrolmentId, PersonId};
use hearth_domain::programme::{
    apva_pair, may_enrol, parent_and_children, Candidate, Catalogue, EnrolmentState, Linked,
    Programme,
};
use hearth_domain::submission::SubmissionKind;
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::{CaseGuard, Guard};
use hearth_store::cases::{self, CaseRecord};
use hearth_store::enrolments;
use std::collections::HashMap;
use time::Date;
use uuid::Uuid;

/// One programme's column in the plan.
#[derive(Debug, Clone)]
pub struct PlanColumn {
    pub key: String,
    pub name: String,
}

/// One enrolment in a cell of the plan.
#[derive(Debug, Clone)]
pub struct PlanEnrolment {
    pub id: EnrolmentId,
    pub state: EnrolmentState,
    pub worker: Option<String>,
    pub next_session: Option<Timestamp>,
    /// Sessions whose time has passed with nothing recorded.
    pub unrecorded: usize,
    pub exit_reason: Option<String>,
}

/// One member of the family: their enrolments by programme column, or, behind the firewall,
/// nothing but their name and role.
#[derive(Debug, Clone)]
pub struct PlanRow {
    pub person_id: Uuid,
    pub name: String,
    pub roles: Vec<CaseRole>,
    pub shown: bool,
    pub cells: Vec<Vec<PlanEnrolment>>,
    /// For each column, whether the programme is for this person and they could be proposed
    /// for it now (no open enrolment on it), so the plan offers it in one step.
    pub proposable: Vec<bool>,
}

#[derive(Debug, Clone)]
pub struct FamilyPlan {
    pub columns: Vec<PlanColumn>,
    pub rows: Vec<PlanRow>,
    /// May the user propose someone for a programme here?
    pub may_propose: bool,
    /// What the partner's Idva is to tell her of the Engage work, for those who may see it.
    pub news: Vec<NewsLine>,
}

/// Something to tell a partner of the Engage work.
#[derive(Debug, Clone)]
pub struct NewsLine {
    pub id: Uuid,
    pub partner: String,
    pub task: String,
    pub happened_on: Date,
}

impl FamilyPlan {
    /// Open enrolments in the family, across everyone the user may see.
    pub fn open_count(&self) -> usize {
        self.rows
            .iter()
            .flat_map(|r| r.cells.iter().flatten())
            .filter(|e| e.state.is_open())
            .count()
    }
}

/// The plan of the guard's case, from what is under way in it (read with
/// [`Underway::in_case`]).
pub(crate) fn plan_from(
    guard: &CaseGuard,
    record: &CaseRecord,
    catalogue: &Catalogue,
    underway: &Underway,
    now: Timestamp,
) -> FamilyPlan {
    let all = &underway.enrolments;
    let mut next: HashMap<EnrolmentId, Timestamp> = HashMap::new();
    let mut unrecorded: HashMap<EnrolmentId, usize> = HashMap::new();
    for s in &underway.sessions {
        if s.attendance != Attendance::Planned {
            continue;
        }
        if s.planned_at >= now {
            let at = next.entry(s.enrolment_id).or_insert(s.planned_at);
            *at = (*at).min(s.planned_at);
        } else {
            *unrecorded.entry(s.enrolment_id).or_default() += 1;
        }
    }
    let today = uk_today(now);
    let people = candidates(guard, record, today);
    // The programmes offered now, then any retired one someone is or was enrolled on.
    let mut columns: Vec<PlanColumn> = catalogue
        .offered()
        .filter(|p| !p.for_roles.is_empty())
        .map(|p| PlanColumn {
            key: p.key.clone(),
            name: p.name.clone(),
        })
        .collect();
    for e in all {
        if !columns.iter().any(|c| c.key == e.programme_key) {
            let name = catalogue
                .get(&e.programme_key)
                .map_or(e.programme_key.clone(), |p| p.name.clone());
            columns.push(PlanColumn {
                key: e.programme_key.clone(),
                name,
            });
        }
    }
    let mut rows: Vec<PlanRow> = Vec::new();
    for m in &record.members {
        if let Some(r) = rows.iter_mut().find(|r| r.person_id == m.person_id) {
            r.roles.push(m.role);
            continue;
        }
        let shown = guard.sees(m.person_id, FieldClass::Ordinary);
        let cells = columns
            .iter()
            .map(|c| {
                let mut here: Vec<PlanEnrolment> = all
                    .iter()
                    .filter(|e| {
                        shown && e.person_id.uuid() == m.person_id && e.programme_key == c.key
                    })
                    .map(|e| PlanEnrolment {
                        id: e.id,
                        state: e.state,
                        worker: e.worker_name.clone(),
                        next_session: next.get(&e.id).copied(),
                        unrecorded: unrecorded.get(&e.id).copied().unwrap_or_default(),
                        exit_reason: e.exit_reason.clone(),
                    })
                    .collect();
                // Open work first, then the most recent ended.
                here.sort_by_key(|e| !e.state.is_open());
                here
            })
            .collect();
        let candidate = people.iter().find(|c| c.person_id == m.person_id);
        let proposable = columns
            .iter()
            .zip(&cells)
            .map(|(c, cell): (&PlanColumn, &Vec<PlanEnrolment>)| {
                let programme = catalogue.offered().find(|p| p.key == c.key);
                match (candidate, programme) {
                    (Some(who), Some(p)) => {
                        may_enrol(p, who).is_ok() && !cell.iter().any(|e| e.state.is_open())
                    }
                    _ => false,
                }
            })
            .collect();
        rows.push(PlanRow {
            person_id: m.person_id,
            name: m.full_name(),
            roles: vec![m.role],
            shown,
            cells,
            proposable,
        });
    }
    let news = underway
        .news
        .iter()
        .map(|n| NewsLine {
            id: n.id,
            partner: record.name_of(n.partner_id.uuid()),
            task: n.news.task(&record.name_of(n.client_id.uuid())),
            happened_on: n.happened_on,
        })
        .collect();
    FamilyPlan {
        columns,
        rows,
        may_propose: guard.allows(Action::RecordWork),
        news,
    }
}

/// Someone who could be proposed, with whether the programme is for them.
#[derive(Debug, Clone)]
pub struct Eligible {
    pub person_id: Uuid,
    pub name: String,
    pub roles: Vec<CaseRole>,
    /// `None` if the programme is for them; else why not, in words.
    pub refused: Option<String>,
}

/// The page to propose support: the programmes offered and, once one is chosen, the people
/// the user may see with whether it is for each of them.
#[derive(Debug, Clone)]
pub struct ProposalPage {
    pub case_id: CaseId,
    pub reference: String,
    pub programmes: Vec<Programme>,
    pub chosen: Option<Programme>,
    pub people: Vec<Eligible>,
}

pub async fn proposal_page(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    programme: &str,
) -> Result<ProposalPage> {
    let mut w = app.view().await?;
    let guard = w.case(actor, case_id, Action::RecordWork).await?;
    let record = cases::record(&mut w, &guard).await?;
    let catalogue = catalogue::current(&mut w, actor.org_id).await?;
    let chosen = catalogue
        .offered()
        .find(|p| p.key == programme.trim() && !p.for_roles.is_empty())
        .cloned();
    let today = uk_today(app.now());
    let people = candidates(&guard, &record, today)
        .into_iter()
        .map(|c| Eligible {
            refused: chosen.as_ref().and_then(|p| may_enrol(p, &c).err()),
            person_id: c.person_id,
            name: c.name,
            roles: c.roles,
        })
        .collect();
    w.commit().await?;
    Ok(ProposalPage {
        case_id,
        reference: record.summary.reference,
        programmes: catalogue
            .offered()
            .filter(|p| !p.for_roles.is_empty())
            .cloned()
            .collect(),
        chosen,
        people,
    })
}

/// The people of the case the user may see, as the rules weigh them.
fn candidates(guard: &CaseGuard, record: &CaseRecord, today: Date) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for m in record.members.iter().filter(|m| m.closed.is_none()) {
        if !guard.sees(m.person_id, FieldClass::Ordinary) {
            continue;
        }
        if let Some(c) = out.iter_mut().find(|c| c.person_id == m.person_id) {
            c.roles.push(m.role);
            continue;
        }
        let age = m
            .date_of_birth
            .as_deref()
            .and_then(hearth_domain::ukdate::from_iso)
            .map(|born| crate::risk::age_on(born, today));
        out.push(Candidate {
            person_id: m.person_id,
            name: m.full_name(),
            roles: vec![m.role],
            age,
        });
    }
    out
}

/// Who a proposal enrols, checked against the programme and its rule.
fn who(
    programme: &Programme,
    chosen: &[Candidate],
    record: &CaseRecord,
) -> std::result::Result<(), String> {
    for c in chosen {
        may_enrol(programme, c)?;
    }
    match programme.linked {
        Linked::None | Linked::PartnerOfferedIdva => {
            if chosen.len() != 1 {
                return Err(format!(
                    "Choose one person to propose for {}",
                    programme.name
                ));
            }
        }
        Linked::YoungPersonAndParent => {
            let young = chosen
                .iter()
                .find(|c| c.roles.contains(&CaseRole::PersonCausingHarm));
            let parent = chosen.iter().find(|c| {
                c.roles.contains(&CaseRole::VictimSurvivor)
                    && Some(c.person_id) != young.map(|y| y.person_id)
            });
            match (young, parent) {
                (Some(y), Some(p)) if chosen.len() == 2 => apva_pair(programme, y, p)?,
                _ => {
                    return Err(format!(
                        "{} enrols the young person causing harm together with the parent they harm: choose both",
                        programme.name
                    ))
                }
            }
        }
        Linked::ParentAndChild => {
            let parent = chosen
                .iter()
                .find(|c| c.roles.contains(&CaseRole::VictimSurvivor))
                .ok_or_else(|| {
                    format!("{} enrols a parent who is a victim/survivor with their children: choose the parent", programme.name)
                })?;
            let children: Vec<Candidate> = chosen
                .iter()
                .filter(|c| c.person_id != parent.person_id)
                .cloned()
                .collect();
            let theirs: Vec<Uuid> = record
                .relationships
                .iter()
                .filter(|r| {
                    r.from_person == parent.person_id
                        && matches!(r.kind.as_str(), "parent" | "step_parent")
                })
                .map(|r| r.to_person)
                .collect();
            parent_and_children(programme, parent, &children, &theirs)?;
        }
    }
    Ok(())
}

/// Propose the chosen people for a programme. Sent twice, it is saved once; someone already
/// on the programme in this case is not proposed again while that enrolment is open.
pub async fn propose(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    form: &ProposalForm,
) -> Result<EnrolmentId> {
    let now = app.now();
    let mut w = app.work().await?;
    let guard = w.case(actor, case_id, Action::RecordWork).await?;
    let scope = submission::Scope {
        org_id: actor.org_id,
        actor_id: Some(actor.user_id.uuid()),
        kind: SubmissionKind::Enrolment,
        target_id: Some(case_id.uuid()),
    };
    let first = match submission::claim(&mut w, now, scope, &form.submission_key, form).await? {
        Once::Replay(existing) => {
            w.commit().await?;
            return Ok(EnrolmentId::from_uuid(existing));
        }
        Once::New(id) => EnrolmentId::from_uuid(id),
    };
    let catalogue = catalogue::current(&mut w, actor.org_id).await?;
    let Some(programme) = catalogue
        .offered()
        .find(|p| p.key == form.programme.trim() && !p.for_roles.is_empty())
        .cloned()
    else {
        return Err(AppError::invalid(
            "programme",
            "Choose a programme from the list",
        ));
    };
    let record = cases::record(&mut w, &guard).await?;
    let today = uk_today(now);
    let everyone = candidates(&guard, &record, today);
    let mut chosen: Vec<Candidate> = Vec::new();
    for raw in &form.people {
        let found =
            PersonId::parse(raw).and_then(|p| everyone.iter().find(|c| c.person_id == p.uuid()));
        match found {
            Some(c) if !chosen.contains(c) => chosen.push(c.clone()),
            Some(_) => {}
            None => {
                return Err(AppError::invalid(
                    "people",
                    "Choose people who are in this case",
                ))
            }
        }
    }
    who(&programme, &chosen, &record).map_err(|m| AppError::invalid("people", m))?;
    let open = enrolments::in_case(&mut w, &guard).await?;
    for c in &chosen {
        if open.iter().any(|e| {
            e.person_id.uuid() == c.person_id
                && e.programme_key == programme.key
                && e.state.is_open()
        }) {
            return Err(AppError::invalid(
                "people",
                format!(
                    "{} is already proposed for or on {}",
                    c.name, programme.name
                ),
            ));
        }
    }
    let link = (chosen.len() > 1).then(|| hearth_domain::ids::new_id(now));
    for (n, c) in chosen.iter().enumerate() {
        let id = if n == 0 { first } else { EnrolmentId::new(now) };
        let new = enrolments::NewEnrolment {
            id,
            org_id: actor.org_id,
            case_id,
            person_id: PersonId::from_uuid(c.person_id),
            programme_key: &programme.key,
            programme_version: programme.version,
            link_id: link,
            proposed_on: today,
            by: actor.user_id,
        };
        enrolments::insert(&mut w, now, new).await?;
        w.audit(
            event(actor, "enrolment.propose", "case", case_id)
                .detail("enrolment", id)
                .detail("person", c.person_id)
                .detail("programme", &programme.key),
        );
    }
    w.commit().await?;
    Ok(first)
}

/// The form's people as typed, kept when it comes back with errors.
pub fn chosen_people(form: &ProposalForm) -> Vec<Uuid> {
    form.people
        .iter()
        .filter_map(|p| PersonId::parse(p))
        .map(|p| p.uuid())
        .collect()
}

/// The family's plan on its own (for the API): one view of the case.
pub async fn family_plan(app: &App, actor: &Actor, case_id: CaseId) -> Result<FamilyPlan> {
    let mut w = app.view().await?;
    let guard = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let record = cases::record(&mut w, &guard).await?;
    let catalogue = catalogue::current(&mut w, actor.org_id).await?;
    let underway = super::due::Underway::in_case(&mut w, &guard).await?;
    let plan = plan_from(&guard, &record, &catalogue, &underway, w.now());
    w.commit().await?;
    Ok(plan)
}
