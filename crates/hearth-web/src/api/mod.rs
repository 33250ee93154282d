//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/openapi.json`.
//! Callers authenticate with a bearer token (`hearth token create`); cookies are ignored here,
//! so a web page elsewhere cannot make a signed-in browser call the API.

mod casework;
mod dto;
mod marac;
mod programmes;
mod records;
mod referrals;
mod risk;
mod users;

use crate::error::{api_error, ApiError, ApiErrorBody, ApiErrorDetail, ApiFieldError};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::{any, get};
use axum::{Json, Router};
use hearth_app::auth::{self, SignedIn};
use hearth_app::AppError;
use hearth_domain::FieldError;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use dto::*;

/// Every API route, each listed once: its handler's `#[utoipa::path]` gives both the route the
/// router serves and its operation in the OpenAPI document, so the two cannot drift apart.
/// Handlers for the same path, one per method, share a `routes!`.
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::me))
        .routes(routes!(users::list, users::add))
        .routes(routes!(users::get))
        .routes(routes!(users::disable))
        .routes(routes!(users::reset_password))
        .routes(routes!(records::audit))
        .routes(routes!(records::caseload))
        .routes(routes!(records::search))
        .routes(routes!(casework::break_glass_log, records::break_glass))
        .routes(routes!(casework::caseloads))
        .routes(routes!(records::cases))
        .routes(routes!(records::case))
        .routes(routes!(records::case_history))
        .routes(routes!(casework::timeline, casework::add_entry))
        .routes(routes!(casework::correct))
        .routes(routes!(casework::withdraw))
        .routes(routes!(casework::allocate))
        .routes(routes!(casework::end_allocation))
        .routes(routes!(casework::add_member))
        .routes(routes!(casework::close_involvement))
        .routes(routes!(casework::agencies, casework::add_agency))
        .routes(routes!(casework::add_relationship))
        .routes(routes!(casework::close))
        .routes(routes!(referrals::queue, referrals::submit))
        .routes(routes!(referrals::get))
        .routes(routes!(referrals::decide))
        .routes(routes!(records::person))
        .routes(routes!(
            casework::person_details,
            casework::save_person_details
        ))
        .routes(routes!(casework::contact, casework::save_contact))
        .routes(routes!(records::person_history))
        .routes(routes!(risk::view, risk::assess))
        .routes(routes!(risk::add_incident))
        .routes(routes!(risk::safety_plan, risk::save_safety_plan))
        .routes(routes!(marac::proposal, marac::refer))
        .routes(routes!(risk::instrument_list, risk::instrument_load))
        .routes(routes!(risk::due_mine))
        .routes(routes!(risk::due_team))
        .routes(routes!(marac::overview))
        .routes(routes!(marac::create_meeting))
        .routes(routes!(marac::meeting))
        .routes(routes!(marac::list_case))
        .routes(routes!(marac::set_attendance))
        .routes(routes!(marac::referral))
        .routes(routes!(marac::add_action))
        .routes(routes!(marac::set_action_status))
        .routes(routes!(programmes::catalogue, programmes::load))
        .routes(routes!(programmes::demand))
        .routes(routes!(programmes::waiting))
        .routes(routes!(programmes::move_waiting))
        .routes(routes!(programmes::plan))
        .routes(routes!(programmes::propose))
        .routes(routes!(programmes::enrolment))
        .routes(routes!(programmes::change))
        .routes(routes!(programmes::plan_session))
        .routes(routes!(programmes::record_session))
        .routes(routes!(programmes::record_offer))
        .routes(routes!(programmes::news_told))
}

/// The API's router and its OpenAPI document, with the error answers every operation can give.
fn split() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = documented().split_for_parts();
    ErrorResponses.modify(&mut doc);
    (router, doc)
}

/// The OpenAPI document of every route the API serves.
pub fn document() -> utoipa::openapi::OpenApi {
    split().1
}

/// The API's routes at their full paths (`/api/v1/...`), its document at `/api/openapi.json`,
/// and the JSON "not found" for any other path under `/api`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = split();
    let json: Arc<str> = match doc.to_pretty_json() {
        Ok(json) => json.into(),
        Err(e) => format!("{{\"error\": \"{e}\"}}").into(),
    };
    router
        .route(
            "/api/openapi.json",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    json.to_string(),
                )
            }),
        )
        .route("/api/{*rest}", any(no_such_endpoint))
}

async fn no_such_endpoint() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such API endpoint",
        vec![],
    )
}

/// The caller, from `Authorization: Bearer <token>`.
pub struct Caller(pub SignedIn);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError(AppError::Unauthenticated))?;
        Ok(Caller(auth::api_caller(&state.app, token).await?))
    }
}

/// A JSON body whose problems are reported in the API's error shape, not as plain text.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!(
                    "The request body is not acceptable: {}",
                    rejection.body_text()
                ),
                vec![FieldError::new("body", rejection.body_text())],
            )),
        }
    }
}

/// Query parameters, refused in the API's JSON error shape (400, naming the parameter) when
/// they cannot be read, rather than axum's plain-text rejection.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(rejection) => {
                let text = rejection.body_text();
                let detail = text
                    .split_once(": ")
                    .map(|(_, d)| d.to_string())
                    .unwrap_or_else(|| text.clone());
                // serde names the parameter as "name: problem" or "missing field `name`".
                let field = detail
                    .strip_prefix("missing field `")
                    .and_then(|r| r.split('`').next())
                    .map(str::to_string)
                    .or_else(|| detail.split_once(": ").map(|(f, _)| f.to_string()))
                    .unwrap_or_else(|| "query".to_string());
                Err(api_error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("The query parameters are not acceptable: {detail}"),
                    vec![FieldError::new(&field, detail)],
                ))
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation can answer with the error shape for these statuses; documenting them once
/// here keeps the document and the server from drifting apart route by route.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, ResponseBuilder};
        let common: &[(&str, &str)] = &[
            (
                "400",
                "A query parameter could not be read; `fields` names it",
            ),
            ("401", "No valid API token was sent"),
            ("403", "The token's account may not do this"),
            (
                "404",
                "No such record, or one the caller may not know exists",
            ),
            (
                "422",
                "The input is not acceptable; `fields` names each field and why",
            ),
        ];
        let with_body: &[(&str, &str)] = &[
            ("408", "The request body did not arrive in time"),
            ("409", "Conflicts with the current state, or a submission key used for a different request"),
            ("413", "The request body is larger than 2 MB"),
        ];
        let error = || {
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ApiErrorBody")))
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
            ];
            for (op, has_body) in operations {
                let Some(op) = op else { continue };
                let extra = if has_body { with_body } else { &[] };
                for (status, description) in common.iter().chain(extra) {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(*description)
                                    .content("application/json", error())
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth API",
        description = "Case management for a holistic domestic abuse service. Every call is checked \
                       by the same access policy as the web pages and every read of personal data is audited. \
                       Errors always have the shape {\"error\": {\"code\", \"message\", \"fields\"}}."
    ),
    components(schemas(
        ApiErrorBody, ApiErrorDetail, ApiFieldError, Me, OrganisationOut, UserOut, NewUserIn, AddedUser,
        TemporaryPassword, AuditEntryOut, CaseSummaryOut, CaseOut, MemberOut, AllocationOut, PersonOut, PersonCaseOut,
        casework::ArrangementOut, casework::ContactDetailsOut, casework::ContactOut, casework::ContactIn, casework::Saved,
        casework::EntryOut, casework::EntryVersionOut, casework::WithdrawIn, casework::AllocationIn, casework::CloseIn, referrals::ReferralReceived, records::FoundOut, records::FoundCaseOut,
        referrals::QueueItemOut, referrals::MatchOut, referrals::ReferralOut, referrals::DecisionOut,
        risk::AnswerOptionOut, risk::QuestionOut, risk::BandOut, risk::InstrumentOut, risk::AnswerOut,
        risk::AssessmentOut, risk::IncidentOut, risk::RiskOut, risk::AssessmentIn, risk::AssessedOut,
        risk::IncidentIn, CreatedOut, risk::PlanActionIo, risk::PlanIo, risk::PlanVersionOut,
        risk::SafetyPlanOut, risk::SafetyPlanIn, risk::VersionOut, risk::InstrumentVersionOut,
        risk::InstrumentIn, risk::DueOut,
        marac::ReferralLineOut, marac::ChildIo, marac::DetailsIo, marac::MaracReferralIn, marac::ProposalOut,
        marac::ActionOut, marac::MaracReferralOut, marac::MeetingLineOut, marac::SourceCountOut,
        marac::DashboardOut, marac::HeardAtOut, marac::OverviewOut, marac::MeetingIn, marac::AgendaItemOut,
        marac::AttendanceOut, marac::MeetingOut, marac::AgendaIn, marac::DoneOut, marac::AttendanceIn,
        marac::ActionIn, marac::ActionStatusIn
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;
