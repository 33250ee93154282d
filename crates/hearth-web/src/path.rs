//! Record ids in the path. An id that does not parse names nothing, so it is answered exactly
//! as a record that does not exist (or may not be known about): the "not found" page for
//! people, the JSON 404 for the API.

use crate::error::{not_found, ApiError};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::Response;
use hearth_app::AppError;
use hearth_domain::ids::parse_id;
use uuid::Uuid;

async fn id_in<S: Send + Sync>(parts: &mut Parts, state: &S) -> Option<Uuid> {
    let Path(raw) = Path::<String>::from_request_parts(parts, state)
        .await
        .ok()?;
    parse_id(&raw)
}

/// The one id in a page's path.
pub struct PathId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        id_in(parts, state).await.map(PathId).ok_or_else(not_found)
    }
}

/// The one id in an API call's path.
pub struct ApiPathId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for ApiPathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        id_in(parts, state)
            .await
            .map(ApiPathId)
            .ok_or(ApiError(AppError::NotFound))
    }
}
