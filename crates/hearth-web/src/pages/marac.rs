//! MARAC for the coordinator: meetings, agendas, attendance, actions and the figures; and a
//! referral's own page, which the case's workers see too.

use crate::error::PageResult;
use crate::form::{to, Again, OrAgain, Saved};
use crate::path::PathId;
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::Form;
use hearth_app::auth::SignedIn;
use hearth_app::marac::{self, MeetingView, Overview, ReferralView};
use hearth_app::secrets;
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
    again: Again,
) -> PageResult {
    let o = marac::overview(&state.app, &who.actor()).await?;
    Ok(render(
        again.status(),
        &OverviewPage {
            layout: Layout::signed("MARAC", who).with_errors(&again.errors),
            o,
            form,
            errors: again.errors,
        },
    ))
}

pub async fn overview(State(state): State<AppState>, Signed(who): Signed) -> PageResult {
    overview_page(&state, &who, MeetingForm::default(), Again::fresh()).await
}

pub async fn create_meeting(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<MeetingForm>,
) -> PageResult {
    match marac::create_meeting(&state.app, &who.actor(), &form)
        .await
        .or_again()?
    {
        Saved::Done(id) => Ok(to(&format!("/marac/meetings/{id}"))),
        Saved::Again(again) => overview_page(&state, &who, form, again).await,
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

async fn meeting_page(state: &AppState, who: &SignedIn, id: MeetingId, again: Again) -> PageResult {
    let m = marac::meeting(&state.app, &who.actor(), id).await?;
    Ok(render(
        again.status(),
        &MeetingPage {
            layout: Layout::signed("MARAC meeting", who).with_errors(&again.errors),
            m,
            errors: again.errors,
            attendance: hearth_domain::marac::ATTENDANCE,
            sources: hearth_domain::marac::SOURCES,
        },
    ))
}

pub async fn meeting(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MeetingId>,
) -> PageResult {
    meeting_page(&state, &who, id, Again::fresh()).await
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
) -> PageResult {
    let referral = MaracReferralId::parse(&f.referral_id);
    match marac::list_case(&state.app, &who.actor(), Some(id), referral)
        .await
        .or_again()?
    {
        Saved::Done(()) => Ok(to(&format!("/marac/meetings/{id}#agenda"))),
        Saved::Again(again) => meeting_page(&state, &who, id, again.on_field("referral_id")).await,
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
) -> PageResult {
    let agency = hearth_domain::marac::source_label(&f.agency).to_string();
    let saved = marac::set_attendance(&state.app, &who.actor(), id, &agency, &f.status).await;
    match saved.or_again()? {
        Saved::Done(()) => Ok(to(&format!("/marac/meetings/{id}#attendance"))),
        Saved::Again(again) => meeting_page(&state, &who, id, again).await,
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

/// The action form on the referral page, as typed when shown again.
struct Typed {
    action: ActionForm,
    submission_key: String,
}

impl Typed {
    fn blank() -> Self {
        Typed {
            action: ActionForm::default(),
            submission_key: secrets::new_token(),
        }
    }
}

/// A MARAC referral's page: straight after a save (`done` names its banner), or again with the
/// action form as typed and what was wrong with it.
async fn referral_page(
    state: &AppState,
    who: &SignedIn,
    id: MaracReferralId,
    (done, typed): (&str, Typed),
    again: Again,
) -> PageResult {
    let r = marac::view_referral(&state.app, &who.actor(), id).await?;
    Ok(render(
        again.status(),
        &ReferralPage {
            layout: Layout::signed("MARAC referral", who)
                .with_errors(&again.errors)
                .with_done(done),
            r,
            errors: again.errors,
            action: typed.action,
            submission_key: typed.submission_key,
            statuses: ActionStatus::ALL,
        },
    ))
}

pub async fn referral(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MaracReferralId>,
    axum::extract::Query(q): axum::extract::Query<super::DoneQuery>,
) -> PageResult {
    referral_page(&state, &who, id, (&q.done, Typed::blank()), Again::fresh()).await
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
) -> PageResult {
    let saved = marac::add_action(&state.app, &who.actor(), id, &s.form, &s.submission_key).await;
    match saved.or_again()? {
        Saved::Done(_) => Ok(to(&format!(
            "/marac/referrals/{id}?done=action_added#actions"
        ))),
        Saved::Again(again) => {
            let typed = Typed {
                action: s.form,
                submission_key: s.submission_key,
            };
            referral_page(&state, &who, id, ("", typed), again).await
        }
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

impl StatusForm {
    /// Only ever back to one of our own pages, and only a known status names the banner:
    /// nothing typed reaches the redirect.
    fn back(&self) -> String {
        let done = match ActionStatus::parse(&self.to) {
            Some(ActionStatus::Done) => "action_done",
            Some(ActionStatus::Open) => "action_open",
            _ => "action_changed",
        };
        parse_id(&self.back)
            .map(|r| format!("/marac/referrals/{r}?done={done}#actions"))
            .unwrap_or_else(|| "/".into())
    }
}

pub async fn action_status(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<MaracActionId>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    marac::set_action_status(&state.app, &who.actor(), id, &f.from, &f.to).await?;
    Ok(to(&f.back()))
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
) -> PageResult {
    let meeting = MeetingId::parse(&f.meeting_id);
    match marac::list_case(&state.app, &who.actor(), meeting, Some(id))
        .await
        .or_again()?
    {
        Saved::Done(()) => Ok(to(&format!("/marac/referrals/{id}"))),
        Saved::Again(again) => {
            let again = again.on_field("meeting_id");
            referral_page(&state, &who, id, ("", Typed::blank()), again).await
        }
    }
}
