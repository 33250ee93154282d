//! What the record says about a person's risk without opening anything sealed (the latest
//! level, incidents, police call-outs, the last MARAC referral), and the case in which work with
//! a person is recorded. Risk, MARAC and the due list all read these; they live here so that
//! none of those modules depends on another.

use crate::{AppError, Result};
use hearth_domain::access::{Action, CaseRole, FieldClass};
use hearth_domain::ids::PersonId;
use hearth_domain::marac::Criterion;
use hearth_domain::risk::{self, Reassessment, RiskLevel};
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::{Guard, PersonGuard};
use hearth_store::risk::{self as store, StoredAssessment};
use hearth_store::{cases, marac, UnitOfWork};
use std::collections::HashMap;
use time::Date;
use uuid::Uuid;

/// The open case in which the actor may record work about this person, newest first, with the
/// person's role in it. The firewall for `class` is applied too.
pub(crate) async fn work_case(
    w: &mut UnitOfWork,
    actor: &Actor,
    person_id: PersonId,
    class: FieldClass,
) -> Result<WorkCase> {
    let person = w.person(actor, person_id, Action::ViewCaseRecord).await?;
    if !person.may_see(class) {
        return Err(AppError::Forbidden);
    }
    let (case_id, role) = work_case_of(w, &person).await?;
    Ok(WorkCase {
        person,
        case_id,
        role,
    })
}

/// The case (and the person's role in it) in which the guard's person's work is recorded.
pub(crate) async fn work_case_of(
    w: &mut UnitOfWork,
    person: &PersonGuard,
) -> Result<(Uuid, CaseRole)> {
    let mut candidates = cases::open_involvements(w, person).await?;
    // A protected role first: a young person who is also the person causing harm is assessed
    // as the child they are.
    candidates.sort_by_key(|(_, r)| !r.is_protected());
    for (case_id, role) in candidates {
        if person.allows_in(case_id, Action::RecordWork) {
            return Ok((case_id, role));
        }
    }
    Err(AppError::Forbidden)
}

/// The case in which work with a person is recorded, and the guard on the person.
pub(crate) struct WorkCase {
    pub person: PersonGuard,
    pub case_id: Uuid,
    pub role: CaseRole,
}

/// A key event about the guard's person on their case's timeline: a change of risk level, an
/// incident, an escalation or a MARAC referral, all sensitive, as what they say is.
pub(crate) async fn note_sensitive(
    w: &mut UnitOfWork,
    person: &PersonGuard,
    case_id: Uuid,
    body: &str,
    key: &str,
) -> crate::Result<()> {
    let noted = hearth_store::timeline::Noted {
        case_id: hearth_domain::ids::CaseId::from_uuid(case_id),
        person_id: Some(person.person_id()),
        body,
        key,
        sensitivity: hearth_domain::timeline::Sensitivity::Sensitive,
    };
    hearth_store::timeline::note(w, person, noted).await?;
    Ok(())
}

/// Facts about a person's risk, read without opening sealed data, for lists and the due list.
#[derive(Debug, Clone, Default)]
pub struct RiskFacts {
    pub latest: Option<StoredAssessment>,
    /// When each incident was recorded: a new one brings the reassessment forward.
    pub incidents_recorded: Vec<Timestamp>,
    pub callout_dates: Vec<Date>,
    pub last_marac_referral: Option<Date>,
    /// When the meeting that newest referral went to was held, if it has been.
    pub last_marac_heard: Option<Date>,
}

pub(crate) async fn facts(
    w: &mut UnitOfWork,
    g: &impl Guard,
    person_id: PersonId,
) -> Result<RiskFacts> {
    Ok(facts_for(w, g, &[person_id.uuid()])
        .await?
        .remove(&person_id.uuid())
        .unwrap_or_default())
}

/// [`RiskFacts`] for each of these people, in three statements however many there are.
pub(crate) async fn facts_for(
    w: &mut UnitOfWork,
    g: &impl Guard,
    person_ids: &[Uuid],
) -> Result<HashMap<Uuid, RiskFacts>> {
    let mut out: HashMap<Uuid, RiskFacts> = person_ids
        .iter()
        .map(|p| (*p, RiskFacts::default()))
        .collect();
    for a in store::latest_for_people(w, g, person_ids).await? {
        if let Some(f) = out.get_mut(&a.person_id) {
            f.latest = Some(a);
        }
    }
    for i in store::incident_dates(w, g, person_ids).await? {
        if let Some(f) = out.get_mut(&i.person_id) {
            f.incidents_recorded.push(i.recorded_at);
            if i.police_called {
                f.callout_dates.push(i.occurred_on);
            }
        }
    }
    for (p, (on, heard)) in marac::newest_referrals(w, g, person_ids).await? {
        if let Some(f) = out.get_mut(&p) {
            f.last_marac_referral = Some(on);
            f.last_marac_heard = heard;
        }
    }
    Ok(out)
}

impl RiskFacts {
    pub fn escalated(&self, today: Date) -> bool {
        self.latest.as_ref().is_some_and(|a| a.escalated)
            || risk::escalated_by_callouts(&self.callout_dates, today)
    }

    pub fn reassessment(&self, interval_days: i64) -> Reassessment {
        risk::reassessment(
            self.latest.as_ref().map(|a| a.assessed_at),
            interval_days,
            &self.incidents_recorded,
        )
    }

    /// What the record shows that calls for MARAC, unless a referral has been made since the
    /// newest fact that calls for it.
    pub fn marac_proposed(&self, today: Date) -> Vec<Criterion> {
        let mut c = Vec::new();
        let mut trigger: Option<Date> = None;
        if let Some(a) = &self.latest {
            let on = uk_today(a.assessed_at);
            if a.score_level == RiskLevel::High {
                c.push(Criterion::VisibleHighRisk);
                trigger = Some(on);
            } else if a.level == RiskLevel::High {
                c.push(Criterion::ProfessionalJudgement);
                trigger = Some(on);
            }
            if a.escalated {
                trigger = trigger.max(Some(on));
            }
        }
        if self.escalated(today) {
            c.push(Criterion::PotentialEscalation);
            trigger = trigger.max(self.callout_dates.iter().max().copied());
        }
        match (self.last_marac_referral, trigger) {
            (Some(r), Some(t)) if r >= t => Vec::new(),
            _ => c,
        }
    }
}
