//! Work that falls due: one list, drawn from every kind of deadline, so nothing is forgotten.

use serde::Serialize;
use time::{Date, Duration};
use uuid::Uuid;

/// How far ahead the list looks: things due in the next fortnight are shown beside the overdue.
pub const LOOKAHEAD_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    FirstContact,
    RiskAssessment,
    SafetyPlanReview,
    MaracAction,
}

impl DueKind {
    pub fn code(self) -> &'static str {
        match self {
            DueKind::FirstContact => "first_contact",
            DueKind::RiskAssessment => "risk_assessment",
            DueKind::SafetyPlanReview => "safety_plan_review",
            DueKind::MaracAction => "marac_action",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueKind::FirstContact => "First contact",
            DueKind::RiskAssessment => "Risk assessment",
            DueKind::SafetyPlanReview => "Safety plan review",
            DueKind::MaracAction => "MARAC action",
        }
    }
}

/// One thing that falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueItem {
    pub kind: DueKind,
    pub case_id: Uuid,
    pub case_reference: String,
    pub person_id: Option<Uuid>,
    pub person_name: Option<String>,
    /// What is due, in a few words.
    pub what: String,
    pub due_on: Date,
    pub overdue: bool,
    /// Where to go to do it.
    pub link: String,
}

/// Is something due on this date worth listing today, and is it overdue?
pub fn classify(due_on: Date, today: Date) -> Option<bool> {
    if due_on < today {
        Some(true)
    } else if due_on <= today + Duration::days(LOOKAHEAD_DAYS) {
        Some(false)
    } else {
        None
    }
}

/// Overdue first, then soonest, then by case.
pub fn sort(items: &mut [DueItem]) {
    items.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(a.due_on.cmp(&b.due_on))
            .then(a.case_reference.cmp(&b.case_reference))
            .then(a.kind.cmp(&b.kind))
            .then(a.what.cmp(&b.what))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn overdue_then_soon_then_nothing() {
        let today = date!(2026 - 11 - 23);
        assert_eq!(classify(date!(2026 - 11 - 22), today), Some(true));
        assert_eq!(classify(today, today), Some(false));
        assert_eq!(classify(date!(2026 - 12 - 07), today), Some(false));
        assert_eq!(classify(date!(2026 - 12 - 08), today), None);
    }

    #[test]
    fn the_list_puts_overdue_first() {
        let item = |d: Date, overdue: bool| DueItem {
            kind: DueKind::MaracAction,
            case_id: Uuid::nil(),
            case_reference: "C".into(),
            person_id: None,
            person_name: None,
            what: String::new(),
            due_on: d,
            overdue,
            link: String::new(),
        };
        let mut v = vec![
            item(date!(2026 - 11 - 30), false),
            item(date!(2026 - 11 - 01), true),
            item(date!(2026 - 11 - 20), true),
        ];
        sort(&mut v);
        assert_eq!(
            v.iter().map(|i| i.due_on).collect::<Vec<_>>(),
            vec![
                date!(2026 - 11 - 01),
                date!(2026 - 11 - 20),
                date!(2026 - 11 - 30)
            ]
        );
    }
}
