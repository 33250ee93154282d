//! A manager's due list, across the cases they oversee: counted from each case's kept items
//! (`next_due`) wherever the manager sees the team whole, worked out in full for every other
//! case (not yet worked out since a change, or reached through an allocation, where the
//! firewall may hide something), and one page of it worked out through the guard to be shown.
//! Other agencies' MARAC actions are a list of their own, paged the same way; the API pages
//! the two as one list.
//! At 6,000 cases a service, working out every case on every view cost the service manager's
//! home page about a second.

use crate::casework::WorkerLoad;
use crate::due::viewed;
use crate::{App, AppError, Result};
use hearth_domain::access::{grant, Action};
use hearth_domain::due::{overdue_by_worker, sort, DueItem, Show};
use hearth_domain::paging::{Page, Paged};
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Actor, Scope};
use hearth_store::access::WholeTeams;
use hearth_store::cases::{self, next_due};
use hearth_store::UnitOfWork;
use std::collections::{HashMap, HashSet};
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
    /// One page of other agencies' MARAC actions, to follow up, in the same order; how many
    /// there are in all, the page shown (from 1) and how many pages there are.
    pub others: Vec<DueItem>,
    pub others_total: usize,
    pub others_page: usize,
    pub others_pages: usize,
}

/// Items to a page of the API's list.
pub const API_PAGE: usize = 50;

/// Which page of each of a manager's two lists to show, and how many items to a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pages {
    pub own: usize,
    pub others: usize,
    pub size: usize,
}

/// Where one case comes in a list, and how many of its items the list holds.
struct Place {
    case_id: Uuid,
    n: usize,
    /// Overdue items sort first, then the earliest date, then the reference.
    key: (bool, time::Date, String),
}

/// One of a manager's two lists (their service's own items as filtered, or other agencies'
/// actions): where each case comes, before any counted case is opened.
#[derive(Default)]
struct Listing {
    places: Vec<Place>,
    total: usize,
    /// The items of the cases worked out in full, already in hand.
    live: Vec<DueItem>,
}

impl Listing {
    /// A counted case with `n` items here, the first of them `first`.
    fn count(
        &mut self,
        case_id: Uuid,
        n: usize,
        first: Option<(bool, time::Date)>,
        reference: &str,
    ) {
        if let Some((late, on)) = first.filter(|_| n > 0) {
            self.total += n;
            self.places.push(Place {
                case_id,
                n,
                key: (!late, on, reference.to_string()),
            });
        }
    }

    /// Cases worked out in full take their places by their first item, as counted ones do.
    fn work_out(mut self, items: Vec<DueItem>) -> Self {
        for g in hearth_domain::due::by_case(items) {
            let first = &g.items[0];
            self.total += g.items.len();
            self.places.push(Place {
                case_id: g.case_id,
                n: g.items.len(),
                key: (!first.overdue, first.due_on, g.case_reference),
            });
            self.live.extend(g.items);
        }
        self.places.sort_by(|a, b| a.key.cmp(&b.key));
        self
    }

    /// The cases the items from `offset`, `limit` of them, come from, and how many items of
    /// the list come before the first of those cases.
    fn window(&self, (offset, limit): (usize, usize)) -> (Vec<Uuid>, usize) {
        let (mut start, mut at, mut shown) = (None, 0, Vec::new());
        for p in &self.places {
            if at + p.n > offset && at < offset + limit {
                start.get_or_insert(at);
                shown.push(p.case_id);
            }
            at += p.n;
        }
        (shown, start.unwrap_or(offset))
    }

    /// The items from `offset`, `limit` of them, from the live items and those opened.
    fn take(&self, opened: Vec<DueItem>, (offset, limit): (usize, usize)) -> Vec<DueItem> {
        let (shown, start) = self.window((offset, limit));
        let mut items: Vec<DueItem> = self
            .live
            .iter()
            .cloned()
            .chain(opened)
            .filter(|i| shown.contains(&i.case_id))
            .collect();
        sort(&mut items);
        hearth_domain::due::by_case(items)
            .into_iter()
            .flat_map(|g| g.items)
            .skip(offset - start)
            .take(limit)
            .collect()
    }
}

/// A manager's due list counted, and worked out where it must be, before any page is opened.
struct Gathered {
    show: Show,
    /// The service's own items, and how many are overdue, whatever the filter keeps.
    own: usize,
    overdue: usize,
    mine: Listing,
    theirs: Listing,
    /// The cases counted from their kept items: opened only for the page shown.
    counted: HashSet<Uuid>,
}

impl Gathered {
    async fn new(w: &mut UnitOfWork, app: &App, actor: &Actor, show: Show) -> Result<Self> {
        may_oversee(actor)?;
        let whole = w.whole_teams(actor).await?;
        let counts = next_due::counts(w, &whole, &asked(app, show)).await?;
        let (cases, live) = worked_out(w, app, actor, &whole).await?;
        w.audit(viewed(actor, cases + counts.len()));
        let (mut mine, mut theirs) = (Listing::default(), Listing::default());
        let (mut own, mut overdue) = (0, 0);
        for c in &counts {
            own += c.own;
            overdue += c.own_overdue;
            mine.count(c.case_id, c.kept, c.first, &c.reference);
            theirs.count(c.case_id, c.others, c.others_first, &c.reference);
        }
        let (live_theirs, live_own): (Vec<DueItem>, Vec<DueItem>) =
            live.into_iter().partition(|i| i.other_agency);
        own += live_own.len();
        overdue += live_own.iter().filter(|i| i.overdue).count();
        Ok(Gathered {
            show,
            own,
            overdue,
            mine: mine.work_out(live_own.into_iter().filter(|i| show.keeps(i)).collect()),
            theirs: theirs.work_out(live_theirs),
            counted: counts.iter().map(|c| c.case_id).collect(),
        })
    }

    /// The items of a stretch of each list, opening through the guard only the counted cases
    /// those stretches draw on.
    async fn open(
        &self,
        w: &mut UnitOfWork,
        app: &App,
        actor: &Actor,
        mine: (usize, usize),
        theirs: (usize, usize),
    ) -> Result<(Vec<DueItem>, Vec<DueItem>)> {
        let mut ids: Vec<Uuid> = self.mine.window(mine).0;
        ids.extend(self.theirs.window(theirs).0);
        ids.retain(|id| self.counted.contains(id));
        ids.sort();
        ids.dedup();
        let (their, own): (Vec<DueItem>, Vec<DueItem>) = open_counted(w, app, actor, &ids)
            .await?
            .into_iter()
            .partition(|i| i.other_agency);
        let own = own.into_iter().filter(|i| self.show.keeps(i)).collect();
        Ok((self.mine.take(own, mine), self.theirs.take(their, theirs)))
    }
}

/// A page of a list this long: the page (past the end is the last), how many pages, and how
/// many items come before it.
fn clamp(total: usize, page: usize, size: usize) -> (usize, usize, usize) {
    let pages = total.div_ceil(size.max(1)).max(1);
    let page = page.clamp(1, pages);
    (page, pages, (page - 1) * size)
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

/// One page of each of a manager's lists, their own narrowed as they chose, with the figures
/// of the whole.
pub(crate) async fn page_in(
    w: &mut UnitOfWork,
    app: &App,
    actor: &Actor,
    show: Show,
    pages: Pages,
) -> Result<TeamDue> {
    let g = Gathered::new(w, app, actor, show).await?;
    let (page, own_pages, skip) = clamp(g.mine.total, pages.own, pages.size);
    let (others_page, others_pages, others_skip) = clamp(g.theirs.total, pages.others, pages.size);
    let (items, others) = g
        .open(w, app, actor, (skip, pages.size), (others_skip, pages.size))
        .await?;
    Ok(TeamDue {
        own: g.own,
        overdue: g.overdue,
        kept: g.mine.total,
        page,
        pages: own_pages,
        items,
        others,
        others_total: g.theirs.total,
        others_page,
        others_pages,
    })
}

/// One page of a manager's whole due list as one list, for the API: their service's own items,
/// most pressing case first, then other agencies' actions in the same order. A page past the
/// end is empty.
pub async fn list(app: &App, actor: &Actor, page: Page) -> Result<Paged<DueItem>> {
    let mut w = app.view().await?;
    let g = Gathered::new(&mut w, app, actor, Show::Everything).await?;
    let (offset, own) = (page.offset(), g.mine.total);
    let mine = (offset.min(own), page.size.min(own.saturating_sub(offset)));
    let theirs = (offset.saturating_sub(own), page.size - mine.1);
    let (mut items, others) = g.open(&mut w, app, actor, mine, theirs).await?;
    w.commit().await?;
    items.extend(others);
    Ok(Paged {
        items,
        total: own + g.theirs.total,
        page,
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
    pages: Pages,
) -> Result<(Vec<WorkerLoad>, TeamDue)> {
    let mut w = app.view().await?;
    let loads = crate::casework::loads_in(&mut w, app, actor).await?;
    let due = page_in(&mut w, app, actor, show, pages).await?;
    w.commit().await?;
    Ok((loads, due))
}
