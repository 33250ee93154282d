//! The family's first weeks as a task list: first contact, then for each victim/survivor a risk
//! assessment, a safety plan and (where the risk calls for it) MARAC. Each task has a status
//! worked out from the record, never ticked by hand, so the list cannot say "done" when it is
//! not.

use crate::risk::RiskLevel;
use crate::targets::FirstContact;
use crate::ukdate::{format_date, format_datetime, uk_today};
use crate::Timestamp;
use time::Date;
use uuid::Uuid;

/// Where a task stands, in the GOV.UK task list's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Completed,
    InProgress,
    NotYetStarted,
    /// Not started and past its deadline.
    Overdue,
    /// The record shows it is not called for (MARAC for someone not at high risk).
    NotNeeded,
}

impl TaskStatus {
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Completed => "Completed",
            TaskStatus::InProgress => "In progress",
            TaskStatus::NotYetStarted => "Not yet started",
            TaskStatus::Overdue => "Overdue",
            TaskStatus::NotNeeded => "Not needed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub name: &'static str,
    /// The person it is about, by name; `None` for the whole family.
    pub about: Option<String>,
    pub status: TaskStatus,
    /// One line on where it stands: "Made 3 November 2026, 10:04", "Review by 1 March 2027".
    pub detail: String,
    /// Where to go to do it or see it.
    pub link: String,
}

/// What the record shows of one victim/survivor's first weeks. Filled in only for people whose
/// risk and safety data the user may see: the firewall decides who appears at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VictimProgress {
    pub person_id: Uuid,
    pub name: String,
    /// The newest assessment: when and at what level.
    pub assessed: Option<(Timestamp, RiskLevel)>,
    /// When the first assessment falls due, if it is on the due list: (date, overdue).
    pub assessment_due: Option<(Date, bool)>,
    /// The review date of the current safety plan, if there is one. `None` also when the user
    /// may not see the plan (then `plan_shown` is false and no task is listed).
    pub plan_review: Option<Date>,
    pub plan_shown: bool,
    pub marac: MaracProgress,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MaracProgress {
    /// The record calls for a referral: high risk, repeat call-outs, escalation.
    pub needed: bool,
    /// The newest referral: when it was made and, once heard, the meeting's date.
    pub referred_on: Option<Date>,
    pub heard_on: Option<Date>,
}

/// The task list for a case. `first_contact` is `None` when the case has no first-contact
/// target (opened without a referral); the task is then left out rather than guessed.
pub fn tasks(
    case_id: Uuid,
    first_contact: Option<FirstContact>,
    victims: &[VictimProgress],
    today: Date,
) -> Vec<Task> {
    let mut out = Vec::new();
    if let Some(fc) = first_contact {
        let (status, detail) = match fc {
            FirstContact::Made { at, on_time } => (
                TaskStatus::Completed,
                format!(
                    "Made {}{}",
                    format_datetime(at),
                    if on_time { "" } else { ", after the target" }
                ),
            ),
            FirstContact::Due { by } => (
                TaskStatus::NotYetStarted,
                format!("Due by {}", format_datetime(by)),
            ),
            FirstContact::Overdue { since } => (
                TaskStatus::Overdue,
                format!("Was due by {}", format_datetime(since)),
            ),
        };
        out.push(Task {
            name: "First contact",
            about: None,
            status,
            detail,
            link: format!("/cases/{case_id}/entries/new?kind=contact"),
        });
    }
    for v in victims {
        out.push(assessment(v));
        if v.plan_shown {
            out.push(plan(v, today));
        }
        out.push(marac(v));
    }
    out
}

fn assessment(v: &VictimProgress) -> Task {
    let (status, detail) = match (v.assessed, v.assessment_due) {
        (Some((at, level)), _) => (
            TaskStatus::Completed,
            format!("{} risk, {}", level.label(), format_date(uk_today(at))),
        ),
        (None, Some((on, true))) => (TaskStatus::Overdue, format!("Was due {}", format_date(on))),
        (None, Some((on, false))) => (
            TaskStatus::NotYetStarted,
            format!("Due {}", format_date(on)),
        ),
        (None, None) => (TaskStatus::NotYetStarted, "Not assessed yet".to_string()),
    };
    Task {
        name: "Risk assessment",
        about: Some(v.name.clone()),
        status,
        detail,
        link: format!("/people/{}/risk", v.person_id),
    }
}

fn plan(v: &VictimProgress, today: Date) -> Task {
    let (status, detail) = match v.plan_review {
        Some(on) if on < today => (
            TaskStatus::Overdue,
            format!("Review was due {}", format_date(on)),
        ),
        Some(on) => (
            TaskStatus::Completed,
            format!("Review by {}", format_date(on)),
        ),
        None => (TaskStatus::NotYetStarted, "No plan yet".to_string()),
    };
    Task {
        name: "Safety plan",
        about: Some(v.name.clone()),
        status,
        detail,
        link: format!("/people/{}/safety-plan", v.person_id),
    }
}

fn marac(v: &VictimProgress) -> Task {
    let m = &v.marac;
    let (status, detail) = match (m.referred_on, m.heard_on) {
        (Some(_), Some(heard)) => (
            TaskStatus::Completed,
            format!("Heard at MARAC on {}", format_date(heard)),
        ),
        (Some(referred), None) => (
            TaskStatus::InProgress,
            format!(
                "Referred on {}, waiting for a meeting",
                format_date(referred)
            ),
        ),
        (None, _) if m.needed => (
            TaskStatus::NotYetStarted,
            "The record calls for a referral".to_string(),
        ),
        (None, _) => (
            TaskStatus::NotNeeded,
            "Not called for by the record so far".to_string(),
        ),
    };
    Task {
        name: "MARAC",
        about: Some(v.name.clone()),
        status,
        detail,
        link: if m.referred_on.is_none() && m.needed {
            format!("/people/{}/marac/new", v.person_id)
        } else {
            format!("/people/{}/risk", v.person_id)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const CASE: Uuid = Uuid::from_u128(1);
    const TODAY: Date = date!(2026 - 11 - 20);

    fn victim() -> VictimProgress {
        VictimProgress {
            person_id: Uuid::from_u128(2),
            name: "Sarah Brown".into(),
            assessed: None,
            assessment_due: None,
            plan_review: None,
            plan_shown: true,
            marac: MaracProgress::default(),
        }
    }

    fn status_of(list: &[Task], name: &str) -> TaskStatus {
        list.iter().find(|t| t.name == name).unwrap().status
    }

    #[test]
    fn a_new_case_starts_with_everything_to_do() {
        let by = datetime!(2026-11-21 09:00 UTC);
        let list = tasks(CASE, Some(FirstContact::Due { by }), &[victim()], TODAY);
        let names: Vec<&str> = list.iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            ["First contact", "Risk assessment", "Safety plan", "MARAC"]
        );
        assert_eq!(status_of(&list, "First contact"), TaskStatus::NotYetStarted);
        assert_eq!(
            status_of(&list, "Risk assessment"),
            TaskStatus::NotYetStarted
        );
        assert_eq!(status_of(&list, "Safety plan"), TaskStatus::NotYetStarted);
        assert_eq!(status_of(&list, "MARAC"), TaskStatus::NotNeeded);
    }

    #[test]
    fn deadlines_passed_are_overdue() {
        let since = datetime!(2026-11-19 09:00 UTC);
        let v = VictimProgress {
            assessment_due: Some((date!(2026 - 11 - 19), true)),
            plan_review: Some(date!(2026 - 11 - 19)),
            ..victim()
        };
        let list = tasks(CASE, Some(FirstContact::Overdue { since }), &[v], TODAY);
        assert_eq!(status_of(&list, "First contact"), TaskStatus::Overdue);
        assert_eq!(status_of(&list, "Risk assessment"), TaskStatus::Overdue);
        assert_eq!(status_of(&list, "Safety plan"), TaskStatus::Overdue);
    }

    #[test]
    fn work_done_is_completed_and_says_when() {
        let v = VictimProgress {
            assessed: Some((datetime!(2026-11-18 10:00 UTC), RiskLevel::High)),
            plan_review: Some(date!(2027 - 02 - 18)),
            marac: MaracProgress {
                needed: true,
                referred_on: Some(date!(2026 - 11 - 18)),
                heard_on: Some(date!(2026 - 11 - 19)),
            },
            ..victim()
        };
        let at = datetime!(2026-11-17 10:00 UTC);
        let list = tasks(
            CASE,
            Some(FirstContact::Made { at, on_time: true }),
            &[v],
            TODAY,
        );
        assert!(list.iter().all(|t| t.status == TaskStatus::Completed));
        let detail = |n| list.iter().find(|t| t.name == n).unwrap().detail.clone();
        assert_eq!(detail("Risk assessment"), "High risk, 18 November 2026");
        assert_eq!(detail("Safety plan"), "Review by 18 February 2027");
        assert_eq!(detail("MARAC"), "Heard at MARAC on 19 November 2026");
    }

    #[test]
    fn marac_called_for_but_not_made_is_to_do_and_links_to_the_referral() {
        let v = VictimProgress {
            marac: MaracProgress {
                needed: true,
                ..Default::default()
            },
            ..victim()
        };
        let list = tasks(CASE, None, std::slice::from_ref(&v), TODAY);
        let m = list.iter().find(|t| t.name == "MARAC").unwrap();
        assert_eq!(m.status, TaskStatus::NotYetStarted);
        assert_eq!(m.link, format!("/people/{}/marac/new", v.person_id));
        assert!(
            list.iter().all(|t| t.name != "First contact"),
            "no target, no task"
        );
        let waiting = VictimProgress {
            marac: MaracProgress {
                needed: true,
                referred_on: Some(date!(2026 - 11 - 19)),
                heard_on: None,
            },
            ..victim()
        };
        assert_eq!(
            status_of(&tasks(CASE, None, &[waiting], TODAY), "MARAC"),
            TaskStatus::InProgress
        );
    }

    #[test]
    fn a_plan_the_user_may_not_see_is_not_listed() {
        let v = VictimProgress {
            plan_shown: false,
            ..victim()
        };
        let list = tasks(CASE, None, &[v], TODAY);
        assert!(list.iter().all(|t| t.name != "Safety plan"));
    }
}
