//! Risk assessment: the level a checklist gives, professional judgement on top of it, escalation
//! by repeated police call-outs, and when a reassessment falls due.
//!
//! The rule that matters most here is that judgement never downgrades: a worker can always
//! raise a level they are worried about, and can never lower what the answers show.

use crate::instrument::{Instrument, Kind, Scored};
use crate::validation::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Duration};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Standard,
    Medium,
    High,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 3] = [RiskLevel::Standard, RiskLevel::Medium, RiskLevel::High];

    pub fn code(self) -> &'static str {
        match self {
            RiskLevel::Standard => "standard",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RiskLevel::Standard => "Standard",
            RiskLevel::Medium => "Medium",
            RiskLevel::High => "High",
        }
    }

    pub fn parse(s: &str) -> Option<RiskLevel> {
        RiskLevel::ALL.into_iter().find(|l| l.code() == s.trim())
    }
}

/// Police call-outs in 12 months at which a case is escalated and flagged for MARAC.
pub const ESCALATION_CALLOUTS: i64 = 3;

/// What the worker fills in: the answers, and what they add to them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentForm {
    /// Answers by question id.
    pub answers: BTreeMap<String, String>,
    /// "yes" once the worker has confirmed it is safe to talk.
    pub safe_to_talk: String,
    /// Empty, or a level chosen on professional judgement.
    pub judgement_level: String,
    pub judgement_reason: String,
    /// Police call-outs to the home in the last 12 months, as far as known.
    pub police_callouts: String,
    /// What the checklist asks the worker to describe ("what and how"): sensitive, like the
    /// answers.
    #[serde(default)]
    pub notes: String,
    /// Why the level is lower than the one it replaces. Required only then.
    #[serde(default)]
    pub lowered_reason: String,
    pub submission_key: String,
}

/// A checked assessment, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub answers: BTreeMap<String, String>,
    pub score: i64,
    pub yes_count: i64,
    /// The level the answers alone give.
    pub score_level: RiskLevel,
    /// The level that stands: the score level, or higher on professional judgement.
    pub level: RiskLevel,
    pub judgement_reason: Option<String>,
    pub police_callouts: Option<i64>,
    pub escalated: bool,
}

/// Apply professional judgement to the level the answers give. Judgement can raise the level,
/// with a written reason; it can never lower it.
pub fn apply_judgement(
    score_level: RiskLevel,
    yes_count: i64,
    judgement: Option<RiskLevel>,
    reason: &str,
) -> Result<(RiskLevel, Option<String>), Invalid> {
    let reason = reason.trim();
    match judgement {
        None => Ok((score_level, None)),
        Some(j) if j < score_level => Err(Invalid::one(
            "judgement_level",
            format!(
                "Professional judgement can raise the risk level but never lower it. The answers ({yes_count} yes) \
                 give {} risk, so choose {} or higher, or leave judgement blank",
                score_level.label().to_lowercase(),
                score_level.label().to_lowercase()
            ),
        )),
        Some(j) if j == score_level => Ok((score_level, None)),
        Some(j) => {
            if reason.chars().count() < 10 {
                Err(Invalid::one(
                    "judgement_reason",
                    "Say why your professional judgement puts the risk higher than the answers do",
                ))
            } else if reason.chars().count() > 4000 {
                Err(Invalid::one(
                    "judgement_reason",
                    "The reason must be 4,000 characters or fewer",
                ))
            } else {
                Ok((j, Some(reason.to_string())))
            }
        }
    }
}

/// The level a risk instrument's score band stands for.
pub fn level_of(scored: &Scored) -> RiskLevel {
    scored
        .band
        .as_ref()
        .and_then(|b| RiskLevel::parse(&b.level))
        .unwrap_or(RiskLevel::Standard)
}

impl AssessmentForm {
    /// Check the whole form against the instrument, reporting every problem at once.
    pub fn parse(&self, instrument: &Instrument) -> Result<Assessment, Invalid> {
        let mut invalid = Invalid::default();
        if instrument.kind != Kind::Risk {
            invalid.push("instrument", "Choose a risk checklist");
            return Err(invalid);
        }
        if self.safe_to_talk.trim() != "yes" {
            invalid.push(
                "safe_to_talk",
                "Confirm it is safe to talk before you record the checklist",
            );
        }
        let judgement = match self.judgement_level.trim() {
            "" | "none" => None,
            s => match RiskLevel::parse(s) {
                Some(l) => Some(l),
                None => {
                    invalid.push("judgement_level", "Choose standard, medium or high");
                    None
                }
            },
        };
        let police_callouts = match self.police_callouts.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) if (0..=365).contains(&n) => Some(n),
                _ => {
                    invalid.push(
                        "police_callouts",
                        "Enter the number of police call-outs as a whole number from 0 to 365, or leave it blank if not known",
                    );
                    None
                }
            },
        };
        let scored = match instrument.score(&self.answers) {
            Ok(s) => Some(s),
            Err(e) => {
                invalid.0.extend(e.0);
                None
            }
        };
        let scored = match (scored, invalid.0.is_empty()) {
            (Some(s), true) => s,
            _ => return Err(invalid),
        };
        let score_level = level_of(&scored);
        let (level, judgement_reason) = apply_judgement(
            score_level,
            scored.yes_count,
            judgement,
            &self.judgement_reason,
        )?;
        Ok(Assessment {
            answers: self.answers.clone(),
            score: scored.score,
            yes_count: scored.yes_count,
            score_level,
            level,
            judgement_reason,
            police_callouts,
            escalated: police_callouts.is_some_and(|n| n >= ESCALATION_CALLOUTS),
        })
    }
}

/// An incident reported after referral, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IncidentForm {
    pub occurred_on: String,
    /// "yes" if the police were called out.
    pub police_called: String,
    pub summary: String,
    pub submission_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub occurred_on: Date,
    pub police_called: bool,
    pub summary: String,
}

impl IncidentForm {
    pub fn parse(&self, today: Date) -> Result<Incident, Invalid> {
        let mut invalid = Invalid::default();
        let occurred_on = match crate::referral::parse_past_date(
            "occurred_on",
            &self.occurred_on,
            today,
            "the date of the incident",
        ) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                invalid.push(
                    "occurred_on",
                    "Enter the date of the incident, like 20/11/2026",
                );
                None
            }
            Err(e) => {
                invalid.0.push(e);
                None
            }
        };
        let police_called = match self.police_called.trim() {
            "yes" => true,
            "no" => false,
            _ => {
                invalid.push("police_called", "Say whether the police were called out");
                false
            }
        };
        let summary = self.summary.trim().replace("\r\n", "\n");
        if summary.is_empty() {
            invalid.push("summary", "Say briefly what happened");
        } else if summary.chars().count() > 4000 {
            invalid.push("summary", "Must be 4,000 characters or fewer");
        }
        invalid.into_result()?;
        Ok(Incident {
            occurred_on: occurred_on.expect("checked"),
            police_called,
            summary,
        })
    }
}

/// Is the case escalated: 3 or more police call-outs on these dates in the 12 months up to today?
pub fn escalated_by_callouts(callouts: &[Date], today: Date) -> bool {
    let since = crate::ukdate::add_months(today, -12);
    callouts
        .iter()
        .filter(|d| **d > since && **d <= today)
        .count() as i64
        >= ESCALATION_CALLOUTS
}

/// Why and when a reassessment falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reassessment {
    /// Never assessed: the first assessment is due now.
    FirstDue,
    /// The interval since the last assessment ends on this date.
    Scheduled(Date),
    /// A new incident was recorded on this date, after the last assessment.
    AfterIncident(Date),
}

impl Reassessment {
    pub fn due_on(self, today: Date) -> Date {
        match self {
            Reassessment::FirstDue => today,
            Reassessment::Scheduled(d) | Reassessment::AfterIncident(d) => d,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Reassessment::FirstDue => "Risk assessment not yet done",
            Reassessment::Scheduled(_) => "Risk reassessment due",
            Reassessment::AfterIncident(_) => "Reassess risk: new incident",
        }
    }
}

/// When the next assessment falls due: at the end of the interval, or at once when an incident
/// has been recorded since the last one. What counts is when the incident became known (was
/// recorded), not when it happened: an old incident disclosed today is new information.
pub fn reassessment(
    last_assessed: Option<crate::Timestamp>,
    interval_days: i64,
    incidents_recorded: &[crate::Timestamp],
) -> Reassessment {
    let Some(last) = last_assessed else {
        return Reassessment::FirstDue;
    };
    // Times are kept to the second, so an incident recorded in the same second as the newest
    // assessment cannot be told to come after it: count it as after, the safe side. A
    // reassessment made a moment later clears it.
    if let Some(i) = incidents_recorded.iter().filter(|t| **t >= last).min() {
        return Reassessment::AfterIncident(crate::ukdate::uk_today(*i));
    }
    Reassessment::Scheduled(crate::ukdate::uk_today(last) + Duration::days(interval_days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::{parse, Instrument};

    #[test]
    fn an_incident_in_the_same_second_as_the_assessment_brings_the_reassessment_forward() {
        let at = time::macros::datetime!(2026-11-23 09:00:00 UTC);
        assert_eq!(
            reassessment(Some(at), 56, &[at]),
            Reassessment::AfterIncident(date!(2026 - 11 - 23))
        );
        assert!(matches!(
            reassessment(Some(at), 56, &[at - Duration::seconds(1)]),
            Reassessment::Scheduled(_)
        ));
    }
    use proptest::prelude::*;
    use time::macros::date;

    fn adult() -> Instrument {
        parse(
            "adult-risk.toml",
            include_str!("../../../config/instruments/adult-risk.toml"),
        )
        .expect("the shipped adult checklist is valid")
    }

    fn form(yes: usize, instrument: &Instrument) -> AssessmentForm {
        AssessmentForm {
            answers: instrument
                .questions
                .iter()
                .enumerate()
                .map(|(n, q)| (q.id.clone(), if n < yes { "yes" } else { "no" }.into()))
                .collect(),
            safe_to_talk: "yes".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_shipped_checklists_have_the_agreed_structure() {
        let a = adult();
        assert_eq!(a.questions.len(), 24);
        assert!(a.questions.iter().all(|q| matches!(
            q.answers,
            crate::instrument::AnswerSet::YesNoNotKnown { points: 1 }
        )));
        assert_eq!(a.threshold("medium"), Some(10));
        assert_eq!(a.threshold("high"), Some(14));
        let young = parse(
            "young-people-risk.toml",
            include_str!("../../../config/instruments/young-people-risk.toml"),
        )
        .unwrap();
        assert_eq!((young.min_age, young.max_age), (Some(13), Some(17)));
        assert_eq!(young.kind, Kind::Risk);
    }

    #[test]
    fn default_bands_are_one_to_nine_ten_to_thirteen_fourteen_up() {
        let a = adult();
        for (yes, level) in [
            (0, RiskLevel::Standard),
            (1, RiskLevel::Standard),
            (9, RiskLevel::Standard),
            (10, RiskLevel::Medium),
            (13, RiskLevel::Medium),
            (14, RiskLevel::High),
            (24, RiskLevel::High),
        ] {
            let got = form(yes, &a).parse(&a).unwrap();
            assert_eq!((got.yes_count, got.level), (yes as i64, level), "{yes} yes");
        }
    }

    #[test]
    fn judgement_cannot_lower_a_high_score() {
        let a = adult();
        let mut f = form(15, &a);
        f.judgement_level = "medium".into();
        f.judgement_reason = "She says things are calmer now.".into();
        let e = f.parse(&a).unwrap_err();
        let m = e.message_for("judgement_level").unwrap();
        assert!(m.contains("never lower"), "{m}");
        assert!(m.contains("15 yes"), "{m}");
    }

    #[test]
    fn judgement_raises_with_a_reason() {
        let a = adult();
        let mut f = form(6, &a);
        f.judgement_level = "high".into();
        assert!(f
            .parse(&a)
            .unwrap_err()
            .message_for("judgement_reason")
            .is_some());
        f.judgement_reason = "New threats made through the children after contact.".into();
        let got = f.parse(&a).unwrap();
        assert_eq!(
            (got.score_level, got.level),
            (RiskLevel::Standard, RiskLevel::High)
        );
    }

    #[test]
    fn the_checklist_waits_until_it_is_safe_to_talk() {
        let a = adult();
        let mut f = form(3, &a);
        f.safe_to_talk = String::new();
        assert!(f
            .parse(&a)
            .unwrap_err()
            .message_for("safe_to_talk")
            .is_some());
    }

    #[test]
    fn three_police_callouts_escalate() {
        let a = adult();
        let mut f = form(2, &a);
        f.police_callouts = "3".into();
        assert!(f.parse(&a).unwrap().escalated);
        f.police_callouts = "2".into();
        assert!(!f.parse(&a).unwrap().escalated);
        f.police_callouts = "lots".into();
        assert!(f
            .parse(&a)
            .unwrap_err()
            .message_for("police_callouts")
            .is_some());

        let today = date!(2026 - 11 - 23);
        let three = [
            date!(2026 - 01 - 02),
            date!(2026 - 06 - 01),
            date!(2026 - 11 - 20),
        ];
        assert!(escalated_by_callouts(&three, today));
        let one_too_old = [
            date!(2025 - 11 - 23),
            date!(2026 - 06 - 01),
            date!(2026 - 11 - 20),
        ];
        assert!(!escalated_by_callouts(&one_too_old, today));
    }

    #[test]
    fn reassessment_falls_due_after_the_interval_or_a_new_incident() {
        let last = time::macros::datetime!(2026 - 09 - 01 10:00 UTC);
        assert_eq!(
            reassessment(Some(last), 56, &[]),
            Reassessment::Scheduled(date!(2026 - 10 - 27))
        );
        // Recorded before the assessment: already taken into account.
        let before = time::macros::datetime!(2026 - 09 - 01 09:00 UTC);
        assert_eq!(
            reassessment(Some(last), 56, &[before]),
            Reassessment::Scheduled(date!(2026 - 10 - 27))
        );
        // Recorded later the same day, or days later: due at once.
        let same_day = time::macros::datetime!(2026 - 09 - 01 15:00 UTC);
        let later = time::macros::datetime!(2026 - 09 - 10 12:00 UTC);
        assert_eq!(
            reassessment(Some(last), 56, &[later, same_day, before]),
            Reassessment::AfterIncident(date!(2026 - 09 - 01))
        );
        assert_eq!(reassessment(None, 56, &[]), Reassessment::FirstDue);
    }

    fn level() -> impl Strategy<Value = RiskLevel> {
        prop_oneof![
            Just(RiskLevel::Standard),
            Just(RiskLevel::Medium),
            Just(RiskLevel::High)
        ]
    }

    proptest! {
        #[test]
        fn judgement_never_downgrades(score in level(), judged in proptest::option::of(level()), reason in ".{0,40}") {
            match apply_judgement(score, 0, judged, &reason) {
                Ok((level, _)) => {
                    prop_assert!(level >= score);
                    prop_assert!(judged.is_none_or(|j| level == j.max(score)));
                }
                Err(e) => prop_assert!(
                    judged.is_some_and(|j| j < score) && e.message_for("judgement_level").is_some()
                        || e.message_for("judgement_reason").is_some()
                ),
            }
        }

        #[test]
        fn banding_follows_the_yes_count(answers in proptest::collection::vec(0u8..3, 24)) {
            let a = adult();
            let mut f = form(0, &a);
            for (q, n) in a.questions.iter().zip(&answers) {
                f.answers.insert(q.id.clone(), ["yes", "no", "not_known"][*n as usize].into());
            }
            let yes = answers.iter().filter(|n| **n == 0).count() as i64;
            let got = f.parse(&a).unwrap();
            prop_assert_eq!(got.yes_count, yes);
            prop_assert_eq!(got.score, yes);
            let expected = if yes >= 14 { RiskLevel::High } else if yes >= 10 { RiskLevel::Medium } else { RiskLevel::Standard };
            prop_assert_eq!(got.level, expected);
        }

        #[test]
        fn anything_but_the_allowed_answers_is_refused(bad in "[a-z ]{1,12}") {
            prop_assume!(!["yes", "no", "not_known"].contains(&bad.trim()));
            let a = adult();
            let mut f = form(5, &a);
            f.answers.insert(a.questions[4].id.clone(), bad);
            let e = f.parse(&a).unwrap_err();
            prop_assert!(e.message_for(&a.questions[4].field()).is_some());
        }
    }
}
