//! Referrals: a request for support, from a professional or the person themself, and the rules
//! for reading one in, and for finding people already on record.

use crate::contact::{parse_phone, parse_postcode};
use crate::validation::{EmailAddress, Invalid};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::Date;

pub const AGENCIES: &[(&str, &str)] = &[
    ("police", "Police"),
    ("gp", "GP or practice"),
    ("health_visitor", "Health visitor or midwife"),
    ("hospital", "Hospital"),
    ("school", "School or college"),
    ("social_worker", "Children's social care"),
    ("adult_social_care", "Adult social care"),
    ("housing", "Housing"),
    ("probation", "Probation"),
    ("other", "Another agency"),
];

pub const DECLINE_REASONS: &[(&str, &str)] = &[
    ("outside_area", "Lives outside the area we cover"),
    ("no_consent", "No consent to the referral"),
    ("not_domestic_abuse", "Not domestic abuse"),
    ("duplicate", "Duplicate of another referral"),
    ("other", "Another reason"),
];

/// Where a referral came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Professional,
    SelfReferral,
    /// Taken by staff over the phone.
    Phone,
    /// Sent by a partner system.
    Api,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Professional => "professional",
            Source::SelfReferral => "self",
            Source::Phone => "phone",
            Source::Api => "api",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Source::Professional => "Professional (online form)",
            Source::SelfReferral => "Self-referral (online form)",
            Source::Phone => "Taken by phone",
            Source::Api => "Partner system",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        [
            Source::Professional,
            Source::SelfReferral,
            Source::Phone,
            Source::Api,
        ]
        .into_iter()
        .find(|x| x.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NamedPerson {
    pub given_name: String,
    pub family_name: String,
    /// ISO date.
    pub date_of_birth: Option<String>,
}

impl NamedPerson {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_string()
    }
}

/// Everything a referral says, sealed as one value in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReferralDetails {
    pub referrer_name: String,
    pub referrer_agency: String,
    pub referrer_phone: String,
    pub referrer_email: String,
    pub person: NamedPerson,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub postcode: String,
    /// `safe`, `not_safe` or `not_known`.
    pub safe_to_phone: String,
    pub safe_to_text: String,
    pub safe_times: String,
    pub harm: Option<NamedPerson>,
    pub harm_relationship: String,
    pub children: Vec<NamedPerson>,
    /// Other adults in the household: grandparents, new partners, lodgers.
    #[serde(default)]
    pub other_adults: Vec<NamedPerson>,
    pub dash_score: Option<u8>,
    pub risk_notes: String,
    pub consent: bool,
    pub consent_notes: String,
}

/// The form as typed: every field text, so nothing is lost when something is wrong.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralForm {
    /// `professional` or `self` (the online form); staff and the API set the source themselves.
    pub referrer_kind: String,
    pub referrer_name: String,
    pub referrer_agency: String,
    pub referrer_phone: String,
    pub referrer_email: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub postcode: String,
    pub safe_to_phone: String,
    pub safe_to_text: String,
    pub safe_times: String,
    pub harm_given_name: String,
    pub harm_family_name: String,
    pub harm_date_of_birth: String,
    pub harm_relationship: String,
    pub child1_name: String,
    pub child1_dob: String,
    pub child2_name: String,
    pub child2_dob: String,
    pub child3_name: String,
    pub child3_dob: String,
    pub child4_name: String,
    pub child4_dob: String,
    /// Other adults in the household, one full name per line.
    pub other_adults: String,
    pub dash_score: String,
    pub risk_notes: String,
    pub consent: String,
    pub consent_notes: String,
    /// Left empty by people; filled in by robots. See `is_robot`.
    pub website: String,
    pub submission_key: String,
    /// Anything else sent (the page's CSRF token, or fields Hearth does not take). Kept only to
    /// refuse children beyond the fourth by name rather than drop them silently.
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub other: std::collections::BTreeMap<String, String>,
}

/// Children a referral can name; more are added to the case after triage.
pub const MAX_CHILDREN: usize = 4;

/// A date typed as DD/MM/YYYY (or YYYY-MM-DD), not in the future.
pub fn parse_past_date(
    field: &str,
    raw: &str,
    today: Date,
    what: &str,
) -> Result<Option<Date>, crate::FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d = Date::parse(
        s,
        format_description!("[day padding:none]/[month padding:none]/[year]"),
    )
    .or_else(|_| Date::parse(s, format_description!("[year]-[month]-[day]")))
    .map_err(|_| {
        crate::FieldError::new(
            field,
            format!("Enter {what} as a real date, like 27/03/1990"),
        )
    })?;
    if d > today {
        return Err(crate::FieldError::new(
            field,
            format!("{} cannot be in the future", capitalise(what)),
        ));
    }
    if d.year() < 1900 {
        return Err(crate::FieldError::new(
            field,
            format!("Check {what}: the year is before 1900"),
        ));
    }
    Ok(Some(d))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn safety(invalid: &mut Invalid, field: &str, raw: &str) -> String {
    match raw.trim() {
        "" | "not_known" => "not_known".into(),
        "safe" | "not_safe" => raw.trim().into(),
        _ => {
            invalid.push(field, "Choose yes, no or not known");
            String::new()
        }
    }
}

impl ReferralForm {
    /// A filled-in honeypot field: the form was sent by a robot, not a person.
    pub fn is_robot(&self) -> bool {
        !self.website.trim().is_empty()
    }

    pub fn parse(&self, source: Source, now: Timestamp) -> Result<ReferralDetails, Invalid> {
        let today = crate::ukdate::to_uk(now).date();
        let mut invalid = Invalid::default();
        let professional = matches!(source, Source::Professional | Source::Api)
            || (source == Source::Phone && !self.referrer_agency.trim().is_empty());
        let referrer_name = invalid.text::<200>("referrer_name", &self.referrer_name);
        let referrer_agency = self.referrer_agency.trim().to_string();
        let referrer_phone = invalid
            .check(parse_phone("referrer_phone", &self.referrer_phone))
            .unwrap_or_default();
        let referrer_email = self.referrer_email.trim().to_lowercase();
        if professional {
            if referrer_name.is_empty() {
                invalid.push("referrer_name", "Enter your name");
            }
            if !AGENCIES.iter().any(|(c, _)| *c == referrer_agency) {
                invalid.push("referrer_agency", "Choose your agency from the list");
            }
            if referrer_phone.is_empty() && referrer_email.is_empty() {
                invalid.push(
                    "referrer_phone",
                    "Give a phone number or email address so we can reach you",
                );
            }
        }
        if !referrer_email.is_empty() {
            invalid.check(EmailAddress::parse("referrer_email", &referrer_email));
        }
        let given_name = invalid.text::<200>("given_name", &self.given_name);
        let family_name = invalid.text::<200>("family_name", &self.family_name);
        if given_name.is_empty() {
            invalid.push(
                "given_name",
                "Enter the first name of the person who needs support",
            );
        }
        if family_name.is_empty() {
            invalid.push("family_name", "Enter their last name");
        }
        let dob = invalid
            .check(parse_past_date(
                "date_of_birth",
                &self.date_of_birth,
                today,
                "the date of birth",
            ))
            .flatten();
        let phone = invalid
            .check(parse_phone("phone", &self.phone))
            .unwrap_or_default();
        let email = self.email.trim().to_lowercase();
        if !email.is_empty() {
            invalid.check(EmailAddress::parse("email", &email));
        }
        let address = invalid.text::<1000>("address", &self.address);
        let postcode = invalid
            .check(parse_postcode("postcode", &self.postcode))
            .unwrap_or_default();
        if phone.is_empty() && email.is_empty() && address.is_empty() {
            invalid.push(
                "phone",
                "Give at least one way to reach them: a phone number, email address or address",
            );
        }
        let safe_to_phone = safety(&mut invalid, "safe_to_phone", &self.safe_to_phone);
        let safe_to_text = safety(&mut invalid, "safe_to_text", &self.safe_to_text);
        let safe_times = invalid.text::<500>("safe_times", &self.safe_times);

        let harm_given = invalid.text::<200>("harm_given_name", &self.harm_given_name);
        let harm_family = invalid.text::<200>("harm_family_name", &self.harm_family_name);
        let harm_dob = invalid
            .check(parse_past_date(
                "harm_date_of_birth",
                &self.harm_date_of_birth,
                today,
                "their date of birth",
            ))
            .flatten();
        let harm = (!harm_given.is_empty() || !harm_family.is_empty()).then(|| NamedPerson {
            given_name: harm_given,
            family_name: harm_family,
            date_of_birth: harm_dob.map(|d| d.to_string()),
        });

        for field in self.other.keys().filter(|k| {
            k.strip_prefix("child")
                .and_then(|rest| rest.split_once('_'))
                .is_some_and(|(n, what)| {
                    n.parse::<usize>().is_ok() && (what == "name" || what == "dob")
                })
        }) {
            invalid.push(
                field,
                format!("A referral names up to {MAX_CHILDREN} children. Add the others to the family's case after triage."),
            );
        }
        let mut children = Vec::new();
        for (i, (name, dob)) in [
            (&self.child1_name, &self.child1_dob),
            (&self.child2_name, &self.child2_dob),
            (&self.child3_name, &self.child3_dob),
            (&self.child4_name, &self.child4_dob),
        ]
        .into_iter()
        .enumerate()
        {
            let n = i + 1;
            let name = invalid.text::<200>(&format!("child{n}_name"), name);
            let d = invalid
                .check(parse_past_date(
                    &format!("child{n}_dob"),
                    dob,
                    today,
                    "the child's date of birth",
                ))
                .flatten();
            if let Some(d) = d {
                if (today.year() - d.year()) > 18 {
                    invalid.push(
                        &format!("child{n}_dob"),
                        "A child must be under 18; add adults as other family members",
                    );
                }
            }
            if name.is_empty() && d.is_some() {
                invalid.push(&format!("child{n}_name"), "Enter the child's name");
            }
            if !name.is_empty() {
                let (given, family) = match name.rsplit_once(' ') {
                    Some((g, f)) => (g.to_string(), f.to_string()),
                    None => (name.clone(), family_name.clone()),
                };
                children.push(NamedPerson {
                    given_name: given,
                    family_name: family,
                    date_of_birth: d.map(|d| d.to_string()),
                });
            }
        }
        let mut other_adults = Vec::new();
        for line in self
            .other_adults
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if line.chars().count() > 200 {
                invalid.push("other_adults", "Each name must be 200 characters or fewer");
                continue;
            }
            let (given, family) = match line.rsplit_once(' ') {
                Some((g, f)) => (g.to_string(), f.to_string()),
                None => (line.to_string(), String::new()),
            };
            other_adults.push(NamedPerson {
                given_name: given,
                family_name: family,
                date_of_birth: None,
            });
        }
        if other_adults.len() > 10 {
            invalid.push(
                "other_adults",
                "Give at most 10 other adults; add more after the referral is accepted",
            );
        }
        let dash_score = match self.dash_score.trim() {
            "" => None,
            s => match s.parse::<u8>() {
                Ok(n) if n <= 24 => Some(n),
                _ => {
                    invalid.push(
                        "dash_score",
                        "Enter the number of yes answers, from 0 to 24",
                    );
                    None
                }
            },
        };
        let risk_notes = invalid.text::<20000>("risk_notes", &self.risk_notes);
        let consent = match self.consent.trim() {
            "yes" => true,
            "no" => false,
            _ => {
                invalid.push("consent", "Say whether the person agrees to this referral");
                false
            }
        };
        let consent_notes = invalid.text::<2000>("consent_notes", &self.consent_notes);
        if !consent && self.consent.trim() == "no" && consent_notes.is_empty() {
            invalid.push(
                "consent_notes",
                "Say why you are referring without their agreement (for example, high risk)",
            );
        }
        invalid.into_result()?;
        Ok(ReferralDetails {
            referrer_name,
            referrer_agency,
            referrer_phone,
            referrer_email,
            person: NamedPerson {
                given_name,
                family_name,
                date_of_birth: dob.map(|d| d.to_string()),
            },
            phone,
            email,
            address,
            postcode,
            safe_to_phone,
            safe_to_text,
            safe_times,
            harm,
            harm_relationship: self.harm_relationship.trim().to_string(),
            children,
            other_adults,
            dash_score,
            risk_notes,
            consent,
            consent_notes,
        })
    }
}

// ---- matching ----------------------------------------------------------------------------------

/// A name folded for comparison: lower case, common accents removed, only letters kept.
pub fn fold_name(s: &str) -> String {
    s.chars()
        .flat_map(|c| c.to_lowercase())
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'ā' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
            'ñ' | 'ń' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
            'ý' | 'ÿ' => 'y',
            'ł' => 'l',
            'ś' | 'š' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            other => other,
        })
        .filter(|c| c.is_alphabetic())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Names match when folded they are equal, or differ by one letter (Jon/John, Zoe/Zoë, Sarah/Sara),
/// or one is a shortening of the other of at least three letters (Alex/Alexandra).
pub fn names_alike(a: &str, b: &str) -> bool {
    let (a, b) = (fold_name(a), fold_name(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    a == b
        || (a.len().min(b.len()) >= 3 && edit_distance(&a, &b) <= 1)
        || (a.len().min(b.len()) >= 3 && (a.starts_with(&b) || b.starts_with(&a)))
}

/// What is known about someone on record, to compare a referral against. Their contact details
/// stay sealed: whether the referral's phone number or postcode is theirs comes from the blind
/// index (see [`crate::search_terms`]), not from reading them.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<String>,
    pub same_postcode: bool,
    pub same_phone: bool,
}

/// Why a person on record may be the person referred; empty if they do not look alike.
/// A match needs the names to be alike and at least one more thing in common, or the same
/// date of birth with an alike given name (a new surname is common after separation).
pub fn match_reasons(wanted: &NamedPerson, c: &Candidate) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    let given = names_alike(&wanted.given_name, &c.given_name);
    let family = names_alike(&wanted.family_name, &c.family_name);
    let same_dob = wanted.date_of_birth.is_some() && wanted.date_of_birth == c.date_of_birth;
    let (same_postcode, same_phone) = (c.same_postcode, c.same_phone);
    if given && family {
        reasons.push(
            if fold_name(&wanted.full_name())
                == fold_name(&format!("{}{}", c.given_name, c.family_name))
            {
                "same name"
            } else {
                "similar name"
            },
        );
    } else if given {
        reasons.push("similar first name");
    }
    if same_dob {
        reasons.push("same date of birth");
    }
    if same_postcode {
        reasons.push("same postcode");
    }
    if same_phone {
        reasons.push("same phone number");
    }
    let strong = same_phone
        || (given && (same_dob || (family && (same_postcode || wanted.date_of_birth.is_none()))));
    if strong {
        reasons
    } else {
        Vec::new()
    }
}

/// A Dash score from the referrer at or above this (14 of 24 "yes") is high risk: the SafeLives
/// threshold for a MARAC referral on actuarial grounds. Triage sees such referrals flagged.
pub const DASH_HIGH_RISK: u8 = 14;

/// Did the referrer's own Dash score put the person at high risk?
pub fn referrer_says_high_risk(dash_score: Option<u8>) -> bool {
    dash_score.is_some_and(|s| s >= DASH_HIGH_RISK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referrer_score_of_fourteen_or_more_is_high_risk() {
        assert!(!referrer_says_high_risk(None));
        assert!(!referrer_says_high_risk(Some(13)));
        assert!(referrer_says_high_risk(Some(14)));
        assert!(referrer_says_high_risk(Some(24)));
    }
    use time::macros::datetime;

    const NOW: Timestamp = datetime!(2026-11-23 10:00 UTC);

    fn good() -> ReferralForm {
        ReferralForm {
            referrer_kind: "self".into(),
            given_name: "Zoë".into(),
            family_name: "Quillfeather".into(),
            date_of_birth: "01/04/1990".into(),
            phone: "07700 900123".into(),
            safe_to_text: "safe".into(),
            consent: "yes".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_self_referral_needs_a_name_a_way_to_reach_them_and_consent() {
        let d = good().parse(Source::SelfReferral, NOW).unwrap();
        assert_eq!(d.person.date_of_birth.as_deref(), Some("1990-04-01"));
        let e = ReferralForm {
            phone: String::new(),
            consent: String::new(),
            ..good()
        }
        .parse(Source::SelfReferral, NOW)
        .unwrap_err();
        assert!(e.message_for("phone").is_some() && e.message_for("consent").is_some());
    }

    #[test]
    fn a_professional_referral_needs_who_is_referring() {
        let e = good().parse(Source::Professional, NOW).unwrap_err();
        for f in ["referrer_name", "referrer_agency", "referrer_phone"] {
            assert!(e.message_for(f).is_some(), "{f}");
        }
    }

    #[test]
    fn impossible_dates_and_scores_are_refused() {
        let e = ReferralForm {
            date_of_birth: "01/04/2030".into(),
            dash_score: "25".into(),
            child1_name: "Alfie".into(),
            child1_dob: "01/01/1990".into(),
            ..good()
        }
        .parse(Source::SelfReferral, NOW)
        .unwrap_err();
        assert!(e.message_for("date_of_birth").unwrap().contains("future"));
        assert!(e.message_for("dash_score").is_some());
        assert!(e.message_for("child1_dob").unwrap().contains("under 18"));
    }

    #[test]
    fn referring_without_consent_needs_a_reason() {
        let e = ReferralForm {
            consent: "no".into(),
            ..good()
        }
        .parse(Source::SelfReferral, NOW)
        .unwrap_err();
        assert!(e.message_for("consent_notes").is_some());
        assert!(ReferralForm {
            consent: "no".into(),
            consent_notes: "High risk; police attended".into(),
            ..good()
        }
        .parse(Source::SelfReferral, NOW)
        .is_ok());
    }

    #[test]
    fn names_allow_spelling_variants() {
        for (a, b) in [
            ("Zoë", "Zoe"),
            ("Jon", "John"),
            ("Sara", "Sarah"),
            ("Alex", "Alexandra"),
            ("O'Brien", "OBrien"),
        ] {
            assert!(names_alike(a, b), "{a} {b}");
        }
        for (a, b) in [("Zoe", "Amy"), ("Jo", "Jon"), ("Smith", "Smyth-Jones")] {
            assert!(!names_alike(a, b), "{a} {b}");
        }
    }

    #[test]
    fn matches_need_more_than_a_common_name() {
        let wanted = NamedPerson {
            given_name: "Zoe".into(),
            family_name: "Quillfeather".into(),
            date_of_birth: Some("1990-04-01".into()),
        };
        let same = Candidate {
            given_name: "Zoë".into(),
            family_name: "Quillfeather".into(),
            date_of_birth: Some("1990-04-01".into()),
            ..Default::default()
        };
        assert_eq!(
            match_reasons(&wanted, &same),
            ["same name", "same date of birth"]
        );
        let new_surname = Candidate {
            family_name: "Marsh".into(),
            ..same.clone()
        };
        assert_eq!(
            match_reasons(&wanted, &new_surname),
            ["similar first name", "same date of birth"]
        );
        let namesake = Candidate {
            date_of_birth: Some("1971-01-01".into()),
            ..same.clone()
        };
        assert!(match_reasons(&wanted, &namesake).is_empty());
        let by_phone = Candidate {
            given_name: "X".into(),
            family_name: "Y".into(),
            date_of_birth: None,
            same_phone: true,
            ..Default::default()
        };
        assert_eq!(match_reasons(&wanted, &by_phone), ["same phone number"]);
    }
}
