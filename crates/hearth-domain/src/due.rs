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
    /// A planned session of programme work.
    Session,
    /// A session whose time has passed with nothing recorded.
    SessionRecord,
    /// Someone who missed a session, to be rung by a safe way to check they are safe.
    SafetyCheck,
    /// News of the Engage work for the partner's Idva to pass on.
    PartnerNews,
}

impl DueKind {
    pub fn code(self) -> &'static str {
        match self {
            DueKind::FirstContact => "first_contact",
            DueKind::RiskAssessment => "risk_assessment",
            DueKind::SafetyPlanReview => "safety_plan_review",
            DueKind::MaracAction => "marac_action",
            DueKind::Session => "session",
            DueKind::SessionRecord => "session_record",
            DueKind::SafetyCheck => "safety_check",
            DueKind::PartnerNews => "partner_news",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueKind::FirstContact => "First contact",
            DueKind::RiskAssessment => "Risk assessment",
            DueKind::SafetyPlanReview => "Safety plan review",
            DueKind::MaracAction => "MARAC action",
            DueKind::Session => "Session",
            DueKind::SessionRecord => "Session to record",
            DueKind::SafetyCheck => "Safety check",
            DueKind::PartnerNews => "Tell the partner's Idva",
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
    /// The workers allocated to the case, for a manager's list: (user id, name).
    pub workers: Vec<(Uuid, String)>,
    /// A MARAC action another agency holds: the worker follows it up, but it is not their task.
    pub other_agency: bool,
    /// When the item changes by itself, with no record changed: a first contact not yet due
    /// is overdue from this moment, and a planned session is to be recorded from its time.
    /// Kept with a case's items (see `hearth_app::next_due`), so they can be counted later.
    #[serde(skip)]
    pub turns_at: Option<crate::Timestamp>,
}

/// What a due list can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    #[default]
    Everything,
    Overdue,
    Kind(DueKind),
}

impl Show {
    pub const CHOICES: [(&'static str, &'static str); 7] = [
        ("all", "Everything"),
        ("overdue", "Overdue only"),
        ("first_contact", "First contacts"),
        ("risk_assessment", "Risk assessments"),
        ("safety_plan_review", "Safety plan reviews"),
        ("session", "Sessions"),
        ("safety_check", "Safety checks"),
    ];

    /// Read leniently: anything not known shows everything, so a stale link still works.
    pub fn parse(s: &str) -> Show {
        match s.trim() {
            "overdue" => Show::Overdue,
            "first_contact" => Show::Kind(DueKind::FirstContact),
            "risk_assessment" => Show::Kind(DueKind::RiskAssessment),
            "safety_plan_review" => Show::Kind(DueKind::SafetyPlanReview),
            "marac_action" => Show::Kind(DueKind::MaracAction),
            "session" => Show::Kind(DueKind::Session),
            "session_record" => Show::Kind(DueKind::SessionRecord),
            "safety_check" => Show::Kind(DueKind::SafetyCheck),
            "partner_news" => Show::Kind(DueKind::PartnerNews),
            _ => Show::Everything,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Show::Everything => "all",
            Show::Overdue => "overdue",
            Show::Kind(k) => k.code(),
        }
    }

    pub fn keeps(self, item: &DueItem) -> bool {
        match self {
            Show::Everything => true,
            Show::Overdue => item.overdue,
            Show::Kind(k) => item.kind == k,
        }
    }
}

/// The items about one case, in the list's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseGroup {
    pub case_id: Uuid,
    pub case_reference: String,
    pub overdue: usize,
    pub items: Vec<DueItem>,
}

/// A sorted list grouped by case: the case with the most pressing item comes first, and each
/// case's items keep their order.
pub fn by_case(items: Vec<DueItem>) -> Vec<CaseGroup> {
    let mut groups: Vec<CaseGroup> = Vec::new();
    for i in items {
        match groups.iter_mut().find(|g| g.case_id == i.case_id) {
            Some(g) => {
                g.overdue += usize::from(i.overdue);
                g.items.push(i);
            }
            None => groups.push(CaseGroup {
                case_id: i.case_id,
                case_reference: i.case_reference.clone(),
                overdue: usize::from(i.overdue),
                items: vec![i],
            }),
        }
    }
    groups
}

/// Overdue items counted for each worker allocated to their case, most first; an item in a
/// case with nobody allocated counts under `None`.
pub fn overdue_by_worker(items: &[DueItem]) -> Vec<(Option<(Uuid, String)>, usize)> {
    let mut out: Vec<(Option<(Uuid, String)>, usize)> = Vec::new();
    for i in items.iter().filter(|i| i.overdue && !i.other_agency) {
        let whose: Vec<Option<(Uuid, String)>> = if i.workers.is_empty() {
            vec![None]
        } else {
            i.workers.iter().cloned().map(Some).collect()
        };
        for w in whose {
            match out.iter_mut().find(|(k, _)| *k == w) {
                Some((_, n)) => *n += 1,
                None => out.push((w, 1)),
            }
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Is something due on this date worth listing today, and is it overdue?
pub fn classify(due_on: Date, today: Date) -> Option<bool> {
    classify_until(due_on, today, horizon(today))
}

/// The last day a list made today looks ahead to.
pub fn horizon(today: Date) -> Date {
    today + Duration::days(LOOKAHEAD_DAYS)
}

/// [`classify`], looking ahead to `until`: a case's next due is worked out with no limit.
pub fn classify_until(due_on: Date, today: Date, until: Date) -> Option<bool> {
    if due_on < today {
        Some(true)
    } else if due_on <= until {
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

    fn about(case: u128, overdue: bool, kind: DueKind, workers: &[(u128, &str)]) -> DueItem {
        DueItem {
            kind,
            case_id: Uuid::from_u128(case),
            case_reference: format!("C-{case}"),
            person_id: None,
            person_name: None,
            what: String::new(),
            due_on: date!(2026 - 11 - 01),
            overdue,
            link: String::new(),
            workers: workers
                .iter()
                .map(|(id, n)| (Uuid::from_u128(*id), n.to_string()))
                .collect(),
            other_agency: false,
            turns_at: None,
        }
    }

    #[test]
    fn grouping_keeps_the_most_pressing_case_first_and_counts_its_overdue() {
        let items = vec![
            about(2, true, DueKind::FirstContact, &[]),
            about(1, true, DueKind::RiskAssessment, &[]),
            about(2, false, DueKind::SafetyPlanReview, &[]),
        ];
        let g = by_case(items);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].case_id, Uuid::from_u128(2));
        assert_eq!((g[0].overdue, g[0].items.len()), (1, 2));
        assert_eq!(g[0].items[1].kind, DueKind::SafetyPlanReview);
        assert_eq!((g[1].overdue, g[1].items.len()), (1, 1));
    }

    #[test]
    fn a_filter_keeps_only_what_it_names_and_unknown_words_keep_everything() {
        let overdue = about(1, true, DueKind::RiskAssessment, &[]);
        let soon = about(1, false, DueKind::FirstContact, &[]);
        assert!(Show::parse("overdue").keeps(&overdue));
        assert!(!Show::parse("overdue").keeps(&soon));
        assert!(Show::parse("first_contact").keeps(&soon));
        assert!(!Show::parse("first_contact").keeps(&overdue));
        assert_eq!(Show::parse("<script>"), Show::Everything);
        for (code, _) in Show::CHOICES {
            assert_eq!(Show::parse(code).code(), code);
        }
    }

    #[test]
    fn overdue_work_is_counted_against_each_allocated_worker_and_other_agencies_are_not() {
        let mut police = about(3, true, DueKind::MaracAction, &[(9, "Ann")]);
        police.other_agency = true;
        let items = vec![
            about(1, true, DueKind::FirstContact, &[(9, "Ann")]),
            about(2, true, DueKind::RiskAssessment, &[(9, "Ann"), (8, "Bea")]),
            about(4, true, DueKind::FirstContact, &[]),
            about(5, false, DueKind::FirstContact, &[(8, "Bea")]),
            police,
        ];
        let by = overdue_by_worker(&items);
        assert_eq!(
            by,
            vec![
                (Some((Uuid::from_u128(9), "Ann".into())), 2),
                (None, 1),
                (Some((Uuid::from_u128(8), "Bea".into())), 1),
            ]
        );
    }

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
            workers: Vec::new(),
            other_agency: false,
            turns_at: None,
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
