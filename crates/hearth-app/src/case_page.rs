//! The case page: everything a worker sees about a family on one page, read as one unit of
//! work, with one access resolution and one commit for its audit entries.

use crate::casework::{self, AgencyView, EntryView, StaffMember, Standing, TimelineFilter};
use crate::risk::PersonRiskLine;
use crate::{App, Result};
use hearth_domain::access::Action;
use hearth_domain::due::DueItem;
use hearth_domain::ids::CaseId;
use hearth_domain::targets::FirstContact;
use hearth_domain::Actor;
use hearth_store::cases::{self, CaseRecord};
use std::collections::HashMap;
use uuid::Uuid;

pub struct CasePage {
    pub case: CaseRecord,
    /// The timeline, as filtered.
    pub entries: Vec<EntryView>,
    pub first_contact: Option<FirstContact>,
    pub agencies: Vec<AgencyView>,
    pub risk: Vec<PersonRiskLine>,
    pub due: Vec<DueItem>,
    /// Workers to allocate, if the user may allocate here; empty otherwise.
    pub workers: Vec<StaffMember>,
}

pub async fn view(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    filter: &TimelineFilter,
) -> Result<CasePage> {
    let mut w = app.view().await?;
    let guard = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let many = guard.as_cases();
    let case = cases::record(&mut w, &guard).await?;
    let mut entries = casework::visible_entries(&mut w, &guard).await?;
    entries.retain(|e| {
        filter.person_id.is_none_or(|p| e.person_id == Some(p))
            && filter.kind.is_none_or(|k| e.kind == k)
    });
    let standings: HashMap<Uuid, Standing> = casework::standings_in(&mut w, app, &many).await?;
    let first_contact = standings.get(&case_id.uuid()).and_then(|s| s.first_contact);
    let agencies = casework::agencies_in(&mut w, &guard).await?;
    let risk = crate::risk::in_case_with(&mut w, &many, case_id).await?;
    let due = crate::due::due_in(
        &mut w,
        app,
        &many,
        std::slice::from_ref(&case.summary),
        &standings,
    )
    .await?;
    let workers = if guard.allows(Action::Allocate) {
        casework::workers_in(&mut w, actor).await?
    } else {
        Vec::new()
    };
    w.audit(crate::due::viewed(actor, 1));
    w.commit().await?;
    Ok(CasePage {
        case,
        entries,
        first_contact,
        agencies,
        risk,
        due,
        workers,
    })
}
