//! Waiting lists and places: each programme's list in the order a manager sets, with why each
//! person comes where they do and how long they have waited; and demand against capacity.

use super::catalogue;
use crate::{event, App, AppError, Result};
use hearth_domain::access::{grant, Action, Scope};
use hearth_domain::ids::{CaseId, EnrolmentId, PersonId};
use hearth_domain::programme::EnrolmentState;
use hearth_domain::ukdate::uk_today;
use hearth_domain::Actor;
use hearth_store::access::Guard;
use hearth_store::enrolments;

/// One programme's places against demand.
#[derive(Debug, Clone)]
pub struct Demand {
    pub key: String,
    pub name: String,
    pub places: u32,
    pub active: i64,
    pub waiting: i64,
}

impl Demand {
    pub fn over_capacity(&self) -> bool {
        self.active > i64::from(self.places)
    }
}

/// Only those who allocate work (team and service managers) see lists and places.
fn managers_only(actor: &Actor) -> Result<()> {
    if grant(actor.role, Action::Allocate) == Scope::None {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Every programme offered, with its places and how many are on it and waiting for it across
/// the service.
pub async fn demand(app: &App, actor: &Actor) -> Result<Vec<Demand>> {
    managers_only(actor)?;
    let mut w = app.view().await?;
    let catalogue = catalogue::current(&mut w, actor.org_id).await?;
    let counts = enrolments::demand(&mut w, actor.org_id).await?;
    w.commit().await?;
    Ok(catalogue
        .offered()
        .filter(|p| !p.for_roles.is_empty())
        .map(|p| {
            let (active, waiting) = counts
                .iter()
                .find(|(k, ..)| *k == p.key)
                .map_or((0, 0), |(_, a, w)| (*a, *w));
            Demand {
                key: p.key.clone(),
                name: p.name.clone(),
                places: p.places,
                active,
                waiting,
            }
        })
        .collect())
}

/// Someone on a waiting list.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub enrolment_id: EnrolmentId,
    pub version: i64,
    pub case_id: CaseId,
    pub reference: String,
    pub person_id: PersonId,
    pub name: String,
    pub since: time::Date,
    pub days: i64,
    pub priority_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WaitingList {
    pub demand: Demand,
    /// In the list's order, the first to be offered a place first.
    pub people: Vec<Waiting>,
}

/// A programme's waiting list, as far as the manager's cases go.
pub async fn waiting_list(app: &App, actor: &Actor, key: &str) -> Result<WaitingList> {
    let demand = demand(app, actor)
        .await?
        .into_iter()
        .find(|d| d.key == key.trim())
        .ok_or(AppError::NotFound)?;
    let today = uk_today(app.now());
    let mut w = app.view().await?;
    let cases = enrolments::cases_waiting_for(&mut w, actor.org_id, &demand.key).await?;
    let listed = hearth_store::cases::listed_by_ids(&mut w, actor, &cases).await?;
    let mut people = Vec::new();
    for e in enrolments::in_cases(&mut w, &listed.guard).await? {
        if e.state != EnrolmentState::Waiting || e.programme_key != demand.key {
            continue;
        }
        let Some(access) = listed.guard.get(e.case_id.uuid()) else {
            continue;
        };
        let since = e.waiting_since.unwrap_or(e.proposed_on);
        people.push((
            e.waiting_rank.unwrap_or(i64::MAX),
            Waiting {
                enrolment_id: e.id,
                version: e.version,
                case_id: e.case_id,
                reference: listed
                    .cases
                    .iter()
                    .find(|c| c.id == e.case_id.uuid())
                    .map(|c| c.reference.clone())
                    .unwrap_or_default(),
                person_id: e.person_id,
                name: listed
                    .guard
                    .name_of(access.case_id(), e.person_id.uuid())?
                    .unwrap_or_default(),
                since,
                days: (today - since).whole_days(),
                priority_reason: match &e.priority_reason {
                    Some(s) => listed.guard.open(s)?.shown(),
                    None => None,
                },
            },
        ));
    }
    people.sort_by_key(|(rank, p)| (*rank, p.since));
    w.commit().await?;
    Ok(WaitingList {
        demand,
        people: people.into_iter().map(|(_, p)| p).collect(),
    })
}

/// Move someone one place `up` or `down` their programme's waiting list (among the people the
/// manager sees on it). Each of the two enrolments must still be as the manager saw it.
pub async fn move_on_list(
    app: &App,
    actor: &Actor,
    id: EnrolmentId,
    direction: &str,
    based_on: i64,
) -> Result<String> {
    managers_only(actor)?;
    let mut w = app.work().await?;
    let (e, guard) = enrolments::open(&mut w, actor, id, Action::Allocate).await?;
    drop(guard);
    // What was asked is read only once the policy has let the manager in.
    let up = match direction.trim() {
        "up" => true,
        "down" => false,
        _ => {
            return Err(AppError::invalid(
                "direction",
                "Say whether to move them up or down",
            ))
        }
    };
    if e.state != EnrolmentState::Waiting {
        return Err(AppError::invalid(
            "move",
            "Only someone on the waiting list can be moved on it",
        ));
    }
    if e.version != based_on {
        return Err(AppError::Conflict {
            field: None,
            message: "The waiting list changed while you were looking at it. Nothing was moved: check the order and try again.".into(),
        });
    }
    let cases = enrolments::cases_waiting_for(&mut w, actor.org_id, &e.programme_key).await?;
    let listed = hearth_store::cases::listed_by_ids(&mut w, actor, &cases).await?;
    let mut list: Vec<_> = enrolments::in_cases(&mut w, &listed.guard)
        .await?
        .into_iter()
        .filter(|o| o.state == EnrolmentState::Waiting && o.programme_key == e.programme_key)
        .collect();
    list.sort_by_key(|o| (o.waiting_rank.unwrap_or(i64::MAX), o.proposed_on));
    let at = list
        .iter()
        .position(|o| o.id == e.id)
        .ok_or(AppError::NotFound)?;
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(other) = other.and_then(|i| list.get(i)) else {
        return Ok(e.programme_key);
    };
    let swapped = enrolments::swap_ranks(
        &mut w,
        &listed.guard,
        (&e, e.version),
        (other, other.version),
    )
    .await?;
    if !swapped {
        return Err(AppError::Conflict {
            field: None,
            message: "The waiting list changed while you were looking at it. Nothing was moved."
                .into(),
        });
    }
    w.audit(
        event(actor, "enrolment.waiting_move", "case", e.case_id)
            .detail("enrolment", e.id)
            .detail("direction", if up { "up" } else { "down" }),
    );
    w.commit().await?;
    Ok(e.programme_key)
}
