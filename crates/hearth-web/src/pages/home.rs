//! The worker's home page (their caseload) and the list of cases they may open.

use crate::error::{PageError, PageResult};
use crate::form::{to, Again, OrAgain, Saved};
use crate::session::Signed;
use crate::views::{render, DueView, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hearth_app::auth::SignedIn;
use hearth_app::casework::Standing;
use hearth_app::records;
use hearth_app::records::CaseSummary;
use hearth_domain::access::{grant, Action, Scope};
use hearth_domain::due::Show;
use hearth_domain::paging::{Page, Paged};
use hearth_domain::targets::FirstContact;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    cases: Vec<(CaseSummary, Standing)>,
    can_see_team: bool,
    due: DueView,
    /// A manager's home: the team at a glance, above her own cases.
    team: Option<hearth_app::home_page::TeamOverview>,
    team_overdue: usize,
    over_capacity: usize,
    by_worker: Vec<(Option<(uuid::Uuid, String)>, usize)>,
}

/// Pair each case with where it stands, overdue first contacts first.
fn with_first_contact(mut out: Vec<(CaseSummary, Standing)>) -> Vec<(CaseSummary, Standing)> {
    out.sort_by_key(|(_, s)| !matches!(s.first_contact, Some(FirstContact::Overdue { .. })));
    out
}

#[derive(serde::Deserialize)]
pub struct HomeQuery {
    /// What the due list is narrowed to; read leniently.
    #[serde(default)]
    show: String,
    #[serde(default)]
    done: String,
}

pub async fn home(
    State(state): State<AppState>,
    Signed(who): Signed,
    axum::extract::Query(q): axum::extract::Query<HomeQuery>,
) -> PageResult {
    let page = hearth_app::home_page::view(&state.app, &who.actor()).await?;
    let title = if page.team.is_some() {
        "Your team"
    } else {
        "Your cases"
    };
    let layout = Layout::signed(title, &who).with_done(&q.done);
    Ok(render(
        StatusCode::OK,
        &HomePage::new(layout, &who, page, &q.show),
    ))
}

impl HomePage {
    fn new(
        layout: Layout,
        who: &SignedIn,
        page: hearth_app::home_page::HomePage,
        show: &str,
    ) -> Self {
        let (team_overdue, over_capacity, by_worker) = match &page.team {
            Some(t) => (
                t.overdue,
                t.loads.iter().filter(|l| l.open_cases > l.capacity).count(),
                t.by_worker.clone(),
            ),
            None => (0, 0, Vec::new()),
        };
        let list = records::CaseList {
            total: page.cases.len(),
            cases: page.cases,
            standings: page.standings,
        };
        HomePage {
            layout,
            cases: with_first_contact(list.paired()),
            can_see_team: grant(who.user.role, Action::ViewCaseRecord) > Scope::Allocated,
            due: DueView::new(page.due, Show::parse(show), false, Some("/".into())),
            team: page.team,
            team_overdue,
            over_capacity,
            by_worker,
        }
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    layout: Layout,
    heading: String,
    cases: Paged<(CaseSummary, Standing)>,
    scope_note: String,
    /// Whose caseload this is, when a manager looks at one worker's.
    worker: Option<hearth_domain::ids::UserId>,
}

impl CasesPage {
    /// How many first contacts on this page are overdue.
    fn overdue(&self) -> usize {
        self.cases
            .items
            .iter()
            .filter(|(_, f)| matches!(f.first_contact, Some(FirstContact::Overdue { .. })))
            .count()
    }

    /// The list's address up to the page number, for the links to other pages.
    fn page_base(&self) -> String {
        match self.worker {
            Some(w) => format!("/cases?worker={w}&page="),
            None => "/cases?page=".into(),
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CasesQuery {
    /// One worker's caseload, for their manager; read leniently.
    #[serde(default)]
    worker: String,
    #[serde(default)]
    page: String,
}

/// Whose cases the case list shows, in words, for someone of this role.
fn scope_note(role: hearth_domain::Role) -> &'static str {
    match grant(role, Action::ViewCaseRecord) {
        Scope::Organisation => "All cases in the service.",
        Scope::Team => "Your team's cases, and any allocated to you.",
        Scope::Allocated => "Cases allocated to you.",
        Scope::None => "Your role does not include opening case records.",
    }
}

/// The heading, the note on what is listed, and the list: one worker's caseload for their
/// manager, or every case the user may open.
async fn case_list(
    state: &AppState,
    who: &SignedIn,
    worker: Option<hearth_domain::ids::UserId>,
    page: Page,
) -> Result<(String, String, records::CaseList), PageError> {
    let actor = who.actor();
    let Some(worker) = worker else {
        let list = records::cases_list(&state.app, &actor, page).await?;
        return Ok(("Case list".into(), scope_note(who.user.role).into(), list));
    };
    let (load, list) = records::worker_caseload(&state.app, &actor, worker, page).await?;
    let note = format!(
        "{}, {}: {} open cases against a capacity of {}. Only cases you may open are listed.",
        load.name,
        load.role.label(),
        load.open_cases,
        load.capacity
    );
    Ok((format!("Cases allocated to {}", load.name), note, list))
}

pub async fn cases(
    State(state): State<AppState>,
    Signed(who): Signed,
    axum::extract::Query(q): axum::extract::Query<CasesQuery>,
) -> PageResult {
    let worker = hearth_domain::ids::UserId::parse(q.worker.trim());
    let page = Page::parse(Some(&q.page), records::CASES_PAGE);
    let (heading, scope_note, list) = case_list(&state, &who, worker, page).await?;
    let total = list.total;
    Ok(render(
        StatusCode::OK,
        &CasesPage {
            layout: Layout::signed(&heading, &who),
            heading,
            cases: Paged {
                items: with_first_contact(list.paired()),
                total,
                page,
            },
            scope_note,
            worker,
        },
    ))
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    results: hearth_app::search::Results,
}

impl SearchPage {
    /// The search's address up to the page number, the words searched for kept.
    fn page_base(&self) -> String {
        let q = serde_urlencoded::to_string([("q", &self.q)]).unwrap_or_default();
        format!("/search?{q}&page=")
    }
}

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// Read leniently: a page that is not a number is the first page, not an error.
    #[serde(default)]
    page: String,
}

pub async fn search(
    State(state): State<AppState>,
    Signed(who): Signed,
    axum::extract::Query(q): axum::extract::Query<SearchQuery>,
) -> PageResult {
    let page = q.page.trim().parse().unwrap_or(1);
    let results = if q.q.trim().is_empty() {
        hearth_app::search::Results::default()
    } else {
        hearth_app::search::search(&state.app, &who.actor(), &q.q, page).await?
    };
    let layout = Layout::signed("Search", &who);
    Ok(render(
        StatusCode::OK,
        &SearchPage {
            layout,
            q: q.q,
            results,
        },
    ))
}

#[derive(Template)]
#[template(path = "break_glass.html")]
struct BreakGlassPage {
    layout: Layout,
    errors: hearth_domain::validation::Invalid,
    reference: String,
    reason: String,
    hours: i64,
}

#[derive(serde::Deserialize, Default)]
pub struct BreakGlassForm {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    reason: String,
}

fn break_glass_form(who: &SignedIn, f: BreakGlassForm, again: Again) -> Response {
    let status = again.status();
    let page = BreakGlassPage {
        layout: Layout::signed("Break-glass", who).with_errors(&again.errors),
        errors: again.errors,
        reference: f.reference,
        reason: f.reason,
        hours: hearth_app::break_glass::LASTS.whole_hours(),
    };
    render(status, &page)
}

pub async fn break_glass_page(
    Signed(who): Signed,
    axum::extract::Query(f): axum::extract::Query<BreakGlassForm>,
) -> PageResult {
    hearth_app::users::By::User(&who.actor()).check(hearth_domain::Action::BreakGlass)?;
    // The reason is always typed afresh: a link cannot carry one in.
    let f = BreakGlassForm {
        reason: String::new(),
        ..f
    };
    Ok(break_glass_form(&who, f, Again::fresh()))
}

pub async fn break_glass(
    State(state): State<AppState>,
    Signed(who): Signed,
    axum::Form(f): axum::Form<BreakGlassForm>,
) -> PageResult {
    let actor = who.actor();
    let opened = hearth_app::break_glass::open(&state.app, &actor, &f.reference, &f.reason);
    match opened.await.or_again()? {
        Saved::Done(case_id) => Ok(to(&format!("/cases/{case_id}"))),
        Saved::Again(again) => Ok(break_glass_form(&who, f, again)),
    }
}

#[derive(Template)]
#[template(path = "break_glass_log.html")]
struct BreakGlassLogPage {
    layout: Layout,
    lines: Vec<hearth_app::break_glass::LogLine>,
}

pub async fn break_glass_log(State(state): State<AppState>, Signed(who): Signed) -> PageResult {
    let lines = hearth_app::break_glass::log(&state.app, &who.actor()).await?;
    Ok(render(
        StatusCode::OK,
        &BreakGlassLogPage {
            layout: Layout::signed("Break-glass log", &who),
            lines,
        },
    ))
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    layout: Layout,
    loads: Vec<hearth_app::casework::WorkerLoad>,
    /// One page of the team's due list, and one of other agencies' actions.
    due: DueView,
}

/// Rows of each of the team's lists on one page: a large team's lists are paged, never cut off.
const DUE_PAGE: usize = 50;

#[derive(serde::Deserialize)]
pub struct TeamQuery {
    /// Read leniently: a page that is not a number is the first page, not an error.
    #[serde(default)]
    page: String,
    #[serde(default)]
    others: String,
    #[serde(default)]
    show: String,
}

/// The Team page's due list, with a way through each of its two lists. Each pager keeps the
/// filter and the page the other list is on.
fn team_due_view(due: hearth_app::team_due::TeamDue, show: Show) -> DueView {
    let pager = Pager::of(
        format!(
            "/team?show={}&others={}&page=",
            show.code(),
            due.others_page
        ),
        (due.page, due.pages),
        due.items.len(),
        DUE_PAGE,
    );
    let others_pager = Pager::of(
        format!("/team?show={}&page={}&others=", show.code(), due.page),
        (due.others_page, due.others_pages),
        due.others.len(),
        DUE_PAGE,
    );
    DueView::counted(due, show, Some("/team".into()), (pager, others_pager))
}

pub async fn team(
    State(state): State<AppState>,
    Signed(who): Signed,
    axum::extract::Query(q): axum::extract::Query<TeamQuery>,
) -> PageResult {
    let show = Show::parse(&q.show);
    // Read leniently: a page that is not a number is the first page, not an error.
    let number = |raw: &str| Page::parse(Some(raw), DUE_PAGE).number;
    let pages = hearth_app::team_due::Pages {
        own: number(&q.page),
        others: number(&q.others),
        size: DUE_PAGE,
    };
    let (loads, due) =
        hearth_app::team_due::team_workload(&state.app, &who.actor(), show, pages).await?;
    let due = team_due_view(due, show);
    Ok(render(
        StatusCode::OK,
        &TeamPage {
            layout: Layout::signed("Team workload", &who),
            loads,
            due,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_domain::due::{DueItem, DueKind};

    fn action(n: u128, other_agency: bool) -> DueItem {
        DueItem {
            kind: DueKind::MaracAction,
            case_id: uuid::Uuid::from_u128(n),
            case_reference: format!("HD-{n:04}"),
            person_id: None,
            person_name: None,
            what: format!("Police: action {n}"),
            due_on: time::macros::date!(2026 - 12 - 01),
            overdue: true,
            link: format!("/marac/referrals/{n}"),
            workers: Vec::new(),
            other_agency,
            turns_at: None,
        }
    }

    /// Each of the Team page's two lists has its own way through, and each keeps the filter and
    /// the page the other list is on, so paging one never loses the place in the other.
    #[test]
    fn each_list_on_the_team_page_pages_apart_and_keeps_the_others_place() {
        let show = Show::Overdue;
        let due = hearth_app::team_due::TeamDue {
            own: 120,
            overdue: 120,
            kept: 120,
            page: 2,
            pages: 3,
            items: (51..=100).map(|n| action(n, false)).collect(),
            others: (101..=150).map(|n| action(n, true)).collect(),
            others_total: 160,
            others_page: 3,
            others_pages: 4,
        };
        let page = TeamPage {
            layout: Layout::public("Team workload", false, ""),
            loads: Vec::new(),
            due: team_due_view(due, show),
        };
        let html = page.render().expect("renders");
        let code = show.code();
        assert!(
            html.contains("120 items, most pressing first; showing 51 to 100."),
            "{html}"
        );
        assert!(html.contains("Page 2 of 3"));
        assert!(
            html.contains(&format!(
                "href=\"/team?show={code}&#38;others=3&#38;page=3\""
            )),
            "{html}"
        );
        assert!(
            html.contains("160 actions, the cases with overdue ones first; showing 101 to 150.")
        );
        assert!(
            html.contains("aria-label=\"Pages of other agencies&#39; actions\""),
            "{html}"
        );
        assert!(html.contains("Page 3 of 4"));
        assert!(html.contains(&format!(
            "href=\"/team?show={code}&#38;page=2&#38;others=4\""
        )));
        assert!(html.contains(&format!(
            "href=\"/team?show={code}&#38;page=2&#38;others=2\""
        )));
    }
}
