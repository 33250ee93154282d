//! The worker's home page (their caseload) and the list of cases they may open.

use crate::error::page_error;
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hearth_app::records;
use hearth_domain::access::{grant, Action, Scope};
use hearth_store::cases::CaseSummary;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    cases: Vec<CaseSummary>,
    can_see_team: bool,
}

pub async fn home(State(state): State<AppState>, Signed(who): Signed) -> Response {
    match records::caseload(&state.app, &who.actor()).await {
        Ok(cases) => render(
            StatusCode::OK,
            &HomePage {
                layout: Layout::signed("Your caseload", &who),
                cases,
                can_see_team: grant(who.user.role, Action::ViewCaseRecord) > Scope::Allocated,
            },
        ),
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    layout: Layout,
    cases: Vec<CaseSummary>,
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
    match records::cases_list(&state.app, &who.actor(), LIMIT).await {
        Ok(cases) => render(
            StatusCode::OK,
            &CasesPage {
                layout: Layout::signed("Cases", &who),
                cases,
                scope_note,
                limit: LIMIT,
            },
        ),
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    results: Vec<hearth_app::search::Found>,
}

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(state): State<AppState>,
    Signed(who): Signed,
    axum::extract::Query(q): axum::extract::Query<SearchQuery>,
) -> Response {
    let results = if q.q.trim().is_empty() {
        Vec::new()
    } else {
        match hearth_app::search::search(&state.app, &who.actor(), &q.q).await {
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
