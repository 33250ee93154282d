//! The one "due and overdue" list: first contacts, risk reassessments, safety plan reviews and
//! MARAC actions, for a worker's own cases or a manager's team. Each item is shown only if the
//! user may see the data it comes from, so a worker with the person causing harm never learns
//! that a victim's safety plan is due for review.

use crate::casework::{Standing, StandingFacts};
use crate::programmes::due::Underway;
use crate::{App, Result};
use hearth_domain::access::{CaseRole, FieldClass};
use hearth_domain::due::{classify_until, horizon, sort, DueItem, DueKind};
use hearth_domain::risk::Reassessment;
use hearth_domain::targets::FirstContact;
use hearth_domain::ukdate::{format_date, uk_today};
use hearth_domain::Actor;
use hearth_store::access::{CaseAccess, CasesGuard};
use hearth_store::audit::AuditEvent;
use hearth_store::cases::{self, CaseSummary};
use hearth_store::safety_plans;
use hearth_store::UnitOfWork;
use std::collections::HashMap;
use uuid::Uuid;

/// The audit entry for a view of the due list over this many cases.
pub(crate) fn viewed(actor: &Actor, cases: usize) -> AuditEvent {
    AuditEvent::new("due.view", "user")
        .org(actor.org_id)
        .actor(actor.user_id)
        .entity(actor.user_id)
        .detail("cases", cases)
}

/// What the due list reads about its cases and the people in them that another part of the
/// same page may need too (the case page's standing, risk lines, task list and family plan):
/// where each case stands, victims' risk facts, the current safety plans' review dates and the
/// programme work under way. Read once, handed to each.
pub(crate) struct DueFacts {
    pub standing: StandingFacts,
    pub risk: HashMap<Uuid, crate::risk_facts::RiskFacts>,
    pub reviews: Vec<safety_plans::Review>,
    pub programmes: Underway,
}

/// [`DueFacts`] for these victims/survivors and the guard's cases, with the programme work
/// under way in them already read (for a list, [`Underway::in_cases`]; for one case's page,
/// [`Underway::in_case`], which has every enrolment for the family's plan).
pub(crate) async fn due_facts(
    w: &mut UnitOfWork,
    guard: &CasesGuard,
    victims: &[Uuid],
    programmes: Underway,
) -> Result<DueFacts> {
    Ok(DueFacts {
        standing: crate::casework::standing_facts(w, guard).await?,
        risk: crate::risk_facts::facts_for(w, guard, victims).await?,
        reviews: safety_plans::reviews_in_cases(w, guard).await?,
        programmes,
    })
}

/// The victims/survivors whose involvement in one of the guard's cases is open: the people
/// the due list asks about.
pub(crate) fn open_victims(guard: &CasesGuard) -> Vec<Uuid> {
    guard
        .cases()
        .iter()
        .flat_map(|a| a.memberships())
        .filter(|m| m.role == CaseRole::VictimSurvivor && m.closed.is_none())
        .map(|m| m.person_id)
        .collect()
}

/// Where each listed case stands and what falls due in them, within work already under way,
/// audited as a view of the due list over those cases.
pub(crate) async fn standings_and_due(
    w: &mut UnitOfWork,
    app: &App,
    actor: &Actor,
    listed: &cases::Listed,
) -> Result<(HashMap<Uuid, Standing>, Vec<DueItem>)> {
    let until = horizon(uk_today(app.now()));
    let (standings, items) = worked_out(w, app, listed, until).await?;
    w.audit(viewed(actor, listed.cases.len()));
    Ok((standings, items))
}

/// Everything due in a list of cases by `until`, worked out from scratch (their standings and
/// facts read here), within work already under way (which audits it).
pub(crate) async fn due_until(
    w: &mut UnitOfWork,
    app: &App,
    listed: &cases::Listed,
    until: time::Date,
) -> Result<Vec<DueItem>> {
    Ok(worked_out(w, app, listed, until).await?.1)
}

/// Where each listed case stands and everything due in them by `until`.
async fn worked_out(
    w: &mut UnitOfWork,
    app: &App,
    listed: &cases::Listed,
    until: time::Date,
) -> Result<(HashMap<Uuid, Standing>, Vec<DueItem>)> {
    let programmes = Underway::in_cases(w, &listed.guard).await?;
    let facts = due_facts(w, &listed.guard, &open_victims(&listed.guard), programmes).await?;
    let standings = crate::casework::standings_from(app, &listed.guard, &facts.standing)?;
    let items = due_from(
        w,
        app,
        (&listed.guard, &listed.cases),
        &standings,
        &facts,
        until,
    )
    .await?;
    Ok((standings, items))
}

/// What falls due in the guard's listed cases, from their standings and facts already read,
/// looking ahead to `until` (the look-ahead, or further when a case's next due is worked out),
/// within work already under way (which audits it).
pub(crate) async fn due_from(
    w: &mut UnitOfWork,
    app: &App,
    (guard, list): (&CasesGuard, &[CaseSummary]),
    standings: &HashMap<Uuid, Standing>,
    facts: &DueFacts,
    until: time::Date,
) -> Result<Vec<DueItem>> {
    let now = app.now();
    let today = uk_today(now);
    let classify = |due_on, today| classify_until(due_on, today, until);
    let open: Vec<(&CaseSummary, &CaseAccess)> = list
        .iter()
        .filter_map(|c| guard.get(c.id).map(|a| (c, a)))
        .collect();
    let no_facts = crate::risk_facts::RiskFacts::default();
    let mut reviews: HashMap<Uuid, Vec<&safety_plans::Review>> = HashMap::new();
    for r in &facts.reviews {
        reviews.entry(r.case_id).or_default().push(r);
    }
    let mut workers = cases::workers_in(w, guard).await?;
    let mut programme_items = crate::programmes::due::items_by_case(
        w,
        guard,
        list,
        until,
        (&facts.programmes, &facts.standing.last_contacts),
    )
    .await?;
    let mut actions: HashMap<Uuid, Vec<crate::marac::ActionView>> = HashMap::new();
    for a in crate::marac::open_actions_in_cases(w, guard, today).await? {
        actions.entry(a.case_id).or_default().push(a);
    }

    let mut items = Vec::new();
    for (case, access) in open {
        let allocated: Vec<(Uuid, String)> = workers
            .remove(&case.id)
            .unwrap_or_default()
            .into_iter()
            .map(|(id, name)| (id.uuid(), name))
            .collect();
        let item =
            |kind, person: Option<(Uuid, String)>, what: String, due_on, overdue, link: String| {
                DueItem {
                    kind,
                    case_id: case.id,
                    case_reference: case.reference.clone(),
                    person_id: person.as_ref().map(|p| p.0),
                    person_name: person.map(|p| p.1),
                    what,
                    due_on,
                    overdue,
                    link,
                    workers: allocated.clone(),
                    other_agency: false,
                    turns_at: None,
                }
            };
        // Only the people something falls due for are named.
        let name_of =
            |p: Uuid| -> Result<String> { Ok(guard.name_of(case.id, p)?.unwrap_or_default()) };
        let first_contact = standings.get(&case.id).and_then(|s| s.first_contact);
        match first_contact {
            Some(FirstContact::Overdue { since }) => items.push(DueItem {
                turns_at: Some(since),
                ..item(
                    DueKind::FirstContact,
                    None,
                    format!("First contact with {} was due", case.family_label),
                    uk_today(since),
                    true,
                    format!("/cases/{}", case.id),
                )
            }),
            Some(FirstContact::Due { by }) => {
                if let Some(overdue) = classify(uk_today(by), today) {
                    items.push(DueItem {
                        turns_at: Some(by),
                        ..item(
                            DueKind::FirstContact,
                            None,
                            format!("First contact with {}", case.family_label),
                            uk_today(by),
                            overdue,
                            format!("/cases/{}", case.id),
                        )
                    });
                }
            }
            _ => {}
        }
        for m in access
            .memberships()
            .iter()
            .filter(|m| m.role == CaseRole::VictimSurvivor && m.closed.is_none())
        {
            if !access.may_see(m.person_id, FieldClass::Sensitive) {
                continue;
            }
            let r = facts
                .risk
                .get(&m.person_id)
                .unwrap_or(&no_facts)
                .reassessment(app.risk.reassess_after_days);
            // The first assessment is made at the first contact, so it is due when that is.
            let due_on = match (r, first_contact) {
                (
                    Reassessment::FirstDue,
                    Some(FirstContact::Due { by: at } | FirstContact::Overdue { since: at }),
                ) => uk_today(at),
                (Reassessment::FirstDue, _) => uk_today(case.opened_at),
                _ => r.due_on(today),
            };
            if let Some(overdue) = classify(due_on, today) {
                items.push(item(
                    DueKind::RiskAssessment,
                    Some((m.person_id, name_of(m.person_id)?)),
                    r.reason().to_string(),
                    due_on,
                    overdue,
                    format!("/people/{}/risk", m.person_id),
                ));
            }
        }
        for r in reviews.remove(&case.id).unwrap_or_default() {
            if !access.may_see(r.person_id, FieldClass::Location) {
                continue;
            }
            if let Some(overdue) = classify(r.review_on, today) {
                items.push(item(
                    DueKind::SafetyPlanReview,
                    Some((r.person_id, name_of(r.person_id)?)),
                    "Review the safety plan".into(),
                    r.review_on,
                    overdue,
                    format!("/people/{}/safety-plan", r.person_id),
                ));
            }
        }
        for i in programme_items.remove(&case.id).unwrap_or_default() {
            items.push(DueItem {
                workers: allocated.clone(),
                ..i
            });
        }
        for a in actions.remove(&case.id).unwrap_or_default() {
            // Actions are about the victim's safety: location-class, as the plan is.
            if !access.may_see(a.person_id, FieldClass::Location) {
                continue;
            }
            if let Some(overdue) = classify(a.due_on, today) {
                items.push(DueItem {
                    other_agency: !hearth_domain::marac::held_by_this_service(&a.agency),
                    ..item(
                        DueKind::MaracAction,
                        Some((a.person_id, name_of(a.person_id)?)),
                        format!("{}: {}", a.agency, a.description),
                        a.due_on,
                        overdue,
                        format!("/marac/referrals/{}", a.referral_id),
                    )
                });
            }
        }
    }
    sort(&mut items);
    Ok(items)
}

/// What falls due on the user's own caseload: one view, its cases resolved once.
pub async fn mine(app: &App, actor: &Actor) -> Result<Vec<DueItem>> {
    let mut w = app.view().await?;
    let listed = cases::caseload(&mut w, actor).await?;
    due_over(w, app, actor, listed).await
}

/// What falls due across the cases the user oversees, every case worked out from scratch:
/// what the pages counted from kept items (`team_due`) must equal, for the tests and the bench
/// to check them against. No page or route shows it whole.
pub async fn team(app: &App, actor: &Actor) -> Result<Vec<DueItem>> {
    crate::team_due::may_oversee(actor)?;
    let mut w = app.view().await?;
    let listed =
        cases::open_visible_due_by(&mut w, actor, crate::next_due::horizon(app), None).await?;
    due_over(w, app, actor, listed).await
}

/// The due list over a list of cases, audited as the list (it names the families) and the
/// due list.
async fn due_over(
    mut w: UnitOfWork,
    app: &App,
    actor: &Actor,
    listed: cases::Listed,
) -> Result<Vec<DueItem>> {
    let (_, items) = standings_and_due(&mut w, app, actor, &listed).await?;
    w.commit().await?;
    Ok(items)
}

/// "Due 23 November 2026" or "Overdue since ...", for plain-text lists.
pub fn describe(i: &DueItem) -> String {
    if i.overdue {
        format!("Overdue since {}", format_date(i.due_on))
    } else {
        format!("Due {}", format_date(i.due_on))
    }
}
