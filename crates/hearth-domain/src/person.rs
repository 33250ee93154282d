//! A person's details: names and other names, date of birth, gender, language, and optional
//! equality monitoring where "prefer not to say" is always an answer.

use crate::referral::parse_past_date;
use crate::validation::{DisplayName, Invalid};
use crate::Timestamp;
use serde::{Deserialize, Serialize};

pub const GENDERS: &[(&str, &str)] = &[
    ("", "Not recorded"),
    ("woman", "Woman"),
    ("man", "Man"),
    ("non_binary", "Non-binary"),
    ("other", "Another way"),
    ("prefer_not_to_say", "Prefer not to say"),
];

pub const DISABILITY: &[(&str, &str)] = &[
    ("", "Not asked"),
    ("yes", "Yes"),
    ("no", "No"),
    ("prefer_not_to_say", "Prefer not to say"),
];

/// Equality monitoring answers: optional, sealed, and sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Equality {
    pub disability: String,
    pub ethnicity: String,
    pub sexual_orientation: String,
    pub religion: String,
}

/// Who someone is: their names and date of birth, which the store seals as one value and finds
/// by its blind index (see [`crate::search_terms`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Identity {
    pub given_name: String,
    pub family_name: String,
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Identity {
    /// Someone known by one name, perhaps with a date of birth (ISO).
    pub fn named(given_name: &str, family_name: &str, date_of_birth: Option<&str>) -> Identity {
        Identity {
            given_name: given_name.to_string(),
            family_name: family_name.to_string(),
            date_of_birth: date_of_birth.map(str::to_string),
            aliases: Vec::new(),
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonDetails {
    pub given_name: String,
    pub family_name: String,
    pub aliases: Vec<String>,
    pub date_of_birth: Option<String>,
    pub gender: String,
    pub language: String,
    pub interpreter_needed: bool,
    pub equality: Equality,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    pub given_name: String,
    pub family_name: String,
    /// One other name per line.
    pub aliases: String,
    pub date_of_birth: String,
    pub gender: String,
    pub language: String,
    pub interpreter_needed: String,
    pub disability: String,
    pub ethnicity: String,
    pub sexual_orientation: String,
    pub religion: String,
    /// The version being edited; a stale one is a conflict, not an overwrite.
    pub based_on: i64,
}

impl PersonForm {
    pub fn from_details(d: &PersonDetails, version: i64) -> Self {
        Self {
            given_name: d.given_name.clone(),
            family_name: d.family_name.clone(),
            aliases: d.aliases.join("\n"),
            // Stored ISO, shown as typed: an ISO date never reaches a form.
            date_of_birth: d
                .date_of_birth
                .as_deref()
                .map(|s| crate::ukdate::from_iso(s).map_or(s.to_string(), crate::ukdate::typed))
                .unwrap_or_default(),
            gender: d.gender.clone(),
            language: d.language.clone(),
            interpreter_needed: if d.interpreter_needed {
                "yes".into()
            } else {
                String::new()
            },
            disability: d.equality.disability.clone(),
            ethnicity: d.equality.ethnicity.clone(),
            sexual_orientation: d.equality.sexual_orientation.clone(),
            religion: d.equality.religion.clone(),
            based_on: version,
        }
    }

    pub fn parse(&self, now: Timestamp) -> Result<PersonDetails, Invalid> {
        let mut invalid = Invalid::default();
        let given = invalid.check(DisplayName::parse("given_name", &self.given_name));
        let family = invalid.check(DisplayName::parse("family_name", &self.family_name));
        let today = crate::ukdate::to_uk(now).date();
        let dob = invalid
            .check(parse_past_date(
                "date_of_birth",
                &self.date_of_birth,
                today,
                "the date of birth",
            ))
            .flatten();
        let mut aliases = Vec::new();
        for line in self
            .aliases
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            match DisplayName::parse("aliases", line) {
                Ok(n) => aliases.push(n.as_str().to_string()),
                Err(e) => invalid.0.push(e),
            }
        }
        if aliases.len() > 20 {
            invalid.push("aliases", "Record at most 20 other names");
        }
        if !GENDERS.iter().any(|(c, _)| *c == self.gender.trim()) {
            invalid.push("gender", "Choose from the list");
        }
        if !DISABILITY.iter().any(|(c, _)| *c == self.disability.trim()) {
            invalid.push("disability", "Choose from the list");
        }
        let language = invalid.line::<100>("language", &self.language);
        let ethnicity = invalid.line::<100>("ethnicity", &self.ethnicity);
        let sexual_orientation =
            invalid.line::<100>("sexual_orientation", &self.sexual_orientation);
        let religion = invalid.line::<100>("religion", &self.religion);
        invalid.into_result()?;
        Ok(PersonDetails {
            given_name: given.expect("checked").as_str().to_string(),
            family_name: family.expect("checked").as_str().to_string(),
            aliases,
            date_of_birth: dob.map(|d| d.to_string()),
            gender: self.gender.trim().to_string(),
            language,
            interpreter_needed: matches!(self.interpreter_needed.trim(), "yes" | "on" | "true"),
            equality: Equality {
                disability: self.disability.trim().to_string(),
                ethnicity,
                sexual_orientation,
                religion,
            },
        })
    }
}

pub fn label(list: &[(&'static str, &'static str)], code: &str) -> &'static str {
    list.iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("Not recorded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: Timestamp = datetime!(2026-11-23 10:00 UTC);

    #[test]
    fn details_round_trip_and_aliases_are_one_per_line() {
        let f = PersonForm {
            given_name: "فاطمة".into(),
            family_name: "Al-Rashid".into(),
            aliases: "Fatima Rashid\n\n  Tima R  ".into(),
            date_of_birth: "03/02/1985".into(),
            gender: "woman".into(),
            language: "Arabic".into(),
            interpreter_needed: "yes".into(),
            disability: "prefer_not_to_say".into(),
            ..Default::default()
        };
        let d = f.parse(NOW).unwrap();
        assert_eq!(d.aliases, ["Fatima Rashid", "Tima R"]);
        assert!(d.interpreter_needed);
        let again = PersonForm::from_details(&d, 1);
        assert_eq!(
            again.date_of_birth, "03/02/1985",
            "as staff type it, never ISO"
        );
        assert_eq!(again.parse(NOW).unwrap(), d);
    }

    #[test]
    fn bad_values_name_their_fields() {
        let f = PersonForm {
            given_name: String::new(),
            family_name: "X".into(),
            gender: "robot".into(),
            date_of_birth: "31/12/2030".into(),
            ..Default::default()
        };
        let e = f.parse(NOW).unwrap_err();
        for field in ["given_name", "gender", "date_of_birth"] {
            assert!(e.message_for(field).is_some(), "{field}");
        }
    }
}
