//! `/api/v1/me` and `/api/v1/users`.

use super::{AddedUser, Body, Caller, Me, NewUserIn, TemporaryPassword, UserOut};
use crate::error::{ApiError, ApiErrorBody};
use crate::path::ApiPathId;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use hearth_app::users::{self, By, NewUserForm};
use hearth_domain::ids::UserId;

/// The account the token acts as.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401, body = ApiErrorBody)))]
pub async fn me(Caller(who): Caller) -> Json<Me> {
    Json(Me {
        user: (&who.user).into(),
        organisation: (&who.org).into(),
    })
}

/// Every staff account of the organisation.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts",
    responses((status = 200, body = Vec<UserOut>), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    let actor = who.actor();
    let list = users::list(&state.app, By::User(&actor)).await?;
    Ok(Json(list.iter().map(UserOut::from).collect()))
}

/// Add a staff account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUserIn,
    responses((status = 201, body = AddedUser), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(input): Body<NewUserIn>,
) -> Result<(StatusCode, Json<AddedUser>), ApiError> {
    let actor = who.actor();
    let form = NewUserForm {
        email: input.email,
        display_name: input.display_name,
        role: input.role,
        team_id: input.team_id.map(|t| t.to_string()).unwrap_or_default(),
        password: String::new(),
    };
    let added = users::add(&state.app, By::User(&actor), &form).await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedUser {
            user: (&added.user).into(),
            temporary_password: added.temporary_password.unwrap_or_default(),
        }),
    ))
}

/// One staff account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<UserId>,
) -> Result<Json<UserOut>, ApiError> {
    let actor = who.actor();
    Ok(Json(
        (&users::get(&state.app, By::User(&actor), id).await?).into(),
    ))
}

/// Disable an account; its sessions end at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "accounts", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<UserId>,
) -> Result<Json<UserOut>, ApiError> {
    let actor = who.actor();
    Ok(Json(
        (&users::disable(&state.app, By::User(&actor), id).await?).into(),
    ))
}

/// Give an account a new temporary password; its sessions end at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "accounts", params(("id" = Uuid, Path)),
    responses((status = 200, body = TemporaryPassword), (status = 404, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPathId(id): ApiPathId<UserId>,
) -> Result<Json<TemporaryPassword>, ApiError> {
    let actor = who.actor();
    let temporary_password = users::reset_password(&state.app, By::User(&actor), id).await?;
    Ok(Json(TemporaryPassword { temporary_password }))
}
