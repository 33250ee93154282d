//! Enrolments on programmes and the sessions of 1:1 work: what may be recorded, checked before
//! anything is stored. The catalogue and the linked-support rules are in [`crate::programme`].

use crate::programme::{EnrolmentState, OfferOutcome, Programme};
use crate::timeline::{parse_uk_datetime, Sensitivity};
use crate::ukdate::{format_date, parse_date};
use crate::validation::{Invalid, Line, Text};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use time::Date;

impl EnrolmentState {
    pub const ALL: [EnrolmentState; 4] = [
        EnrolmentState::Proposed,
        EnrolmentState::Waiting,
        EnrolmentState::Active,
        EnrolmentState::Ended,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EnrolmentState::Proposed => "proposed",
            EnrolmentState::Waiting => "waiting",
            EnrolmentState::Active => "active",
            EnrolmentState::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<EnrolmentState> {
        EnrolmentState::ALL
            .into_iter()
            .find(|e| e.code() == s.trim())
    }

    /// Still part of the family's plan: proposed, waiting or active.
    pub fn is_open(self) -> bool {
        self != EnrolmentState::Ended
    }
}

impl OfferOutcome {
    pub const ALL: [OfferOutcome; 4] = [
        OfferOutcome::Offered,
        OfferOutcome::Accepted,
        OfferOutcome::Declined,
        OfferOutcome::NotReachable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OfferOutcome::Offered => "offered",
            OfferOutcome::Accepted => "accepted",
            OfferOutcome::Declined => "declined",
            OfferOutcome::NotReachable => "not_reachable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OfferOutcome::Offered => "Offered, waiting for her answer",
            OfferOutcome::Accepted => "Accepted",
            OfferOutcome::Declined => "Declined",
            OfferOutcome::NotReachable => "Could not be reached safely",
        }
    }

    pub fn parse(s: &str) -> Option<OfferOutcome> {
        OfferOutcome::ALL.into_iter().find(|o| o.code() == s.trim())
    }
}

/// What happened at a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    /// Planned, not yet recorded.
    Planned,
    Attended,
    DidNotAttend,
    CancelledByPerson,
    CancelledByService,
}

impl Attendance {
    /// What a worker records once the session's time has come.
    pub const RECORDED: [Attendance; 4] = [
        Attendance::Attended,
        Attendance::DidNotAttend,
        Attendance::CancelledByPerson,
        Attendance::CancelledByService,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Attendance::Planned => "planned",
            Attendance::Attended => "attended",
            Attendance::DidNotAttend => "did_not_attend",
            Attendance::CancelledByPerson => "cancelled_by_person",
            Attendance::CancelledByService => "cancelled_by_service",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Attendance::Planned => "Planned",
            Attendance::Attended => "Attended",
            Attendance::DidNotAttend => "Did not attend",
            Attendance::CancelledByPerson => "Cancelled by them",
            Attendance::CancelledByService => "Cancelled by us",
        }
    }

    pub fn parse(s: &str) -> Option<Attendance> {
        [Attendance::Planned]
            .into_iter()
            .chain(Attendance::RECORDED)
            .find(|a| a.code() == s.trim())
    }
}

/// Who a did-not-attend leaves someone to check on: services ring non-attenders to make sure
/// they are safe, when they are a victim/survivor or a child.
pub fn missed_needs_safety_check(
    attendance: Attendance,
    roles: &[crate::access::CaseRole],
) -> bool {
    use crate::access::CaseRole;
    attendance == Attendance::DidNotAttend
        && roles
            .iter()
            .any(|r| matches!(r, CaseRole::VictimSurvivor | CaseRole::ChildOrYoungPerson))
}

/// A proposal of one programme for one or more people in a case (more than one where the
/// programme's rule links them: APVA's young person and parent, Grow Together's parent and
/// children).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProposalForm {
    /// The programme's key.
    pub programme: String,
    /// Who is to be enrolled: ids of people in the case.
    pub people: Vec<String>,
    pub submission_key: String,
}

/// Moving an enrolment on: to the waiting list, started with a worker, or ended.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangeForm {
    /// `waiting`, `active` or `ended`.
    pub to: String,
    /// Waiting: why they come where they do on the list (sensitive).
    pub priority_reason: String,
    /// Active: the worker, by id.
    pub worker_id: String,
    /// Active or ended: the date it took effect (DD/MM/YYYY); today if empty.
    pub on: String,
    /// Ended: one of the programme's exit reasons.
    pub exit_reason: String,
    /// The enrolment's version the user was looking at: if it has changed since, nothing is
    /// overwritten and they are told.
    pub based_on: i64,
}

/// A checked change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub to: EnrolmentState,
    pub on: Date,
    pub priority_reason: Option<String>,
    pub exit_reason: Option<String>,
}

impl ChangeForm {
    /// Check the change against where the enrolment stands and its programme. `since` is when it
    /// was proposed (or started, for an end): nothing takes effect before that.
    pub fn parse(
        &self,
        from: EnrolmentState,
        programme: &Programme,
        since: Date,
        today: Date,
    ) -> Result<Change, Invalid> {
        let mut invalid = Invalid::default();
        let Some(to) = EnrolmentState::parse(&self.to).filter(|t| *t != EnrolmentState::Proposed)
        else {
            return Err(Invalid::one("to", "Choose what happens next"));
        };
        if !from.may_become(to) {
            let message = match from {
                EnrolmentState::Ended => {
                    "This enrolment has ended. To take part again, propose a new enrolment"
                        .to_string()
                }
                _ => format!(
                    "An enrolment that is {} cannot become {}",
                    from.label().to_lowercase(),
                    to.label().to_lowercase()
                ),
            };
            return Err(Invalid::one("to", message));
        }
        let on = match invalid.check(parse_date("on", &self.on, "the date")) {
            Some(Some(d)) => d,
            Some(None) => today,
            None => today,
        };
        if on > today {
            invalid.push("on", "The date cannot be in the future");
        } else if on < since {
            invalid.push(
                "on",
                format!("The date cannot be before {}", format_date(since)),
            );
        }
        let priority_reason = match to {
            EnrolmentState::Waiting => {
                let r = invalid.check(Text::<1_000>::parse_required(
                    "priority_reason",
                    &self.priority_reason,
                    "Say why they come where they do on the waiting list",
                ));
                r.map(|t| t.into_string())
            }
            _ => None,
        };
        let exit_reason = match to {
            EnrolmentState::Ended => {
                let chosen = self.exit_reason.trim();
                if programme.exit_reasons.iter().any(|r| r == chosen) {
                    Some(chosen.to_string())
                } else {
                    invalid.push(
                        "exit_reason",
                        format!("Choose why their time on {} is ending", programme.name),
                    );
                    None
                }
            }
            _ => None,
        };
        invalid.into_result()?;
        Ok(Change {
            to,
            on,
            priority_reason,
            exit_reason,
        })
    }
}

/// Planning a session: when and where, and who with (the enrolment's worker unless another is
/// chosen).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionForm {
    /// DD/MM/YYYY.
    pub date: String,
    /// HH:MM, UK time.
    pub time: String,
    /// Where it happens: location-class, as an address is.
    pub place: String,
    pub submission_key: String,
}

/// A checked plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSession {
    pub at: Timestamp,
    pub place: String,
}

impl SessionForm {
    /// A session cannot be before the enrolment started (or, not yet started, was proposed).
    pub fn parse(&self, not_before: Date, now: Timestamp) -> Result<PlannedSession, Invalid> {
        let mut invalid = Invalid::default();
        if self.date.trim().is_empty() {
            invalid.push("date", "Enter the date of the session, like 27/03/2027");
        }
        if self.time.trim().is_empty() {
            invalid.push("time", "Enter the time of the session, like 14:00");
        }
        let at = if invalid.0.is_empty() {
            match parse_uk_datetime(&self.date, &self.time, now) {
                Ok(at) => Some(at),
                Err((field, message)) => {
                    let field = if field == "occurred_time" {
                        "time"
                    } else {
                        "date"
                    };
                    invalid.push(field, message);
                    None
                }
            }
        } else {
            None
        };
        if let Some(at) = at {
            if crate::ukdate::uk_today(at) < not_before {
                invalid.push(
                    "date",
                    format!(
                        "A session cannot be before the enrolment started on {}",
                        format_date(not_before)
                    ),
                );
            }
        }
        let place = invalid.check(Line::<200>::parse_required(
            "place",
            &self.place,
            "Say where the session is",
        ));
        invalid.into_result()?;
        Ok(PlannedSession {
            at: at.expect("checked"),
            place: place.expect("checked").as_str().to_string(),
        })
    }
}

/// Recording what happened at a planned session.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AttendanceForm {
    /// `attended`, `did_not_attend`, `cancelled_by_person` or `cancelled_by_service`.
    pub outcome: String,
    /// Attended: how long, in minutes.
    pub duration_minutes: String,
    /// Attended: the topics covered, from the programme's list.
    pub topics: Vec<String>,
    /// The session note: it goes on the case's timeline.
    pub note: String,
    /// `ordinary` or `sensitive`, as for any timeline entry.
    pub sensitivity: String,
    /// The session's version the user was looking at.
    pub based_on: i64,
}

/// A checked record of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub outcome: Attendance,
    pub duration_minutes: Option<i64>,
    pub topics: Vec<String>,
    pub note: String,
    pub sensitivity: Sensitivity,
}

impl AttendanceForm {
    pub fn parse(&self, programme: &Programme) -> Result<SessionRecord, Invalid> {
        let mut invalid = Invalid::default();
        let outcome = Attendance::parse(&self.outcome).filter(|a| *a != Attendance::Planned);
        if outcome.is_none() {
            invalid.push("outcome", "Choose what happened");
        }
        let attended = outcome == Some(Attendance::Attended);
        let raw = self.duration_minutes.trim();
        let duration = if attended {
            match raw.parse::<i64>() {
                Ok(m) if (1..=600).contains(&m) => Some(m),
                _ => {
                    invalid.push(
                        "duration_minutes",
                        "Enter how long the session lasted, in minutes (1 to 600)",
                    );
                    None
                }
            }
        } else {
            if !raw.is_empty() {
                invalid.push(
                    "duration_minutes",
                    "Only a session that took place has a length: leave it empty",
                );
            }
            None
        };
        let mut topics: Vec<String> = Vec::new();
        for t in self
            .topics
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            if !programme.topics.iter().any(|p| p == t) {
                invalid.push(
                    "topics",
                    format!("Choose topics from {}'s list", programme.name),
                );
                break;
            }
            if !topics.iter().any(|x| x == t) {
                topics.push(t.to_string());
            }
        }
        if !attended && !topics.is_empty() {
            invalid.push(
                "topics",
                "Only a session that took place covered topics: leave them unticked",
            );
        }
        let note = invalid.check(Text::<10_000>::parse("note", &self.note));
        let sensitivity = Sensitivity::parse(&self.sensitivity).unwrap_or(Sensitivity::Ordinary);
        invalid.into_result()?;
        Ok(SessionRecord {
            outcome: outcome.expect("checked"),
            duration_minutes: duration,
            topics,
            note: note.expect("checked").into_string(),
            sensitivity,
        })
    }
}

/// An Idva offer to a partner of someone on Engage, as recorded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OfferForm {
    /// `offered`, `accepted`, `declined` or `not_reachable`.
    pub outcome: String,
    /// When the offer was made (DD/MM/YYYY).
    pub offered_on: String,
    /// When her view on Engage was sought (DD/MM/YYYY): Engage is offered only where she wishes
    /// to stay in the relationship and it is safe.
    pub view_sought_on: String,
}

/// A checked offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub outcome: OfferOutcome,
    pub offered_on: Date,
    pub view_sought_on: Option<Date>,
}

impl OfferForm {
    pub fn parse(&self, today: Date) -> Result<Offer, Invalid> {
        let mut invalid = Invalid::default();
        let outcome = OfferOutcome::parse(&self.outcome);
        if outcome.is_none() {
            invalid.push("outcome", "Choose what came of the offer");
        }
        let offered_on = match invalid.check(parse_date("offered_on", &self.offered_on, "the date"))
        {
            Some(Some(d)) if d > today => {
                invalid.push("offered_on", "The date cannot be in the future");
                None
            }
            Some(Some(d)) => Some(d),
            Some(None) => {
                invalid.push(
                    "offered_on",
                    "Enter when the offer was made, like 27/03/2027",
                );
                None
            }
            None => None,
        };
        let view_sought_on = match invalid.check(parse_date(
            "view_sought_on",
            &self.view_sought_on,
            "the date",
        )) {
            Some(Some(d)) if d > today => {
                invalid.push("view_sought_on", "The date cannot be in the future");
                None
            }
            Some(d) => d,
            None => None,
        };
        invalid.into_result()?;
        Ok(Offer {
            outcome: outcome.expect("checked"),
            offered_on: offered_on.expect("checked"),
            view_sought_on,
        })
    }
}

/// What the partner's Idva is told of the Engage work, so she can keep the partner safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerNews {
    Attended,
    Missed,
    DroppedOut,
    Ended,
}

impl PartnerNews {
    pub fn code(self) -> &'static str {
        match self {
            PartnerNews::Attended => "attended",
            PartnerNews::Missed => "missed",
            PartnerNews::DroppedOut => "dropped_out",
            PartnerNews::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<PartnerNews> {
        [
            PartnerNews::Attended,
            PartnerNews::Missed,
            PartnerNews::DroppedOut,
            PartnerNews::Ended,
        ]
        .into_iter()
        .find(|n| n.code() == s)
    }

    /// What the Idva is asked to pass on, naming the person causing harm.
    pub fn task(self, client: &str) -> String {
        match self {
            PartnerNews::Attended => format!("Tell her: {client} attended an Engage session"),
            PartnerNews::Missed => format!("Tell her: {client} missed an Engage session"),
            PartnerNews::DroppedOut => format!("Tell her: {client} has dropped out of Engage"),
            PartnerNews::Ended => format!("Tell her: {client}'s time on Engage has ended"),
        }
    }

    /// The news a session brings, if any.
    pub fn of_session(a: Attendance) -> Option<PartnerNews> {
        match a {
            Attendance::Attended => Some(PartnerNews::Attended),
            Attendance::DidNotAttend => Some(PartnerNews::Missed),
            _ => None,
        }
    }

    /// The news an ending brings: dropping out is said as such.
    pub fn of_ending(exit_reason: &str) -> PartnerNews {
        if exit_reason.to_lowercase().contains("dropped out") {
            PartnerNews::DroppedOut
        } else {
            PartnerNews::Ended
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programme::{parse, DEFAULT};
    use time::macros::{date, datetime};

    const NOW: Timestamp = datetime!(2026-12-06 10:00 UTC);

    fn programme(key: &str) -> Programme {
        parse(DEFAULT.0, DEFAULT.1)
            .unwrap()
            .get(key)
            .unwrap()
            .clone()
    }

    #[test]
    fn a_change_moves_forward_only_and_an_end_needs_a_reason_from_the_list() {
        let p = programme("cyp_one_to_one");
        let today = date!(2026 - 12 - 06);
        let end = |reason: &str| ChangeForm {
            to: "ended".into(),
            exit_reason: reason.into(),
            ..Default::default()
        };
        let e = end("").parse(EnrolmentState::Active, &p, date!(2026 - 11 - 01), today);
        assert!(e.unwrap_err().message_for("exit_reason").is_some());
        let ok = end("Goals met")
            .parse(EnrolmentState::Active, &p, date!(2026 - 11 - 01), today)
            .unwrap();
        assert_eq!(ok.exit_reason.as_deref(), Some("Goals met"));
        assert_eq!(ok.on, today);
        let again = end("Goals met").parse(EnrolmentState::Ended, &p, date!(2026 - 11 - 01), today);
        assert!(again
            .unwrap_err()
            .message_for("to")
            .unwrap()
            .contains("propose a new enrolment"));
        let back = ChangeForm {
            to: "waiting".into(),
            priority_reason: "Urgent".into(),
            ..Default::default()
        };
        assert!(back
            .parse(EnrolmentState::Active, &p, date!(2026 - 11 - 01), today)
            .is_err());
    }

    fn rank(s: EnrolmentState) -> usize {
        EnrolmentState::ALL.iter().position(|x| *x == s).unwrap()
    }

    proptest::proptest! {
        /// Whatever is sent, a change is accepted only forward along proposed -> waiting ->
        /// active -> ended, never out of an ended enrolment, on a date between its start and
        /// today, with a waiting reason and an exit reason from the programme's own list; and
        /// when it is refused, the message names the field that was wrong.
        #[test]
        fn a_change_is_accepted_exactly_when_it_moves_forward_and_is_complete(
            from in 0usize..4,
            to in proptest::sample::select(vec!["proposed", "waiting", "active", "ended", "", "paused"]),
            days_back in -3i64..60,
            reason in proptest::sample::select(vec!["", "Goals met", "Made up reason"]),
            priority in proptest::sample::select(vec!["", "  ", "Urgent: moving house"]),
        ) {
            let p = programme("cyp_one_to_one");
            let today = date!(2026 - 12 - 06);
            let since = date!(2026 - 11 - 01);
            let from = EnrolmentState::ALL[from];
            let on = today - time::Duration::days(days_back);
            let form = ChangeForm {
                to: to.into(),
                priority_reason: priority.into(),
                exit_reason: reason.into(),
                on: format!("{:02}/{:02}/{}", on.day(), u8::from(on.month()), on.year()),
                ..Default::default()
            };
            let target = EnrolmentState::parse(to).filter(|t| *t != EnrolmentState::Proposed);
            let complete = match target {
                Some(EnrolmentState::Waiting) => !priority.trim().is_empty(),
                Some(EnrolmentState::Ended) => p.exit_reasons.iter().any(|r| r == reason),
                _ => true,
            };
            let expected = target.is_some_and(|t| from.may_become(t))
                && on <= today
                && on >= since
                && complete;
            match form.parse(from, &p, since, today) {
                Ok(change) => {
                    proptest::prop_assert!(expected);
                    proptest::prop_assert!(rank(change.to) > rank(from));
                    proptest::prop_assert_eq!(change.on, on);
                    proptest::prop_assert_eq!(change.exit_reason.is_some(), change.to == EnrolmentState::Ended);
                    proptest::prop_assert_eq!(change.priority_reason.is_some(), change.to == EnrolmentState::Waiting);
                }
                Err(invalid) => {
                    proptest::prop_assert!(!expected, "{:?}", invalid);
                    let named = ["to", "on", "priority_reason", "exit_reason"]
                        .iter()
                        .any(|f| invalid.message_for(f).is_some());
                    proptest::prop_assert!(named);
                }
            }
        }
    }

    #[test]
    fn waiting_needs_a_priority_reason_and_dates_stay_in_range() {
        let p = programme("recovery");
        let today = date!(2026 - 12 - 06);
        let wait = ChangeForm {
            to: "waiting".into(),
            ..Default::default()
        };
        assert!(wait
            .parse(EnrolmentState::Proposed, &p, today, today)
            .unwrap_err()
            .message_for("priority_reason")
            .is_some());
        let start = |on: &str| ChangeForm {
            to: "active".into(),
            on: on.into(),
            ..Default::default()
        };
        assert!(start("07/12/2026")
            .parse(EnrolmentState::Waiting, &p, date!(2026 - 11 - 01), today)
            .unwrap_err()
            .message_for("on")
            .unwrap()
            .contains("future"));
        assert!(start("01/10/2026")
            .parse(EnrolmentState::Waiting, &p, date!(2026 - 11 - 01), today)
            .unwrap_err()
            .message_for("on")
            .unwrap()
            .contains("1 November 2026"));
    }

    #[test]
    fn a_session_cannot_be_before_the_enrolment_started() {
        let f = SessionForm {
            date: "30/11/2026".into(),
            time: "14:00".into(),
            place: "The family centre".into(),
            ..Default::default()
        };
        let e = f.parse(date!(2026 - 12 - 01), NOW).unwrap_err();
        assert_eq!(
            e.message_for("date"),
            Some("A session cannot be before the enrolment started on 1 December 2026")
        );
        let ok = f.parse(date!(2026 - 11 - 30), NOW).unwrap();
        // 14:00 in London in winter is 14:00 UTC.
        assert_eq!(ok.at, datetime!(2026-11-30 14:00 UTC));
        let no_place = SessionForm {
            place: " ".into(),
            ..f
        };
        assert!(no_place
            .parse(date!(2026 - 11 - 01), NOW)
            .unwrap_err()
            .message_for("place")
            .is_some());
    }

    #[test]
    fn an_attended_session_has_a_length_and_topics_from_the_list() {
        let p = programme("cyp_one_to_one");
        let form = |outcome: &str, minutes: &str, topics: &[&str]| AttendanceForm {
            outcome: outcome.into(),
            duration_minutes: minutes.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            note: "Talked about school.".into(),
            sensitivity: "ordinary".into(),
            based_on: 1,
        };
        let ok = form("attended", "45", &["Feelings", "Confidence"])
            .parse(&p)
            .unwrap();
        assert_eq!(ok.duration_minutes, Some(45));
        assert_eq!(ok.topics, ["Feelings", "Confidence"]);
        assert!(form("attended", "", &[])
            .parse(&p)
            .unwrap_err()
            .message_for("duration_minutes")
            .is_some());
        assert!(form("attended", "45", &["Knitting"])
            .parse(&p)
            .unwrap_err()
            .message_for("topics")
            .is_some());
        assert!(form("did_not_attend", "45", &[])
            .parse(&p)
            .unwrap_err()
            .message_for("duration_minutes")
            .is_some());
        let dna = form("did_not_attend", "", &[]).parse(&p).unwrap();
        assert_eq!(dna.outcome, Attendance::DidNotAttend);
        assert!(form("planned", "", &[])
            .parse(&p)
            .unwrap_err()
            .message_for("outcome")
            .is_some());
    }

    #[test]
    fn a_missed_session_of_a_victim_or_child_needs_a_safety_check() {
        use crate::access::CaseRole::*;
        assert!(missed_needs_safety_check(
            Attendance::DidNotAttend,
            &[VictimSurvivor]
        ));
        assert!(missed_needs_safety_check(
            Attendance::DidNotAttend,
            &[ChildOrYoungPerson, PersonCausingHarm]
        ));
        assert!(!missed_needs_safety_check(
            Attendance::DidNotAttend,
            &[PersonCausingHarm]
        ));
        assert!(!missed_needs_safety_check(
            Attendance::CancelledByPerson,
            &[VictimSurvivor]
        ));
    }

    #[test]
    fn an_offer_needs_its_outcome_and_date() {
        let today = date!(2026 - 12 - 06);
        let f = OfferForm {
            outcome: "accepted".into(),
            offered_on: "01/12/2026".into(),
            view_sought_on: "01/12/2026".into(),
        };
        let o = f.parse(today).unwrap();
        assert_eq!(o.outcome, OfferOutcome::Accepted);
        assert_eq!(o.view_sought_on, Some(date!(2026 - 12 - 01)));
        let missing = OfferForm::default().parse(today).unwrap_err();
        assert!(missing.message_for("outcome").is_some());
        assert!(missing.message_for("offered_on").is_some());
        let future = OfferForm {
            offered_on: "07/12/2026".into(),
            ..f
        };
        assert!(future
            .parse(today)
            .unwrap_err()
            .message_for("offered_on")
            .is_some());
    }

    #[test]
    fn engage_news_for_the_partners_idva() {
        assert_eq!(
            PartnerNews::of_session(Attendance::Attended),
            Some(PartnerNews::Attended)
        );
        assert_eq!(
            PartnerNews::of_session(Attendance::DidNotAttend),
            Some(PartnerNews::Missed)
        );
        assert_eq!(
            PartnerNews::of_session(Attendance::CancelledByService),
            None
        );
        assert_eq!(
            PartnerNews::of_ending("Dropped out"),
            PartnerNews::DroppedOut
        );
        assert_eq!(PartnerNews::of_ending("Completed"), PartnerNews::Ended);
        assert!(PartnerNews::Missed
            .task("Darren Quill")
            .contains("Darren Quill missed"));
    }
}
