//! A form sent back. When a save fails in a way the user can put right (a field is wrong, or
//! someone changed the record first), the same page comes back with what they typed and what
//! was wrong; anything else becomes its error page. Every form handler has the same shape:
//!
//! ```ignore
//! match use_case(..).await.or_again()? {
//!     Saved::Done(_) => Ok(to(&format!("/cases/{id}?done=entry"))),
//!     Saved::Again(again) => the_form(&state, &who, form, again).await,
//! }
//! ```

use crate::error::PageError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hearth_app::AppError;
use hearth_domain::validation::Invalid;

/// How a form page is shown: fresh, or again after a save that failed, with why.
#[derive(Debug, Default)]
pub struct Again {
    pub errors: Invalid,
    /// Someone else changed the record first: what to tell the user.
    pub conflict: Option<String>,
    status: Option<StatusCode>,
}

impl Again {
    /// The form as first shown: nothing wrong yet.
    pub fn fresh() -> Self {
        Self::default()
    }

    /// Shown again because these fields are wrong.
    pub fn invalid(errors: Invalid) -> Self {
        Again {
            errors,
            conflict: None,
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        }
    }

    /// Shown again because the record changed under the user.
    pub fn conflict(message: String) -> Self {
        Again {
            errors: Invalid::default(),
            conflict: Some(message),
            status: Some(StatusCode::CONFLICT),
        }
    }

    /// A conflict told as an error on one field, for forms that show no conflict banner.
    pub fn on_field(self, field: &str) -> Self {
        match self.conflict {
            Some(message) => Again {
                errors: Invalid::one(field, message),
                conflict: None,
                status: self.status,
            },
            None => self,
        }
    }

    /// Shown again with another status than the failure's own (a refusal told as a field).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or(StatusCode::OK)
    }

    pub fn is_conflict(&self) -> bool {
        self.conflict.is_some()
    }
}

/// What a save came to, as far as the page is concerned.
pub enum Saved<T> {
    Done(T),
    Again(Again),
}

pub trait OrAgain<T> {
    /// A fixable failure becomes [`Saved::Again`]; any other stays an error for its page.
    fn or_again(self) -> Result<Saved<T>, PageError>;

    /// As [`OrAgain::or_again`], and too many attempts is told on this field (429), so the
    /// user keeps the form and reads why it was not sent.
    fn or_again_unless_throttled(self, field: &str, message: &str) -> Result<Saved<T>, PageError>;
}

impl<T> OrAgain<T> for Result<T, AppError> {
    fn or_again_unless_throttled(self, field: &str, message: &str) -> Result<Saved<T>, PageError> {
        match self {
            Err(AppError::Throttled) => Ok(Saved::Again(
                Again::invalid(Invalid::one(field, message))
                    .with_status(StatusCode::TOO_MANY_REQUESTS),
            )),
            r => r.or_again(),
        }
    }

    fn or_again(self) -> Result<Saved<T>, PageError> {
        match self {
            Ok(v) => Ok(Saved::Done(v)),
            Err(AppError::Invalid(errors)) => Ok(Saved::Again(Again::invalid(errors))),
            Err(AppError::Conflict { message, .. }) => Ok(Saved::Again(Again::conflict(message))),
            Err(e) => Err(PageError::App(e)),
        }
    }
}

/// Where a save lands (303, so a reload does not send the form again).
pub fn to(path: &str) -> Response {
    Redirect::to(path).into_response()
}
