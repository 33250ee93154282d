//! Referrals and triage over the API.

use super::dto::{total_count, PageQuery};
use super::{Body, Caller, Params};
use crate::error::{ApiError, ApiErrorBody};
use crate::path::ApiPathId;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use hearth_app::referrals::{self, DecisionForm};
use hearth_domain::ids::ReferralId;
use hearth_domain::referral::{ReferralForm, Source};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct ReferralReceived {
    pub id: Uuid,
    pub reference: String,
}

#[derive(Serialize, ToSchema)]
pub struct QueueItemOut {
    pub id: Uuid,
    pub reference: String,
    pub source: String,
    pub referrer_agency: String,
    pub received_at: String,
    pub waiting_hours: i64,
    pub person: String,
    pub dash_score: Option<u8>,
}

#[derive(Serialize, ToSchema)]
pub struct MatchOut {
    pub on_referral: String,
    pub reasons: Vec<String>,
    /// Absent when the match is in a case the caller may not open.
    pub person_id: Option<Uuid>,
    pub case_ids: Vec<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct ReferralOut {
    pub id: Uuid,
    pub reference: String,
    pub source: String,
    pub status: String,
    pub case_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub matches: Vec<MatchOut>,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionOut {
    pub case_id: Option<Uuid>,
}

/// Send a referral in. The token's account needs the "send in a referral" permission
/// (external referrers have it). `submission_key` makes a repeated request create one referral.
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals",
    request_body = hearth_domain::referral::ReferralForm,
    responses((status = 201, body = ReferralReceived), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<ReferralForm>,
) -> Result<(StatusCode, Json<ReferralReceived>), ApiError> {
    let s = referrals::submit(&state.app, &who.actor(), Source::Api, &form).await?;
    Ok((
        StatusCode::CREATED,
        Json(ReferralReceived {
            id: s.id.uuid(),
            reference: s.reference,
        }),
    ))
}

/// The triage queue: new referrals, oldest first, 50 to a page.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", params(PageQuery),
    responses((status = 200, body = Vec<QueueItemOut>, headers(("X-Total-Count" = u64, description = "How many referrals wait across every page"))), (status = 403, body = ApiErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    Caller(who): Caller,
    Params(q): Params<PageQuery>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let queue = referrals::queue(&state.app, &who.actor(), q.page(referrals::QUEUE_PAGE)).await?;
    let total = total_count(queue.total);
    let items: Vec<QueueItemOut> = queue
        .items
        .iter()
        .map(|i| QueueItemOut {
            id: i.id.uuid(),
            reference: i.reference.clone(),
            source: i.source.code().into(),
            referrer_agency: i.agency.clone(),
            received_at: super::dto::rfc3339(i.received_at),
            waiting_hours: i.waiting.whole_hours(),
            person: i.name.clone(),
            dash_score: i.dash_score,
        })
        .collect();
    Ok((total, Json(items)))
}

impl From<referrals::ReferralView> for ReferralOut {
    fn from(v: referrals::ReferralView) -> Self {
        ReferralOut {
            id: v.referral.id.uuid(),
            reference: v.referral.reference.clone(),
            source: v.referral.source.code().into(),
            status: v.referral.status.clone(),
            case_id: v.referral.case_id.map(|c| c.uuid()),
            details: serde_json::to_value(&v.details).unwrap_or_default(),
            matches: v
                .matches
                .iter()
                .map(|m| MatchOut {
                    on_referral: m.on_referral.clone(),
                    reasons: m.reasons.iter().map(|r| r.to_string()).collect(),
                    person_id: m.seen.as_ref().map(|s| s.person_id),
                    case_ids: m
                        .seen
                        .as_ref()
                        .map(|s| s.cases.iter().map(|c| c.0).collect())
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// One referral, with possible matches at the level the caller may see.
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", params(("id" = Uuid, Path)),
    responses((status = 200, body = ReferralOut), (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<ReferralId>,
) -> Result<Json<ReferralOut>, ApiError> {
    let v = referrals::view(&state.app, &who.actor(), id).await?;
    Ok(Json(v.into()))
}

/// Accept (`team_id`, or `case_id` to add to an existing case and re-open it, with `person_id` for
/// a matched person), signpost (`signposted_to`) or decline (`reason`, `note`).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/decision", tag = "referrals", params(("id" = Uuid, Path)),
    request_body = hearth_app::referrals::DecisionForm,
    responses((status = 200, body = DecisionOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<ReferralId>,
    Body(form): Body<DecisionForm>,
) -> Result<Json<DecisionOut>, ApiError> {
    let landing = referrals::decide(&state.app, &who.actor(), id, &form).await?;
    let case_id = landing.case().map(|c| c.uuid());
    Ok(Json(DecisionOut { case_id }))
}
