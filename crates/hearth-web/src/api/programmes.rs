//! Programmes over the API: the catalogue, a family's plan, enrolments and their sessions, Idva
//! offers to Engage partners, and waiting lists, through the same use cases and firewall as
//! the pages.

use super::{Body, Caller, CreatedOut};
use crate::error::{ApiError, ApiErrorBody};
use crate::path::{ApiPathId, ApiPathIds};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_app::programmes::{self as programmes, EnrolmentPage, FamilyPlan, WaitingList};
use hearth_app::users::By;
use hearth_domain::enrolment::{AttendanceForm, ChangeForm, OfferForm, ProposalForm, SessionForm};
use hearth_domain::ids::{CaseId, EnrolmentId, PersonId, SessionId};
use hearth_domain::programme::Programme;
use hearth_domain::ukdate::iso;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A programme as the service offers it.
#[derive(Serialize, ToSchema)]
pub struct ProgrammeOut {
    pub key: String,
    pub version: i64,
    pub name: String,
    /// Case roles it is for: empty for training other agencies' staff.
    pub for_roles: Vec<String>,
    pub min_age: Option<i64>,
    pub max_age: Option<i64>,
    /// `one_to_one`, `group` or `both`.
    pub delivery: String,
    pub worker_roles: Vec<String>,
    pub places: u32,
    pub topics: Vec<String>,
    pub exit_reasons: Vec<String>,
    /// `none`, `partner_offered_idva`, `young_person_and_parent` or `parent_and_child`.
    pub rule: String,
    pub retired: bool,
}

impl From<&Programme> for ProgrammeOut {
    fn from(p: &Programme) -> Self {
        use hearth_domain::programme::{Delivery, Linked};
        ProgrammeOut {
            key: p.key.clone(),
            version: p.version,
            name: p.name.clone(),
            for_roles: p.for_roles.iter().map(|r| r.code().into()).collect(),
            min_age: p.min_age,
            max_age: p.max_age,
            delivery: match p.delivery {
                Delivery::OneToOne => "one_to_one",
                Delivery::Group => "group",
                Delivery::Both => "both",
            }
            .into(),
            worker_roles: p.worker_roles.iter().map(|r| r.code().into()).collect(),
            places: p.places,
            topics: p.topics.clone(),
            exit_reasons: p.exit_reasons.clone(),
            rule: match p.linked {
                Linked::None => "none",
                Linked::PartnerOfferedIdva => "partner_offered_idva",
                Linked::YoungPersonAndParent => "young_person_and_parent",
                Linked::ParentAndChild => "parent_and_child",
            }
            .into(),
            retired: p.retired,
        }
    }
}

/// The catalogue in use (for those who manage it).
#[utoipa::path(get, path = "/api/v1/programmes", tag = "programmes",
    responses((status = 200, body = Vec<ProgrammeOut>), (status = 403, body = ApiErrorBody)))]
pub async fn catalogue(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<ProgrammeOut>>, ApiError> {
    let page = programmes::catalogue_page(&state.app, By::User(&who.actor())).await?;
    Ok(Json(
        page.current.programmes.iter().map(Into::into).collect(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct CatalogueIn {
    /// Where it came from, for the record.
    pub file: String,
    /// The catalogue file (TOML), as described in docs/programme-catalogue.md.
    pub definition: String,
}

#[derive(Serialize, ToSchema)]
pub struct CatalogueLoaded {
    pub version: i64,
}

/// Load a new version of the catalogue: refused whole, naming the line and the problem, if it
/// cannot be trusted.
#[utoipa::path(post, path = "/api/v1/programmes", tag = "programmes", request_body = CatalogueIn,
    responses((status = 201, body = CatalogueLoaded), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn load(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(input): Body<CatalogueIn>,
) -> Result<(StatusCode, Json<CatalogueLoaded>), ApiError> {
    let version = programmes::load(
        &state.app,
        By::User(&who.actor()),
        &input.file,
        &input.definition,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CatalogueLoaded { version })))
}

/// One programme's places against demand.
#[derive(Serialize, ToSchema)]
pub struct DemandOut {
    pub key: String,
    pub name: String,
    pub places: u32,
    pub active: i64,
    pub waiting: i64,
}

/// Places against who is on each programme and waiting, across the service (managers).
#[utoipa::path(get, path = "/api/v1/programmes/demand", tag = "programmes",
    responses((status = 200, body = Vec<DemandOut>), (status = 403, body = ApiErrorBody)))]
pub async fn demand(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<DemandOut>>, ApiError> {
    let all = programmes::demand(&state.app, &who.actor()).await?;
    Ok(Json(
        all.into_iter()
            .map(|d| DemandOut {
                key: d.key,
                name: d.name,
                places: d.places,
                active: d.active,
                waiting: d.waiting,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct WaitingOut {
    pub enrolment_id: Uuid,
    /// The enrolment's version, to send back when moving it on the list.
    pub version: i64,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub name: String,
    /// YYYY-MM-DD.
    pub waiting_since: String,
    pub days_waiting: i64,
    /// Present only where the caller may see the person's sensitive data.
    pub priority_reason: Option<String>,
}

/// A programme's waiting list in order, as far as the caller's cases go (managers).
#[utoipa::path(get, path = "/api/v1/programmes/{key}/waiting", tag = "programmes", params(("key" = String, Path)),
    responses((status = 200, body = Vec<WaitingOut>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn waiting(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(key): Path<String>,
) -> Result<Json<Vec<WaitingOut>>, ApiError> {
    let list: WaitingList = programmes::waiting_list(&state.app, &who.actor(), &key).await?;
    Ok(Json(
        list.people
            .into_iter()
            .map(|p| WaitingOut {
                enrolment_id: p.enrolment_id.uuid(),
                version: p.version,
                case_id: p.case_id.uuid(),
                person_id: p.person_id.uuid(),
                name: p.name,
                waiting_since: iso(p.since),
                days_waiting: p.days,
                priority_reason: p.priority_reason,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct MoveIn {
    /// `up` or `down`.
    pub direction: String,
    /// The enrolment's version, as listed.
    pub based_on: i64,
}

/// Move someone one place up or down their programme's waiting list (managers).
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/waiting", tag = "programmes", params(("id" = Uuid, Path)), request_body = MoveIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn move_waiting(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<EnrolmentId>,
    Body(input): Body<MoveIn>,
) -> Result<StatusCode, ApiError> {
    programmes::move_on_list(
        &state.app,
        &who.actor(),
        id,
        &input.direction,
        input.based_on,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct PlanEnrolmentOut {
    pub id: Uuid,
    pub programme: String,
    /// `proposed`, `waiting`, `active` or `ended`.
    pub state: String,
    pub worker: Option<String>,
    pub next_session: Option<String>,
    pub exit_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PlanPersonOut {
    pub person_id: Uuid,
    pub name: String,
    pub roles: Vec<String>,
    /// False behind the firewall: then nothing is said of their enrolments.
    pub shown: bool,
    pub enrolments: Vec<PlanEnrolmentOut>,
}

#[derive(Serialize, ToSchema)]
pub struct PlanOut {
    pub people: Vec<PlanPersonOut>,
}

impl From<FamilyPlan> for PlanOut {
    fn from(plan: FamilyPlan) -> Self {
        let columns = plan.columns;
        PlanOut {
            people: plan
                .rows
                .into_iter()
                .map(|r| PlanPersonOut {
                    person_id: r.person_id,
                    name: r.name,
                    roles: r.roles.iter().map(|x| x.code().into()).collect(),
                    shown: r.shown,
                    enrolments: r
                        .cells
                        .into_iter()
                        .zip(&columns)
                        .flat_map(|(cell, c)| {
                            cell.into_iter().map(move |e| PlanEnrolmentOut {
                                id: e.id.uuid(),
                                programme: c.key.clone(),
                                state: e.state.code().into(),
                                worker: e.worker,
                                next_session: e.next_session.map(super::dto::rfc3339),
                                exit_reason: e.exit_reason,
                            })
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The family's plan: each person in the case against the programmes.
#[utoipa::path(get, path = "/api/v1/cases/{id}/plan", tag = "programmes", params(("id" = Uuid, Path)),
    responses((status = 200, body = PlanOut), (status = 404, body = ApiErrorBody)))]
pub async fn plan(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
) -> Result<Json<PlanOut>, ApiError> {
    Ok(Json(
        programmes::family_plan(&state.app, &who.actor(), id)
            .await?
            .into(),
    ))
}

/// Propose someone (or, under a linked-support rule, several people together) for a programme.
#[utoipa::path(post, path = "/api/v1/cases/{id}/enrolments", tag = "programmes", params(("id" = Uuid, Path)),
    request_body = ProposalForm,
    responses((status = 201, body = CreatedOut), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn propose(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Body(form): Body<ProposalForm>,
) -> Result<(StatusCode, Json<CreatedOut>), ApiError> {
    let first = programmes::propose(&state.app, &who.actor(), id, &form).await?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id: first.uuid() })))
}

#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    pub id: Uuid,
    pub planned_at: String,
    /// Present only where the caller may see the person's location data.
    pub place: Option<String>,
    pub worker: String,
    /// `planned`, `attended`, `did_not_attend`, `cancelled_by_person` or `cancelled_by_service`.
    pub attendance: String,
    pub duration_minutes: Option<i64>,
    pub topics: Vec<String>,
    /// The session's version, to send back when recording it.
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PartnerOut {
    pub person_id: Uuid,
    pub name: String,
    /// The fact the Engage rule needs.
    pub offer_made: bool,
    /// The offer as recorded, only for those who may see her sensitive data.
    pub detail: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EnrolmentOut {
    pub id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub programme: String,
    pub programme_version: i64,
    pub state: String,
    pub worker: Option<String>,
    pub proposed_on: String,
    pub waiting_since: Option<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub exit_reason: Option<String>,
    pub priority_reason: Option<String>,
    /// Send it back as `based_on` when changing the enrolment.
    pub version: i64,
    pub sessions: Vec<SessionOut>,
    /// Engage only: each partner and whether she has been offered an Idva.
    pub partners: Vec<PartnerOut>,
    /// Engage only: what is missing before it can start, naming the partner.
    pub missing: Vec<String>,
}

impl From<EnrolmentPage> for EnrolmentOut {
    fn from(p: EnrolmentPage) -> Self {
        let e = p.enrolment;
        let (partners, missing) = match p.engage {
            Some(g) => (
                g.partners
                    .into_iter()
                    .map(|l| PartnerOut {
                        person_id: l.person_id.uuid(),
                        name: l.name,
                        offer_made: l.offer_made,
                        detail: l.detail,
                    })
                    .collect(),
                g.missing,
            ),
            None => (Vec::new(), Vec::new()),
        };
        EnrolmentOut {
            id: e.id.uuid(),
            case_id: e.case_id.uuid(),
            person_id: e.person_id.uuid(),
            programme: e.programme_key,
            programme_version: e.programme_version,
            state: e.state.code().into(),
            worker: e.worker_name,
            proposed_on: iso(e.proposed_on),
            waiting_since: e.waiting_since.map(iso),
            started_on: e.started_on.map(iso),
            ended_on: e.ended_on.map(iso),
            exit_reason: e.exit_reason,
            priority_reason: p.priority_reason,
            version: e.version,
            sessions: p
                .sessions
                .into_iter()
                .map(|s| SessionOut {
                    id: s.id.uuid(),
                    planned_at: super::dto::rfc3339(s.planned_at),
                    place: s.place,
                    worker: s.worker,
                    attendance: s.attendance.code().into(),
                    duration_minutes: s.duration_minutes,
                    topics: s.topics,
                    version: s.version,
                })
                .collect(),
            partners,
            missing,
        }
    }
}

/// One enrolment, with its sessions (and, for Engage, the partner rule).
#[utoipa::path(get, path = "/api/v1/enrolments/{id}", tag = "programmes", params(("id" = Uuid, Path)),
    responses((status = 200, body = EnrolmentOut), (status = 404, body = ApiErrorBody)))]
pub async fn enrolment(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<EnrolmentId>,
) -> Result<Json<EnrolmentOut>, ApiError> {
    Ok(Json(
        programmes::enrolment_page(&state.app, &who.actor(), id)
            .await?
            .into(),
    ))
}

/// Move an enrolment on: `waiting` (with `priority_reason`), `active` (with `worker_id`) or
/// `ended` (with `exit_reason`), based on the version read.
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/change", tag = "programmes", params(("id" = Uuid, Path)),
    request_body = ChangeForm,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<EnrolmentId>,
    Body(form): Body<ChangeForm>,
) -> Result<StatusCode, ApiError> {
    programmes::change_enrolment(&state.app, &who.actor(), id, &form).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Plan a session of an enrolment that has started.
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/sessions", tag = "programmes", params(("id" = Uuid, Path)),
    request_body = SessionForm,
    responses((status = 201, body = CreatedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn plan_session(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<EnrolmentId>,
    Body(form): Body<SessionForm>,
) -> Result<(StatusCode, Json<CreatedOut>), ApiError> {
    let session = programmes::plan_session(&state.app, &who.actor(), id, &form).await?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id: session.uuid() })))
}

/// Record what happened at a planned session, once.
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/sessions/{session}/attendance", tag = "programmes",
    params(("id" = Uuid, Path), ("session" = Uuid, Path)), request_body = AttendanceForm,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn record_session(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathIds(id, session): ApiPathIds<EnrolmentId, SessionId>,
    Body(form): Body<AttendanceForm>,
) -> Result<StatusCode, ApiError> {
    programmes::record_session(&state.app, &who.actor(), id, session, &form).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record an Idva offer to a partner of someone on Engage (her Idva or a manager).
#[utoipa::path(put, path = "/api/v1/cases/{id}/idva-offers/{person}", tag = "programmes",
    params(("id" = Uuid, Path), ("person" = Uuid, Path)), request_body = OfferForm,
    responses((status = 204), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn record_offer(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathIds(case_id, person): ApiPathIds<CaseId, PersonId>,
    Body(form): Body<OfferForm>,
) -> Result<StatusCode, ApiError> {
    programmes::record_offer(&state.app, &who.actor(), case_id, person, &form).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Say the news of the Engage work was passed on to the partner.
#[utoipa::path(post, path = "/api/v1/partner-news/{id}/told", tag = "programmes", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn news_told(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<Uuid>,
) -> Result<StatusCode, ApiError> {
    programmes::mark_told(&state.app, &who.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
