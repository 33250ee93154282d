//! Cases, people and the audit trail over the API.

use super::{AuditEntryOut, Caller, CaseOut, CaseSummaryOut, PersonOut};
use crate::api::dto::{total_count, PageQuery};
use crate::api::Params;
use crate::error::{ApiError, ApiErrorBody};
use crate::path::ApiPathId;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use hearth_app::records::{self, Record};
use hearth_app::users::By;
use hearth_app::AppError;
use hearth_domain::ids::{CaseId, PersonId};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

fn summaries(list: hearth_app::records::CaseList) -> Vec<CaseSummaryOut> {
    list.paired()
        .iter()
        .map(|(c, s)| CaseSummaryOut::from(c).with_first_contact(s.first_contact.as_ref()))
        .collect()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries older than this sequence number (for paging).
    before: Option<i64>,
    /// Only this staff member's actions.
    actor: Option<Uuid>,
    /// At most this many (1 to 500; default 100).
    limit: Option<i64>,
}

/// The organisation's audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntryOut>), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    Caller(who): Caller,
    Params(q): Params<AuditQuery>,
) -> Result<Json<Vec<AuditEntryOut>>, ApiError> {
    if q.limit.is_some_and(|l| !(1..=500).contains(&l)) {
        return Err(AppError::invalid("limit", "Give a limit from 1 to 500").into());
    }
    let actor = who.actor();
    let lines = records::service_audit(
        &state.app,
        By::User(&actor),
        q.actor,
        q.before,
        q.limit.unwrap_or(100),
    )
    .await?;
    Ok(Json(lines.iter().map(AuditEntryOut::from).collect()))
}

/// The open cases allocated to the caller, newest first, 50 to a page.
#[utoipa::path(get, path = "/api/v1/caseload", tag = "cases", params(PageQuery),
    responses((status = 200, body = Vec<CaseSummaryOut>, headers(("X-Total-Count" = u64, description = "How many open cases are allocated to the caller, across every page")))))]
pub async fn caseload(
    State(state): State<AppState>,
    Caller(who): Caller,
    Params(q): Params<PageQuery>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let list = records::caseload(&state.app, &who.actor(), q.page(records::CASES_PAGE)).await?;
    Ok((total_count(list.total), Json(summaries(list))))
}

/// Every case the caller may open, newest first, 50 to a page.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(PageQuery),
    responses((status = 200, body = Vec<CaseSummaryOut>, headers(("X-Total-Count" = u64, description = "How many cases the caller may open, across every page")))))]
pub async fn cases(
    State(state): State<AppState>,
    Caller(who): Caller,
    Params(q): Params<PageQuery>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let page = q.page(records::CASES_PAGE);
    let list = records::cases_list(&state.app, &who.actor(), page).await?;
    Ok((total_count(list.total), Json(summaries(list))))
}

/// One case. A case the caller may not open is reported as not found.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseOut), (status = 404, body = ApiErrorBody)))]
pub async fn case(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
) -> Result<Json<CaseOut>, ApiError> {
    Ok(Json(
        (&records::view_case(&state.app, &who.actor(), id).await?).into(),
    ))
}

/// Who viewed or changed a case (managers).
#[utoipa::path(get, path = "/api/v1/cases/{id}/history", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<AuditEntryOut>), (status = 404, body = ApiErrorBody)))]
pub async fn case_history(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<CaseId>,
) -> Result<Json<Vec<AuditEntryOut>>, ApiError> {
    let lines = records::history(&state.app, &who.actor(), Record::Case(id)).await?;
    Ok(Json(lines.iter().map(AuditEntryOut::from).collect()))
}

/// One person, with the cases of theirs the caller may see.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = PersonOut), (status = 404, body = ApiErrorBody)))]
pub async fn person(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
) -> Result<Json<PersonOut>, ApiError> {
    Ok(Json(
        (&records::view_person(&state.app, &who.actor(), id).await?).into(),
    ))
}

/// Who viewed or changed a person's record (managers).
#[utoipa::path(get, path = "/api/v1/people/{id}/history", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<AuditEntryOut>), (status = 404, body = ApiErrorBody)))]
pub async fn person_history(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<PersonId>,
) -> Result<Json<Vec<AuditEntryOut>>, ApiError> {
    let lines = records::history(&state.app, &who.actor(), Record::Person(id)).await?;
    Ok(Json(lines.iter().map(AuditEntryOut::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A name, date of birth (DD/MM/YYYY), case reference, postcode or phone number.
    q: String,
    /// Which page of results, from 1 (50 to a page). The `X-Total-Count` header says how many
    /// were found in all.
    #[param(minimum = 1)]
    page: Option<u32>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FoundOut {
    pub person_id: Uuid,
    pub name: String,
    pub date_of_birth: Option<String>,
    pub case_ids: Vec<Uuid>,
    /// Each case with the person's part in it, so people with the same name can be told apart.
    pub cases: Vec<FoundCaseOut>,
    /// Their current risk level (`standard`, `medium`, `high`), where the caller may see it.
    pub risk_level: Option<String>,
    pub matched_on: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FoundCaseOut {
    pub case_id: Uuid,
    pub reference: String,
    pub status: String,
    /// `victim_survivor`, `person_causing_harm`, `child_or_young_person` or `other_adult`.
    pub role: Option<String>,
}

impl From<hearth_app::search::Found> for FoundOut {
    fn from(f: hearth_app::search::Found) -> Self {
        FoundOut {
            person_id: f.person_id,
            name: f.name,
            date_of_birth: f.date_of_birth,
            case_ids: f.cases.iter().map(|c| c.case_id).collect(),
            cases: f
                .cases
                .into_iter()
                .map(|c| FoundCaseOut {
                    case_id: c.case_id,
                    reference: c.reference,
                    status: c.status,
                    role: c.role.map(|r| r.code().into()),
                })
                .collect(),
            risk_level: f.risk.map(|r| r.code().into()),
            matched_on: f.matched_on.into(),
        }
    }
}

/// Find people and cases the caller may open, a page at a time.
#[utoipa::path(get, path = "/api/v1/search", tag = "people", params(SearchQuery),
    responses((status = 200, body = Vec<FoundOut>, headers(("X-Total-Count" = u64, description = "How many were found across every page"))), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Caller(who): Caller,
    Params(q): Params<SearchQuery>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    if hearth_app::search::Query::parse(&q.q).is_none() {
        let message = "Search by at least two letters or digits: a name, date of birth (DD/MM/YYYY), case reference, postcode or phone number";
        return Err(AppError::invalid("q", message).into());
    }
    let page = q.page.unwrap_or(1).max(1) as usize;
    let results = hearth_app::search::search(&state.app, &who.actor(), &q.q, page).await?;
    let total = [("x-total-count", results.total.to_string())];
    let found: Vec<FoundOut> = results.found.into_iter().map(Into::into).collect();
    Ok((total, Json(found)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BreakGlassIn {
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BreakGlassOut {
    pub case_id: Uuid,
}

/// Open a case one is not allocated to, in an emergency, with a reason. Audited and shown to the
/// service manager; access lasts eight hours.
#[utoipa::path(post, path = "/api/v1/break-glass", tag = "cases", request_body = BreakGlassIn,
    responses((status = 200, body = BreakGlassOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn break_glass(
    State(state): State<AppState>,
    Caller(who): Caller,
    super::Body(b): super::Body<BreakGlassIn>,
) -> Result<Json<BreakGlassOut>, ApiError> {
    let case_id =
        hearth_app::break_glass::open(&state.app, &who.actor(), &b.reference, &b.reason).await?;
    Ok(Json(BreakGlassOut {
        case_id: case_id.uuid(),
    }))
}
