//! Turning use-case errors into responses: a page for people, stable JSON for the API.
//! Internal details are logged, never shown.

use crate::views::ErrorPage;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_app::AppError;
use hearth_domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// The page to show when something is not there (or not the user's to know about).
pub fn not_found() -> Response {
    ErrorPage::new(
        StatusCode::NOT_FOUND,
        "Page not found",
        "If you typed the web address, check it is correct. If you followed a link, the record may \
         not exist or may not be one you can see.",
    )
    .into_response()
}

/// What a page handler returns, so that it can use `?` on a use case: an error becomes its
/// page ([`page_error`]).
pub type PageResult = Result<Response, PageError>;

/// Why a page is not the one asked for: a use case's error on its way to becoming its page,
/// or somewhere else the user must go first (the next step of signing in).
#[derive(Debug)]
pub enum PageError {
    App(AppError),
    Elsewhere(Box<Response>),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::App(e) => page_error(e),
            PageError::Elsewhere(r) => *r,
        }
    }
}

pub fn page_error(e: AppError) -> Response {
    match e {
        AppError::NotFound => not_found(),
        AppError::Forbidden => ErrorPage::new(
            StatusCode::FORBIDDEN,
            "You do not have permission to do that",
            "Your role does not include this. If you need it for your work, ask your manager.",
        )
        .into_response(),
        AppError::Unauthenticated => axum::response::Redirect::to("/login").into_response(),
        AppError::Throttled => ErrorPage::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "Wait 15 minutes, then try again.",
        )
        .into_response(),
        AppError::Invalid(i) => ErrorPage::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "There is a problem",
            &i.to_string(),
        )
        .into_response(),
        AppError::Conflict { message, .. } => {
            ErrorPage::new(StatusCode::CONFLICT, "That cannot be done", &message).into_response()
        }
        AppError::Busy => with_retry_after(
            ErrorPage::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Hearth is very busy just now",
                "Nothing was changed. Wait a moment, then try again. If you were saving a form, go back: what you typed is still in it.",
            )
            .into_response(),
        ),
        AppError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            ErrorPage::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with Hearth",
                "Nothing was changed. Try again in a few minutes. If it keeps happening, tell your administrator.",
            )
            .into_response()
        }
    }
}

/// How long a busy server asks to be left before the next try, in seconds.
const RETRY_AFTER_SECONDS: &str = "5";

fn with_retry_after(mut r: Response) -> Response {
    r.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
    );
    r
}

/// Every API error has this shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorDetail {
    /// A stable machine-readable code: `invalid`, `not_found`, `forbidden`, `unauthenticated`,
    /// `throttled`, `conflict`, `busy` (503, with `Retry-After`) or `internal`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// For `invalid`: each field at fault and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<ApiFieldError>)]
    pub fields: Vec<FieldError>,
}

/// One field at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiFieldError {
    pub field: String,
    pub message: String,
}

pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

pub fn api_error(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
    fields: Vec<FieldError>,
) -> Response {
    (
        status,
        Json(ApiErrorBody {
            error: ApiErrorDetail {
                code,
                message: message.into(),
                fields,
            },
        }),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::Invalid(i) => api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "Some fields are not right",
                i.0,
            ),
            AppError::NotFound => {
                api_error(StatusCode::NOT_FOUND, "not_found", "Not found", vec![])
            }
            AppError::Forbidden => api_error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "You do not have permission to do that",
                vec![],
            ),
            AppError::Unauthenticated => api_error(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Send a valid API token as 'Authorization: Bearer <token>'",
                vec![],
            ),
            AppError::Throttled => api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Too many attempts",
                vec![],
            ),
            AppError::Conflict { field, message } => api_error(
                StatusCode::CONFLICT,
                "conflict",
                message.clone(),
                field
                    .map(|f| vec![FieldError::new(f, message)])
                    .unwrap_or_default(),
            ),
            AppError::Busy => with_retry_after(api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Too busy to answer in time; nothing was changed. Try again after the Retry-After seconds",
                vec![],
            )),
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                api_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong; nothing was changed",
                    vec![],
                )
            }
        }
    }
}
