//! The worker's home page (their caseload) and the list of cases they may open.

use crate::error::{page_error, PageResult};
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hearth_app::casework::Standing;
use hearth_app::records;
use hearth_app::records::CaseSummary;
use hearth_domain::access::{grant, Action, Scope};
use hearth_domain::targets::FirstContact;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    cases: Vec<(CaseSummary, Standing)>,
    can_see_team: bool,
    due: Vec<hearth_domain::due::DueItem>,
    /// Overdue items in the whole list, which may be longer than the rows shown.
    due_overdue: usize,
}

/// Pair each case with where it stands, overdue first contacts first.
fn with_first_contact(mut out: Vec<(CaseSummary, Standing)>) -> Vec<(CaseSummary, Standing)> {
    out.sort_by_key(|(_, s)| !matches!(s.first_contact, Some(FirstContact::Overdue { .. })));
    out
}

pub async fn home(State(state): State<AppState>, Signed(who): Signed) -> Response {
    let page = match hearth_app::home_page::view(&state.app, &who.actor()).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let due = page.due;
    render(
        StatusCode::OK,
        &HomePage {
            layout: Layout::signed("Your caseload", &who),
            cases: with_first_contact(
                records::CaseList {
                    cases: page.cases,
                    standings: page.standings,
                }
                .paired(),
            ),
            can_see_team: grant(who.user.role, Action::ViewCaseRecord) > Scope::Allocated,
            due_overdue: crate::views::overdue_count(&due),
            due,
        },
    )
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    layout: Layout,
    cases: Vec<(CaseSummary, Standing)>,
    overdue: usize,
    scope_note: &'static str,
    limit: i64,
}

pub async fn cases(State(state): State<AppState>, Signed(who): Signed) -> Response {
    const LIMIT: i64 = 200;
    let scope_note = match grant(who.user.role, Action::ViewCaseRecord) {
        Scope::Organisation => "All cases in the service.",
        Scope::Team => "Your team's cases, and any allocated to you.",
        Scope::Allocated => "Cases allocated to you.",
        Scope::None => "Your role does not include opening case records.",
    };
    let cases = match records::cases_list(&state.app, &who.actor(), LIMIT).await {
        Ok(c) => c,
        Err(e) => return page_error(e),
    };
    let cases = with_first_contact(cases.paired());
    let overdue = cases
        .iter()
        .filter(|(_, f)| matches!(f.first_contact, Some(FirstContact::Overdue { .. })))
        .count();
    render(
        StatusCode::OK,
        &CasesPage {
            layout: Layout::signed("Cases", &who),
            cases,
            overdue,
            scope_note,
            limit: LIMIT,
        },
    )
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    results: hearth_app::search::Results,
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
) -> Response {
    let page = q.page.trim().parse().unwrap_or(1);
    let results = if q.q.trim().is_empty() {
        hearth_app::search::Results::default()
    } else {
        match hearth_app::search::search(&state.app, &who.actor(), &q.q, page).await {
            Ok(r) => r,
            Err(e) => return page_error(e),
        }
    };
    render(
        StatusCode::OK,
        &SearchPage {
            layout: Layout::signed("Search", &who),
            q: q.q,
            results,
        },
    )
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

pub async fn break_glass_page(
    Signed(who): Signed,
    axum::extract::Query(f): axum::extract::Query<BreakGlassForm>,
) -> Response {
    if let Err(e) =
        hearth_app::users::By::User(&who.actor()).check(hearth_domain::Action::BreakGlass)
    {
        return page_error(e);
    }
    let page = BreakGlassPage {
        layout: Layout::signed("Break-glass", &who),
        errors: Default::default(),
        reference: f.reference,
        reason: String::new(),
        hours: hearth_app::break_glass::LASTS.whole_hours(),
    };
    render(StatusCode::OK, &page)
}

pub async fn break_glass(
    State(state): State<AppState>,
    Signed(who): Signed,
    axum::Form(f): axum::Form<BreakGlassForm>,
) -> Response {
    match hearth_app::break_glass::open(&state.app, &who.actor(), &f.reference, &f.reason).await {
        Ok(case_id) => axum::response::Redirect::to(&format!("/cases/{case_id}")).into_response(),
        Err(hearth_app::AppError::Invalid(errors)) => {
            let page = BreakGlassPage {
                layout: Layout::signed("Break-glass", &who).with_errors(&errors),
                errors,
                reference: f.reference,
                reason: f.reason,
                hours: hearth_app::break_glass::LASTS.whole_hours(),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => page_error(e),
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
    /// One page of the team's due list.
    due: Vec<hearth_domain::due::DueItem>,
    /// Overdue items in the whole list, which may be longer than the rows shown.
    due_overdue: usize,
    due_total: usize,
    /// The number of the first row shown, from 1.
    first: usize,
    page: usize,
    pages: usize,
}

/// Rows of the team's due list on one page: a large team's list is paged, never cut off.
const DUE_PAGE: usize = 50;

#[derive(serde::Deserialize)]
pub struct PageQuery {
    /// Read leniently: a page that is not a number is the first page, not an error.
    #[serde(default)]
    page: String,
}

pub async fn team(
    State(state): State<AppState>,
    Signed(who): Signed,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Response {
    let loads = match hearth_app::casework::team_loads(&state.app, &who.actor()).await {
        Ok(l) => l,
        Err(e) => return page_error(e),
    };
    let due = match hearth_app::due::team(&state.app, &who.actor()).await {
        Ok(d) => d,
        Err(e) => return page_error(e),
    };
    let due_total = due.len();
    let pages = due_total.div_ceil(DUE_PAGE).max(1);
    let page = q.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let due_overdue = crate::views::overdue_count(&due);
    let due = due
        .into_iter()
        .skip((page - 1) * DUE_PAGE)
        .take(DUE_PAGE)
        .collect();
    render(
        StatusCode::OK,
        &TeamPage {
            layout: Layout::signed("Caseloads", &who),
            loads,
            due,
            due_overdue,
            due_total,
            first: (page - 1) * DUE_PAGE + 1,
            page,
            pages,
        },
    )
}
