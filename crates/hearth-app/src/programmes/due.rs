//! What programme work puts on the due list: sessions coming up, sessions whose time has passed
//! unrecorded, safety checks after a victim or child missed a session, and news of the Engage
//! work for the partner's Idva. Each is shown only to those who may see what it is about.

use super::catalogue;
use crate::Result;
use hearth_domain::access::{CaseRole, FieldClass};
use hearth_domain::due::{classify_until, DueItem, DueKind};
use hearth_domain::enrolment::{missed_needs_safety_check, Attendance};
use hearth_domain::ukdate::{format_date, to_uk, uk_today};
use hearth_store::access::{CaseGuard, CasesGuard};
use hearth_store::cases::CaseSummary;
use hearth_store::{enrolments, partners, programme_sessions, UnitOfWork};
use std::collections::HashMap;
use uuid::Uuid;

/// What the programmes have under way in a set of cases, read once for the due list and the
/// family's plan on the same page.
pub(crate) struct Underway {
    pub sessions: Vec<programme_sessions::Session>,
    pub news: Vec<partners::News>,
    /// The enrolments the actor may know of, oldest proposal first. For a list of cases they are
    /// read only when a session or a piece of news needs its programme's name.
    pub enrolments: Vec<enrolments::Enrolment>,
}

impl Underway {
    /// What is under way in the guard's cases, for their due list.
    pub(crate) async fn in_cases(w: &mut UnitOfWork, guard: &CasesGuard) -> Result<Underway> {
        let sessions = programme_sessions::open_in_cases(w, guard).await?;
        let news = partners::untold_in_cases(w, guard).await?;
        let enrolments = if sessions.is_empty() && news.is_empty() {
            Vec::new()
        } else {
            enrolments::in_cases(w, guard).await?
        };
        Ok(Underway {
            sessions,
            news,
            enrolments,
        })
    }

    /// Everything under way in one case, for its page: the family's plan shows every enrolment.
    pub(crate) async fn in_case(w: &mut UnitOfWork, guard: &CaseGuard) -> Result<Underway> {
        let cases = guard.as_cases();
        Ok(Underway {
            enrolments: enrolments::in_case(w, guard).await?,
            sessions: programme_sessions::open_in_cases(w, &cases).await?,
            news: partners::untold_in_cases(w, &cases).await?,
        })
    }
}

/// The programme items of each of the guard's listed cases, by case (workers not yet filled in),
/// from what is under way and when each person was last contacted.
pub(crate) async fn items_by_case(
    w: &mut UnitOfWork,
    guard: &CasesGuard,
    list: &[CaseSummary],
    until: time::Date,
    (underway, contacts): (&Underway, &hearth_store::cases::LastContacts),
) -> Result<HashMap<Uuid, Vec<DueItem>>> {
    let mut out: HashMap<Uuid, Vec<DueItem>> = HashMap::new();
    let (now, org) = (w.now(), hearth_store::access::Guard::actor(guard).org_id);
    let today = uk_today(now);
    if underway.sessions.is_empty() && underway.news.is_empty() {
        return Ok(out);
    }
    let catalogue = catalogue::current(w, org).await?;
    let programmes: HashMap<_, _> = underway
        .enrolments
        .iter()
        .map(|e| {
            let name = catalogue
                .get(&e.programme_key)
                .map_or(e.programme_key.clone(), |p| p.name.clone());
            (e.id, name)
        })
        .collect();
    let reference = |case: Uuid| {
        list.iter()
            .find(|c| c.id == case)
            .map(|c| c.reference.clone())
            .unwrap_or_default()
    };
    let person = |case: Uuid, p: Uuid| -> Result<Option<(String, Vec<CaseRole>)>> {
        let Some(name) = guard.name_of(case, p)? else {
            return Ok(None);
        };
        let roles = guard.get(case).map(|a| a.roles_of(p)).unwrap_or_default();
        Ok(Some((name, roles)))
    };
    for s in &underway.sessions {
        let (case, p) = (s.case_id.uuid(), s.person_id.uuid());
        let Some((name, roles)) = person(case, p)? else {
            continue;
        };
        let programme = programmes.get(&s.enrolment_id).cloned().unwrap_or_default();
        let on = uk_today(s.planned_at);
        let link = format!("/enrolments/{}/sessions/{}", s.enrolment_id, s.id);
        let (kind, what, class, link) = match s.attendance {
            Attendance::Planned if s.planned_at <= now => (
                DueKind::SessionRecord,
                format!("Record what happened at the {programme} session"),
                FieldClass::Ordinary,
                link,
            ),
            Attendance::Planned => {
                let at = to_uk(s.planned_at);
                (
                    DueKind::Session,
                    format!("{programme} session at {:02}:{:02}", at.hour(), at.minute()),
                    FieldClass::Ordinary,
                    link,
                )
            }
            a if missed_needs_safety_check(a, &roles) => {
                let contacted = contacts.get(&case).is_some_and(|c| {
                    c.iter()
                        .any(|(who, at)| *who == Some(p) && *at >= s.planned_at)
                });
                if contacted {
                    continue;
                }
                (
                    DueKind::SafetyCheck,
                    format!(
                        "Check they are safe: missed the {programme} session on {}. Contact them a safe way",
                        format_date(on)
                    ),
                    FieldClass::Location,
                    format!("/cases/{case}/entries/new?kind=contact&person={p}"),
                )
            }
            _ => continue,
        };
        let Some(access) = guard.get(case) else {
            continue;
        };
        if !access.may_see(p, class) {
            continue;
        }
        // A record overdue from the day after; a planned session only within the look-ahead.
        let overdue = match kind {
            DueKind::Session => match classify_until(on, today, until) {
                Some(o) => o,
                None => continue,
            },
            _ => on < today,
        };
        out.entry(case).or_default().push(DueItem {
            turns_at: (kind == DueKind::Session).then_some(s.planned_at),
            ..item(
                kind,
                (case, reference(case)),
                (p, name),
                what,
                (on, overdue),
                link,
            )
        });
    }
    for n in &underway.news {
        let case = n.case_id.uuid();
        let (Some((partner, _)), Some((client, _))) = (
            person(case, n.partner_id.uuid())?,
            person(case, n.client_id.uuid())?,
        ) else {
            continue;
        };
        let what = format!(
            "{} (on {})",
            n.news.task(&client),
            format_date(n.happened_on)
        );
        let link = format!("/cases/{case}#plan");
        let due = (n.happened_on, n.happened_on < today);
        out.entry(case).or_default().push(item(
            DueKind::PartnerNews,
            (case, reference(case)),
            (n.partner_id.uuid(), partner),
            what,
            due,
            link,
        ));
    }
    Ok(out)
}

fn item(
    kind: DueKind,
    (case_id, case_reference): (Uuid, String),
    (person_id, name): (Uuid, String),
    what: String,
    (due_on, overdue): (time::Date, bool),
    link: String,
) -> DueItem {
    DueItem {
        kind,
        case_id,
        case_reference,
        person_id: Some(person_id),
        person_name: Some(name),
        what,
        due_on,
        overdue,
        link,
        workers: Vec::new(),
        other_agency: false,
        turns_at: None,
    }
}
