//! Each case's next due, kept so that a team's or the service's due list works out only the
//! cases with something inside its look-ahead, not every open case of the service on every
//! view. The database marks a case unknown whenever a record its due list comes from changes,
//! in the same transaction (migration 0018); this works unknown cases out again, in the
//! background while the server runs and at once after a bulk load. No list waits on it: an
//! unknown case is worked out in full whenever it is listed, so a list is the same either way.

use crate::{App, Result};
use hearth_domain::due::{DueItem, DueKind};
use hearth_domain::ids::{OrgId, UserId};
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Actor, Role};
use hearth_store::cases::{self, next_due};
use std::collections::HashMap;
use time::Date;
use uuid::Uuid;

/// The settings a kept date depends on besides the records: if they change, every kept date
/// is forgotten and worked out again.
fn rules(app: &App) -> String {
    format!(
        "first contact within {} working days at high risk, else {}; risk reassessed after {} days",
        app.first_contact.high_risk_working_days,
        app.first_contact.other_working_days,
        app.risk.reassess_after_days
    )
}

/// At start: forget every kept date if the settings they were worked out by have changed.
pub async fn check_rules(app: &App) -> Result<()> {
    let rules = rules(app);
    let mut tx = app.store.begin().await?;
    if next_due::rules(&mut tx).await?.as_deref() != Some(rules.as_str()) {
        next_due::forget_all(&mut tx, &rules).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whose view a case's next due is worked out from: the whole service's, which nothing is
/// behind the firewall from, so the date is the earliest of everything on the case's list
/// whoever looks. It is nobody's account: nothing it reads is shown to anyone.
fn whole_service(org_id: OrgId) -> Actor {
    Actor::staff(
        UserId::from_uuid(Uuid::nil()),
        org_id,
        None,
        Role::ServiceManager,
    )
}

/// Work out up to `limit` unknown cases and keep their dates; how many were kept. `together`
/// keeps them in one transaction, for a bulk load with nothing else writing.
pub async fn work_out(app: &App, limit: usize, together: bool) -> Result<usize> {
    let mut w = app.view().await?;
    let unknown = next_due::unknown(&mut w, limit).await?;
    let mut worked = Vec::with_capacity(unknown.len());
    for group in unknown.chunk_by(|a, b| a.org_id == b.org_id) {
        let actor = whole_service(group[0].org_id);
        let ids: Vec<Uuid> = group.iter().map(|u| u.case_id).collect();
        let listed = cases::read_in_background(&mut w, &actor, &ids).await?;
        // Without limit: the earliest item, however far ahead, bounds the case's list.
        let items = crate::due::due_until(&mut w, app, &listed, Date::MAX).await?;
        let mut by_case: HashMap<Uuid, Vec<next_due::KeptItem>> = HashMap::new();
        for i in &items {
            by_case.entry(i.case_id).or_default().push(kept(i));
        }
        for u in group {
            if listed.guard.get(u.case_id).is_some() {
                worked.push((*u, by_case.remove(&u.case_id).unwrap_or_default()));
            }
        }
    }
    w.commit().await?;
    Ok(next_due::keep(&app.store, &worked, together).await?)
}

/// An item as kept: what it takes to count and place it on a later day without its text.
fn kept(i: &DueItem) -> next_due::KeptItem {
    next_due::KeptItem {
        kind: i.kind.code(),
        due_on: i.due_on,
        overdue_after: i.turns_at.filter(|_| i.kind == DueKind::FirstContact),
        recorded_from: i.turns_at.filter(|_| i.kind == DueKind::Session),
        always_listed: matches!(
            i.kind,
            DueKind::SessionRecord | DueKind::SafetyCheck | DueKind::PartnerNews
        ),
        other_agency: i.other_agency,
    }
}

/// Work out every unknown case now, after a bulk load with nothing else writing.
pub async fn work_out_all(app: &App) -> Result<usize> {
    check_rules(app).await?;
    let mut kept = 0;
    loop {
        let n = work_out(app, 2_000, true).await?;
        if n == 0 {
            return Ok(kept);
        }
        kept += n;
    }
}

/// The last day a team's due list made now looks ahead to.
pub(crate) fn horizon(app: &App) -> Date {
    hearth_domain::due::horizon(uk_today(app.now()))
}
