//! Risk assessment, incidents, safety plans, instruments and the due list over the API, through
//! the same use cases, firewall and audit as the pages. Dates are ISO (`2026-11-23`); instants
//! RFC 3339.

use super::dto::{total_count, PageQuery};
use super::marac::ReferralLineOut;
use super::{rfc3339, Body, Caller, CreatedOut, Params};
use crate::error::{ApiError, ApiErrorBody};
use crate::path::ApiPathId;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use hearth_app::users::By;
use hearth_app::{due, instruments, risk, safety_plans, team_due};
use hearth_domain::due::DueItem;
use hearth_domain::ids::PersonId;
use hearth_domain::instrument::Instrument;
use hearth_domain::risk::{AssessmentForm, IncidentForm};
use hearth_domain::safety_plan::{SafetyPlan, SafetyPlanForm};
use hearth_domain::ukdate::iso;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// One allowed answer to a question.
#[derive(Serialize, ToSchema)]
pub struct AnswerOptionOut {
    /// What to send as the answer.
    pub code: String,
    pub label: String,
}

#[derive(Serialize, ToSchema)]
pub struct QuestionOut {
    /// The key to use in `answers`.
    pub id: String,
    pub text: String,
    pub hint: String,
    /// Every answer the instrument allows; anything else is refused.
    pub allowed: Vec<AnswerOptionOut>,
}

#[derive(Serialize, ToSchema)]
pub struct BandOut {
    /// `standard`, `medium` or `high` for risk instruments.
    pub level: String,
    pub label: String,
    /// The lowest score in this band.
    pub from: i64,
}

/// A questionnaire definition, at one version.
#[derive(Serialize, ToSchema)]
pub struct InstrumentOut {
    pub key: String,
    pub version: i64,
    pub title: String,
    /// `risk`, `outcome` or `evaluation`.
    pub kind: String,
    /// Case roles it applies to.
    pub applies_to: Vec<String>,
    pub min_age: Option<i64>,
    pub max_age: Option<i64>,
    pub guidance: String,
    pub questions: Vec<QuestionOut>,
    pub bands: Vec<BandOut>,
}

impl From<&Instrument> for InstrumentOut {
    fn from(i: &Instrument) -> Self {
        Self {
            key: i.key.clone(),
            version: i.version,
            title: i.title.clone(),
            kind: i.kind.code().into(),
            applies_to: i.applies_to.iter().map(|r| r.code().into()).collect(),
            min_age: i.min_age,
            max_age: i.max_age,
            guidance: i.guidance.clone(),
            questions: i
                .questions
                .iter()
                .map(|q| QuestionOut {
                    id: q.id.clone(),
                    text: q.text.clone(),
                    hint: q.hint.clone(),
                    allowed: q
                        .answers
                        .options()
                        .into_iter()
                        .map(|(code, label)| AnswerOptionOut { code, label })
                        .collect(),
                })
                .collect(),
            bands: i
                .bands
                .iter()
                .map(|b| BandOut {
                    level: b.level.clone(),
                    label: b.label.clone(),
                    from: b.from,
                })
                .collect(),
        }
    }
}

/// One answer as given.
#[derive(Serialize, ToSchema)]
pub struct AnswerOut {
    pub number: usize,
    pub question: String,
    pub answer: String,
}

/// One risk assessment. It keeps the instrument version it was given on.
#[derive(Serialize, ToSchema)]
pub struct AssessmentOut {
    pub id: Uuid,
    pub case_id: Uuid,
    pub instrument_key: String,
    pub instrument_version: i64,
    pub instrument_title: String,
    pub score: i64,
    pub yes_count: i64,
    /// The level the score gives.
    pub score_level: String,
    /// The level that stands, after professional judgement (never below `score_level`).
    pub level: String,
    pub judgement_reason: Option<String>,
    pub police_callouts: Option<i64>,
    pub escalated: bool,
    pub assessed_at: String,
    pub assessed_by: String,
    pub answers: Vec<AnswerOut>,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentOut {
    pub id: Uuid,
    pub occurred_on: String,
    pub police_called: bool,
    pub summary: String,
    pub recorded_at: String,
    pub recorded_by: String,
}

/// Where a person stands on risk.
#[derive(Serialize, ToSchema)]
pub struct RiskOut {
    pub person_id: Uuid,
    pub person_name: String,
    /// The current level (`standard`, `medium`, `high`), or null if never assessed.
    pub current_level: Option<String>,
    /// Newest first.
    pub assessments: Vec<AssessmentOut>,
    pub incidents: Vec<IncidentOut>,
    /// Why the next assessment falls due: first assessment, the interval, or a new incident.
    pub reassessment_reason: String,
    pub reassessment_due: String,
    pub reassessment_overdue: bool,
    pub callouts_12_months: i64,
    /// 3 or more police call-outs in 12 months.
    pub escalated: bool,
    /// MARAC criteria the record shows and no referral has answered yet.
    pub marac_proposed: Vec<String>,
    pub marac_referrals: Vec<ReferralLineOut>,
    /// Instruments that apply to this person, for a new assessment.
    pub instruments: Vec<InstrumentOut>,
}

impl From<&risk::AssessmentView> for AssessmentOut {
    fn from(a: &risk::AssessmentView) -> Self {
        AssessmentOut {
            id: a.id,
            case_id: a.case_id,
            instrument_key: a.instrument_key.clone(),
            instrument_version: a.instrument_version,
            instrument_title: a.instrument_title.clone(),
            score: a.score,
            yes_count: a.yes_count,
            score_level: a.score_level.code().into(),
            level: a.level.code().into(),
            judgement_reason: a.judgement_reason.clone(),
            police_callouts: a.police_callouts,
            escalated: a.escalated,
            assessed_at: rfc3339(a.assessed_at),
            assessed_by: a.assessed_by.clone(),
            answers: a
                .answers
                .iter()
                .map(|(n, q, ans)| AnswerOut {
                    number: *n,
                    question: q.clone(),
                    answer: ans.clone(),
                })
                .collect(),
        }
    }
}

impl From<&risk::IncidentView> for IncidentOut {
    fn from(i: &risk::IncidentView) -> Self {
        IncidentOut {
            id: i.id,
            occurred_on: iso(i.occurred_on),
            police_called: i.police_called,
            summary: i.summary.clone(),
            recorded_at: rfc3339(i.recorded_at),
            recorded_by: i.recorded_by.clone(),
        }
    }
}

impl From<risk::RiskView> for RiskOut {
    fn from(v: risk::RiskView) -> Self {
        RiskOut {
            current_level: v.assessments.first().map(|a| a.level.code().into()),
            assessments: v.assessments.iter().map(Into::into).collect(),
            incidents: v.incidents.iter().map(Into::into).collect(),
            reassessment_reason: v.reassessment_reason.into(),
            reassessment_due: iso(v.reassessment_due),
            reassessment_overdue: v.reassessment_overdue,
            callouts_12_months: v.callouts_12_months,
            escalated: v.escalated,
            marac_proposed: v.marac_proposed.iter().map(|c| c.code().into()).collect(),
            marac_referrals: v.marac_referrals.iter().map(Into::into).collect(),
            instruments: v.instruments.iter().map(Into::into).collect(),
            person_id: v.person_id,
            person_name: v.person_name,
        }
    }
}

/// Get a person's risk assessments, incidents and what falls due. Refused behind the firewall.
#[utoipa::path(get, path = "/api/v1/people/{id}/risk", tag = "risk", params(("id" = Uuid, Path)),
    responses((status = 200, body = RiskOut), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn view(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
) -> Result<Json<RiskOut>, ApiError> {
    Ok(Json(risk::view(&state.app, &who.actor(), id).await?.into()))
}

/// A new assessment. Send every question's answer; the checklist is refused unless the worker
/// confirmed it was safe to talk.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct AssessmentIn {
    /// The instrument key, e.g. `adult-risk`; its version in use is applied.
    pub instrument: String,
    /// Answers by question id, each one of the question's `allowed` codes.
    pub answers: BTreeMap<String, String>,
    pub safe_to_talk: bool,
    /// Empty, or a level (`medium`, `high`) set on professional judgement. It can raise the
    /// level, never lower it.
    pub judgement_level: String,
    /// Required with a judgement level.
    pub judgement_reason: String,
    /// Police call-outs to the home in the last 12 months, if known.
    pub police_callouts: Option<i64>,
    /// What the worker describes alongside the answers ("what and how"). Sensitive.
    pub notes: String,
    /// Required when the new level is lower than the person's current one: why.
    pub lowered_reason: String,
    /// A unique string of 16 to 100 characters per submission: sending the same one twice stores one assessment.
    pub submission_key: String,
}

#[derive(Serialize, ToSchema)]
pub struct AssessedOut {
    pub id: Uuid,
    pub level: String,
    /// Whether the person's level changed.
    pub changed: bool,
    /// MARAC criteria now met: the client should offer a referral.
    pub marac_proposed: Vec<String>,
}

/// Record a risk assessment. Errors name the field (`q_<question id>` for an answer).
#[utoipa::path(post, path = "/api/v1/people/{id}/risk", tag = "risk", params(("id" = Uuid, Path)), request_body = AssessmentIn,
    responses((status = 200, body = AssessedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn assess(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
    Body(input): Body<AssessmentIn>,
) -> Result<Json<AssessedOut>, ApiError> {
    let key = input.instrument.clone();
    let form = AssessmentForm::from(input);
    let done = risk::assess(&state.app, &who.actor(), id, &key, &form).await?;
    Ok(Json(AssessedOut {
        id: done.id,
        level: done.level.code().into(),
        changed: done.changed,
        marac_proposed: done
            .marac_proposed
            .iter()
            .map(|c| c.code().into())
            .collect(),
    }))
}

impl From<AssessmentIn> for AssessmentForm {
    fn from(input: AssessmentIn) -> Self {
        AssessmentForm {
            answers: input.answers,
            safe_to_talk: if input.safe_to_talk { "yes" } else { "" }.into(),
            judgement_level: input.judgement_level,
            judgement_reason: input.judgement_reason,
            police_callouts: input
                .police_callouts
                .map(|n| n.to_string())
                .unwrap_or_default(),
            notes: input.notes,
            lowered_reason: input.lowered_reason,
            submission_key: input.submission_key,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct IncidentIn {
    /// `2026-11-20` or `20/11/2026`; not in the future.
    pub occurred_on: String,
    /// Whether the police were called out; required, `true` or `false`.
    pub police_called: Option<bool>,
    pub summary: String,
    /// A unique string of 16 to 100 characters per submission: sending the same one twice stores one incident.
    pub submission_key: String,
}

/// Record an incident since referral. A reassessment falls due at once.
#[utoipa::path(post, path = "/api/v1/people/{id}/incidents", tag = "risk", params(("id" = Uuid, Path)), request_body = IncidentIn,
    responses((status = 200, body = CreatedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn add_incident(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(person_id): ApiPathId<PersonId>,
    Body(input): Body<IncidentIn>,
) -> Result<Json<CreatedOut>, ApiError> {
    let form = IncidentForm {
        occurred_on: input.occurred_on,
        police_called: match input.police_called {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        }
        .into(),
        summary: input.summary,
        submission_key: input.submission_key,
    };
    let id = risk::record_incident(&state.app, &who.actor(), person_id, &form).await?;
    Ok(Json(CreatedOut { id }))
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct PlanActionIo {
    pub what: String,
    pub who: String,
    /// ISO date (or `dd/mm/yyyy` when sending), or empty.
    pub by: String,
}

/// A safety plan's content. Location-class data: the firewall applies in full.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct PlanIo {
    /// `adult` or `child`.
    pub template: String,
    pub strengths: String,
    pub safe_people: String,
    pub safe_word: String,
    pub documents: String,
    pub escape_plan: String,
    pub work_plan: String,
    pub school_plan: String,
    pub technology: String,
    pub actions: Vec<PlanActionIo>,
    /// After today and within a year.
    pub review_on: String,
}

impl From<&SafetyPlan> for PlanIo {
    fn from(p: &SafetyPlan) -> Self {
        Self {
            template: p.template.code().into(),
            strengths: p.strengths.clone(),
            safe_people: p.safe_people.clone(),
            safe_word: p.safe_word.clone(),
            documents: p.documents.clone(),
            escape_plan: p.escape_plan.clone(),
            work_plan: p.work_plan.clone(),
            school_plan: p.school_plan.clone(),
            technology: p.technology.clone(),
            actions: p
                .actions
                .iter()
                .map(|a| PlanActionIo {
                    what: a.what.clone(),
                    who: a.who.clone(),
                    by: a.by.map(iso).unwrap_or_default(),
                })
                .collect(),
            review_on: iso(p.review_on),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PlanVersionOut {
    pub version: i64,
    pub recorded_at: String,
    pub recorded_by: String,
    pub plan: PlanIo,
}

#[derive(Serialize, ToSchema)]
pub struct SafetyPlanOut {
    pub person_id: Uuid,
    pub person_name: String,
    /// The template a new plan starts from.
    pub template: String,
    /// Send as `based_on` when saving (0 if there is no plan yet).
    pub version: i64,
    pub review_overdue: bool,
    /// Newest first.
    pub versions: Vec<PlanVersionOut>,
}

/// A person's safety plan, every version.
#[utoipa::path(get, path = "/api/v1/people/{id}/safety-plan", tag = "risk", params(("id" = Uuid, Path)),
    responses((status = 200, body = SafetyPlanOut), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn safety_plan(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
) -> Result<Json<SafetyPlanOut>, ApiError> {
    let v = safety_plans::view(&state.app, &who.actor(), id).await?;
    Ok(Json(SafetyPlanOut {
        person_id: v.person_id,
        person_name: v.person_name.clone(),
        template: v.template.code().into(),
        version: v.version(),
        review_overdue: v.review_overdue,
        versions: v
            .versions
            .iter()
            .map(|p| PlanVersionOut {
                version: p.version,
                recorded_at: rfc3339(p.recorded_at),
                recorded_by: p.recorded_by.clone(),
                plan: (&p.plan).into(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct SafetyPlanIn {
    /// The version this is based on; a stale one is refused with 409.
    pub based_on: i64,
    pub plan: PlanIo,
}

#[derive(Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
}

/// Save a new version of a person's safety plan; earlier versions are kept.
#[utoipa::path(put, path = "/api/v1/people/{id}/safety-plan", tag = "risk", params(("id" = Uuid, Path)), request_body = SafetyPlanIn,
    responses((status = 200, body = VersionOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn save_safety_plan(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
    Body(input): Body<SafetyPlanIn>,
) -> Result<Json<VersionOut>, ApiError> {
    let p = input.plan;
    let form = SafetyPlanForm {
        template: p.template,
        strengths: p.strengths,
        safe_people: p.safe_people,
        safe_word: p.safe_word,
        documents: p.documents,
        escape_plan: p.escape_plan,
        work_plan: p.work_plan,
        school_plan: p.school_plan,
        technology: p.technology,
        action_what: p.actions.iter().map(|a| a.what.clone()).collect(),
        action_who: p.actions.iter().map(|a| a.who.clone()).collect(),
        action_by: p.actions.iter().map(|a| a.by.clone()).collect(),
        review_on: p.review_on,
    };
    let version = safety_plans::save(&state.app, &who.actor(), id, &form, input.based_on).await?;
    Ok(Json(VersionOut { version }))
}

#[derive(Serialize, ToSchema)]
pub struct InstrumentVersionOut {
    pub key: String,
    pub version: i64,
    pub kind: String,
    pub title: String,
    /// The file it was loaded from.
    pub source: String,
    pub loaded_at: String,
    /// The version new assessments use.
    pub current: bool,
}

/// Every version of every instrument.
#[utoipa::path(get, path = "/api/v1/instruments", tag = "instruments",
    responses((status = 200, body = [InstrumentVersionOut]), (status = 403, body = ApiErrorBody)))]
pub async fn instrument_list(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<InstrumentVersionOut>>, ApiError> {
    let actor = who.actor();
    Ok(Json(
        instruments::list(&state.app, By::User(&actor))
            .await?
            .into_iter()
            .map(|l| InstrumentVersionOut {
                key: l.key,
                version: l.version,
                kind: l.kind,
                title: l.title,
                source: l.source,
                loaded_at: rfc3339(l.loaded_at),
                current: l.current,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct InstrumentIn {
    /// The file name, kept as where the definition came from and named in errors.
    pub file: String,
    /// The TOML definition.
    pub definition: String,
}

/// Load a new version of an instrument. A bad definition is refused (422) with the file, line
/// and problem; the version in use stays.
#[utoipa::path(post, path = "/api/v1/instruments", tag = "instruments", request_body = InstrumentIn,
    responses((status = 200, body = InstrumentOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn instrument_load(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(input): Body<InstrumentIn>,
) -> Result<Json<InstrumentOut>, ApiError> {
    let actor = who.actor();
    let def =
        instruments::load(&state.app, By::User(&actor), &input.file, &input.definition).await?;
    Ok(Json((&def).into()))
}

/// Something that falls due.
#[derive(Serialize, ToSchema)]
pub struct DueOut {
    /// `first_contact`, `risk_assessment`, `safety_plan_review` or `marac_action`.
    pub kind: String,
    pub case_id: Uuid,
    pub case_reference: String,
    pub person_id: Option<Uuid>,
    pub person_name: Option<String>,
    pub what: String,
    pub due_on: String,
    pub overdue: bool,
    /// The page where it is done.
    pub link: String,
    /// The ids of the workers allocated to the case.
    pub worker_ids: Vec<Uuid>,
    /// A MARAC action another agency holds, to follow up rather than do.
    pub other_agency: bool,
}

impl From<&DueItem> for DueOut {
    fn from(i: &DueItem) -> Self {
        Self {
            kind: i.kind.code().into(),
            case_id: i.case_id,
            case_reference: i.case_reference.clone(),
            person_id: i.person_id,
            person_name: i.person_name.clone(),
            what: i.what.clone(),
            due_on: iso(i.due_on),
            overdue: i.overdue,
            link: i.link.clone(),
            worker_ids: i.workers.iter().map(|(id, _)| *id).collect(),
            other_agency: i.other_agency,
        }
    }
}

/// What is overdue or due in the next 14 days on the caller's own cases, overdue first.
#[utoipa::path(get, path = "/api/v1/due", tag = "due",
    responses((status = 200, body = [DueOut])))]
pub async fn due_mine(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<DueOut>>, ApiError> {
    let items = due::mine(&state.app, &who.actor()).await?;
    Ok(Json(items.iter().map(Into::into).collect()))
}

/// The same list across the caller's team (managers), or the whole service, 50 to a page: the
/// service's own items, the most pressing case first, then other agencies' MARAC actions
/// (`other_agency`) in the same order.
#[utoipa::path(get, path = "/api/v1/due/team", tag = "due", params(PageQuery),
    responses((status = 200, body = [DueOut], headers(("X-Total-Count" = u64, description = "How many items the list holds across every page"))), (status = 403, body = ApiErrorBody)))]
pub async fn due_team(
    State(state): State<AppState>,
    Caller(who): Caller,
    Params(q): Params<PageQuery>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let list = team_due::list(&state.app, &who.actor(), q.page(team_due::API_PAGE)).await?;
    Ok((
        total_count(list.total),
        Json(list.items.iter().map(DueOut::from).collect::<Vec<_>>()),
    ))
}
