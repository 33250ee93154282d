//! Submission keys: the token a form or API call carries so that sending it twice saves once.
//!
//! A key names one request. It is claimed for the actor, the kind of record and its target, with
//! a fingerprint of what was sent: the same request again gets the first answer, and the same
//! key on a different request is refused, as idempotency keys work in payment APIs.

use crate::validation::FieldError;

/// A key as sent: 16 to 100 printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionKey(String);

impl SubmissionKey {
    pub const FIELD: &'static str = "submission_key";

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let key = raw.trim();
        let len = key.chars().count();
        if !(16..=100).contains(&len) || key.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(FieldError::new(
                Self::FIELD,
                "The form is incomplete: reload the page and try again",
            ));
        }
        Ok(Self(key.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of record a key creates; part of its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionKind {
    Referral,
    TimelineEntry,
    RiskAssessment,
    Incident,
    MaracReferral,
    MaracAction,
    Enrolment,
    Session,
}

impl SubmissionKind {
    pub fn code(self) -> &'static str {
        match self {
            SubmissionKind::Referral => "referral",
            SubmissionKind::TimelineEntry => "timeline_entry",
            SubmissionKind::RiskAssessment => "risk_assessment",
            SubmissionKind::Incident => "incident",
            SubmissionKind::MaracReferral => "marac_referral",
            SubmissionKind::MaracAction => "marac_action",
            SubmissionKind::Enrolment => "enrolment",
            SubmissionKind::Session => "session",
        }
    }
}

/// The message for a key already used on a different request.
pub const KEY_REUSED: &str = "This submission key was already used for a different request. \
                              Nothing was saved. Reload the form and try again.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_and_printable() {
        assert!(SubmissionKey::parse("0123456789abcdef").is_ok());
        assert!(SubmissionKey::parse("  0123456789abcdef  ").is_ok());
        assert!(SubmissionKey::parse("short").is_err());
        assert!(SubmissionKey::parse(&"x".repeat(101)).is_err());
        assert!(SubmissionKey::parse("0123456789abcdef\u{0}").is_err());
        assert!(SubmissionKey::parse("0123456789 abcdef").is_err());
    }
}
