//! Parsing input into domain types. Each failure names the field and says, in plain English,
//! what is wrong, so a form can show it beside the field and keep what the user typed.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The form field or JSON property at fault.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// One or more fields are wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Collect a field's parse result, keeping the value if it parsed.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    pub fn message_for(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for Invalid {}

fn has_control_chars(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// A staff email address, as used to sign in. Stored in lower case so sign-in ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "Enter an email address"));
        }
        if s.len() > 254 {
            return Err(FieldError::new(
                field,
                "Email address must be 254 characters or fewer",
            ));
        }
        let valid = match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !valid {
            return Err(FieldError::new(
                field,
                "Enter an email address in the correct format, like name@example.org",
            ));
        }
        Ok(Self(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's name as shown in Hearth: any script, including right-to-left, kept exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "Enter a name"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("Name must be {} characters or fewer", Self::MAX_CHARS),
            ));
        }
        if has_control_chars(s) || s.contains('\n') {
            return Err(FieldError::new(field, "Name must be on one line"));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password. Length is what matters (NCSC guidance): at least 12 characters, any characters.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if n == 0 {
            return Err(FieldError::new(field, "Enter a password"));
        }
        if n < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                format!("Password must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("Password must be {} characters or fewer", Self::MAX_CHARS),
            ));
        }
        if raw.trim().is_empty() {
            return Err(FieldError::new(field, "Password must not be only spaces"));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A short label such as an API token's name.
pub fn short_text(field: &str, raw: &str, what: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, format!("Enter {what}")));
    }
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("Must be {max} characters or fewer"),
        ));
    }
    if has_control_chars(s) || s.contains('\n') {
        return Err(FieldError::new(field, "Must be on one line"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(
            EmailAddress::parse("email", " Sam@Example.ORG ")
                .unwrap()
                .as_str(),
            "sam@example.org"
        );
        for bad in [
            "",
            "sam",
            "sam@",
            "@x.org",
            "sam@localhost",
            "sa m@x.org",
            "a@b@c.org",
            "sam@.org",
        ] {
            let e = EmailAddress::parse("email", bad).unwrap_err();
            assert_eq!(e.field, "email");
        }
    }

    #[test]
    fn names_keep_any_script() {
        for ok in ["Zoë Ní Bhriain", "فاطمة الزهراء", "李小龍", "Ana 🌻"] {
            assert_eq!(DisplayName::parse("name", ok).unwrap().as_str(), ok);
        }
        assert!(DisplayName::parse("name", "  ").is_err());
        assert!(DisplayName::parse("name", "a\nb").is_err());
        assert!(DisplayName::parse("name", &"x".repeat(201)).is_err());
    }

    #[test]
    fn passwords_need_length_not_rules() {
        assert!(NewPassword::parse("password", "correct horse battery").is_ok());
        assert_eq!(
            NewPassword::parse("password", "short").unwrap_err().message,
            "Password must be at least 12 characters"
        );
        assert!(NewPassword::parse("password", "            ").is_err());
        assert_eq!(
            format!(
                "{:?}",
                NewPassword::parse("p", "a very secret one").unwrap()
            ),
            "NewPassword(***)"
        );
    }
}
