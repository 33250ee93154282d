//! Contact details and the timeline over the API, through the same use cases and firewall.

use super::{Body, Caller};
use crate::api::dto::{total_count, PageNumber, PageQuery};
use crate::api::Params;
use crate::error::{ApiError, ApiErrorBody};
use crate::path::ApiPathId;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_app::casework::{self, ContactView, EntryView, TimelineFilter};
use hearth_app::AppError;
use hearth_domain::contact::{Channel, ContactDetails, ContactForm};
use hearth_domain::ids::parse_id;
use hearth_domain::ids::UserId;
use hearth_domain::ids::{CaseId, PersonId};
use hearth_domain::timeline::{EntryForm, EntryKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

fn id<T: crate::path::PathKind>(raw: &str) -> Result<T, ApiError> {
    parse_id(raw)
        .map(T::from_path)
        .ok_or(ApiError(AppError::NotFound))
}

/// One way of contact and whether it is safe.
#[derive(Serialize, ToSchema)]
pub struct ArrangementOut {
    /// `phone`, `text`, `email`, `letter` or `voicemail`.
    pub channel: String,
    /// `safe`, `not_safe` or `not_known`.
    pub safety: String,
    pub when: String,
}

#[derive(Serialize, ToSchema)]
pub struct ContactDetailsOut {
    /// Read these before using any detail below.
    pub arrangements: Vec<ArrangementOut>,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub postcode: String,
    pub confidential_address: bool,
}

impl From<&ContactDetails> for ContactDetailsOut {
    fn from(d: &ContactDetails) -> Self {
        Self {
            arrangements: Channel::ALL
                .iter()
                .map(|c| {
                    let a = d.arrangement(c);
                    ArrangementOut {
                        channel: c.code().into(),
                        safety: a.safety.code().into(),
                        when: a.when,
                    }
                })
                .collect(),
            phone: d.phone.clone(),
            email: d.email.clone(),
            address: d.address.clone(),
            postcode: d.postcode.clone(),
            confidential_address: d.confidential_address,
        }
    }
}

/// A person's contact details, as the caller may see them.
#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    /// `shown`, `none_recorded` or `withheld` (the caller may not see them).
    pub status: String,
    /// The version to send back as `based_on` when changing them (0 if none).
    pub version: i64,
    pub details: Option<ContactDetailsOut>,
}

/// New contact details. Safety fields take `safe`, `not_safe` or `not_known`.
#[derive(Deserialize, ToSchema, Default)]
pub struct ContactIn {
    /// The version these changes are based on; a stale one is refused with 409.
    #[serde(default)]
    pub based_on: i64,
    #[serde(flatten)]
    pub details: ContactForm,
}

#[derive(Serialize, ToSchema)]
pub struct Saved {
    pub id: Option<Uuid>,
    pub version: i64,
}

/// A person's contact details and safe contact arrangements.
#[utoipa::path(get, path = "/api/v1/people/{id}/contact", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = ContactOut), (status = 404, body = ApiErrorBody)))]
pub async fn contact(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
) -> Result<Json<ContactOut>, ApiError> {
    let view = casework::view_contact(&state.app, &who.actor(), id).await?;
    Ok(Json(match &view {
        ContactView::Shown {
            current, version, ..
        } => ContactOut {
            status: "shown".into(),
            version: *version,
            details: Some(current.into()),
        },
        ContactView::NoneRecorded => ContactOut {
            status: "none_recorded".into(),
            version: 0,
            details: None,
        },
        ContactView::Withheld => ContactOut {
            status: "withheld".into(),
            version: 0,
            details: None,
        },
    }))
}

/// Replace a person's contact details (a new version; earlier ones are kept).
#[utoipa::path(put, path = "/api/v1/people/{id}/contact", tag = "people", params(("id" = Uuid, Path)), request_body = ContactIn,
    responses((status = 200, body = Saved), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn save_contact(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
    Body(input): Body<ContactIn>,
) -> Result<Json<Saved>, ApiError> {
    let version =
        casework::save_contact(&state.app, &who.actor(), id, &input.details, input.based_on)
            .await?;
    Ok(Json(Saved { id: None, version }))
}

#[derive(Serialize, ToSchema)]
pub struct EntryVersionOut {
    pub version: i64,
    pub occurred_at: String,
    pub contact_method: Option<String>,
    pub contact_outcome: Option<String>,
    pub body: String,
    pub recorded_at: String,
    pub recorded_by: String,
}

#[derive(Serialize, ToSchema)]
pub struct EntryOut {
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    /// `note`, `contact` or `event`.
    pub kind: String,
    /// `ordinary` or `sensitive`.
    pub sensitivity: String,
    pub created_by: String,
    pub withdrawn: bool,
    pub withdrawn_reason: Option<String>,
    /// Newest first; the first is the current text.
    pub versions: Vec<EntryVersionOut>,
}

impl From<&EntryView> for EntryOut {
    fn from(e: &EntryView) -> Self {
        use super::dto::rfc3339;
        Self {
            id: e.id.uuid(),
            person_id: e.person_id,
            kind: e.kind.code().into(),
            sensitivity: e.sensitivity.code().into(),
            created_by: e.created_by.clone(),
            withdrawn: e.withdrawn.is_some(),
            withdrawn_reason: e.withdrawn.as_ref().map(|w| w.2.clone()),
            versions: e
                .versions
                .iter()
                .map(|v| EntryVersionOut {
                    version: v.version,
                    occurred_at: rfc3339(v.occurred_at),
                    contact_method: v.contact_method.clone(),
                    contact_outcome: v.contact_outcome.clone(),
                    body: v.body.clone(),
                    recorded_at: rfc3339(v.recorded_at),
                    recorded_by: v.recorded_by.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Only entries about this person.
    person: Option<Uuid>,
    /// Only `note`, `contact` or `event`.
    kind: Option<String>,
    /// Which page, from 1, of 50 entries. `X-Total-Count` says how many there are in all.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1_000_000)]
    page: Option<PageNumber>,
}

/// Entries to a page of the timeline through the API.
const API_ENTRIES_PER_PAGE: usize = 50;

/// A case's timeline, newest first, as the caller may see it, a page at a time.
#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", tag = "cases", params(("id" = Uuid, Path), TimelineQuery),
    responses((status = 200, body = Vec<EntryOut>, headers(("X-Total-Count" = u64, description = "How many entries the caller may see, as filtered, across every page"))),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Params(q): Params<TimelineQuery>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(EntryKind::parse(k).ok_or_else(|| {
            AppError::invalid("kind", "Choose note, contact or event, or leave kind out")
        })?),
    };
    let filter = TimelineFilter {
        person_id: q.person,
        kind,
    };
    let page = PageQuery { page: q.page }.page(API_ENTRIES_PER_PAGE);
    let entries = casework::view_timeline(&state.app, &who.actor(), id, &filter, page).await?;
    Ok((
        total_count(entries.total),
        Json(entries.items.iter().map(EntryOut::from).collect::<Vec<_>>()),
    ))
}

/// A new note, contact or event. `submission_key` makes a repeated request save once.
/// `occurred_on` is DD/MM/YYYY or YYYY-MM-DD and `occurred_time` HH:MM, UK time.
#[utoipa::path(post, path = "/api/v1/cases/{id}/timeline", tag = "cases", params(("id" = Uuid, Path)),
    request_body = hearth_domain::timeline::EntryForm,
    responses((status = 201, body = Saved), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn add_entry(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Body(form): Body<EntryForm>,
) -> Result<(StatusCode, Json<Saved>), ApiError> {
    let entry = casework::add_entry(&state.app, &who.actor(), id, &form).await?;
    Ok((
        StatusCode::CREATED,
        Json(Saved {
            id: Some(entry.uuid()),
            version: 1,
        }),
    ))
}

/// Correct an entry: a new version; earlier ones stay in its history.
#[utoipa::path(post, path = "/api/v1/cases/{id}/timeline/{entry}/corrections", tag = "cases",
    params(("id" = Uuid, Path), ("entry" = Uuid, Path)),
    request_body(content = hearth_domain::timeline::EntryForm, description = "body, occurred_on, occurred_time, contact_method, contact_outcome; kind, sensitivity and the person stay as they were"),
    responses((status = 200, body = Saved), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn correct(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((case, entry)): Path<(String, String)>,
    Body(form): Body<EntryForm>,
) -> Result<Json<Saved>, ApiError> {
    let entry: hearth_domain::ids::EntryId = id(&entry)?;
    let version =
        casework::correct_entry(&state.app, &who.actor(), id(&case)?, entry, &form).await?;
    Ok(Json(Saved {
        id: Some(entry.uuid()),
        version,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct WithdrawIn {
    #[serde(default)]
    pub reason: String,
}

/// Withdraw an entry made in error (managers). It stays in the history.
#[utoipa::path(post, path = "/api/v1/cases/{id}/timeline/{entry}/withdraw", tag = "cases",
    params(("id" = Uuid, Path), ("entry" = Uuid, Path)), request_body = WithdrawIn,
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((case, entry)): Path<(String, String)>,
    Body(input): Body<WithdrawIn>,
) -> Result<StatusCode, ApiError> {
    casework::withdraw_entry(
        &state.app,
        &who.actor(),
        id(&case)?,
        id(&entry)?,
        &input.reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct AllocationIn {
    pub worker_id: Uuid,
    /// The person in the case the worker works with; absent for the whole family.
    #[serde(default)]
    pub person_id: Option<Uuid>,
}

/// Allocate a worker to a case or to one person in it (team and service managers).
#[utoipa::path(post, path = "/api/v1/cases/{id}/allocations", tag = "cases", params(("id" = Uuid, Path)), request_body = AllocationIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn allocate(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Body(a): Body<AllocationIn>,
) -> Result<StatusCode, ApiError> {
    let person = a.person_id.map(|p| p.to_string()).unwrap_or_default();
    casework::allocate(
        &state.app,
        &who.actor(),
        id,
        &a.worker_id.to_string(),
        &person,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct CloseIn {
    /// One of `goals_met`, `risk_reduced`, `disengaged`, `moved_away`, `referred_on`, `declined_support`, `other`.
    #[serde(default)]
    pub exit_reason: String,
    #[serde(default)]
    pub note: String,
}

/// Close a case with an exit reason. Its allocations end; it stays on record for re-referral.
#[utoipa::path(post, path = "/api/v1/cases/{id}/close", tag = "cases", params(("id" = Uuid, Path)), request_body = CloseIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Body(c): Body<CloseIn>,
) -> Result<StatusCode, ApiError> {
    casework::close_case(&state.app, &who.actor(), id, &c.exit_reason, &c.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct PersonDetailsOut {
    pub version: i64,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// False when the caller may not see equality monitoring answers (they are then empty).
    pub equality_shown: bool,
    /// False behind the firewall: only the names are given, everything else is empty.
    pub details_shown: bool,
}

/// A person's details: names, other names, gender, language, and (where the caller may see it)
/// equality monitoring.
#[utoipa::path(get, path = "/api/v1/people/{id}/details", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = PersonDetailsOut), (status = 404, body = ApiErrorBody)))]
pub async fn person_details(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
) -> Result<Json<PersonDetailsOut>, ApiError> {
    let v = casework::person_details(&state.app, &who.actor(), id).await?;
    Ok(Json(PersonDetailsOut {
        version: v.version,
        details: serde_json::to_value(&v.details).unwrap_or_default(),
        equality_shown: v.equality_shown,
        details_shown: v.shown,
    }))
}

/// Change a person's details; `based_on` must be the version read, or the answer is 409.
#[utoipa::path(put, path = "/api/v1/people/{id}/details", tag = "people", params(("id" = Uuid, Path)),
    request_body = hearth_domain::person::PersonForm,
    responses((status = 200, body = Saved), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn save_person_details(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
    Body(form): Body<hearth_domain::person::PersonForm>,
) -> Result<Json<Saved>, ApiError> {
    let version = casework::update_person(&state.app, &who.actor(), id, &form).await?;
    Ok(Json(Saved { id: None, version }))
}

/// Add someone to a case with their role in it.
#[utoipa::path(post, path = "/api/v1/cases/{id}/members", tag = "cases", params(("id" = Uuid, Path)),
    request_body = hearth_app::casework::MemberForm,
    responses((status = 201, body = Saved), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Body(f): Body<casework::MemberForm>,
) -> Result<(StatusCode, Json<Saved>), ApiError> {
    let person = casework::add_member(&state.app, &who.actor(), id, &f).await?;
    Ok((
        StatusCode::CREATED,
        Json(Saved {
            id: Some(person.uuid()),
            version: 1,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct RelationshipIn {
    pub from_person: Uuid,
    /// partner, ex_partner, parent, step_parent, grandparent, sibling, carer, lives_with, other.
    pub kind: String,
    pub to_person: Uuid,
}

/// Record how two people in the case are related.
#[utoipa::path(post, path = "/api/v1/cases/{id}/relationships", tag = "cases", params(("id" = Uuid, Path)), request_body = RelationshipIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn add_relationship(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Body(r): Body<RelationshipIn>,
) -> Result<StatusCode, ApiError> {
    casework::add_relationship(
        &state.app,
        &who.actor(),
        id,
        &r.from_person.to_string(),
        &r.kind,
        &r.to_person.to_string(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct AgencyOut {
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub agency: serde_json::Value,
}

/// Agencies and professionals on a case, as far as the caller may see them.
#[utoipa::path(get, path = "/api/v1/cases/{id}/agencies", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<AgencyOut>), (status = 404, body = ApiErrorBody)))]
pub async fn agencies(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
) -> Result<Json<Vec<AgencyOut>>, ApiError> {
    let list = casework::agencies(&state.app, &who.actor(), id).await?;
    Ok(Json(
        list.into_iter()
            .map(|a| AgencyOut {
                id: a.id,
                person_id: a.person_id,
                agency: serde_json::to_value(&a.agency).unwrap_or_default(),
            })
            .collect(),
    ))
}

/// Record an agency or professional involved with the family, with consent-to-share status.
#[utoipa::path(post, path = "/api/v1/cases/{id}/agencies", tag = "cases", params(("id" = Uuid, Path)),
    request_body = hearth_domain::family::AgencyForm,
    responses((status = 201, body = Saved), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn add_agency(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(case_id): ApiPathId<CaseId>,
    Body(f): Body<hearth_domain::family::AgencyForm>,
) -> Result<(StatusCode, Json<Saved>), ApiError> {
    let id_ = casework::add_agency(&state.app, &who.actor(), case_id, &f).await?;
    Ok((
        StatusCode::CREATED,
        Json(Saved {
            id: Some(id_),
            version: 1,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct InvolvementIn {
    pub person_id: Uuid,
    /// A code from the service's list of exit reasons.
    #[serde(default)]
    pub exit_reason: String,
}

/// Close one person's involvement in a case with an exit reason; their allocations end.
#[utoipa::path(post, path = "/api/v1/cases/{id}/involvements/close", tag = "cases", params(("id" = Uuid, Path)), request_body = InvolvementIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn close_involvement(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Body(i): Body<InvolvementIn>,
) -> Result<StatusCode, ApiError> {
    casework::close_involvement(
        &state.app,
        &who.actor(),
        id,
        &i.person_id.to_string(),
        &i.exit_reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End a worker's allocation to a case (or to one person in it, given `person_id`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/allocations/end", tag = "cases", params(("id" = Uuid, Path)), request_body = AllocationIn,
    responses((status = 204), (status = 404, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn end_allocation(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
    Body(a): Body<AllocationIn>,
) -> Result<StatusCode, ApiError> {
    casework::end_allocation(
        &state.app,
        &who.actor(),
        id,
        UserId::from_uuid(a.worker_id),
        a.person_id.map(hearth_domain::ids::PersonId::from_uuid),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct WorkerLoadOut {
    pub user_id: Uuid,
    pub name: String,
    pub role: String,
    pub open_cases: i64,
    pub capacity: i64,
}

/// Caseload sizes against capacity: a team manager's team, or everyone for the service manager.
#[utoipa::path(get, path = "/api/v1/caseloads", tag = "cases",
    responses((status = 200, body = Vec<WorkerLoadOut>), (status = 403, body = ApiErrorBody)))]
pub async fn caseloads(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<WorkerLoadOut>>, ApiError> {
    let loads = casework::team_loads(&state.app, &who.actor()).await?;
    Ok(Json(
        loads
            .into_iter()
            .map(|l| WorkerLoadOut {
                user_id: l.user_id,
                name: l.name,
                role: l.role.code().into(),
                open_cases: l.open_cases,
                capacity: l.capacity,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct BreakGlassLogOut {
    pub user_name: String,
    pub case_id: Uuid,
    pub reference: String,
    pub reason: String,
    pub granted_at: String,
    pub expires_at: String,
}

/// Every break-glass opening, newest first (service managers).
#[utoipa::path(get, path = "/api/v1/break-glass", tag = "cases",
    responses((status = 200, body = Vec<BreakGlassLogOut>), (status = 403, body = ApiErrorBody)))]
pub async fn break_glass_log(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<BreakGlassLogOut>>, ApiError> {
    use super::dto::rfc3339;
    let lines = hearth_app::break_glass::log(&state.app, &who.actor()).await?;
    Ok(Json(
        lines
            .into_iter()
            .map(|l| BreakGlassLogOut {
                user_name: l.user_name,
                case_id: l.case_id,
                reference: l.reference,
                reason: l.reason,
                granted_at: rfc3339(l.granted_at),
                expires_at: rfc3339(l.expires_at),
            })
            .collect(),
    ))
}
