//! Allocating workers to a family or one person in it, ending allocations, and closing a case or one person's involvement.

use crate::{event, App, AppError, Result};
use hearth_domain::access::Action;
use hearth_domain::ids::UserId;
use hearth_domain::ids::{CaseId, PersonId};
use hearth_domain::validation::{Invalid, Text};
use hearth_domain::Actor;
use hearth_store::access::Guard;
use hearth_store::{cases, timeline};
use uuid::Uuid;

/// A member of staff as someone allocating work sees them: no password hash, no second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub display_name: String,
    pub role: hearth_domain::Role,
    pub team_id: Option<hearth_domain::ids::TeamId>,
}

/// Staff who can be allocated to families in this organisation, for those who allocate.
pub async fn allocatable_workers(app: &App, actor: &Actor) -> Result<Vec<StaffMember>> {
    if hearth_domain::access::grant(actor.role, Action::Allocate) == hearth_domain::Scope::None {
        return Err(AppError::Forbidden);
    }
    let mut conn = app.store.conn().await?;
    workers_in(&mut conn, actor).await
}

/// Staff who hold a caseload and can be allocated, for someone already allowed to allocate.
pub(crate) async fn workers_in(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
) -> Result<Vec<StaffMember>> {
    Ok(hearth_store::users::list(conn, actor.org_id)
        .await?
        .into_iter()
        .filter(|u| u.role.holds_caseload() && !u.is_disabled())
        .map(|u| StaffMember {
            id: u.id.uuid(),
            display_name: u.display_name,
            role: u.role,
            team_id: u.team_id,
        })
        .collect())
}

/// Allocate a worker to the whole family or to one person in it.
pub async fn allocate(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    worker: &str,
    person: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::Allocate).await?;
    let mut invalid = Invalid::default();
    let worker = match UserId::parse(worker) {
        Some(id) => match hearth_store::users::get(&mut w, actor.org_id, id).await? {
            Some(u) if u.role.holds_caseload() && !u.is_disabled() => Some(u),
            _ => None,
        },
        None => None,
    };
    if worker.is_none() {
        invalid.push("worker_id", "Choose a worker from the list");
    }
    let person = if person.trim().is_empty() {
        None
    } else {
        match PersonId::parse(person).filter(|p| case.covers(p.uuid())) {
            Some(p) => Some(p),
            None => {
                invalid.push("person_id", "Choose someone who is in this case");
                None
            }
        }
    };
    invalid.into_result()?;
    let worker = worker.expect("checked");
    if cases::is_allocated(&mut w, &case, worker.id, person).await? {
        return Err(AppError::Conflict {
            field: Some("worker_id"),
            message: format!("{} is already allocated to that", worker.display_name),
        });
    }
    cases::allocate(
        &mut w,
        now,
        cases::NewAllocation {
            org_id: actor.org_id,
            case_id,
            person_id: person,
            worker_id: worker.id,
            by: Some(actor.user_id),
        },
    )
    .await?;
    let mut ev = event(actor, "case.allocate", "case", case_id).detail("worker", worker.id);
    if let Some(p) = person {
        ev = ev.detail("person", p);
    }
    w.audit(ev);
    w.commit().await?;
    Ok(())
}

/// End a worker's allocation (to one person, or the whole family).
pub async fn end_allocation(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    worker: UserId,
    person: Option<PersonId>,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::Allocate).await?;
    if !cases::end_allocation(&mut w, &case, now, worker, person).await? {
        return Err(AppError::NotFound);
    }
    w.audit(event(actor, "case.deallocate", "case", case_id).detail("worker", worker));
    w.commit().await?;
    Ok(())
}

/// Close a case with an exit reason. Allocations end; the case stays on record for re-referral.
pub async fn close_case(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    reason: &str,
    note: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::Allocate).await?;
    let Some((_, label)) = app.exit_reasons.iter().find(|(c, _)| c == reason.trim()) else {
        return Err(AppError::invalid(
            "exit_reason",
            "Choose why the case is closing",
        ));
    };
    let note = Text::<5_000>::parse("closing_note", note)?;
    let note = note.as_str();
    if !cases::close(&mut w, &case, now).await? {
        return Err(AppError::Conflict {
            field: None,
            message: "This case is already closed".into(),
        });
    }
    let key = format!("case-closed-{case_id}-{}", now.unix_timestamp());
    let body = if note.trim().is_empty() {
        format!("Case closed: {label}.")
    } else {
        format!("Case closed: {label}. {}", note.trim())
    };
    timeline::note(&mut w, &case, noted(case_id, None, &body, &key)).await?;
    w.audit(event(actor, "case.close", "case", case_id).detail("exit_reason", reason.trim()));
    w.commit().await?;
    Ok(())
}

/// Close one person's involvement with an exit reason; their allocations end. The case stays open
/// for the rest of the family.
pub async fn close_involvement(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    person: &str,
    reason: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::Allocate).await?;
    let roles = case.roles();
    let mut invalid = Invalid::default();
    let person = PersonId::parse(person).filter(|p| roles.iter().any(|(id, _)| *id == p.uuid()));
    if person.is_none() {
        invalid.push("involvement_person", "Choose someone who is in this case");
    }
    let label = app
        .exit_reasons
        .iter()
        .find(|(c, _)| c == reason.trim())
        .map(|(_, l)| l.clone());
    if label.is_none() {
        invalid.push(
            "involvement_reason",
            "Choose why their involvement is ending",
        );
    }
    invalid.into_result()?;
    let (person, label) = (person.expect("checked"), label.expect("checked"));
    if !cases::close_involvement(&mut w, &case, now, person, reason.trim()).await? {
        return Err(AppError::Conflict {
            field: None,
            message: "Their involvement is already closed".into(),
        });
    }
    let key = format!(
        "involvement-closed-{case_id}-{person}-{}",
        now.unix_timestamp()
    );
    let body = format!("Involvement closed: {label}.");
    timeline::note(&mut w, &case, noted(case_id, Some(person), &body, &key)).await?;
    w.audit(
        event(actor, "case.involvement_close", "case", case_id)
            .detail("person", person)
            .detail("exit_reason", reason.trim()),
    );
    w.commit().await?;
    Ok(())
}

/// An ordinary key event on the case's timeline.
fn noted<'a>(
    case_id: CaseId,
    person_id: Option<PersonId>,
    body: &'a str,
    key: &'a str,
) -> timeline::Noted<'a> {
    timeline::Noted {
        case_id,
        person_id,
        body,
        key,
        sensitivity: hearth_domain::timeline::Sensitivity::Ordinary,
    }
}
