//! Reading case and person records. Every read of personal data is audited in the same
//! transaction that reads it: if the audit entry cannot be written, nothing is shown.

use crate::casework::{standings_in, Standing};
use crate::users::By;
use crate::{App, AppError, Result};
use hearth_domain::access::Action;
use hearth_domain::ids::{CaseId, PersonId};
use hearth_domain::paging::Page;
use hearth_domain::Actor;
pub use hearth_store::audit::HistoryLine;
use hearth_store::audit::{self, Verification};
use hearth_store::cases;
pub use hearth_store::cases::{CaseRecord, CaseSummary, Member, PersonRecord};
use hearth_store::{StoreError, UnitOfWork};
use std::collections::HashMap;
use uuid::Uuid;

pub async fn view_case(app: &App, actor: &Actor, id: CaseId) -> Result<CaseRecord> {
    let mut w = app.view().await?;
    let case = w.case(actor, id, Action::ViewCaseRecord).await?;
    let record = cases::record(&mut w, &case).await?;
    w.commit().await?;
    Ok(record)
}

pub async fn view_person(app: &App, actor: &Actor, id: PersonId) -> Result<PersonRecord> {
    let mut w = app.view().await?;
    let person = w.person(actor, id, Action::ViewCaseRecord).await?;
    let record = cases::person_record(&mut w, &person).await?;
    w.commit().await?;
    Ok(record)
}

/// The record whose history is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Case(CaseId),
    Person(PersonId),
}

/// Who viewed or changed a record, and when: for managers.
pub async fn history(app: &App, actor: &Actor, record: Record) -> Result<Vec<HistoryLine>> {
    let mut w = app.view().await?;
    // Someone who may not see a record's history is not told the record exists.
    let lines = match record {
        Record::Case(id) => match w.case(actor, id, Action::ViewRecordHistory).await {
            Ok(case) => audit::history_of_case(&mut w, &case, 500).await,
            Err(e) => Err(e),
        },
        Record::Person(id) => match w.person(actor, id, Action::ViewRecordHistory).await {
            Ok(person) => audit::history_of_person(&mut w, &person, 500).await,
            Err(e) => Err(e),
        },
    };
    let lines = match lines {
        Ok(lines) => lines,
        Err(StoreError::Refused(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    w.commit().await?;
    Ok(lines)
}

/// A list of cases and where each stands, read as one view: its cases resolved once.
pub struct CaseList {
    pub cases: Vec<CaseSummary>,
    pub standings: HashMap<Uuid, Standing>,
    /// How many the list holds across every page.
    pub total: usize,
}

impl CaseList {
    /// Each case with where it stands, in the list's order.
    pub fn paired(self) -> Vec<(CaseSummary, Standing)> {
        let CaseList {
            cases,
            mut standings,
            ..
        } = self;
        cases
            .into_iter()
            .map(|c| {
                let s = standings.remove(&c.id).unwrap_or_default();
                (c, s)
            })
            .collect()
    }
}

async fn case_list(mut w: UnitOfWork, app: &App, listed: cases::Listed) -> Result<CaseList> {
    let standings = standings_in(&mut w, app, &listed.guard).await?;
    w.commit().await?;
    Ok(CaseList {
        cases: listed.cases,
        standings,
        total: listed.total,
    })
}

/// A page of the user's own caseload, newest first, with how many in all. Lists names, so it
/// is audited as a read.
pub async fn caseload(app: &App, actor: &Actor, page: Page) -> Result<CaseList> {
    let mut w = app.view().await?;
    let listed = cases::allocated_to(&mut w, actor, actor.user_id, Some(page)).await?;
    case_list(w, app, listed).await
}

/// One worker's caseload, for their manager: the worker's name and the cases allocated to them
/// that the manager may open. Only a worker whose caseload the manager oversees is found.
pub async fn worker_caseload(
    app: &App,
    actor: &Actor,
    worker: hearth_domain::ids::UserId,
    page: Page,
) -> Result<(crate::casework::WorkerLoad, CaseList)> {
    let mut w = app.view().await?;
    let load = crate::casework::loads_in(&mut w, app, actor)
        .await?
        .into_iter()
        .find(|l| l.user_id == worker.uuid())
        .ok_or(crate::AppError::NotFound)?;
    let listed = cases::allocated_to(&mut w, actor, worker, Some(page)).await?;
    Ok((load, case_list(w, app, listed).await?))
}

/// How many cases a list shows to a page.
pub const CASES_PAGE: usize = 50;

/// Every case the user may open (their team's for managers), a page at a time, newest first.
/// Audited as a read.
pub async fn cases_list(app: &App, actor: &Actor, page: Page) -> Result<CaseList> {
    let mut w = app.view().await?;
    let listed = cases::visible(&mut w, actor, page).await?;
    case_list(w, app, listed).await
}

/// The service's whole trail, newest first, for those allowed to read it.
pub async fn service_audit(
    app: &App,
    by: By<'_>,
    actor_filter: Option<Uuid>,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<HistoryLine>> {
    by.check(Action::ViewServiceAudit)?;
    let mut conn = app.store.conn().await?;
    Ok(audit::for_org(
        &mut conn,
        by.org_id(),
        actor_filter,
        before_seq,
        limit.clamp(1, 500),
    )
    .await?)
}

/// Check the whole chain.
pub async fn verify_audit(app: &App) -> Result<Verification> {
    // One snapshot for the whole check: read statement by statement while the service runs, an
    // entry appended after the chain heads were read looked like one put there behind the
    // heads' backs, and a live system was reported as tampered with.
    let mut snapshot = app.store.begin_read().await?;
    let found = audit::verify(&mut snapshot, app.store.audit_key()).await?;
    snapshot
        .rollback()
        .await
        .map_err(hearth_store::StoreError::from)?;
    Ok(found)
}
