//! MARAC: referrals to the multi-agency risk assessment conference, its meetings and the actions
//! agencies agree there, with the repeat rule and the figures coordinators report.

use crate::ukdate::{add_months, parse_date};
use crate::validation::Invalid;
use serde::{Deserialize, Serialize};
use time::Date;

/// Why a case is referred. A referral meets one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// The risk checklist reached the high-risk threshold.
    VisibleHighRisk,
    /// The worker's professional judgement.
    ProfessionalJudgement,
    /// Potential escalation: 3 or more police call-outs in 12 months.
    PotentialEscalation,
    /// Referred again within 12 months of the last MARAC.
    Repeat,
}

impl Criterion {
    pub const ALL: [Criterion; 4] = [
        Criterion::VisibleHighRisk,
        Criterion::ProfessionalJudgement,
        Criterion::PotentialEscalation,
        Criterion::Repeat,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Criterion::VisibleHighRisk => "visible_high_risk",
            Criterion::ProfessionalJudgement => "professional_judgement",
            Criterion::PotentialEscalation => "potential_escalation",
            Criterion::Repeat => "repeat",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Criterion::VisibleHighRisk => "Visible high risk (checklist at or above the threshold)",
            Criterion::ProfessionalJudgement => "Professional judgement",
            Criterion::PotentialEscalation => {
                "Potential escalation (3 or more police call-outs in 12 months)"
            }
            Criterion::Repeat => "Repeat (within 12 months of the last MARAC)",
        }
    }

    pub fn parse(s: &str) -> Option<Criterion> {
        Criterion::ALL.into_iter().find(|c| c.code() == s.trim())
    }
}

/// Does the victim know about the referral, and did they agree?
pub const KNOWS: &[(&str, &str)] = &[("yes", "Yes"), ("no", "No")];
pub const CONSENT: &[(&str, &str)] = &[
    ("yes", "Yes, they agreed"),
    ("no", "No: referred without consent because of the risk"),
    ("not_asked", "Not asked: it was not safe to ask"),
];

/// Agencies that refer cases to MARAC: this service first, then its partners.
pub const SOURCES: &[(&str, &str)] = &[
    ("idva", "Idva service (this service)"),
    ("police", "Police"),
    ("health", "Health (GP, hospital, midwife or health visitor)"),
    ("childrens_services", "Children's social care"),
    ("adult_social_care", "Adult social care"),
    ("housing", "Housing"),
    ("probation", "Probation"),
    ("education", "School or college"),
    ("other", "Another agency"),
];

pub fn source_label(code: &str) -> &str {
    SOURCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or(code)
}

/// A child in the household, as the MARAC needs to know them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildLine {
    pub name: String,
    pub date_of_birth: String,
    pub school: String,
    pub relationship: String,
}

/// What is sent to MARAC about the family: pre-filled from the case, checked by the worker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralDetails {
    pub safe_contact: String,
    pub perpetrators: String,
    pub children: Vec<ChildLine>,
    pub summary: String,
}

/// The referral as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralForm {
    /// Criterion codes ticked.
    pub criteria: Vec<String>,
    pub victim_knows: String,
    pub victim_consented: String,
    pub source_agency: String,
    pub details: ReferralDetails,
    pub submission_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReferral {
    pub criteria: Vec<Criterion>,
    pub victim_knows: bool,
    pub victim_consented: String,
    pub source_agency: String,
    pub details: ReferralDetails,
}

impl ReferralForm {
    /// `repeat` is whether the repeat rule applies: the criterion is then added whatever was
    /// ticked, because it is a fact about the dates, not a choice.
    pub fn parse(&self, repeat: bool) -> Result<CheckedReferral, Invalid> {
        let mut invalid = Invalid::default();
        let mut criteria = Vec::new();
        for c in &self.criteria {
            match Criterion::parse(c) {
                Some(c) if !criteria.contains(&c) => criteria.push(c),
                Some(_) => {}
                None => invalid.push("criteria", "Choose the criteria from the list"),
            }
        }
        if repeat && !criteria.contains(&Criterion::Repeat) {
            criteria.push(Criterion::Repeat);
        }
        if !repeat {
            criteria.retain(|c| *c != Criterion::Repeat);
        }
        if criteria.is_empty() {
            invalid.push(
                "criteria",
                "Choose at least one reason for the referral, such as professional judgement",
            );
        }
        let victim_knows = match self.victim_knows.trim() {
            "yes" => true,
            "no" => false,
            _ => {
                invalid.push(
                    "victim_knows",
                    "Say whether the victim knows about the referral",
                );
                false
            }
        };
        let consent = self.victim_consented.trim();
        if !CONSENT.iter().any(|(c, _)| *c == consent) {
            invalid.push(
                "victim_consented",
                "Say whether the victim agreed to the referral",
            );
        }
        if victim_knows && consent == "not_asked" {
            invalid.push(
                "victim_consented",
                "If the victim knows about the referral, record whether they agreed",
            );
        }
        let source = self.source_agency.trim();
        if !SOURCES.iter().any(|(c, _)| *c == source) {
            invalid.push("source_agency", "Choose the agency making the referral");
        }
        let safe_contact = invalid.text::<2000>("safe_contact", &self.details.safe_contact);
        let perpetrators = invalid.text::<2000>("perpetrators", &self.details.perpetrators);
        let summary = invalid.text::<8000>("summary", &self.details.summary);
        if summary.is_empty() {
            invalid.push("summary", "Summarise the risk for the MARAC");
        }
        let mut children = Vec::new();
        for (n, c) in self.details.children.iter().enumerate() {
            let name = invalid.text::<200>(&format!("child_name_{n}"), &c.name);
            if name.is_empty() {
                continue;
            }
            children.push(ChildLine {
                name,
                date_of_birth: invalid.text::<20>(&format!("child_dob_{n}"), &c.date_of_birth),
                school: invalid.text::<200>(&format!("child_school_{n}"), &c.school),
                relationship: invalid
                    .text::<200>(&format!("child_relationship_{n}"), &c.relationship),
            });
        }
        invalid.into_result()?;
        Ok(CheckedReferral {
            criteria,
            victim_knows,
            victim_consented: consent.to_string(),
            source_agency: source.to_string(),
            details: ReferralDetails {
                safe_contact,
                perpetrators,
                children,
                summary,
            },
        })
    }
}

/// Earlier MARAC dates for the same victim within the 12 months before this referral. Any at all
/// make the referral a repeat.
pub fn repeat_of(earlier_heard: &[Date], referred_on: Date) -> Vec<Date> {
    let since = add_months(referred_on, -12);
    let mut d: Vec<Date> = earlier_heard
        .iter()
        .copied()
        .filter(|d| *d >= since && *d <= referred_on)
        .collect();
    d.sort();
    d.dedup();
    d
}

/// A meeting as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MeetingForm {
    pub held_on: String,
    pub area: String,
}

/// How far back a meeting may be recorded (late entry of a past year's MARAC), and how far ahead
/// one may be scheduled. Outside this window a date is a typing mistake, not a meeting.
pub const MEETING_YEARS_BACK: i32 = 5;
pub const MEETING_YEARS_AHEAD: i32 = 2;
/// An action is due within this many years of the meeting that agreed it.
pub const ACTION_YEARS_AHEAD: i32 = 2;

fn years_from(d: Date, years: i32) -> Date {
    crate::ukdate::add_months(d, years * 12)
}

impl MeetingForm {
    pub fn parse(&self, today: Date) -> Result<(Date, String), Invalid> {
        let mut invalid = Invalid::default();
        let held_on = match parse_date("held_on", &self.held_on, "the meeting date") {
            Ok(Some(d))
                if d < years_from(today, -MEETING_YEARS_BACK)
                    || d > years_from(today, MEETING_YEARS_AHEAD) =>
            {
                invalid.push(
                    "held_on",
                    format!(
                        "The meeting date must be between {} and {}",
                        crate::ukdate::format_date(years_from(today, -MEETING_YEARS_BACK)),
                        crate::ukdate::format_date(years_from(today, MEETING_YEARS_AHEAD))
                    ),
                );
                None
            }
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                invalid.push("held_on", "Enter the meeting date, like 8/12/2026");
                None
            }
            Err(e) => {
                invalid.0.push(e);
                None
            }
        };
        let area = invalid.text::<200>("area", &self.area);
        if area.is_empty() {
            invalid.push(
                "area",
                "Enter the area the meeting covers, like North Tyneside",
            );
        }
        invalid.into_result()?;
        Ok((held_on.expect("checked"), area))
    }
}

/// Whether an agency came to a meeting.
pub const ATTENDANCE: &[(&str, &str)] = &[("present", "Present"), ("apologies", "Sent apologies")];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    Done,
    Cancelled,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [
        ActionStatus::Open,
        ActionStatus::Done,
        ActionStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
            ActionStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::Open => "Open",
            ActionStatus::Done => "Done",
            ActionStatus::Cancelled => "No longer needed",
        }
    }

    pub fn parse(s: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|a| a.code() == s.trim())
    }
}

/// Whether an action's agency (typed at the meeting) is this service itself, so the action is
/// the worker's own task rather than another agency's to follow up.
pub fn held_by_this_service(agency: &str) -> bool {
    let a = agency.trim().to_lowercase();
    a.starts_with("idva") || a == "this service" || a == "us" || a.contains("(this service)")
}

/// An action as typed at the meeting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    pub agency: String,
    pub description: String,
    pub due_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAction {
    pub agency: String,
    pub description: String,
    pub due_on: Date,
}

impl ActionForm {
    /// Actions are agreed at the meeting, so none can fall due before it.
    pub fn parse(&self, meeting_on: Date) -> Result<CheckedAction, Invalid> {
        let mut invalid = Invalid::default();
        let agency = invalid.text::<200>("agency", &self.agency);
        if agency.is_empty() {
            invalid.push("agency", "Name the agency that owns the action");
        }
        let description = invalid.text::<2000>("description", &self.description);
        if description.is_empty() {
            invalid.push("description", "Describe the action");
        }
        let due_on = match parse_date("due_on", &self.due_on, "the due date") {
            Ok(Some(d)) if d < meeting_on => {
                invalid.push(
                    "due_on",
                    format!(
                        "The due date cannot be before the meeting on {}: actions are agreed at the meeting",
                        crate::ukdate::format_date(meeting_on)
                    ),
                );
                None
            }
            Ok(Some(d)) if d > years_from(meeting_on, ACTION_YEARS_AHEAD) => {
                invalid.push(
                    "due_on",
                    format!(
                        "The due date must be within {ACTION_YEARS_AHEAD} years of the meeting, by {}",
                        crate::ukdate::format_date(years_from(meeting_on, ACTION_YEARS_AHEAD))
                    ),
                );
                None
            }
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                invalid.push(
                    "due_on",
                    "Enter the date the action is due, like 15/12/2026",
                );
                None
            }
            Err(e) => {
                invalid.0.push(e);
                None
            }
        };
        invalid.into_result()?;
        Ok(CheckedAction {
            agency,
            description,
            due_on: due_on.expect("checked"),
        })
    }
}

/// An open action past its due date.
pub fn is_overdue(status: ActionStatus, due_on: Date, today: Date) -> bool {
    status == ActionStatus::Open && due_on < today
}

/// One referral, as the dashboard counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    pub meeting_on: Date,
    pub repeat: bool,
    pub source_agency: String,
}

/// The MARAC figures for the 12 months up to `today`, with their definitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// Cases heard in the 12 months up to today (the denominator of the repeat rate).
    pub heard: i64,
    /// Of those, repeats (the numerator).
    pub repeats: i64,
    /// repeats / heard, as a percentage; `None` when nothing was heard.
    pub repeat_rate: Option<f64>,
    /// Cases heard per 10,000 adult women in the area; `None` without a population.
    pub per_10k_women: Option<f64>,
    pub adult_female_population: Option<i64>,
    /// Referrals heard, by the agency that made them, most first.
    pub by_source: Vec<(String, i64)>,
}

/// Whether a meeting on this date has been held by `today`: one held today counts as held. Every
/// MARAC figure and list uses this one definition of "past", so the figures add up.
pub fn is_held(held_on: Date, today: Date) -> bool {
    held_on <= today
}

/// Count the cases heard in the 12 months up to today.
pub fn dashboard(heard: &[Heard], today: Date, adult_female_population: Option<i64>) -> Dashboard {
    let since = add_months(today, -12);
    let in_year: Vec<&Heard> = heard
        .iter()
        .filter(|h| h.meeting_on > since && is_held(h.meeting_on, today))
        .collect();
    let n = in_year.len() as i64;
    let repeats = in_year.iter().filter(|h| h.repeat).count() as i64;
    let mut by_source: Vec<(String, i64)> = Vec::new();
    for h in &in_year {
        match by_source.iter_mut().find(|(s, _)| *s == h.source_agency) {
            Some((_, c)) => *c += 1,
            None => by_source.push((h.source_agency.clone(), 1)),
        }
    }
    by_source.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Dashboard {
        heard: n,
        repeats,
        repeat_rate: (n > 0).then(|| repeats as f64 * 100.0 / n as f64),
        per_10k_women: adult_female_population
            .filter(|p| *p > 0)
            .map(|p| n as f64 * 10_000.0 / p as f64),
        adult_female_population,
        by_source,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_services_own_actions_are_told_from_partners() {
        assert!(super::held_by_this_service("Idva"));
        assert!(super::held_by_this_service(" idva service (this service)"));
        assert!(super::held_by_this_service("This service"));
        assert!(!super::held_by_this_service("Police"));
        assert!(!super::held_by_this_service("Children's social care"));
    }

    use super::*;
    use time::macros::date;

    #[test]
    fn a_referral_within_twelve_months_of_the_last_marac_is_a_repeat() {
        let earlier = [
            date!(2025 - 10 - 01),
            date!(2026 - 03 - 10),
            date!(2026 - 09 - 01),
        ];
        assert_eq!(
            repeat_of(&earlier, date!(2026 - 11 - 23)),
            vec![date!(2026 - 03 - 10), date!(2026 - 09 - 01)]
        );
        assert!(repeat_of(&earlier, date!(2027 - 09 - 02)).is_empty());
        assert_eq!(
            repeat_of(&earlier, date!(2027 - 09 - 01)),
            vec![date!(2026 - 09 - 01)]
        );
    }

    #[test]
    fn the_repeat_criterion_follows_the_dates_not_the_tick_box() {
        let mut f = ReferralForm {
            criteria: vec!["visible_high_risk".into(), "repeat".into()],
            victim_knows: "yes".into(),
            victim_consented: "yes".into(),
            source_agency: "idva".into(),
            details: ReferralDetails {
                summary: "Threats to kill after separation.".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            f.parse(false).unwrap().criteria,
            vec![Criterion::VisibleHighRisk]
        );
        f.criteria = vec!["professional_judgement".into()];
        assert_eq!(
            f.parse(true).unwrap().criteria,
            vec![Criterion::ProfessionalJudgement, Criterion::Repeat]
        );
        f.criteria.clear();
        assert!(f
            .parse(false)
            .unwrap_err()
            .message_for("criteria")
            .is_some());
        f.criteria = vec!["professional_judgement".into()];
        f.victim_consented = "not_asked".into();
        assert!(f
            .parse(false)
            .unwrap_err()
            .message_for("victim_consented")
            .is_some());
    }

    #[test]
    fn an_action_cannot_fall_due_before_its_meeting() {
        let meeting = date!(2026 - 12 - 08);
        let f = ActionForm {
            agency: "Police".into(),
            description: "Flag the address for urgent response".into(),
            due_on: "7/12/2026".into(),
        };
        let e = f.parse(meeting).unwrap_err();
        assert_eq!(
            e.message_for("due_on"),
            Some("The due date cannot be before the meeting on 8 December 2026: actions are agreed at the meeting")
        );
        let ok = ActionForm {
            due_on: "8/12/2026".into(),
            ..f
        };
        assert_eq!(ok.parse(meeting).unwrap().due_on, meeting);
        assert!(is_overdue(
            ActionStatus::Open,
            meeting,
            date!(2026 - 12 - 09)
        ));
        assert!(!is_overdue(
            ActionStatus::Done,
            meeting,
            date!(2026 - 12 - 09)
        ));
        assert!(!is_overdue(ActionStatus::Open, meeting, meeting));
    }

    #[test]
    fn the_dashboard_counts_the_last_twelve_months() {
        let h = |d: Date, repeat: bool, s: &str| Heard {
            meeting_on: d,
            repeat,
            source_agency: s.into(),
        };
        let heard = [
            h(date!(2025 - 11 - 01), true, "police"),
            h(date!(2026 - 01 - 10), false, "police"),
            h(date!(2026 - 05 - 10), true, "idva"),
            h(date!(2026 - 11 - 10), false, "police"),
            h(date!(2026 - 11 - 10), false, "health"),
        ];
        let d = dashboard(&heard, date!(2026 - 11 - 23), Some(80_000));
        assert_eq!((d.heard, d.repeats), (4, 1));
        assert_eq!(d.repeat_rate, Some(25.0));
        assert_eq!(d.per_10k_women, Some(0.5));
        assert_eq!(d.by_source[0], ("police".to_string(), 2));
        assert_eq!(
            dashboard(&[], date!(2026 - 11 - 23), None).repeat_rate,
            None
        );
    }
}
