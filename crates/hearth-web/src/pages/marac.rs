//! MARAC for the coordinator: meetings, agendas, attendance, actions and the figures; and a
//! referral's own page, which the case's workers see too.

use crate::error::page_error;
use crate::path::PathId;
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use hearth_app::auth::SignedIn;
use hearth_app::marac::{self, MeetingView, Overview, ReferralView};
use hearth_app::{secrets, AppError};
use hearth_domain::ids::{parse_id, MaracActionId, MaracReferralId, MeetingId};
use hearth_domain::marac::{ActionForm, ActionStatus, MeetingForm};
use hearth_domain::validation::Invalid;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "marac.html")]
struct OverviewPage {
    layout: Layout,
    o: Overview,
    form: MeetingForm,
    errors: Invalid,
}

impl OverviewPage {
    fn rate(&self) -> String {
        match self.o.dashboard.repeat_rate {
            Some(r) => format!("{r:.1}%"),
            None => "–".into(),
        }
    }

    fn per_10k(&self) -> String {
        match self.o.dashboard.per_10k_women {
            Some(r) => format!("{r:.1}"),
            None => "Not set".into(),
        }
    }
}

async fn overview_page(
    state: &AppState,
    who: &SignedIn,
    form: MeetingForm,
    errors: Invalid,
    status: StatusCode,
) -> Response {
    match marac::overview(&state.app, &who.actor()).await {
        Ok(o) => render(
            status,
            &OverviewPage {
                layout: Layout::signed("MARAC", who).with_errors(&errors),
                o,
                form,
                errors,
            },
        ),
        Err(e) => page_error(e),
    }
}

pub async fn overview(State(state): State<AppState>, Signed(who): Signed) -> Response {
    overview_page(
        &state,
        &who,
        MeetingForm::default(),
        Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_meeting(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<MeetingForm>,
) -> Response {
    match marac::create_meeting(&state.app, &who.actor(), &form).await {
        Ok(id) => Redirect::to(&format!("/marac/meetings/{id}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            overview_page(&state, &who, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "marac_meeting.html")]
struct MeetingPage {
    layout: Layout,
    m: MeetingView,
    errors: Invalid,
    attendance: &'static [(&'static str, &'static str)],
    sources: &'static [(&'static str, &'static str)],
}

impl MeetingPage {
    fn attendance_label(&self, code: &str) -> &'static str {
        hearth_domain::timeline::label_of(hearth_domain::marac::ATTENDANCE, code)
    }
}

async fn meeting_page(
    state: &AppState,
    who: &SignedIn,
    id: MeetingId,
    errors: Invalid,
    status: StatusCode,
) -> Response {
    match marac::meeting(&state.app, &who.actor(), id).await {
        Ok(m) => render(
            status,
            &MeetingPage {
                layout: Layout::signed("MARAC meeting", who).with_errors(&errors),
                m,
                errors,
                attendance: hearth_domain::marac::ATTENDANCE,
                sources: hearth_domain::marac::SOURCES,
            },
        ),
        Err(e) => page_error(e),
    }
}

pub async fn meeting(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MeetingId>,
) -> Response {
    meeting_page(&state, &who, id, Invalid::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct AgendaForm {
    #[serde(default)]
    referral_id: String,
}

pub async fn list_case(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MeetingId>,
    Form(f): Form<AgendaForm>,
) -> Response {
    let referral = MaracReferralId::parse(&f.referral_id);
    match marac::list_case(&state.app, &who.actor(), Some(id), referral).await {
        Ok(()) => Redirect::to(&format!("/marac/meetings/{id}#agenda")).into_response(),
        Err(AppError::Invalid(errors)) => {
            meeting_page(&state, &who, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict { message, .. }) => {
            meeting_page(
                &state,
                &who,
                id,
                Invalid::one("referral_id", message),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize, Default)]
pub struct AttendanceForm {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    status: String,
}

pub async fn attendance(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MeetingId>,
    Form(f): Form<AttendanceForm>,
) -> Response {
    let agency = hearth_domain::marac::source_label(&f.agency).to_string();
    match marac::set_attendance(&state.app, &who.actor(), id, &agency, &f.status).await {
        Ok(()) => Redirect::to(&format!("/marac/meetings/{id}#attendance")).into_response(),
        Err(AppError::Invalid(errors)) => {
            meeting_page(&state, &who, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "marac_referral.html")]
struct ReferralPage {
    layout: Layout,
    r: ReferralView,
    errors: Invalid,
    action: ActionForm,
    submission_key: String,
    statuses: [ActionStatus; 3],
}

/// How the referral page is shown: straight after a save (its banner), or again with the
/// action form as typed and what was wrong with it.
enum Showing<'a> {
    Done(&'a str),
    Refused {
        action: ActionForm,
        submission_key: String,
        errors: Invalid,
    },
}

async fn referral_page(
    state: &AppState,
    who: &SignedIn,
    id: MaracReferralId,
    showing: Showing<'_>,
) -> Response {
    let (done, action, submission_key, errors, status) = match showing {
        Showing::Done(done) => (
            done,
            ActionForm::default(),
            secrets::new_token(),
            Invalid::default(),
            StatusCode::OK,
        ),
        Showing::Refused {
            action,
            submission_key,
            errors,
        } => (
            "",
            action,
            submission_key,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    match marac::view_referral(&state.app, &who.actor(), id).await {
        Ok(r) => render(
            status,
            &ReferralPage {
                layout: Layout::signed("MARAC referral", who)
                    .with_errors(&errors)
                    .with_done(done),
                r,
                errors,
                action,
                submission_key,
                statuses: ActionStatus::ALL,
            },
        ),
        Err(e) => page_error(e),
    }
}

pub async fn referral(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MaracReferralId>,
    axum::extract::Query(q): axum::extract::Query<super::DoneQuery>,
) -> Response {
    referral_page(&state, &who, id, Showing::Done(&q.done)).await
}

#[derive(Deserialize, Default)]
pub struct ActionSubmission {
    #[serde(flatten)]
    form: ActionForm,
    #[serde(default)]
    submission_key: String,
}

pub async fn add_action(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MaracReferralId>,
    Form(s): Form<ActionSubmission>,
) -> Response {
    match marac::add_action(&state.app, &who.actor(), id, &s.form, &s.submission_key).await {
        Ok(_) => Redirect::to(&format!("/marac/referrals/{id}?done=action_added#actions"))
            .into_response(),
        Err(AppError::Invalid(errors)) => {
            let showing = Showing::Refused {
                action: s.form,
                submission_key: s.submission_key,
                errors,
            };
            referral_page(&state, &who, id, showing).await
        }
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    back: String,
}

pub async fn action_status(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MaracActionId>,
    Form(f): Form<StatusForm>,
) -> Response {
    // Only ever back to one of our own pages.
    let back = parse_id(&f.back)
        .map(|r| {
            // Only a known status names the banner: nothing typed reaches the redirect.
            let done = match ActionStatus::parse(&f.to) {
                Some(ActionStatus::Done) => "action_done",
                Some(ActionStatus::Open) => "action_open",
                _ => "action_changed",
            };
            format!("/marac/referrals/{r}?done={done}#actions")
        })
        .unwrap_or_else(|| "/".into());
    match marac::set_action_status(&state.app, &who.actor(), id, &f.from, &f.to).await {
        Ok(()) => Redirect::to(&back).into_response(),
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize, Default)]
pub struct ListForm {
    #[serde(default)]
    meeting_id: String,
}

/// List a referral for a meeting from the referral's own page.
pub async fn list_referral(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MaracReferralId>,
    Form(f): Form<ListForm>,
) -> Response {
    let meeting = MeetingId::parse(&f.meeting_id);
    match marac::list_case(&state.app, &who.actor(), meeting, Some(id)).await {
        Ok(()) => Redirect::to(&format!("/marac/referrals/{id}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            let showing = Showing::Refused {
                action: ActionForm::default(),
                submission_key: secrets::new_token(),
                errors,
            };
            referral_page(&state, &who, id, showing).await
        }
        Err(e) => page_error(e),
    }
}
