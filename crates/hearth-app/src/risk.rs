//! Risk assessment and incidents. Risk answers are disclosures: the firewall treats them as
//! sensitive, so someone whose only link to the family is the person causing harm never sees
//! them, nor the level they give.

use crate::risk_facts::{facts, note_sensitive, work_case, RiskFacts, WorkCase};
use crate::submission::{self, Once};
use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, CaseRole, FieldClass};
use hearth_domain::ids::PersonId;
use hearth_domain::instrument::{Instrument, Kind};
use hearth_domain::marac::Criterion;
use hearth_domain::risk::{AssessmentForm, IncidentForm, RiskLevel};
use hearth_domain::submission::SubmissionKind;
use hearth_domain::ukdate::{from_iso, uk_today};
use hearth_domain::validation::{Invalid, Text};
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::Guard;
use hearth_store::risk::{self as store, StoredAssessment};
use hearth_store::{cases, marac, people, UnitOfWork};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use time::Date;
use uuid::Uuid;

/// Age in whole years on a date.
pub fn age_on(born: Date, on: Date) -> i64 {
    let mut years = (on.year() - born.year()) as i64;
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        years -= 1;
    }
    years
}

/// Risk checklists that apply to this person in this role, at their age.
async fn applicable(
    w: &mut UnitOfWork,
    g: &impl Guard,
    person_id: PersonId,
    role: CaseRole,
    today: Date,
) -> Result<Vec<Instrument>> {
    let org_id = g.actor().org_id;
    let age = people::get(w, g, person_id.uuid())
        .await?
        .and_then(|p| p.date_of_birth)
        .as_deref()
        .and_then(from_iso)
        .map(|d| age_on(d, today));
    Ok(crate::instruments::current_of_kind(w, org_id, Kind::Risk)
        .await?
        .into_iter()
        .filter(|i| i.is_for(role, age))
        .collect())
}

/// What is sealed with an assessment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Sealed {
    answers: BTreeMap<String, String>,
    judgement_reason: Option<String>,
    /// Added later: older assessments have neither.
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    lowered_reason: Option<String>,
}

/// What an assessment seals: the answers and the worker's words, as the store keeps them.
pub(crate) fn sealed_assessment(
    a: &hearth_domain::risk::Assessment,
    notes: Option<String>,
    lowered_reason: Option<String>,
) -> Result<String> {
    serde_json::to_string(&Sealed {
        answers: a.answers.clone(),
        judgement_reason: a.judgement_reason.clone(),
        notes,
        lowered_reason,
    })
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// One assessment, opened.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub instrument_key: String,
    pub instrument_title: String,
    pub instrument_version: i64,
    pub questions: usize,
    pub score: i64,
    pub yes_count: i64,
    pub score_level: RiskLevel,
    pub level: RiskLevel,
    pub judgement_reason: Option<String>,
    /// What the worker described alongside the answers.
    pub notes: Option<String>,
    /// Why this assessment lowered the level it replaced.
    pub lowered_reason: Option<String>,
    pub police_callouts: Option<i64>,
    pub escalated: bool,
    pub assessed_at: Timestamp,
    pub assessed_by: String,
    /// (question number, question, answer label), in the order the instrument asks them.
    pub answers: Vec<(usize, String, String)>,
}

/// Open an assessment against the instrument version it was given on.
fn open_assessment(
    guard: &impl Guard,
    def: &Instrument,
    a: &StoredAssessment,
) -> Result<AssessmentView> {
    let json = guard.open(&a.sealed)?.shown().ok_or(AppError::Forbidden)?;
    let sealed: Sealed = serde_json::from_str(&json)
        .map_err(|e| AppError::Internal(format!("risk assessment: {e}")))?;
    let answers = def
        .questions
        .iter()
        .enumerate()
        .map(|(n, q)| {
            let code = sealed.answers.get(&q.id).cloned().unwrap_or_default();
            let label = q
                .answers
                .options()
                .into_iter()
                .find(|(c, _)| *c == code)
                .map(|(_, l)| l)
                .unwrap_or(code);
            (n + 1, q.text.clone(), label)
        })
        .collect();
    Ok(AssessmentView {
        id: a.id,
        case_id: a.case_id,
        instrument_key: a.instrument_key.clone(),
        instrument_title: def.title.clone(),
        instrument_version: a.instrument_version,
        questions: def.questions.len(),
        score: a.score,
        yes_count: a.yes_count,
        score_level: a.score_level,
        level: a.level,
        judgement_reason: sealed.judgement_reason,
        notes: sealed.notes,
        lowered_reason: sealed.lowered_reason,
        police_callouts: a.police_callouts,
        escalated: a.escalated,
        assessed_at: a.assessed_at,
        assessed_by: a.assessed_by_name.clone(),
        answers,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    pub id: Uuid,
    pub occurred_on: Date,
    pub police_called: bool,
    pub summary: String,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
}

/// The reason a new level is lower than the current one, required then and only then.
async fn lowering(
    w: &mut UnitOfWork,
    person: &impl Guard,
    person_id: PersonId,
    before: &RiskFacts,
    new: RiskLevel,
    form: &AssessmentForm,
    today: Date,
) -> Result<Option<String>> {
    let Some(prev) = before.latest.as_ref().map(|a| a.level).filter(|p| new < *p) else {
        return Ok(None);
    };
    let reason = Text::<2_000>::parse("lowered_reason", &form.lowered_reason)
        .map_err(|e| AppError::Invalid(Invalid(vec![e])))?;
    if !reason.as_str().is_empty() {
        return Ok(Some(reason.as_str().to_string()));
    }
    let year_ago = today - time::Duration::days(365);
    let heard = crate::marac::heard_dates(w, person, person_id.uuid())
        .await?
        .into_iter()
        .filter(|d| *d >= year_ago)
        .max();
    let marac = heard
        .map(|d| {
            format!(
                ", and they were heard at MARAC on {}",
                hearth_domain::ukdate::format_date(d)
            )
        })
        .unwrap_or_default();
    Err(AppError::invalid(
        "lowered_reason",
        format!(
            "This lowers the risk level from {} to {}{marac}. Say why before saving",
            prev.label(),
            new.label()
        ),
    ))
}

/// Where a person stands on risk, and what falls due.
#[derive(Debug, Clone, Serialize)]
pub struct RiskView {
    pub person_id: Uuid,
    pub person_name: String,
    /// The case new work is recorded in, if the user may record work.
    pub work_case: Option<Uuid>,
    pub instruments: Vec<Instrument>,
    /// Every assessment, newest first; the first is the current level.
    pub assessments: Vec<AssessmentView>,
    pub incidents: Vec<IncidentView>,
    pub reassessment_reason: &'static str,
    pub reassessment_due: Date,
    pub reassessment_overdue: bool,
    /// Police call-outs recorded as incidents in the last 12 months.
    pub callouts_12_months: i64,
    pub escalated: bool,
    /// Criteria for a MARAC referral the record shows and no referral has yet answered.
    pub marac_proposed: Vec<Criterion>,
    pub marac_referrals: Vec<crate::marac::ReferralLine>,
}

/// A person's risk history, incidents and what falls due. Audited as a view of sensitive data.
pub async fn view(app: &App, actor: &Actor, person_id: PersonId) -> Result<RiskView> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.store.view(now).await?;
    let guard = w.person(actor, person_id, Action::ViewCaseRecord).await?;
    if !guard.may_see(FieldClass::Sensitive) {
        return Err(AppError::Forbidden);
    }
    let person = cases::person_record(&mut w, &guard).await?;
    let work = crate::risk_facts::work_case_of(&mut w, &guard).await.ok();
    let instruments = match work {
        Some((_, role)) => applicable(&mut w, &guard, person_id, role, today).await?,
        None => Vec::new(),
    };
    // A history is mostly answers to the same version or two: read and parse each once.
    let mut versions: HashMap<(String, i64), Instrument> = HashMap::new();
    let mut assessments = Vec::new();
    for a in store::assessments_for_person(&mut w, &guard, person_id.uuid()).await? {
        let at = (a.instrument_key.clone(), a.instrument_version);
        if !versions.contains_key(&at) {
            let def = crate::instruments::version(&mut w, actor.org_id, &at.0, at.1).await?;
            versions.insert(at.clone(), def);
        }
        assessments.push(open_assessment(&guard, &versions[&at], &a)?);
    }
    let incidents = store::incidents_for_person(&mut w, &guard, person_id.uuid())
        .await?
        .into_iter()
        .map(|i| {
            Ok(IncidentView {
                id: i.id,
                occurred_on: i.occurred_on,
                police_called: i.police_called,
                summary: guard.open(&i.sealed)?.shown().ok_or(AppError::Forbidden)?,
                recorded_at: i.recorded_at,
                recorded_by: i.recorded_by_name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let f = facts(&mut w, &guard, person_id).await?;
    let due = f.reassessment(app.risk.reassess_after_days);
    let marac_referrals = marac::referrals_for_person(&mut w, &guard, person_id)
        .await?
        .iter()
        .map(crate::marac::ReferralLine::from)
        .collect();
    w.commit().await?;
    let due_on = due.due_on(today);
    Ok(RiskView {
        person_id: person_id.uuid(),
        person_name: format!("{} {}", person.given_name, person.family_name),
        work_case: work.map(|(c, _)| c),
        instruments,
        assessments,
        incidents,
        reassessment_reason: due.reason(),
        reassessment_due: due_on,
        reassessment_overdue: due_on < today,
        callouts_12_months: f
            .callout_dates
            .iter()
            .filter(|d| **d > hearth_domain::ukdate::add_months(today, -12))
            .count() as i64,
        escalated: f.escalated(today),
        marac_proposed: f.marac_proposed(today),
        marac_referrals,
    })
}

/// The checklist form for one instrument, if it applies to the person.
pub async fn instrument_for(
    app: &App,
    actor: &Actor,
    person_id: PersonId,
    key: &str,
) -> Result<(Instrument, String)> {
    let today = uk_today(app.now());
    let mut w = app.view().await?;
    let WorkCase { role, person, .. } =
        work_case(&mut w, actor, person_id, FieldClass::Sensitive).await?;
    let found = applicable(&mut w, &person, person_id, role, today)
        .await?
        .into_iter()
        .find(|i| i.key == key || key.is_empty())
        .ok_or(AppError::NotFound)?;
    let stored = people::get(&mut w, &person, person_id.uuid())
        .await?
        .ok_or(AppError::NotFound)?;
    w.commit().await?;
    Ok((
        found,
        format!("{} {}", stored.given_name, stored.family_name),
    ))
}

/// The outcome of recording an assessment.
#[derive(Debug, Clone, Serialize)]
pub struct Assessed {
    pub id: Uuid,
    pub level: RiskLevel,
    pub changed: bool,
    pub marac_proposed: Vec<Criterion>,
}

/// Record an assessment on the current version of an instrument. Sending the same form twice
/// stores it once. A change of level, and an escalation, are events on the timeline.
///
/// A level never drops silently: a new assessment lower than the one it replaces is saved only
/// with the worker's reason, and the question says if the person was heard at MARAC in the last
/// 12 months, because a checklist of "no" a week after a MARAC is more often fear than safety.
pub async fn assess(
    app: &App,
    actor: &Actor,
    person_id: PersonId,
    instrument_key: &str,
    form: &AssessmentForm,
) -> Result<Assessed> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.store.work(now).await?;
    let WorkCase {
        case_id,
        role,
        person,
        ..
    } = work_case(&mut w, actor, person_id, FieldClass::Sensitive).await?;
    let scope = submission::Scope {
        org_id: actor.org_id,
        actor_id: Some(actor.user_id.uuid()),
        kind: SubmissionKind::RiskAssessment,
        target_id: Some(person_id.uuid()),
    };
    let payload = (instrument_key.trim(), form);
    let claimed = submission::claim(&mut w, now, scope, &form.submission_key, &payload).await?;
    if let Once::Replay(existing) = claimed {
        let f = facts(&mut w, &person, person_id).await?;
        let level = f
            .latest
            .as_ref()
            .map(|a| a.level)
            .unwrap_or(RiskLevel::Standard);
        w.commit().await?;
        return Ok(Assessed {
            id: existing,
            level,
            changed: false,
            marac_proposed: f.marac_proposed(today),
        });
    }
    let instrument = applicable(&mut w, &person, person_id, role, today)
        .await?
        .into_iter()
        .find(|i| i.key == instrument_key.trim())
        .ok_or_else(|| {
            AppError::invalid(
                "instrument",
                "Choose a risk checklist that applies to this person",
            )
        })?;
    let a = form.parse(&instrument)?;
    let before = facts(&mut w, &person, person_id).await?;
    let notes = Text::<5_000>::parse("notes", &form.notes)
        .map_err(|e| AppError::Invalid(Invalid(vec![e])))?;
    let lowered_reason =
        lowering(&mut w, &person, person_id, &before, a.level, form, today).await?;
    let id = claimed.id();
    let cipher = w.cipher(actor.org_id).await?;
    let notes = (!notes.as_str().is_empty()).then(|| notes.as_str().to_string());
    let sealed = sealed_assessment(&a, notes, lowered_reason)?;
    store::insert_assessment(
        &mut w,
        now,
        store::NewAssessment {
            id,
            org_id: actor.org_id,
            case_id,
            person_id: person_id.uuid(),
            instrument_key: &instrument.key,
            instrument_version: instrument.version,
            score: a.score,
            yes_count: a.yes_count,
            score_level: a.score_level,
            level: a.level,
            judgement: a.judgement_reason.is_some(),
            police_callouts: a.police_callouts,
            escalated: a.escalated,
            sealed: cipher.encrypt(&store::assessment_place(id), &sealed)?,
            by: actor.user_id,
            submission_key: form.submission_key.trim(),
        },
    )
    .await?;
    let previous = before.latest.as_ref().map(|p| p.level);
    let changed = previous != Some(a.level);
    if changed {
        let mut body = match previous {
            Some(p) => format!(
                "Risk level changed from {} to {}.",
                p.label().to_lowercase(),
                a.level.label().to_lowercase()
            ),
            None => format!("Risk level set: {}.", a.level.label().to_lowercase()),
        };
        body.push_str(&format!(
            " {} (version {}): {} yes of {}.",
            instrument.title,
            instrument.version,
            a.yes_count,
            instrument.questions.len()
        ));
        if a.judgement_reason.is_some() {
            body.push_str(" Raised on professional judgement.");
        }
        note_sensitive(&mut w, &person, case_id, &body, &format!("risk-level:{id}")).await?;
    }
    if a.escalated && !before.escalated(today) {
        let body = format!(
            "Escalation: {} police call-outs in the last 12 months. MARAC referral proposed.",
            a.police_callouts.unwrap_or_default()
        );
        note_sensitive(&mut w, &person, case_id, &body, &format!("escalation:{id}")).await?;
    }
    w.audit(
        event(actor, "person.risk_assess", "person", person_id)
            .detail("assessment", id)
            .detail("instrument", &instrument.key)
            .detail("version", instrument.version)
            .detail("level", a.level.code()),
    );
    let after = facts(&mut w, &person, person_id).await?;
    w.commit().await?;
    Ok(Assessed {
        id,
        level: a.level,
        changed,
        marac_proposed: after.marac_proposed(today),
    })
}

/// Record an incident reported after referral: a reassessment falls due, and police call-outs
/// count towards escalation.
pub async fn record_incident(
    app: &App,
    actor: &Actor,
    person_id: PersonId,
    form: &IncidentForm,
) -> Result<Uuid> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.store.work(now).await?;
    let WorkCase {
        case_id, person, ..
    } = work_case(&mut w, actor, person_id, FieldClass::Sensitive).await?;
    let scope = submission::Scope {
        org_id: actor.org_id,
        actor_id: Some(actor.user_id.uuid()),
        kind: SubmissionKind::Incident,
        target_id: Some(person_id.uuid()),
    };
    let id = match submission::claim(&mut w, now, scope, &form.submission_key, form).await? {
        Once::Replay(existing) => {
            w.commit().await?;
            return Ok(existing);
        }
        Once::New(id) => id,
    };
    let incident = form.parse(today)?;
    let before = facts(&mut w, &person, person_id).await?;
    let cipher = w.cipher(actor.org_id).await?;
    store::insert_incident(
        &mut w,
        now,
        store::NewIncident {
            id,
            org_id: actor.org_id,
            case_id,
            person_id: person_id.uuid(),
            occurred_on: incident.occurred_on,
            police_called: incident.police_called,
            sealed: cipher.encrypt(&store::incident_place(id), &incident.summary)?,
            by: actor.user_id,
            submission_key: form.submission_key.trim(),
        },
    )
    .await?;
    let body = format!(
        "Incident on {}{}. Risk reassessment due.",
        hearth_domain::ukdate::format_date(incident.occurred_on),
        if incident.police_called {
            ", police called out"
        } else {
            ""
        }
    );
    note_sensitive(&mut w, &person, case_id, &body, &format!("incident:{id}")).await?;
    let after = facts(&mut w, &person, person_id).await?;
    if after.escalated(today) && !before.escalated(today) {
        let body = "Escalation: 3 or more police call-outs in 12 months. MARAC referral proposed.";
        note_sensitive(&mut w, &person, case_id, body, &format!("escalation:{id}")).await?;
    }
    w.audit(event(actor, "person.incident_add", "person", person_id).detail("incident", id));
    w.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(date!(2010 - 11 - 24), date!(2026 - 11 - 23)), 15);
        assert_eq!(age_on(date!(2010 - 11 - 23), date!(2026 - 11 - 23)), 16);
    }
}

/// Where one person in a case stands on risk, for the case page.
#[derive(Debug, Clone, Serialize)]
pub struct PersonRiskLine {
    pub person_id: Uuid,
    /// The current level, who set it and when; `None` if never assessed in this case.
    pub level: Option<RiskLevel>,
    pub set_at: Option<Timestamp>,
    pub set_by: Option<String>,
    pub escalated: bool,
}

/// The current risk level of each person in one of the guard's cases whose risk the user may
/// see, in the order its record (already read and named) lists them, from the newest
/// assessments in the guard's cases. People behind the firewall are left out entirely, not
/// shown as "not assessed". The case view that shows these is itself audited.
pub(crate) fn in_case_from(
    guard: &hearth_store::access::CasesGuard,
    case: &hearth_store::cases::CaseRecord,
    latest: &[StoredAssessment],
) -> Result<Vec<PersonRiskLine>> {
    let case_id = case.summary.id;
    if guard.get(case_id).is_none() {
        return Err(AppError::NotFound);
    }
    let mut out: Vec<PersonRiskLine> = Vec::new();
    for m in &case.members {
        if out.iter().any(|l| l.person_id == m.person_id)
            || !guard.may_see(m.person_id, FieldClass::Sensitive)
        {
            continue;
        }
        let a = latest
            .iter()
            .find(|a| a.case_id == case_id && a.person_id == m.person_id);
        out.push(PersonRiskLine {
            person_id: m.person_id,
            level: a.map(|a| a.level),
            set_at: a.map(|a| a.assessed_at),
            set_by: a.map(|a| a.assessed_by_name.clone()),
            escalated: a.is_some_and(|a| a.escalated),
        });
    }
    Ok(out)
}
