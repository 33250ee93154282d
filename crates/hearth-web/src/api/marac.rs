//! MARAC over the API: proposals pre-filled from the case, referrals, meetings with their
//! agenda and attendance, actions, and the dashboard. Dates are ISO (`2026-11-23`).

use super::CreatedOut;
use super::{Body, Caller};
use crate::error::{ApiError, ApiErrorBody};
use crate::path::ApiPathId;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use hearth_app::marac::{self, ActionView, MeetingLine, ReferralLine};
use hearth_domain::ids::PersonId;
use hearth_domain::ids::{MaracActionId, MaracReferralId, MeetingId};
use hearth_domain::marac::{
    source_label, ActionForm, ChildLine, MeetingForm, ReferralDetails, ReferralForm,
};
use hearth_domain::ukdate::iso;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A MARAC referral in a list.
#[derive(Serialize, ToSchema)]
pub struct ReferralLineOut {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_reference: String,
    pub person_id: Uuid,
    pub person_name: String,
    pub referred_on: String,
    /// `visible_high_risk`, `professional_judgement`, `potential_escalation`, `repeat`.
    pub criteria: Vec<String>,
    /// The referring agency's code, e.g. `idva`, `police`.
    pub source_agency: String,
    /// Referred within 12 months of an earlier MARAC.
    pub is_repeat: bool,
    /// The earlier MARAC dates that make it a repeat.
    pub repeat_dates: Vec<String>,
    pub meeting_id: Option<Uuid>,
    pub meeting_on: Option<String>,
    pub referred_by: String,
}

impl From<&ReferralLine> for ReferralLineOut {
    fn from(r: &ReferralLine) -> Self {
        Self {
            id: r.id,
            case_id: r.case_id,
            case_reference: r.case_reference.clone(),
            person_id: r.person_id,
            person_name: r.person_name.clone(),
            referred_on: iso(r.referred_on),
            criteria: r.criteria.iter().map(|c| c.code().into()).collect(),
            source_agency: r.source_agency.clone(),
            is_repeat: r.is_repeat,
            repeat_dates: r.repeat_dates.iter().map(|d| iso(*d)).collect(),
            meeting_id: r.meeting_id,
            meeting_on: r.meeting_on.map(iso),
            referred_by: r.referred_by.clone(),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(default)]
pub struct ChildIo {
    pub name: String,
    pub date_of_birth: String,
    pub school: String,
    pub relationship: String,
}

/// What is sent to MARAC about the family.
#[derive(Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(default)]
pub struct DetailsIo {
    pub safe_contact: String,
    pub perpetrators: String,
    pub children: Vec<ChildIo>,
    pub summary: String,
}

impl From<&ReferralDetails> for DetailsIo {
    fn from(d: &ReferralDetails) -> Self {
        Self {
            safe_contact: d.safe_contact.clone(),
            perpetrators: d.perpetrators.clone(),
            children: d
                .children
                .iter()
                .map(|c| ChildIo {
                    name: c.name.clone(),
                    date_of_birth: c.date_of_birth.clone(),
                    school: c.school.clone(),
                    relationship: c.relationship.clone(),
                })
                .collect(),
            summary: d.summary.clone(),
        }
    }
}

impl From<DetailsIo> for ReferralDetails {
    fn from(d: DetailsIo) -> Self {
        Self {
            safe_contact: d.safe_contact,
            perpetrators: d.perpetrators,
            children: d
                .children
                .into_iter()
                .map(|c| ChildLine {
                    name: c.name,
                    date_of_birth: c.date_of_birth,
                    school: c.school,
                    relationship: c.relationship,
                })
                .collect(),
            summary: d.summary,
        }
    }
}

/// A referral to send. The proposal returns one pre-filled from the case.
#[derive(Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(default)]
pub struct MaracReferralIn {
    /// Criterion codes; `repeat` is added by Hearth when it applies.
    pub criteria: Vec<String>,
    /// `yes` or `no`.
    pub victim_knows: String,
    /// `yes`, `no` or `not_asked`.
    pub victim_consented: String,
    /// The referring agency's code.
    pub source_agency: String,
    pub details: DetailsIo,
    /// A unique string of 16 to 100 characters per submission: sending the same one twice makes one referral.
    pub submission_key: String,
}

impl From<&ReferralForm> for MaracReferralIn {
    fn from(f: &ReferralForm) -> Self {
        Self {
            criteria: f.criteria.clone(),
            victim_knows: f.victim_knows.clone(),
            victim_consented: f.victim_consented.clone(),
            source_agency: f.source_agency.clone(),
            details: (&f.details).into(),
            submission_key: f.submission_key.clone(),
        }
    }
}

/// A MARAC referral proposed from what the record shows.
#[derive(Serialize, ToSchema)]
pub struct ProposalOut {
    pub person_id: Uuid,
    pub person_name: String,
    pub case_id: Uuid,
    /// Criteria the record shows (empty: a referral on professional judgement is still allowed).
    pub proposed: Vec<String>,
    /// Earlier MARAC dates within 12 months: the referral will be a repeat.
    pub repeat_dates: Vec<String>,
    /// Pre-filled from the case: check it and send it back to refer.
    pub referral: MaracReferralIn,
}

/// A MARAC referral for a victim-survivor, pre-filled from the case.
#[utoipa::path(get, path = "/api/v1/people/{id}/marac", tag = "marac", params(("id" = Uuid, Path)),
    responses((status = 200, body = ProposalOut), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn proposal(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
) -> Result<Json<ProposalOut>, ApiError> {
    let p = marac::proposal(&state.app, &who.actor(), id).await?;
    Ok(Json(ProposalOut {
        person_id: p.person_id,
        person_name: p.person_name.clone(),
        case_id: p.case_id,
        proposed: p.proposed.iter().map(|c| c.code().into()).collect(),
        repeat_dates: p.repeat_dates.iter().map(|d| iso(*d)).collect(),
        referral: (&p.form).into(),
    }))
}

/// Refer a victim-survivor to MARAC.
#[utoipa::path(post, path = "/api/v1/people/{id}/marac", tag = "marac", params(("id" = Uuid, Path)), request_body = MaracReferralIn,
    responses((status = 200, body = CreatedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn refer(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(person_id): ApiPathId<PersonId>,
    Body(input): Body<MaracReferralIn>,
) -> Result<Json<CreatedOut>, ApiError> {
    let form = ReferralForm {
        criteria: input.criteria,
        victim_knows: input.victim_knows,
        victim_consented: input.victim_consented,
        source_agency: input.source_agency,
        details: input.details.into(),
        submission_key: input.submission_key,
    };
    let id = marac::refer(&state.app, &who.actor(), person_id, &form).await?;
    Ok(Json(CreatedOut { id }))
}

#[derive(Serialize, ToSchema)]
pub struct ActionOut {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub meeting_id: Uuid,
    pub case_id: Uuid,
    pub case_reference: String,
    /// The agency that owns the action.
    pub agency: String,
    pub description: String,
    pub due_on: String,
    /// `open`, `done` or `cancelled`.
    pub status: String,
    /// Open and past its due date.
    pub overdue: bool,
}

impl From<&ActionView> for ActionOut {
    fn from(a: &ActionView) -> Self {
        Self {
            id: a.id,
            referral_id: a.referral_id,
            meeting_id: a.meeting_id,
            case_id: a.case_id,
            case_reference: a.case_reference.clone(),
            agency: a.agency.clone(),
            description: a.description.clone(),
            due_on: iso(a.due_on),
            status: a.status.code().into(),
            overdue: a.overdue,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MaracReferralOut {
    pub referral: ReferralLineOut,
    pub victim_knows: bool,
    pub victim_consented: String,
    pub details: DetailsIo,
    pub actions: Vec<ActionOut>,
}

/// A MARAC referral, for its coordinator or someone who may see the victim's location data.
#[utoipa::path(get, path = "/api/v1/marac/referrals/{id}", tag = "marac", params(("id" = Uuid, Path)),
    responses((status = 200, body = MaracReferralOut), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn referral(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<MaracReferralId>,
) -> Result<Json<MaracReferralOut>, ApiError> {
    let v = marac::view_referral(&state.app, &who.actor(), id).await?;
    Ok(Json(MaracReferralOut {
        referral: (&v.line).into(),
        victim_knows: v.victim_knows,
        victim_consented: v.victim_consented.clone(),
        details: (&v.details).into(),
        actions: v.actions.iter().map(Into::into).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MeetingLineOut {
    pub id: Uuid,
    pub held_on: String,
    pub area: String,
    /// Cases on its agenda.
    pub cases: i64,
}

impl From<&MeetingLine> for MeetingLineOut {
    fn from(m: &MeetingLine) -> Self {
        Self {
            id: m.id,
            held_on: iso(m.held_on),
            area: m.area.clone(),
            cases: m.cases,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SourceCountOut {
    pub agency: String,
    pub label: String,
    pub referrals: i64,
}

/// MARAC figures for the 12 months up to today, with their definitions.
#[derive(Serialize, ToSchema)]
pub struct DashboardOut {
    /// Cases heard at meetings in the 12 months up to today (the repeat rate's denominator).
    pub heard: i64,
    /// Of those, repeats: referred within 12 months of an earlier MARAC (the numerator).
    pub repeats: i64,
    /// repeats / heard as a percentage; null when nothing was heard.
    pub repeat_rate: Option<f64>,
    /// heard × 10,000 / adult female population; null without a configured population.
    pub per_10k_women: Option<f64>,
    pub adult_female_population: Option<i64>,
    /// Cases heard, by referring agency.
    pub by_source: Vec<SourceCountOut>,
    /// Cases heard at each meeting in the 12 months.
    pub heard_per_meeting: Vec<HeardAtOut>,
}

#[derive(Serialize, ToSchema)]
pub struct HeardAtOut {
    pub held_on: String,
    pub area: String,
    pub cases: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OverviewOut {
    pub upcoming: Vec<MeetingLineOut>,
    pub past: Vec<MeetingLineOut>,
    /// Referrals not yet on a meeting's agenda.
    pub waiting: Vec<ReferralLineOut>,
    pub overdue_actions: Vec<ActionOut>,
    pub dashboard: DashboardOut,
}

/// The MARAC coordinator's view: meetings, referrals waiting, overdue actions and figures.
#[utoipa::path(get, path = "/api/v1/marac", tag = "marac",
    responses((status = 200, body = OverviewOut), (status = 403, body = ApiErrorBody)))]
pub async fn overview(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<OverviewOut>, ApiError> {
    Ok(Json(
        marac::overview(&state.app, &who.actor()).await?.into(),
    ))
}

impl From<marac::Overview> for OverviewOut {
    fn from(o: marac::Overview) -> Self {
        let d = &o.dashboard;
        let by_source = d.by_source.iter().map(|(a, n)| SourceCountOut {
            agency: a.clone(),
            label: source_label(a).into(),
            referrals: *n,
        });
        let heard_per_meeting =
            o.heard_per_meeting
                .iter()
                .map(|(held_on, area, cases)| HeardAtOut {
                    held_on: iso(*held_on),
                    area: area.clone(),
                    cases: *cases,
                });
        OverviewOut {
            upcoming: o.upcoming.iter().map(Into::into).collect(),
            past: o.past.iter().map(Into::into).collect(),
            waiting: o.waiting.iter().map(Into::into).collect(),
            overdue_actions: o.overdue_actions.iter().map(Into::into).collect(),
            dashboard: DashboardOut {
                heard: d.heard,
                repeats: d.repeats,
                repeat_rate: d.repeat_rate,
                per_10k_women: d.per_10k_women,
                adult_female_population: d.adult_female_population,
                by_source: by_source.collect(),
                heard_per_meeting: heard_per_meeting.collect(),
            },
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct MeetingIn {
    /// The meeting date.
    pub held_on: String,
    /// The area the meeting covers.
    pub area: String,
}

/// Arrange a MARAC meeting.
#[utoipa::path(post, path = "/api/v1/marac/meetings", tag = "marac", request_body = MeetingIn,
    responses((status = 200, body = CreatedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn create_meeting(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(input): Body<MeetingIn>,
) -> Result<Json<CreatedOut>, ApiError> {
    let form = MeetingForm {
        held_on: input.held_on,
        area: input.area,
    };
    let id = marac::create_meeting(&state.app, &who.actor(), &form).await?;
    Ok(Json(CreatedOut { id: id.uuid() }))
}

#[derive(Serialize, ToSchema)]
pub struct AgendaItemOut {
    pub referral: ReferralLineOut,
    pub actions: Vec<ActionOut>,
}

#[derive(Serialize, ToSchema)]
pub struct AttendanceOut {
    pub agency: String,
    /// `present` or `apologies`.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeetingOut {
    pub id: Uuid,
    pub held_on: String,
    pub area: String,
    pub agenda: Vec<AgendaItemOut>,
    pub attendance: Vec<AttendanceOut>,
    /// Referrals waiting for a meeting, that can be added to this one.
    pub waiting: Vec<ReferralLineOut>,
}

/// A meeting with its agenda, attendance and actions.
#[utoipa::path(get, path = "/api/v1/marac/meetings/{id}", tag = "marac", params(("id" = Uuid, Path)),
    responses((status = 200, body = MeetingOut), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn meeting(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<MeetingId>,
) -> Result<Json<MeetingOut>, ApiError> {
    Ok(Json(
        marac::meeting(&state.app, &who.actor(), id).await?.into(),
    ))
}

impl From<marac::MeetingView> for MeetingOut {
    fn from(m: marac::MeetingView) -> Self {
        let agenda = m.agenda.iter().map(|a| AgendaItemOut {
            referral: (&a.referral).into(),
            actions: a.actions.iter().map(Into::into).collect(),
        });
        let attendance = m.attendance.iter().map(|(agency, status)| AttendanceOut {
            agency: agency.clone(),
            status: status.clone(),
        });
        MeetingOut {
            id: m.id,
            held_on: iso(m.held_on),
            area: m.area.clone(),
            agenda: agenda.collect(),
            attendance: attendance.collect(),
            waiting: m.waiting.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct AgendaIn {
    pub referral_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct DoneOut {
    pub ok: bool,
}

/// Put a waiting referral on a meeting's agenda.
#[utoipa::path(post, path = "/api/v1/marac/meetings/{id}/agenda", tag = "marac", params(("id" = Uuid, Path)), request_body = AgendaIn,
    responses((status = 200, body = DoneOut), (status = 422, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_case(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<MeetingId>,
    Body(input): Body<AgendaIn>,
) -> Result<Json<DoneOut>, ApiError> {
    let referral = MaracReferralId::parse(&input.referral_id);
    marac::list_case(&state.app, &who.actor(), Some(id), referral).await?;
    Ok(Json(DoneOut { ok: true }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct AttendanceIn {
    /// An agency code (e.g. `police`) or name.
    pub agency: String,
    /// `present` or `apologies`.
    pub status: String,
}

/// Record whether an agency was present or sent apologies.
#[utoipa::path(put, path = "/api/v1/marac/meetings/{id}/attendance", tag = "marac", params(("id" = Uuid, Path)), request_body = AttendanceIn,
    responses((status = 200, body = DoneOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn set_attendance(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<MeetingId>,
    Body(input): Body<AttendanceIn>,
) -> Result<Json<DoneOut>, ApiError> {
    let agency = source_label(&input.agency).to_string();
    marac::set_attendance(&state.app, &who.actor(), id, &agency, &input.status).await?;
    Ok(Json(DoneOut { ok: true }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ActionIn {
    /// The agency that owns it.
    pub agency: String,
    pub description: String,
    /// Not before the meeting.
    pub due_on: String,
    /// A unique string of 16 to 100 characters per submission: sending the same one twice adds one action.
    pub submission_key: String,
}

/// Add an action for a case heard at a meeting.
#[utoipa::path(post, path = "/api/v1/marac/referrals/{id}/actions", tag = "marac", params(("id" = Uuid, Path)), request_body = ActionIn,
    responses((status = 200, body = CreatedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn add_action(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(referral_id): ApiPathId<MaracReferralId>,
    Body(input): Body<ActionIn>,
) -> Result<Json<CreatedOut>, ApiError> {
    let form = ActionForm {
        agency: input.agency,
        description: input.description,
        due_on: input.due_on,
    };
    let id = marac::add_action(
        &state.app,
        &who.actor(),
        referral_id,
        &form,
        &input.submission_key,
    )
    .await?;
    Ok(Json(CreatedOut { id: id.uuid() }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ActionStatusIn {
    /// The status the caller saw; a different current status is refused with 409.
    pub from: String,
    /// `open`, `done` or `cancelled`.
    pub to: String,
}

/// Change an action's status; every change is kept.
#[utoipa::path(post, path = "/api/v1/marac/actions/{id}/status", tag = "marac", params(("id" = Uuid, Path)), request_body = ActionStatusIn,
    responses((status = 200, body = DoneOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn set_action_status(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<MaracActionId>,
    Body(input): Body<ActionStatusIn>,
) -> Result<Json<DoneOut>, ApiError> {
    marac::set_action_status(&state.app, &who.actor(), id, &input.from, &input.to).await?;
    Ok(Json(DoneOut { ok: true }))
}
