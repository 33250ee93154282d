//! Record ids in the path. An id that does not parse names nothing, so it is answered exactly
//! as a record that does not exist (or may not be known about): the "not found" page for
//! people, the JSON 404 for the API.

use crate::error::{not_found, ApiError};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::Response;
use hearth_app::AppError;
use hearth_domain::ids::{
    parse_id, CaseId, EnrolmentId, EntryId, MaracActionId, MaracReferralId, MeetingId, OrgId,
    PersonId, ReferralId, SessionId, UserId,
};
use uuid::Uuid;

async fn id_in<S: Send + Sync>(parts: &mut Parts, state: &S) -> Option<Uuid> {
    let Path(raw) = Path::<String>::from_request_parts(parts, state)
        .await
        .ok()?;
    parse_id(&raw)
}

/// What an id in the path names: the route says so once, in its extractor's type
/// (`PathId<CaseId>`), and the handler cannot hand it on as another kind of record.
pub trait PathKind: Sized {
    fn from_path(id: Uuid) -> Self;
}

impl PathKind for Uuid {
    fn from_path(id: Uuid) -> Self {
        id
    }
}

macro_rules! path_kind {
    ($($t:ty),*) => {$(
        impl PathKind for $t {
            fn from_path(id: Uuid) -> Self {
                <$t>::from_uuid(id)
            }
        }
    )*};
}
path_kind!(
    CaseId,
    PersonId,
    UserId,
    OrgId,
    EntryId,
    MeetingId,
    MaracReferralId,
    MaracActionId,
    ReferralId,
    EnrolmentId,
    SessionId
);

/// The one id in a page's path.
pub struct PathId<T = Uuid>(pub T);

impl<S: Send + Sync, T: PathKind> FromRequestParts<S> for PathId<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        id_in(parts, state)
            .await
            .map(|id| PathId(T::from_path(id)))
            .ok_or_else(not_found)
    }
}

/// The one id in an API call's path.
pub struct ApiPathId<T = Uuid>(pub T);

impl<S: Send + Sync, T: PathKind> FromRequestParts<S> for ApiPathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        id_in(parts, state)
            .await
            .map(|id| ApiPathId(T::from_path(id)))
            .ok_or(ApiError(AppError::NotFound))
    }
}

/// Two ids in a page's path, each of its own kind (`PathIds<CaseId, EntryId>`): either not
/// parsing names nothing, so the page is "not found".
pub struct PathIds<A, B>(pub A, pub B);

impl<S: Send + Sync, A: PathKind, B: PathKind> FromRequestParts<S> for PathIds<A, B> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Ok(Path((a, b))) = Path::<(String, String)>::from_request_parts(parts, state).await
        else {
            return Err(not_found());
        };
        match (parse_id(&a), parse_id(&b)) {
            (Some(a), Some(b)) => Ok(PathIds(A::from_path(a), B::from_path(b))),
            _ => Err(not_found()),
        }
    }
}

/// Two ids in an API call's path, each of its own kind.
pub struct ApiPathIds<A, B>(pub A, pub B);

impl<S: Send + Sync, A: PathKind, B: PathKind> FromRequestParts<S> for ApiPathIds<A, B> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        PathIds::<A, B>::from_request_parts(parts, state)
            .await
            .map(|PathIds(a, b)| ApiPathIds(a, b))
            .map_err(|_| ApiError(AppError::NotFound))
    }
}
