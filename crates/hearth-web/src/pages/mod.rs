//! Server-rendered pages. They work with JavaScript switched off.

mod admin;
mod audit;
pub(crate) mod auth;
mod casework;
mod home;
mod instruments;
mod marac;
mod programmes;
pub(crate) mod records;
mod referrals;
mod risk;

use crate::AppState;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

/// `?done=` on the page a save redirects to: which success banner to show (`Layout::with_done`).
#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub(crate) done: String,
}

/// A long list's page, and the banner of what was just done.
#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub(crate) done: String,
    #[serde(default)]
    pub(crate) page: String,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/cases", get(home::cases))
        .route("/search", get(home::search))
        .route("/team", get(home::team))
        .route(
            "/break-glass",
            get(home::break_glass_page).post(home::break_glass),
        )
        .route("/break-glass/log", get(home::break_glass_log))
        .route("/cases/{id}", get(records::case))
        .route("/cases/{id}/history", get(records::case_history))
        .route("/cases/{id}/entries", post(casework::add_entry))
        .route("/cases/{id}/allocations", post(casework::allocate))
        .route("/cases/{id}/members", post(casework::add_member))
        .route(
            "/cases/{id}/involvements/close",
            post(casework::close_involvement),
        )
        .route("/cases/{id}/agencies", post(casework::add_agency))
        .route(
            "/cases/{id}/relationships",
            post(casework::add_relationship),
        )
        .route(
            "/cases/{id}/allocations/end",
            post(casework::end_allocation),
        )
        .route("/cases/{id}/close", post(casework::close))
        .route("/cases/{id}/entries/new", get(casework::new_entry))
        .route("/cases/{id}/entries/{entry}", get(casework::entry))
        .route(
            "/cases/{id}/entries/{entry}/correct",
            get(casework::correct_page).post(casework::correct),
        )
        .route(
            "/cases/{id}/entries/{entry}/withdraw",
            post(casework::withdraw),
        )
        .route("/people/{id}", get(records::person))
        .route(
            "/people/{id}/edit",
            get(casework::edit_person).post(casework::save_person),
        )
        .route(
            "/people/{id}/contact",
            get(casework::edit_contact).post(casework::save_contact),
        )
        .route("/people/{id}/history", get(records::person_history))
        .route("/people/{id}/risk", get(risk::risk).post(risk::assess))
        .route("/people/{id}/risk/new", get(risk::new_assessment))
        .route("/people/{id}/incidents", post(risk::add_incident))
        .route(
            "/people/{id}/safety-plan",
            get(risk::safety_plan).post(risk::save_safety_plan),
        )
        .route("/people/{id}/safety-plan/edit", get(risk::edit_safety_plan))
        .route(
            "/people/{id}/safety-plan/print",
            get(risk::safety_plan_print),
        )
        .route("/people/{id}/marac/new", get(risk::new_marac_referral))
        .route("/people/{id}/marac", post(risk::make_marac_referral))
        .route("/marac", get(marac::overview))
        .route("/marac/meetings", post(marac::create_meeting))
        .route("/marac/meetings/{id}", get(marac::meeting))
        .route("/marac/meetings/{id}/agenda", post(marac::list_case))
        .route("/marac/meetings/{id}/attendance", post(marac::attendance))
        .route("/marac/referrals/{id}", get(marac::referral))
        .route("/marac/referrals/{id}/actions", post(marac::add_action))
        .route("/marac/referrals/{id}/meeting", post(marac::list_referral))
        .route("/marac/actions/{id}/status", post(marac::action_status))
        .route("/cases/{id}/enrolments/new", get(programmes::new_enrolment))
        .route("/cases/{id}/enrolments", post(programmes::propose))
        .route(
            "/cases/{id}/idva-offers/{person}",
            get(programmes::idva_offer).post(programmes::record_idva_offer),
        )
        .route("/enrolments/{id}", get(programmes::enrolment))
        .route("/enrolments/{id}/change", post(programmes::change))
        .route("/enrolments/{id}/sessions", post(programmes::plan_session))
        .route(
            "/enrolments/{id}/sessions/{session}",
            get(programmes::session).post(programmes::record_session),
        )
        .route("/enrolments/{id}/waiting", post(programmes::move_waiting))
        .route("/partner-news/{id}/told", post(programmes::news_told))
        .route("/programmes", get(programmes::overview))
        .route("/programmes/{key}/waiting", get(programmes::waiting))
        .route(
            "/admin/programmes",
            get(programmes::catalogue).post(programmes::load_catalogue),
        )
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/login/code", get(auth::code_page).post(auth::code))
        .route("/login/enrol", get(auth::enrol_page).post(auth::enrol))
        .route("/logout", post(auth::logout))
        .route(
            "/account/password",
            get(auth::password_page).post(auth::change_password),
        )
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/new", get(admin::new_user))
        .route("/admin/users/{id}", get(admin::user))
        .route("/admin/users/{id}/disable", post(admin::disable))
        .route("/admin/users/{id}/enable", post(admin::enable))
        .route(
            "/admin/users/{id}/reset-password",
            post(admin::reset_password),
        )
        .route(
            "/admin/users/{id}/reset-second-factor",
            post(admin::reset_second_factor),
        )
        .route(
            "/admin/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route(
            "/admin/instruments",
            get(instruments::list).post(instruments::load),
        )
        .route("/admin/instruments/{key}/{version}", get(instruments::show))
        .route("/audit", get(audit::trail))
        .route("/refer", get(referrals::refer))
        .route(
            "/refer/{org}",
            get(referrals::refer_for).post(referrals::submit_public),
        )
        .route("/referrals", post(referrals::submit_staff))
        .route("/referrals/new", get(referrals::new_referral))
        .route("/triage", get(referrals::triage))
        .route(
            "/triage/{id}",
            get(referrals::referral).post(referrals::decide),
        )
        .route("/static/quick-exit.js", get(quick_exit_script))
        .route("/healthz", get(healthz))
        .route("/static/hearth.css", get(stylesheet))
        .fallback(|| async { crate::error::not_found() })
        .layer(axum::middleware::from_fn(crate::nav::remember_path))
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    if state.app.store.ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/hearth.css"),
    )
}

async fn quick_exit_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/quick-exit.js"),
    )
}
