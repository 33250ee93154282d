//! The one "due and overdue" list: first contacts, risk reassessments, safety plan reviews and
//! MARAC actions, for a worker's own cases or a manager's team. Each item is shown only if the
//! user may see the data it comes from, so a worker with the person causing harm never learns
//! that a victim's safety plan is due for review.

use crate::{App, Result};
use hearth_domain::access::{may_see_field, Action, CaseRole, Decision, FieldClass};
use hearth_domain::due::{classify, sort, DueItem, DueKind};
use hearth_domain::targets::FirstContact;
use hearth_domain::ukdate::{format_date, uk_today};
use hearth_domain::Actor;
use hearth_store::audit::{self, AuditEvent};
use hearth_store::cases::{self, CaseSummary};
use hearth_store::safety_plans;
use uuid::Uuid;

/// Everything due or overdue in these cases, overdue first.
pub async fn for_cases(app: &App, actor: &Actor, list: &[CaseSummary]) -> Result<Vec<DueItem>> {
    let now = app.now();
    let today = uk_today(now);
    let ids: Vec<Uuid> = list.iter().map(|c| c.id).collect();
    let standings = crate::casework::standings(app, actor, &ids).await?;
    let mut items = Vec::new();
    let mut tx = app.store.begin().await?;
    let cipher = app.store.cipher(&mut tx, actor.org_id).await?;
    for case in list {
        if cases::case_decision(&mut tx, actor, Action::ViewCaseRecord, case.id).await?
            != Decision::Allow
        {
            continue;
        }
        let link = match cases::link_to_case(&mut tx, actor, case.id).await? {
            Some(l) => l,
            None => continue,
        };
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
                }
            };
        match standings.get(&case.id).and_then(|s| s.first_contact) {
            Some(FirstContact::Overdue { since }) => items.push(item(
                DueKind::FirstContact,
                None,
                format!("First contact with {} was due", case.family_label),
                uk_today(since),
                true,
                format!("/cases/{}", case.id),
            )),
            Some(FirstContact::Due { by }) => {
                if let Some(overdue) = classify(uk_today(by), today) {
                    items.push(item(
                        DueKind::FirstContact,
                        None,
                        format!("First contact with {}", case.family_label),
                        uk_today(by),
                        overdue,
                        format!("/cases/{}", case.id),
                    ));
                }
            }
            _ => {}
        }
        let record = match cases::get(&mut tx, actor, case.id).await? {
            Some(r) => r,
            None => continue,
        };
        let roles_of = |p: Uuid| -> Vec<CaseRole> {
            record
                .members
                .iter()
                .filter(|m| m.person_id == p)
                .map(|m| m.role)
                .collect()
        };
        for m in record
            .members
            .iter()
            .filter(|m| m.role == CaseRole::VictimSurvivor && m.closed.is_none())
        {
            if !may_see_field(&link, &roles_of(m.person_id), FieldClass::Sensitive) {
                continue;
            }
            let facts = crate::risk::facts(&mut tx, actor.org_id, m.person_id).await?;
            let r = facts.reassessment(app.risk.reassess_after_days);
            // The first assessment is made at the first contact, so it is due when that is.
            let due_on = match (r, standings.get(&case.id).and_then(|s| s.first_contact)) {
                (
                    hearth_domain::risk::Reassessment::FirstDue,
                    Some(FirstContact::Due { by: at } | FirstContact::Overdue { since: at }),
                ) => uk_today(at),
                (hearth_domain::risk::Reassessment::FirstDue, _) => uk_today(case.opened_at),
                _ => r.due_on(today),
            };
            if let Some(overdue) = classify(due_on, today) {
                items.push(item(
                    DueKind::RiskAssessment,
                    Some((m.person_id, format!("{} {}", m.given_name, m.family_name))),
                    r.reason().to_string(),
                    due_on,
                    overdue,
                    format!("/people/{}/risk", m.person_id),
                ));
            }
        }
        for (person_id, review_on) in
            safety_plans::reviews_in_case(&mut tx, actor.org_id, case.id).await?
        {
            let roles = roles_of(person_id);
            if roles.is_empty() || !may_see_field(&link, &roles, FieldClass::Location) {
                continue;
            }
            if let Some(overdue) = classify(review_on, today) {
                let name = record
                    .members
                    .iter()
                    .find(|m| m.person_id == person_id)
                    .map(|m| format!("{} {}", m.given_name, m.family_name))
                    .unwrap_or_default();
                items.push(item(
                    DueKind::SafetyPlanReview,
                    Some((person_id, name)),
                    "Review the safety plan".into(),
                    review_on,
                    overdue,
                    format!("/people/{person_id}/safety-plan"),
                ));
            }
        }
        for a in crate::marac::open_actions_in_case(&mut tx, &cipher, actor.org_id, case.id, today)
            .await?
        {
            if !may_see_field(&link, &roles_of(a.person_id), FieldClass::Location) {
                continue;
            }
            if let Some(overdue) = classify(a.due_on, today) {
                items.push(item(
                    DueKind::MaracAction,
                    None,
                    format!("{}: {}", a.agency, a.description),
                    a.due_on,
                    overdue,
                    format!("/marac/referrals/{}", a.referral_id),
                ));
            }
        }
    }
    audit::append(
        &mut tx,
        app.store.audit_key(),
        now,
        AuditEvent::new("due.view", "user")
            .org(actor.org_id)
            .actor(actor.user_id)
            .entity(actor.user_id)
            .detail("cases", list.len()),
    )
    .await?;
    tx.commit().await?;
    sort(&mut items);
    Ok(items)
}

/// What falls due on the user's own caseload.
pub async fn mine(app: &App, actor: &Actor) -> Result<Vec<DueItem>> {
    let list = crate::records::caseload(app, actor).await?;
    for_cases(app, actor, &list).await
}

/// What falls due across the cases the user oversees: their team's, or the service's.
pub async fn team(app: &App, actor: &Actor) -> Result<Vec<DueItem>> {
    if hearth_domain::access::grant(actor.role, Action::ViewCaseRecord) < hearth_domain::Scope::Team
    {
        return Err(crate::AppError::Forbidden);
    }
    let list = crate::records::cases_list(app, actor, 1000).await?;
    for_cases(app, actor, &list).await
}

/// "Due 23 November 2026" or "Overdue since ...", for plain-text lists.
pub fn describe(i: &DueItem) -> String {
    if i.overdue {
        format!("Overdue since {}", format_date(i.due_on))
    } else {
        format!("Due {}", format_date(i.due_on))
    }
}
