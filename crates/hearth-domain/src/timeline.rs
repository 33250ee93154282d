//! The case timeline: notes, contacts and key events, each with who wrote it and when.

use crate::access::FieldClass;
use crate::validation::Invalid;
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Date, Time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Note,
    Contact,
    Event,
}

impl EntryKind {
    pub const ALL: [EntryKind; 3] = [EntryKind::Note, EntryKind::Contact, EntryKind::Event];
    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Contact => "contact",
            EntryKind::Event => "event",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Note => "Case note",
            EntryKind::Contact => "Contact",
            EntryKind::Event => "Key event",
        }
    }
    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }
}

/// Ordinary entries are seen by anyone who may open the case; sensitive ones (disclosures,
/// what a child said) are behind the firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Ordinary,
    Sensitive,
}

impl Sensitivity {
    pub fn code(self) -> &'static str {
        match self {
            Sensitivity::Ordinary => "ordinary",
            Sensitivity::Sensitive => "sensitive",
        }
    }
    pub fn parse(s: &str) -> Option<Sensitivity> {
        match s.trim() {
            "ordinary" => Some(Sensitivity::Ordinary),
            "sensitive" => Some(Sensitivity::Sensitive),
            _ => None,
        }
    }
    pub fn class(self) -> FieldClass {
        match self {
            Sensitivity::Ordinary => FieldClass::Ordinary,
            Sensitivity::Sensitive => FieldClass::Sensitive,
        }
    }
}

/// The value a form sends to file an entry about the whole family, chosen on purpose: an empty
/// choice means nobody was chosen.
pub const WHOLE_FAMILY: &str = "family";

pub const CONTACT_METHODS: &[(&str, &str)] = &[
    ("phone", "Phone call"),
    ("text", "Text message"),
    ("email", "Email"),
    ("letter", "Letter"),
    ("in_person", "In person"),
    ("video", "Video call"),
];

pub const CONTACT_OUTCOMES: &[(&str, &str)] = &[
    ("spoke", "Successful: spoke with them"),
    ("no_answer", "Attempted: no answer"),
    ("not_safe", "Attempted: not safe to talk"),
    ("message_left", "Attempted: message left (where safe)"),
    ("declined", "Attempted: declined support"),
];

pub fn label_of(list: &[(&'static str, &'static str)], code: &str) -> &'static str {
    list.iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("Not recorded")
}

/// Whether this outcome counts as successful contact (for first-contact targets).
pub fn is_successful(outcome: &str) -> bool {
    outcome == "spoke"
}

/// Notes can be long (a full record of a difficult visit) but not unbounded: 100,000 characters.
pub const MAX_BODY_CHARS: usize = 100_000;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub sensitivity: String,
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub body: String,
    /// DD/MM/YYYY, as UK staff write dates; empty means today.
    #[serde(default)]
    pub occurred_on: String,
    /// HH:MM, 24-hour; empty means the time it is recorded.
    #[serde(default)]
    pub occurred_time: String,
    #[serde(default)]
    pub contact_method: String,
    #[serde(default)]
    pub contact_outcome: String,
    /// Why a contact made a way the person's arrangements mark not safe was safe this time.
    /// Required only then; kept on the entry.
    #[serde(default)]
    pub safe_contact_reason: String,
    /// A one-time token carried by the form, so a double submit saves once.
    #[serde(default)]
    pub submission_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInput {
    pub kind: EntryKind,
    pub sensitivity: Sensitivity,
    pub body: String,
    pub occurred_at: Timestamp,
    pub contact_method: Option<String>,
    pub contact_outcome: Option<String>,
}

/// Parse "23/11/2026" (or "2026-11-23") and "14:05" as UK local time.
pub fn parse_uk_datetime(
    date: &str,
    time_s: &str,
    now: Timestamp,
) -> Result<Timestamp, (&'static str, &'static str)> {
    let date = date.trim();
    let d = if date.is_empty() {
        crate::ukdate::to_uk(now).date()
    } else {
        Date::parse(
            date,
            format_description!("[day padding:none]/[month padding:none]/[year]"),
        )
        .or_else(|_| Date::parse(date, format_description!("[year]-[month]-[day]")))
        .map_err(|_| ("occurred_on", "Enter a real date, like 23/11/2026"))?
    };
    let t = time_s.trim();
    let t = if t.is_empty() {
        if date.is_empty() {
            crate::ukdate::to_uk(now).time()
        } else {
            Time::MIDNIGHT
        }
    } else {
        Time::parse(t, format_description!("[hour padding:none]:[minute]"))
            .map_err(|_| ("occurred_time", "Enter a time like 14:05"))?
    };
    Ok(crate::ukdate::from_uk(d, t))
}

impl EntryForm {
    /// Validate against the case: nothing in the future, nothing before the referral arrived (or the case opened).
    pub fn parse(&self, now: Timestamp, case_opened: Timestamp) -> Result<EntryInput, Invalid> {
        let mut invalid = Invalid::default();
        let kind = EntryKind::parse(&self.kind);
        if kind.is_none() {
            invalid.push("kind", "Choose note, contact or key event");
        }
        let sensitivity = Sensitivity::parse(&self.sensitivity);
        if sensitivity.is_none() {
            invalid.push("sensitivity", "Say whether this is ordinary or sensitive");
        }
        let body = self.body.trim_end().to_string();
        let chars = body.chars().count();
        if body.trim().is_empty() && kind != Some(EntryKind::Contact) {
            invalid.push("body", "Write what happened");
        } else if chars > MAX_BODY_CHARS {
            invalid.push(
                "body",
                format!("This is {chars} characters; the most one entry can hold is {MAX_BODY_CHARS}. Split it into two entries."),
            );
        }
        let occurred_at = match parse_uk_datetime(&self.occurred_on, &self.occurred_time, now) {
            Ok(t) if t > now + time::Duration::minutes(5) => {
                invalid.push("occurred_on", "The date cannot be in the future");
                None
            }
            Ok(t) if t < case_opened - time::Duration::days(1) => {
                invalid.push(
                    "occurred_on",
                    "The date cannot be before the referral arrived or the case was opened",
                );
                None
            }
            Ok(t) => Some(t),
            Err((field, msg)) => {
                invalid.push(field, msg);
                None
            }
        };
        let (mut method, mut outcome) = (None, None);
        if kind == Some(EntryKind::Contact) {
            match CONTACT_METHODS
                .iter()
                .find(|(c, _)| *c == self.contact_method.trim())
            {
                Some((c, _)) => method = Some(c.to_string()),
                None => invalid.push("contact_method", "Choose how contact was made or tried"),
            }
            match CONTACT_OUTCOMES
                .iter()
                .find(|(c, _)| *c == self.contact_outcome.trim())
            {
                Some((c, _)) => outcome = Some(c.to_string()),
                None => invalid.push("contact_outcome", "Choose what happened"),
            }
        }
        invalid.into_result()?;
        Ok(EntryInput {
            kind: kind.expect("checked"),
            sensitivity: sensitivity.expect("checked"),
            body,
            occurred_at: occurred_at.expect("checked"),
            contact_method: method,
            contact_outcome: outcome,
        })
    }
}

/// Why a case closes.
pub const EXIT_REASONS: &[(&str, &str)] = &[
    ("goals_met", "Goals met"),
    ("risk_reduced", "Risk reduced"),
    ("disengaged", "Disengaged"),
    ("moved_away", "Moved out of the area"),
    ("referred_on", "Referred on to another service"),
    ("declined_support", "Declined further support"),
    ("other", "Another reason"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: Timestamp = datetime!(2026-07-01 12:00 UTC);
    const OPENED: Timestamp = datetime!(2026-06-01 09:00 UTC);

    fn form() -> EntryForm {
        EntryForm {
            kind: "note".into(),
            sensitivity: "ordinary".into(),
            body: "Spoke about housing".into(),
            ..Default::default()
        }
    }

    #[test]
    fn uk_dates_are_read_in_uk_time() {
        // 1 July is summer time: 14:05 in the UK is 13:05 UTC.
        assert_eq!(
            parse_uk_datetime("1/7/2026", "14:05", NOW).unwrap(),
            datetime!(2026-07-01 13:05 UTC)
        );
        assert_eq!(
            parse_uk_datetime("2026-12-01", "09:30", NOW).unwrap(),
            datetime!(2026-12-01 09:30 UTC)
        );
        assert!(parse_uk_datetime("31/02/2026", "", NOW).is_err());
        assert_eq!(
            parse_uk_datetime("1/7/2026", "25:00", NOW).unwrap_err().0,
            "occurred_time"
        );
    }

    #[test]
    fn future_and_before_the_case_are_refused() {
        let f = EntryForm {
            occurred_on: "02/07/2026".into(),
            ..form()
        };
        assert_eq!(
            f.parse(NOW, OPENED).unwrap_err().message_for("occurred_on"),
            Some("The date cannot be in the future")
        );
        let f = EntryForm {
            occurred_on: "01/01/2026".into(),
            ..form()
        };
        assert!(f
            .parse(NOW, OPENED)
            .unwrap_err()
            .message_for("occurred_on")
            .unwrap()
            .contains("before the referral arrived"));
        assert_eq!(form().parse(NOW, OPENED).unwrap().occurred_at, NOW);
    }

    #[test]
    fn contacts_need_method_and_outcome_and_long_notes_are_refused_not_cut() {
        let f = EntryForm {
            kind: "contact".into(),
            body: String::new(),
            ..form()
        };
        let e = f.parse(NOW, OPENED).unwrap_err();
        assert!(
            e.message_for("contact_method").is_some() && e.message_for("contact_outcome").is_some()
        );
        let f = EntryForm {
            body: "é".repeat(MAX_BODY_CHARS + 1),
            ..form()
        };
        assert!(f
            .parse(NOW, OPENED)
            .unwrap_err()
            .message_for("body")
            .unwrap()
            .contains("Split it"));
        let f = EntryForm {
            body: "é".repeat(MAX_BODY_CHARS),
            ..form()
        };
        assert_eq!(
            f.parse(NOW, OPENED).unwrap().body.chars().count(),
            MAX_BODY_CHARS
        );
    }
}
