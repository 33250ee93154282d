//! The public referral form, referrals taken by phone, and triage.

use crate::error::{PageError, PageResult};
use crate::form::{to, Again, OrAgain, Saved};
use crate::path::PathId;
use crate::session::{ClientAddress, Signed};
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::CookieJar;
use hearth_app::auth::SignedIn;
use hearth_app::orgs::{self, Organisation, Team};
use hearth_app::referrals::{self, DecisionForm, Landing, QueueItem, ReferralView};
use hearth_app::{secrets, AppError};
use hearth_domain::ids::ReferralId;
use hearth_domain::paging::{Page, Paged};
use hearth_domain::referral::{ReferralForm, Source, AGENCIES, DECLINE_REASONS};
use hearth_domain::validation::Invalid;
use serde::Deserialize;
use uuid::Uuid;

/// Where "Leave this page" goes: an ordinary, neutral page.
pub const EXIT_URL: &str = "https://www.bbc.co.uk/weather";

#[derive(Template)]
#[template(path = "refer.html")]
struct ReferPage {
    layout: Layout,
    errors: Invalid,
    form: ReferralForm,
    agencies: &'static [(&'static str, &'static str)],
    staff: bool,
    org_name: String,
    action: String,
    exit_url: &'static str,
}

impl ReferPage {
    /// Who is filling in the form: someone asking for themselves unless they said otherwise.
    fn referrer_kind(&self) -> &'static str {
        if self.form.referrer_kind == "professional" {
            "professional"
        } else {
            "self"
        }
    }

    fn value_of(&self, field: &str) -> String {
        let v = match field {
            "safe_to_phone" => &self.form.safe_to_phone,
            _ => &self.form.safe_to_text,
        };
        if v.is_empty() {
            "not_known".into()
        } else {
            v.clone()
        }
    }
    fn child_name(&self, n: &i32) -> String {
        let f = &self.form;
        match n {
            1 => f.child1_name.clone(),
            2 => f.child2_name.clone(),
            3 => f.child3_name.clone(),
            _ => f.child4_name.clone(),
        }
    }
    fn child_dob(&self, n: &i32) -> String {
        let f = &self.form;
        match n {
            1 => f.child1_dob.clone(),
            2 => f.child2_dob.clone(),
            3 => f.child3_dob.clone(),
            _ => f.child4_dob.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "refer_done.html")]
struct DonePage {
    layout: Layout,
    staff: bool,
    reference: String,
    id: ReferralId,
    exit_url: &'static str,
}

impl DonePage {
    fn new(layout: Layout, staff: bool, s: referrals::Submitted) -> Self {
        DonePage {
            layout,
            staff,
            reference: s.reference,
            id: s.id,
            exit_url: EXIT_URL,
        }
    }
}

/// The organisation the public form serves: the one named, or the only one there is.
async fn public_org(state: &AppState, slug: Option<&str>) -> Result<Organisation, PageError> {
    orgs::public(&state.app, slug)
        .await?
        .ok_or(PageError::App(AppError::NotFound))
}

fn public_layout(csrf: &str, demo: bool, has_errors: bool) -> Layout {
    Layout {
        quick_exit: true,
        has_errors,
        ..Layout::public("Ask for support", demo, csrf)
    }
}

impl ReferPage {
    /// The public form for this organisation, fresh or again.
    fn public(csrf: &str, org: &Organisation, form: ReferralForm, again: Again) -> Self {
        let layout = public_layout(csrf, org.is_demo, !again.errors.0.is_empty());
        let action = format!("/refer/{}", org.slug);
        ReferPage::new(layout, form, false, org.name.clone(), action, again.errors)
    }

    /// The form staff fill in while taking a referral by phone, fresh or again.
    fn staff(who: &SignedIn, form: ReferralForm, again: Again) -> Self {
        let layout = Layout::signed("Take a referral", who).with_errors(&again.errors);
        let (org, action) = (who.org.name.clone(), "/referrals".to_string());
        ReferPage::new(layout, form, true, org, action, again.errors)
    }

    fn new(
        layout: Layout,
        form: ReferralForm,
        staff: bool,
        org_name: String,
        action: String,
        errors: Invalid,
    ) -> Self {
        ReferPage {
            layout,
            errors,
            form,
            agencies: AGENCIES,
            staff,
            org_name,
            action,
            exit_url: EXIT_URL,
        }
    }
}

/// A new, empty referral form with its submission key.
fn blank() -> ReferralForm {
    ReferralForm {
        submission_key: secrets::new_token(),
        ..Default::default()
    }
}

async fn refer_page(state: AppState, jar: CookieJar, slug: Option<String>) -> PageResult {
    let org = public_org(&state, slug.as_deref()).await?;
    let (jar, csrf) = crate::pages::auth::pre_session_csrf(jar, state.secure_cookies);
    let page = ReferPage::public(&csrf, &org, blank(), Again::fresh());
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

pub async fn refer(State(state): State<AppState>, jar: CookieJar) -> PageResult {
    refer_page(state, jar, None).await
}

pub async fn refer_for(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(slug): Path<String>,
) -> PageResult {
    refer_page(state, jar, Some(slug)).await
}

const THROTTLED: &str = "We have received several requests from this connection in the last hour, so this one was not sent. Please phone us instead, or try again later. If anyone is in immediate danger, call 999.";

pub async fn submit_public(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddress(addr): ClientAddress,
    Path(slug): Path<String>,
    Form(form): Form<ReferralForm>,
) -> PageResult {
    let org = public_org(&state, Some(&slug)).await?;
    let (jar, csrf) = crate::pages::auth::pre_session_csrf(jar, state.secure_cookies);
    let saved = referrals::submit_public(&state.app, &slug, &form, &addr).await;
    let page = match saved.or_again_unless_throttled("given_name", THROTTLED)? {
        Saved::Done(s) => {
            let layout = public_layout(&csrf, org.is_demo, false);
            render(StatusCode::OK, &DonePage::new(layout, false, s))
        }
        Saved::Again(again) => render(again.status(), &ReferPage::public(&csrf, &org, form, again)),
    };
    Ok((jar, page).into_response())
}

pub async fn new_referral(Signed(who): Signed) -> Response {
    render(
        StatusCode::OK,
        &ReferPage::staff(&who, blank(), Again::fresh()),
    )
}

pub async fn submit_staff(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<ReferralForm>,
) -> PageResult {
    let saved = referrals::submit(&state.app, &who.actor(), Source::Phone, &form).await;
    Ok(match saved.or_again()? {
        Saved::Done(s) => {
            let layout = Layout::signed("Referral recorded", &who);
            render(StatusCode::OK, &DonePage::new(layout, true, s))
        }
        Saved::Again(again) => render(again.status(), &ReferPage::staff(&who, form, again)),
    })
}

#[derive(Template)]
#[template(path = "triage.html")]
struct TriagePage {
    layout: Layout,
    queue: Paged<QueueItem>,
}

pub async fn triage(
    State(state): State<AppState>,
    Signed(who): Signed,
    Query(q): Query<super::ListQuery>,
) -> PageResult {
    let page = Page::parse(Some(&q.page), referrals::QUEUE_PAGE);
    let queue = referrals::queue(&state.app, &who.actor(), page).await?;
    Ok(render(
        StatusCode::OK,
        &TriagePage {
            layout: Layout::signed("Triage", &who).with_done(&q.done),
            queue,
        },
    ))
}

#[derive(Template)]
#[template(path = "referral.html")]
struct ReferralPage {
    layout: Layout,
    errors: Invalid,
    v: ReferralView,
    teams: Vec<Team>,
    reasons: &'static [(&'static str, &'static str)],
    message: Option<String>,
}

impl ReferralPage {
    fn match_cases(&self) -> Vec<(Uuid, String, String)> {
        let mut out: Vec<(Uuid, String, String)> = Vec::new();
        for c in self
            .v
            .matches
            .iter()
            .filter_map(|m| m.seen.as_ref())
            .flat_map(|s| s.cases.iter())
        {
            if !out.iter().any(|o| o.0 == c.0) {
                out.push(c.clone());
            }
        }
        out
    }
    fn match_people(&self) -> Vec<(Uuid, String)> {
        let mut out: Vec<(Uuid, String)> = Vec::new();
        for m in self
            .v
            .matches
            .iter()
            .filter(|m| m.on_referral == "Person referred")
        {
            if let Some(s) = &m.seen {
                if !out.iter().any(|o| o.0 == s.person_id) {
                    out.push((s.person_id, s.name.clone()));
                }
            }
        }
        out
    }
}

/// A referral with its matches and the decision form, fresh or again.
async fn referral_page(
    state: &AppState,
    who: &SignedIn,
    id: ReferralId,
    again: Again,
) -> PageResult {
    let v = referrals::view(&state.app, &who.actor(), id).await?;
    let mut teams = orgs::teams(&state.app, who.org.id).await?;
    // The user's own team first, and chosen: accepting into the first team in the alphabet
    // sent cases where the person triaging could not follow them.
    teams.sort_by_key(|t| Some(t.id) != who.user.team_id);
    let title = format!("Referral {}", v.referral.reference);
    Ok(render(
        again.status(),
        &ReferralPage {
            layout: Layout::signed(&title, who).with_errors(&again.errors),
            errors: again.errors,
            v,
            teams,
            reasons: DECLINE_REASONS,
            message: again.conflict,
        },
    ))
}

pub async fn referral(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<ReferralId>,
) -> PageResult {
    referral_page(&state, &who, id, Again::fresh()).await
}

#[derive(Deserialize)]
pub struct DecisionSubmission {
    #[serde(flatten)]
    form: DecisionForm,
    #[serde(default)]
    decline_note: String,
}

impl DecisionSubmission {
    /// Declining has its own note field on the page, so its errors are told there.
    fn into_form(self) -> DecisionForm {
        match self.form.decision.as_str() {
            "decline" => DecisionForm {
                note: self.decline_note,
                ..self.form
            },
            _ => self.form,
        }
    }
}

pub async fn decide(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<ReferralId>,
    Form(s): Form<DecisionSubmission>,
) -> PageResult {
    let form = s.into_form();
    match referrals::decide(&state.app, &who.actor(), id, &form)
        .await
        .or_again()?
    {
        Saved::Done(Landing::Case(case_id)) => Ok(to(&format!("/cases/{case_id}?done=accepted"))),
        Saved::Done(Landing::AnotherTeam(_)) => Ok(to("/triage?done=accepted_elsewhere")),
        Saved::Done(Landing::Triage) => Ok(to("/triage")),
        Saved::Again(mut again) => {
            if form.decision == "decline" {
                again.errors.rename("note", "decline_note");
            }
            referral_page(&state, &who, id, again).await
        }
    }
}
