//! The service's whole audit trail, for those whose role includes it.

use crate::error::page_error;
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use hearth_app::records;
use hearth_app::records::HistoryLine;
use hearth_app::users::By;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    lines: Vec<HistoryLine>,
    older: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

pub async fn trail(
    State(state): State<AppState>,
    Signed(who): Signed,
    Query(q): Query<AuditQuery>,
) -> Response {
    const PAGE: i64 = 100;
    let actor = who.actor();
    match records::service_audit(&state.app, By::User(&actor), None, q.before, PAGE).await {
        Ok(lines) => {
            let older = (lines.len() as i64 == PAGE)
                .then(|| lines.last().map(|l| l.entry.seq))
                .flatten();
            render(
                StatusCode::OK,
                &AuditPage {
                    layout: Layout::signed("Audit trail", &who),
                    lines,
                    older,
                },
            )
        }
        Err(e) => page_error(e),
    }
}
