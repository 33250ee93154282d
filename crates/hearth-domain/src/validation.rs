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

    /// Free text of at most `MAX` characters, trimmed; an error is collected and what was typed
    /// is still returned, so the form can show it again.
    pub fn text<const MAX: usize>(&mut self, field: &str, raw: &str) -> String {
        match Text::<MAX>::parse(field, raw) {
            Ok(t) => t.into_string(),
            Err(e) => {
                self.0.push(e);
                raw.trim().to_string()
            }
        }
    }

    /// The same, on one line.
    pub fn line<const MAX: usize>(&mut self, field: &str, raw: &str) -> String {
        match Line::<MAX>::parse(field, raw) {
            Ok(t) => t.into_string(),
            Err(e) => {
                self.0.push(e);
                raw.trim().to_string()
            }
        }
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

    /// Tell what was said of one field as said of another (the same value asked for in two
    /// places on a page).
    pub fn rename(&mut self, from: &str, to: &str) {
        for e in &mut self.0 {
            if e.field == from {
                e.field = to.into();
            }
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

/// Free text as a form or API call sends it, parsed once: trimmed, with Windows line endings
/// made plain, and at most `MAX` characters (characters, not bytes: "Zoë" is three). There is
/// no other way to make one, so code holding a `Text<2000>` need not check its length again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().replace("\r\n", "\n");
        if s.chars().count() > MAX {
            return Err(FieldError::new(
                field,
                format!("Must be {} characters or fewer", thousands(MAX)),
            ));
        }
        Ok(Text(s))
    }

    /// Present and within the limit; `missing` says what to do when it is not there.
    pub fn parse_required(field: &str, raw: &str, missing: &str) -> Result<Self, FieldError> {
        let t = Self::parse(field, raw)?;
        if t.0.is_empty() {
            return Err(FieldError::new(field, missing));
        }
        Ok(t)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// [`Text`] on one line: a name, a place, a label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line<const MAX: usize>(String);

impl<const MAX: usize> Line<MAX> {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let t = Text::<MAX>::parse(field, raw)?;
        if t.0.contains('\n') || has_control_chars(&t.0) {
            return Err(FieldError::new(field, "Must be on one line"));
        }
        Ok(Line(t.0))
    }

    /// Present and within the limit; `missing` says what to do when it is not there.
    pub fn parse_required(field: &str, raw: &str, missing: &str) -> Result<Self, FieldError> {
        let t = Self::parse(field, raw)?;
        if t.0.is_empty() {
            return Err(FieldError::new(field, missing));
        }
        Ok(t)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// 5000 as "5,000", as the error messages have always said it.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn text_is_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(Text::<3>::parse("f", "  Zoë \r\n").unwrap().as_str(), "Zoë");
        let e = Text::<3>::parse("f", "Zoey").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("f", "Must be 3 characters or fewer")
        );
        assert_eq!(
            Text::<5000>::parse("note", &"x".repeat(5001))
                .unwrap_err()
                .message,
            "Must be 5,000 characters or fewer"
        );
        assert_eq!(Text::<9>::parse("f", "a\r\nb").unwrap().as_str(), "a\nb");
        assert_eq!(
            Text::<9>::parse_required("f", "  ", "Say why")
                .unwrap_err()
                .message,
            "Say why"
        );
    }

    #[test]
    fn a_line_has_no_breaks_and_the_form_keeps_what_was_typed() {
        assert_eq!(
            Line::<9>::parse("f", "a\nb").unwrap_err().message,
            "Must be on one line"
        );
        let mut invalid = Invalid::default();
        assert_eq!(invalid.line::<3>("f", " abcd "), "abcd");
        assert_eq!(invalid.text::<9>("g", " ok "), "ok");
        assert_eq!(invalid.0.len(), 1);
        assert_eq!(invalid.0[0].field, "f");
    }

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
