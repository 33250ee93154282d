//! A person's contact details and safe contact arrangements: location-class data.
//! A worker must see the arrangements before any contact detail, so they come first here too.

use crate::validation::{FieldError, Invalid};
use serde::{Deserialize, Serialize};

/// The ways of reaching someone, each with its own arrangement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Text,
    Email,
    Letter,
    Voicemail,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Phone,
        Channel::Text,
        Channel::Email,
        Channel::Letter,
        Channel::Voicemail,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Text => "text",
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::Voicemail => "voicemail",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Phone => "Phone call",
            Channel::Text => "Text message",
            Channel::Email => "Email",
            Channel::Letter => "Letter",
            Channel::Voicemail => "Voicemail",
        }
    }
}

/// Whether a channel is safe to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Safety {
    Safe,
    NotSafe,
    NotKnown,
}

impl Safety {
    pub fn parse(s: &str) -> Option<Safety> {
        match s.trim() {
            "safe" => Some(Safety::Safe),
            "not_safe" => Some(Safety::NotSafe),
            "not_known" | "" => Some(Safety::NotKnown),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::NotSafe => "not_safe",
            Safety::NotKnown => "not_known",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Safety::Safe => "Safe",
            Safety::NotSafe => "Not safe",
            Safety::NotKnown => "Not known – ask before using",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrangement {
    pub channel: Channel,
    pub safety: Safety,
    /// When it is safe, in the person's words: "weekdays 10–2, when he is at work".
    pub when: String,
}

/// Everything held about how to reach a person and where they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContactDetails {
    pub arrangements: Vec<Arrangement>,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub postcode: String,
    /// A refuge or new address that must never reach the person causing harm.
    pub confidential_address: bool,
}

impl ContactDetails {
    pub fn arrangement(&self, c: &Channel) -> Arrangement {
        let c = *c;
        self.arrangements
            .iter()
            .find(|a| a.channel == c)
            .cloned()
            .unwrap_or(Arrangement {
                channel: c,
                safety: Safety::NotKnown,
                when: String::new(),
            })
    }

    /// The arrangements in one line: see [`safe_contact_line`].
    pub fn safe_contact_line(&self) -> String {
        safe_contact_line(&self.arrangements)
    }
}

/// What a form or API call sends; every field is text so nothing typed is lost on error.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub confidential_address: Option<String>,
    #[serde(default)]
    pub phone_safety: String,
    #[serde(default)]
    pub phone_when: String,
    #[serde(default)]
    pub text_safety: String,
    #[serde(default)]
    pub text_when: String,
    #[serde(default)]
    pub email_safety: String,
    #[serde(default)]
    pub email_when: String,
    #[serde(default)]
    pub letter_safety: String,
    #[serde(default)]
    pub letter_when: String,
    #[serde(default)]
    pub voicemail_safety: String,
    #[serde(default)]
    pub voicemail_when: String,
}

impl ContactForm {
    pub fn from_details(d: &ContactDetails) -> Self {
        let a = |c: Channel| d.arrangement(&c);
        Self {
            phone: d.phone.clone(),
            email: d.email.clone(),
            address: d.address.clone(),
            postcode: d.postcode.clone(),
            confidential_address: d.confidential_address.then(|| "yes".into()),
            phone_safety: a(Channel::Phone).safety.code().into(),
            phone_when: a(Channel::Phone).when,
            text_safety: a(Channel::Text).safety.code().into(),
            text_when: a(Channel::Text).when,
            email_safety: a(Channel::Email).safety.code().into(),
            email_when: a(Channel::Email).when,
            letter_safety: a(Channel::Letter).safety.code().into(),
            letter_when: a(Channel::Letter).when,
            voicemail_safety: a(Channel::Voicemail).safety.code().into(),
            voicemail_when: a(Channel::Voicemail).when,
        }
    }

    fn channel(&self, c: Channel) -> (&str, &str) {
        match c {
            Channel::Phone => (&self.phone_safety, &self.phone_when),
            Channel::Text => (&self.text_safety, &self.text_when),
            Channel::Email => (&self.email_safety, &self.email_when),
            Channel::Letter => (&self.letter_safety, &self.letter_when),
            Channel::Voicemail => (&self.voicemail_safety, &self.voicemail_when),
        }
    }

    pub fn parse(&self) -> Result<ContactDetails, Invalid> {
        let mut invalid = Invalid::default();
        let phone = invalid
            .check(parse_phone("phone", &self.phone))
            .unwrap_or_default();
        let email = self.email.trim().to_string();
        if !email.is_empty() {
            invalid.check(crate::validation::EmailAddress::parse("email", &email));
        }
        let postcode = invalid
            .check(parse_postcode("postcode", &self.postcode))
            .unwrap_or_default();
        let address = self.address.trim().to_string();
        if address.chars().count() > 1_000 {
            invalid.push("address", "Address must be 1,000 characters or fewer");
        }
        let mut arrangements = Vec::new();
        for c in Channel::ALL {
            let (safety, when) = self.channel(c);
            let field = format!("{}_safety", c.code());
            match Safety::parse(safety) {
                Some(s) => {
                    let when = when.trim().to_string();
                    if when.chars().count() > 500 {
                        invalid.push(
                            &format!("{}_when", c.code()),
                            "Must be 500 characters or fewer",
                        );
                    }
                    arrangements.push(Arrangement {
                        channel: c,
                        safety: s,
                        when,
                    });
                }
                None => invalid.push(&field, "Choose safe, not safe or not known"),
            }
        }
        // A detail that is not safe to use must still be recorded, but a safe channel needs the detail.
        let has = |c: Channel| match c {
            Channel::Phone | Channel::Text | Channel::Voicemail => !phone.is_empty(),
            Channel::Email => !email.is_empty(),
            Channel::Letter => !address.is_empty(),
        };
        for a in &arrangements {
            if a.safety == Safety::Safe && !has(a.channel) {
                let (field, what) = match a.channel {
                    Channel::Email => ("email", "an email address"),
                    Channel::Letter => ("address", "an address"),
                    _ => ("phone", "a phone number"),
                };
                invalid.push(
                    field,
                    format!(
                        "Enter {what}, or do not mark {} as safe",
                        a.channel.label().to_lowercase()
                    ),
                );
            }
        }
        invalid.into_result()?;
        Ok(ContactDetails {
            arrangements,
            phone,
            email: email.to_lowercase(),
            address,
            postcode,
            confidential_address: self
                .confidential_address
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "no"),
        })
    }
}

/// Arrangements in one line, safe ways first with their times: "Safe: Phone call (after 10),
/// Email. Not safe: Text message, Voicemail." A way nobody asked about is named as one to ask
/// about, never as safe, and times are given only for safe ways: "Not safe (weekdays)" reads
/// as permission.
pub fn safe_contact_line(arrangements: &[Arrangement]) -> String {
    let of = |c: Channel| {
        arrangements
            .iter()
            .find(|a| a.channel == c)
            .map_or((Safety::NotKnown, ""), |a| (a.safety, a.when.trim()))
    };
    let mut parts = Vec::new();
    for (safety, head) in [
        (Safety::Safe, "Safe"),
        (Safety::NotSafe, "Not safe"),
        (Safety::NotKnown, "Ask first"),
    ] {
        let ways: Vec<String> = Channel::ALL
            .iter()
            .filter(|c| of(**c).0 == safety)
            .map(|c| match of(*c).1 {
                when if safety == Safety::Safe && !when.is_empty() => {
                    format!("{} ({when})", c.label())
                }
                _ => c.label().to_string(),
            })
            .collect();
        if !ways.is_empty() {
            parts.push(format!("{head}: {}.", ways.join(", ")));
        }
    }
    parts.join(" ")
}

/// A UK phone number, kept as typed but checked: 10 or 11 digits, or +44 and 10 digits.
pub fn parse_phone(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let allowed = s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    let lead = s.trim_start_matches('(');
    let ok = allowed
        && ((lead.starts_with("+44") && digits.len() == 12)
            || (!lead.starts_with('+')
                && digits.starts_with('0')
                && (10..=11).contains(&digits.len())));
    if !ok {
        return Err(FieldError::new(
            field,
            "Enter a UK phone number, like 07700 900 982 or +44 7700 900 982",
        ));
    }
    Ok(s.to_string())
}

/// A UK postcode, normalised to capitals with one space: "ns1 2ab" becomes "NS1 2AB".
pub fn parse_postcode(field: &str, raw: &str) -> Result<String, FieldError> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if compact.is_empty() {
        return Ok(String::new());
    }
    let bytes = compact.as_bytes();
    let n = bytes.len();
    let shape_ok = (5..=7).contains(&n)
        && bytes[0].is_ascii_alphabetic()
        && bytes[n - 3].is_ascii_digit()
        && bytes[n - 2].is_ascii_alphabetic()
        && bytes[n - 1].is_ascii_alphabetic()
        && compact[..n - 3].chars().all(|c| c.is_ascii_alphanumeric());
    if !shape_ok {
        return Err(FieldError::new(
            field,
            "Enter a real postcode, like NS1 2AB",
        ));
    }
    Ok(format!("{} {}", &compact[..n - 3], &compact[n - 3..]))
}

/// The ways a contact used that the person's arrangements mark not safe: a phone call when
/// calls are not safe, a voicemail left when voicemail is not safe, and so on. `method` and
/// `outcome` are the timeline's codes (`phone`, `message_left`). A way not known to be safe is
/// not listed: only a "not safe" the person told us about needs a reason to override.
pub fn unsafe_ways(details: &ContactDetails, method: &str, outcome: &str) -> Vec<Channel> {
    channels_used(method, outcome)
        .into_iter()
        .filter(|c| details.arrangement(c).safety == Safety::NotSafe)
        .collect()
}

/// The channels a contact used, from the timeline's method and outcome codes: a call that left
/// a message used voicemail as well. In-person and video contacts use none of them.
fn channels_used(method: &str, outcome: &str) -> Vec<Channel> {
    let mut used = Vec::new();
    match method {
        "phone" => used.push(Channel::Phone),
        "text" => used.push(Channel::Text),
        "email" => used.push(Channel::Email),
        "letter" => used.push(Channel::Letter),
        _ => {}
    }
    if method == "phone" && outcome == "message_left" {
        used.push(Channel::Voicemail);
    }
    used
}

/// When a safe way may be used, read from the person's own words where they are clear:
/// "weekdays 10-2", "after 6pm", "before 15:30", "9am to 3pm". Words that say something else
/// ("when he is at work") give no window: Hearth cannot check them, so the form shows them
/// beside the time instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafeWindow {
    /// `None` for any day.
    pub days: Option<Days>,
    pub from: time::Time,
    pub until: time::Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Days {
    Weekdays,
    Weekends,
}

impl SafeWindow {
    pub fn parse(words: &str) -> Option<SafeWindow> {
        let mut s = words.to_lowercase();
        for dash in ["\u{2013}", "\u{2014}", " to ", " until ", " till "] {
            s = s.replace(dash, "-");
        }
        let mut days = None;
        for (word, d) in [
            ("weekdays", Days::Weekdays),
            ("mon-fri", Days::Weekdays),
            ("monday-friday", Days::Weekdays),
            ("weekends", Days::Weekends),
            ("weekend", Days::Weekends),
        ] {
            if days.is_none() && s.contains(word) {
                days = Some(d);
                s = s.replace(word, " ");
            }
        }
        let s = s.replace(" - ", "-");
        let words: Vec<&str> = s
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|w| !w.is_empty() && !["only", "between", "from", "on"].contains(w))
            .collect();
        let (from, until) = match words.as_slice() {
            ["after", t] => (clock_time(t, false)?, time::Time::from_hms(23, 59, 0).ok()?),
            ["before", t] => (time::Time::MIDNIGHT, clock_time(t, false)?),
            [range] => {
                let (a, b) = range.split_once('-')?;
                let (from, until) = (clock_time(a, false)?, clock_time(b, false)?);
                if from < until {
                    (from, until)
                } else {
                    // "7-9" read as 19:00 to 9:00 is nobody's meaning: take the start literally.
                    let from = clock_time(a, true)?;
                    if from >= until {
                        return None;
                    }
                    (from, until)
                }
            }
            _ => return None,
        };
        Some(SafeWindow { days, from, until })
    }

    /// Is this local moment inside the window?
    pub fn contains(&self, at: time::PrimitiveDateTime) -> bool {
        let weekend = matches!(
            at.weekday(),
            time::Weekday::Saturday | time::Weekday::Sunday
        );
        let day_ok = match self.days {
            None => true,
            Some(Days::Weekdays) => !weekend,
            Some(Days::Weekends) => weekend,
        };
        day_ok && at.time() >= self.from && at.time() <= self.until
    }
}

/// "10", "2pm", "14:30", "9.15am". Without am or pm, 1 to 7 o'clock are read as afternoon
/// (nobody arranges a safe call for 3 in the morning) unless `literal` is set.
fn clock_time(raw: &str, literal: bool) -> Option<time::Time> {
    let t = raw.trim();
    let (t, half) = if let Some(x) = t.strip_suffix("am") {
        (x, Some(false))
    } else if let Some(x) = t.strip_suffix("pm") {
        (x, Some(true))
    } else {
        (t, None)
    };
    let (h, m) = t.split_once([':', '.']).unwrap_or((t, "0"));
    let (mut h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 23 {
        return None;
    }
    match half {
        Some(_) if h > 12 => return None,
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        None if !literal && (1..=7).contains(&h) && !t.contains([':', '.']) => h += 12,
        _ => {}
    }
    time::Time::from_hms(h, m, 0).ok()
}

/// Ways the person marked safe only at certain times, used outside them: each channel with
/// the person's own words. `at` is UK local time.
pub fn outside_safe_hours(
    details: &ContactDetails,
    method: &str,
    outcome: &str,
    at: time::PrimitiveDateTime,
) -> Vec<(Channel, String)> {
    channels_used(method, outcome)
        .into_iter()
        // A letter or an email arrives when it arrives: only a call, a text or a voicemail
        // reaches her at the moment it is made.
        .filter(|c| matches!(c, Channel::Phone | Channel::Text | Channel::Voicemail))
        .map(|c| details.arrangement(&c))
        .filter(|a| a.safety == Safety::Safe)
        .filter(|a| SafeWindow::parse(&a.when).is_some_and(|w| !w.contains(at)))
        .map(|a| (a.channel, a.when.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_by_a_way_marked_not_safe_is_named() {
        let d = ContactDetails {
            arrangements: vec![
                Arrangement {
                    channel: Channel::Phone,
                    safety: Safety::Safe,
                    when: "after 10".into(),
                },
                Arrangement {
                    channel: Channel::Voicemail,
                    safety: Safety::NotSafe,
                    when: String::new(),
                },
                Arrangement {
                    channel: Channel::Text,
                    safety: Safety::NotSafe,
                    when: String::new(),
                },
            ],
            ..Default::default()
        };
        assert!(unsafe_ways(&d, "phone", "spoke").is_empty());
        assert_eq!(
            unsafe_ways(&d, "phone", "message_left"),
            vec![Channel::Voicemail]
        );
        assert_eq!(unsafe_ways(&d, "text", "no_answer"), vec![Channel::Text]);
        assert!(
            unsafe_ways(&d, "email", "spoke").is_empty(),
            "not known is not 'not safe'"
        );
        assert!(unsafe_ways(&d, "in_person", "spoke").is_empty());
    }

    #[test]
    fn the_one_line_summary_puts_safe_ways_first_and_never_calls_unknown_safe() {
        let d = ContactDetails {
            arrangements: vec![
                Arrangement {
                    channel: Channel::Phone,
                    safety: Safety::Safe,
                    when: "after 10".into(),
                },
                Arrangement {
                    channel: Channel::Text,
                    safety: Safety::NotSafe,
                    when: "weekdays".into(),
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            d.safe_contact_line(),
            "Safe: Phone call (after 10). Not safe: Text message. Ask first: Email, Letter, Voicemail."
        );
    }

    #[test]
    fn safe_hours_are_read_from_clear_words_only() {
        use time::macros::time;
        let w = |s: &str| SafeWindow::parse(s).map(|w| (w.days, w.from, w.until));
        assert_eq!(w("10-2"), Some((None, time!(10:00), time!(14:00))));
        assert_eq!(
            w("Weekdays 10\u{2013}2"),
            Some((Some(Days::Weekdays), time!(10:00), time!(14:00)))
        );
        assert_eq!(w("9am to 3pm"), Some((None, time!(09:00), time!(15:00))));
        assert_eq!(w("after 6"), Some((None, time!(18:00), time!(23:59))));
        assert_eq!(w("before 15:30"), Some((None, time!(00:00), time!(15:30))));
        assert_eq!(w("7-9"), Some((None, time!(07:00), time!(09:00))));
        assert_eq!(
            w("between 12 and 2"),
            None,
            "'and' is not read: no guessing"
        );
        assert_eq!(w("when he is at work"), None);
        assert_eq!(w(""), None);
        assert_eq!(w("25-26"), None);
    }

    #[test]
    fn a_call_outside_her_safe_hours_is_named_with_her_words() {
        use time::macros::datetime;
        let d = ContactDetails {
            arrangements: vec![
                Arrangement {
                    channel: Channel::Phone,
                    safety: Safety::Safe,
                    when: "weekdays 10-2".into(),
                },
                Arrangement {
                    channel: Channel::Voicemail,
                    safety: Safety::Safe,
                    when: "when he is at work".into(),
                },
            ],
            ..Default::default()
        };
        // Tuesday 24 November 2026.
        assert!(outside_safe_hours(&d, "phone", "spoke", datetime!(2026-11-24 11:00)).is_empty());
        assert_eq!(
            outside_safe_hours(&d, "phone", "message_left", datetime!(2026-11-24 18:30)),
            vec![(Channel::Phone, "weekdays 10-2".to_string())],
            "voicemail's words cannot be checked, so only the call is named"
        );
        assert_eq!(
            outside_safe_hours(&d, "phone", "spoke", datetime!(2026-11-28 11:00)).len(),
            1,
            "a Saturday is not a weekday"
        );
        assert!(
            outside_safe_hours(&d, "in_person", "spoke", datetime!(2026-11-24 18:30)).is_empty()
        );
    }

    #[test]
    fn postcodes_are_normalised_and_checked() {
        assert_eq!(parse_postcode("p", " sw1a1aa ").unwrap(), "SW1A 1AA");
        assert_eq!(parse_postcode("p", "M1 1AE").unwrap(), "M1 1AE");
        assert_eq!(parse_postcode("p", "").unwrap(), "");
        for bad in ["12345", "SW1A", "ABC DEF", "SW1A 1A!"] {
            assert!(parse_postcode("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_are_checked() {
        for ok in ["07700 900982", "+44 7700 900982", "(01632) 960 123"] {
            assert!(parse_phone("p", ok).is_ok(), "{ok}");
        }
        for bad in ["12", "07700-900-98x", "+1 555 0100 123"] {
            assert!(parse_phone("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_safe_channel_needs_its_detail() {
        let f = ContactForm {
            text_safety: "safe".into(),
            ..Default::default()
        };
        let e = f.parse().unwrap_err();
        assert_eq!(e.0[0].field, "phone");
        let f = ContactForm {
            text_safety: "safe".into(),
            phone: "07700 900982".into(),
            ..Default::default()
        };
        let d = f.parse().unwrap();
        assert_eq!(d.arrangement(&Channel::Text).safety, Safety::Safe);
        assert_eq!(d.arrangement(&Channel::Phone).safety, Safety::NotKnown);
    }

    #[test]
    fn unknown_safety_values_are_refused() {
        let f = ContactForm {
            phone_safety: "maybe".into(),
            ..Default::default()
        };
        assert_eq!(f.parse().unwrap_err().0[0].field, "phone_safety");
    }

    #[test]
    fn round_trip_through_the_form() {
        let f = ContactForm {
            phone: "07700 900982".into(),
            phone_safety: "not_safe".into(),
            text_safety: "safe".into(),
            text_when: "weekdays 10–2".into(),
            address: "Flat 2, 1 Example Road".into(),
            postcode: "ns1 2ab".into(),
            confidential_address: Some("yes".into()),
            ..Default::default()
        };
        let d = f.parse().unwrap();
        assert!(d.confidential_address);
        assert_eq!(ContactForm::from_details(&d).parse().unwrap(), d);
    }
}
