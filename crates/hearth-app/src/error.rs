//! The one error type of the use cases. The web layer maps each kind to one response,
//! in HTML for pages and JSON for the API.

use hearth_domain::access::Decision;
use hearth_domain::validation::Invalid;
use hearth_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input was wrong; each field says why.
    #[error("{0}")]
    Invalid(Invalid),
    /// No such thing, or the user may not know it exists. The two are deliberately the same.
    #[error("not found")]
    NotFound,
    /// The user may not do this.
    #[error("you do not have permission to do that")]
    Forbidden,
    /// Not signed in, or the session has ended.
    #[error("sign in to continue")]
    Unauthenticated,
    /// Too many failed attempts.
    #[error("too many attempts")]
    Throttled,
    /// The action conflicts with the current state (for example an email already in use).
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    /// Too busy to answer in time (every database connection was taken for the whole wait).
    /// Nothing was changed, and trying again shortly is the remedy: a 503, not a 500.
    #[error("too busy to answer in time")]
    Busy,
    /// Something failed that the user cannot fix. Details are logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(Invalid::one(field, message))
    }
}

/// The policy's decision as a result: hidden things are not found, as if they did not exist.
pub(crate) fn check(d: Decision) -> Result<(), AppError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(AppError::Forbidden),
        Decision::Hidden => Err(AppError::NotFound),
    }
}

impl From<hearth_domain::FieldError> for AppError {
    fn from(e: hearth_domain::FieldError) -> Self {
        AppError::Invalid(Invalid(vec![e]))
    }
}

impl From<Invalid> for AppError {
    fn from(i: Invalid) -> Self {
        AppError::Invalid(i)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Refused(d) = e {
            return match check(d) {
                Err(refused) => refused,
                Ok(()) => AppError::Internal("refused with an Allow decision".into()),
            };
        }
        if let StoreError::Database(sqlx::Error::PoolTimedOut) = e {
            tracing::warn!("no database connection came free in time; answered busy");
            return AppError::Busy;
        }
        tracing::error!(error = %e, "store error");
        AppError::Internal(e.to_string())
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(StoreError::from(e))
    }
}
