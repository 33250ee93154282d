//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/openapi.json`.
//! Callers authenticate with a bearer token (`hearth token create`); cookies are ignored here,
//! so a web page elsewhere cannot make a signed-in browser call the API.

mod casework;
mod dto;
mod marac;
mod records;
mod referrals;
mod risk;
mod users;

use crate::error::{api_error, ApiError, ApiErrorBody, ApiErrorDetail, ApiFieldError};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hearth_app::auth::{self, SignedIn};
use hearth_app::AppError;
use hearth_domain::FieldError;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use dto::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/v1/me", get(users::me))
        .route("/v1/users", get(users::list).post(users::add))
        .route("/v1/users/{id}", get(users::get))
        .route("/v1/users/{id}/disable", post(users::disable))
        .route("/v1/users/{id}/reset-password", post(users::reset_password))
        .route("/v1/audit", get(records::audit))
        .route("/v1/caseload", get(records::caseload))
        .route("/v1/search", get(records::search))
        .route(
            "/v1/break-glass",
            get(casework::break_glass_log).post(records::break_glass),
        )
        .route("/v1/caseloads", get(casework::caseloads))
        .route("/v1/cases", get(records::cases))
        .route("/v1/cases/{id}", get(records::case))
        .route("/v1/cases/{id}/history", get(records::case_history))
        .route(
            "/v1/cases/{id}/timeline",
            get(casework::timeline).post(casework::add_entry),
        )
        .route(
            "/v1/cases/{id}/timeline/{entry}/corrections",
            post(casework::correct),
        )
        .route(
            "/v1/cases/{id}/timeline/{entry}/withdraw",
            post(casework::withdraw),
        )
        .route("/v1/cases/{id}/allocations", post(casework::allocate))
        .route(
            "/v1/cases/{id}/allocations/end",
            post(casework::end_allocation),
        )
        .route("/v1/cases/{id}/members", post(casework::add_member))
        .route(
            "/v1/cases/{id}/involvements/close",
            post(casework::close_involvement),
        )
        .route(
            "/v1/cases/{id}/agencies",
            get(casework::agencies).post(casework::add_agency),
        )
        .route(
            "/v1/cases/{id}/relationships",
            post(casework::add_relationship),
        )
        .route("/v1/cases/{id}/close", post(casework::close))
        .route(
            "/v1/referrals",
            get(referrals::queue).post(referrals::submit),
        )
        .route("/v1/referrals/{id}", get(referrals::get))
        .route("/v1/referrals/{id}/decision", post(referrals::decide))
        .route("/v1/people/{id}", get(records::person))
        .route(
            "/v1/people/{id}/details",
            get(casework::person_details).put(casework::save_person_details),
        )
        .route(
            "/v1/people/{id}/contact",
            get(casework::contact).put(casework::save_contact),
        )
        .route("/v1/people/{id}/history", get(records::person_history))
        .route("/v1/people/{id}/risk", get(risk::view).post(risk::assess))
        .route("/v1/people/{id}/incidents", post(risk::add_incident))
        .route(
            "/v1/people/{id}/safety-plan",
            get(risk::safety_plan).put(risk::save_safety_plan),
        )
        .route(
            "/v1/people/{id}/marac",
            get(marac::proposal).post(marac::refer),
        )
        .route(
            "/v1/instruments",
            get(risk::instrument_list).post(risk::instrument_load),
        )
        .route("/v1/due", get(risk::due_mine))
        .route("/v1/due/team", get(risk::due_team))
        .route("/v1/marac", get(marac::overview))
        .route("/v1/marac/meetings", post(marac::create_meeting))
        .route("/v1/marac/meetings/{id}", get(marac::meeting))
        .route("/v1/marac/meetings/{id}/agenda", post(marac::list_case))
        .route(
            "/v1/marac/meetings/{id}/attendance",
            axum::routing::put(marac::set_attendance),
        )
        .route("/v1/marac/referrals/{id}", get(marac::referral))
        .route("/v1/marac/referrals/{id}/actions", post(marac::add_action))
        .route(
            "/v1/marac/actions/{id}/status",
            post(marac::set_action_status),
        )
        .fallback(|| async {
            api_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "No such API endpoint",
                vec![],
            )
        })
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
    paths(
        users::me, users::list, users::add, users::get, users::disable, users::reset_password,
        records::audit, records::caseload, records::cases, records::case, records::case_history,
        records::person, records::person_history,
        casework::contact, casework::save_contact, casework::timeline, casework::add_entry, casework::correct,
        casework::withdraw, casework::end_allocation, casework::caseloads, casework::break_glass_log, casework::close_involvement, casework::agencies, casework::add_agency, casework::add_member, casework::add_relationship, casework::person_details, casework::save_person_details, records::search, records::break_glass, casework::allocate, casework::close, referrals::submit, referrals::queue, referrals::get, referrals::decide,
        risk::view, risk::assess, risk::add_incident, risk::safety_plan, risk::save_safety_plan,
        risk::instrument_list, risk::instrument_load, risk::due_mine, risk::due_team,
        marac::proposal, marac::refer, marac::referral, marac::overview, marac::create_meeting,
        marac::meeting, marac::list_case, marac::set_attendance, marac::add_action, marac::set_action_status
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
    modifiers(&BearerAuth, &ErrorResponses),
    security(("bearer" = []))
)]
pub struct ApiDoc;

async fn openapi() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError(AppError::Internal(e.to_string())).into_response(),
    }
}
