//! A manager's due list, across the cases they oversee: counted from each case's kept items
//! (`next_due`) wherever the manager sees the team whole, worked out in full for every other
//! case (not yet worked out since a change, or reached through an allocation, where the
//! firewall may hide something), and one page of it worked out through the guard to be shown.
//! At 6,000 cases a service, working out every case on every view cost the service manager's
//! home page about a second.

use crate::casework::WorkerLoad;
use crate::due::viewed;
use crate::{App, AppError, Result};
use hearth_domain::access::{grant, Action};
use hearth_domain::due::{overdue_by_worker, sort, DueItem, Show};
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Actor, Scope};
use hearth_store::access::WholeTeams;
use hearth_store::cases::{self, next_due};
use hearth_store::UnitOfWork;
use std::collections::HashMap;
use uuid::Uuid;

/// Only those who oversee cases by team or service have a team's due list.
pub(crate) fn may_oversee(actor: &Actor) -> Result<()> {
    if grant(actor.role, Action::ViewCaseRecord) < Scope::Team {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Overdue work by the worker allocated to the case, most first (`None`: nobody allocated).
pub type ByWorker = Vec<(Option<(Uuid, String)>, usize)>;

/// A manager's due list as one page of it shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamDue {
    /// The service's own items in the whole list, and how many are overdue.
    pub own: usize,
    pub overdue: usize,
    /// Own items the filter keeps, across every page.
    pub kept: usize,
    /// The page shown (from 1) and how many pages there are.
    pub page: usize,
    pub pages: usize,
    /// The page's items, in the list's order: most pressing case first.
    pub items: Vec<DueItem>,
    /// Other agencies' MARAC actions in the whole list, to follow up.
    pub others: Vec<DueItem>,
}

/// What the whole list holds of one case: how many of its items, and where it comes.
struct Place {
    case_id: Uuid,
    kept: usize,
    /// Overdue kept items sort first, then the earliest date, then the reference.
    key: (bool, time::Date, String),
}

/// The day's question, as the kept items are asked it.
fn asked(app: &App, show: Show) -> next_due::Asked {
    let now = app.now();
    next_due::Asked {
        now,
        today: uk_today(now),
        until: crate::next_due::horizon(app),
        kind: match show {
            Show::Kind(k) => Some(k.code()),
            _ => None,
        },
        overdue_only: show == Show::Overdue,
    }
}

/// The cases worked out in full: every one the kept items do not count.
async fn worked_out(
    w: &mut UnitOfWork,
    app: &App,
    actor: &Actor,
    whole: &WholeTeams,
) -> Result<(usize, Vec<DueItem>)> {
    let until = crate::next_due::horizon(app);
    let listed = cases::open_visible_due_by(w, actor, until, Some(whole)).await?;
    let items = crate::due::due_until(w, app, &listed, until).await?;
    Ok((listed.cases.len(), items))
}

/// The due list's figures for a manager's home: own overdue items, and by worker.
pub(crate) async fn overdue_in(
    w: &mut UnitOfWork,
    app: &App,
    actor: &Actor,
) -> Result<(usize, ByWorker)> {
    may_oversee(actor)?;
    let whole = w.whole_teams(actor).await?;
    let counted = next_due::overdue_by_worker(w, &whole, &asked(app, Show::Everything)).await?;
    let (cases, items) = worked_out(w, app, actor, &whole).await?;
    // The cases worked out, and those whose kept items were counted as overdue.
    w.audit(viewed(actor, cases + counted.cases));
    let live_overdue = items
        .iter()
        .filter(|i| i.overdue && !i.other_agency)
        .count();
    let mut by: HashMap<Option<(Uuid, String)>, usize> = HashMap::new();
    for (who, n) in counted.by_worker {
        *by.entry(who.map(|(id, name)| (id.uuid(), name)))
            .or_default() += n;
    }
    for (who, n) in overdue_by_worker(&items) {
        *by.entry(who).or_default() += n;
    }
    let mut by: ByWorker = by.into_iter().collect();
    by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok((counted.items + live_overdue, by))
}

/// One page of a manager's due list, narrowed as they chose, with the figures of the whole.
pub(crate) async fn page_in(
    w: &mut UnitOfWork,
    app: &App,
    actor: &Actor,
    show: Show,
    (page, per_page): (usize, usize),
) -> Result<TeamDue> {
    may_oversee(actor)?;
    let whole = w.whole_teams(actor).await?;
    let counts = next_due::counts(w, &whole, &asked(app, show)).await?;
    let (cases, live) = worked_out(w, app, actor, &whole).await?;
    w.audit(viewed(actor, cases + counts.len()));
    let (mut own, mut overdue, mut kept) = (0, 0, 0);
    let mut places = Vec::new();
    let mut with_others = Vec::new();
    for c in &counts {
        own += c.own;
        overdue += c.own_overdue;
        kept += c.kept;
        if let Some((late, first)) = c.first.filter(|_| c.kept > 0) {
            places.push(Place {
                case_id: c.case_id,
                kept: c.kept,
                key: (!late, first, c.reference.clone()),
            });
        }
        if c.others > 0 {
            with_others.push(c.case_id);
        }
    }
    let mut live_own: Vec<DueItem> = Vec::new();
    let mut others: Vec<DueItem> = Vec::new();
    for i in live {
        if i.other_agency {
            others.push(i);
        } else {
            own += 1;
            overdue += usize::from(i.overdue);
            if show.keeps(&i) {
                kept += 1;
                live_own.push(i);
            }
        }
    }
    // The live cases take their places by their first item, as the kept ones do.
    for g in hearth_domain::due::by_case(live_own.clone()) {
        let first = &g.items[0];
        places.push(Place {
            case_id: g.case_id,
            kept: g.items.len(),
            key: (!first.overdue, first.due_on, g.case_reference.clone()),
        });
    }
    places.sort_by(|a, b| a.key.cmp(&b.key));
    let pages = kept.div_ceil(per_page.max(1)).max(1);
    let page = page.clamp(1, pages);
    let skip = (page - 1) * per_page;
    // The cases the page's items come from, and where the first of them starts.
    let (mut start, mut at, mut shown) = (None, 0, Vec::new());
    for p in &places {
        if at + p.kept > skip && at < skip + per_page {
            start.get_or_insert(at);
            shown.push(p.case_id);
        }
        at += p.kept;
    }
    let counted: Vec<Uuid> = shown
        .iter()
        .chain(&with_others)
        .copied()
        .filter(|id| counts.iter().any(|c| c.case_id == *id))
        .collect();
    let opened = open_counted(w, app, actor, &counted).await?;
    let mut items: Vec<DueItem> = live_own
        .into_iter()
        .chain(
            opened
                .iter()
                .filter(|i| !i.other_agency && show.keeps(i))
                .cloned(),
        )
        .filter(|i| shown.contains(&i.case_id))
        .collect();
    sort(&mut items);
    let items: Vec<DueItem> = hearth_domain::due::by_case(items)
        .into_iter()
        .flat_map(|g| g.items)
        .skip(skip - start.unwrap_or(skip))
        .take(per_page)
        .collect();
    others.extend(opened.into_iter().filter(|i| i.other_agency));
    sort(&mut others);
    Ok(TeamDue {
        own,
        overdue,
        kept,
        page,
        pages,
        items,
        others,
    })
}

/// The items of these counted cases, worked out through the guard for the page to show.
async fn open_counted(
    w: &mut UnitOfWork,
    app: &App,
    actor: &Actor,
    ids: &[Uuid],
) -> Result<Vec<DueItem>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let listed = cases::listed_by_ids(w, actor, ids).await?;
    crate::due::due_until(w, app, &listed, crate::next_due::horizon(app)).await
}

/// The team workload page: each worker's caseload against capacity and one page of the due
/// list across the cases the manager oversees, read as one unit of work.
pub async fn team_workload(
    app: &App,
    actor: &Actor,
    show: Show,
    page: (usize, usize),
) -> Result<(Vec<WorkerLoad>, TeamDue)> {
    let mut w = app.view().await?;
    let loads = crate::casework::loads_in(&mut w, app, actor).await?;
    let due = page_in(&mut w, app, actor, show, page).await?;
    w.commit().await?;
    Ok((loads, due))
}
