//! Case and person records, and who has viewed or changed them.

use crate::error::page_error;
use crate::session::{not_found, Signed};
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hearth_app::records::{self, RecordKind};
use hearth_domain::access::{grant, Action, Scope};
use hearth_domain::ids::parse_id;
use hearth_store::audit::HistoryLine;
use hearth_store::cases::{CaseRecord, PersonRecord};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    layout: Layout,
    case: CaseRecord,
    can_history: bool,
}

impl CasePage {
    fn member_name(&self, id: &Uuid) -> String {
        self.case
            .members
            .iter()
            .find(|m| m.person_id == *id)
            .map(|m| format!("{} {}", m.given_name, m.family_name))
            .unwrap_or_default()
    }
}

fn may_see_history(role: hearth_domain::Role) -> bool {
    grant(role, Action::ViewRecordHistory) != Scope::None
}

pub async fn case(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found();
    };
    match records::view_case(&state.app, &who.actor(), id).await {
        Ok(case) => render(
            StatusCode::OK,
            &CasePage {
                layout: Layout::signed(&format!("Case {}", case.summary.reference), &who),
                can_history: may_see_history(who.user.role),
                case,
            },
        ),
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    layout: Layout,
    person: PersonRecord,
    can_history: bool,
}

pub async fn person(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found();
    };
    match records::view_person(&state.app, &who.actor(), id).await {
        Ok(person) => render(
            StatusCode::OK,
            &PersonPage {
                layout: Layout::signed("Person", &who),
                can_history: may_see_history(who.user.role),
                person,
            },
        ),
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    layout: Layout,
    what: &'static str,
    back: String,
    lines: Vec<HistoryLine>,
}

async fn history(
    state: AppState,
    who: hearth_app::auth::SignedIn,
    kind: RecordKind,
    id: String,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found();
    };
    let (what, back) = match kind {
        RecordKind::Case => ("Case", format!("/cases/{id}")),
        RecordKind::Person => ("Person", format!("/people/{id}")),
    };
    match records::history(&state.app, &who.actor(), kind, id).await {
        Ok(lines) => render(
            StatusCode::OK,
            &HistoryPage {
                layout: Layout::signed("Record history", &who),
                what,
                back,
                lines,
            },
        ),
        Err(e) => page_error(e),
    }
}

pub async fn case_history(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path(id): Path<String>,
) -> Response {
    history(state, who, RecordKind::Case, id).await
}

pub async fn person_history(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path(id): Path<String>,
) -> Response {
    history(state, who, RecordKind::Person, id).await
}
