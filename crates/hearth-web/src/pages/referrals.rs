//! The public referral form, referrals taken by phone, and triage.

use crate::error::page_error;
use crate::error::{not_found, PageResult};
use crate::path::PathId;
use crate::session::{ClientAddress, Signed};
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::CookieJar;
use hearth_app::auth::SignedIn;
use hearth_app::orgs::{self, Organisation, Team};
use hearth_app::records;
use hearth_app::referrals::{self, DecisionForm, QueueItem, ReferralView};
use hearth_app::{secrets, AppError};
use hearth_domain::ids::CaseId;
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
    id: Uuid,
    exit_url: &'static str,
}

/// The organisation the public form serves: the one named, or the only one there is.
async fn public_org(state: &AppState, slug: Option<&str>) -> Result<Organisation, Response> {
    orgs::public(&state.app, slug)
        .await
        .map_err(page_error)?
        .ok_or_else(not_found)
}

fn public_layout(csrf: &str, demo: bool, has_errors: bool) -> Layout {
    Layout {
        quick_exit: true,
        has_errors,
        ..Layout::public("Ask for support", demo, csrf)
    }
}

fn refer_view(
    layout: Layout,
    errors: Invalid,
    form: ReferralForm,
    staff: bool,
    org_name: String,
    action: String,
) -> ReferPage {
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

async fn refer_page(state: AppState, jar: CookieJar, slug: Option<String>) -> Response {
    let org = match public_org(&state, slug.as_deref()).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let (jar, csrf) = crate::pages::auth::pre_session_csrf(jar, state.secure_cookies);
    let form = ReferralForm {
        submission_key: secrets::new_token(),
        ..Default::default()
    };
    let action = format!("/refer/{}", org.slug);
    let page = refer_view(
        public_layout(&csrf, org.is_demo, false),
        Invalid::default(),
        form,
        false,
        org.name,
        action,
    );
    (jar, render(StatusCode::OK, &page)).into_response()
}

pub async fn refer(State(state): State<AppState>, jar: CookieJar) -> Response {
    refer_page(state, jar, None).await
}

pub async fn refer_for(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(slug): Path<String>,
) -> Response {
    refer_page(state, jar, Some(slug)).await
}

pub async fn submit_public(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddress(addr): ClientAddress,
    Path(slug): Path<String>,
    Form(form): Form<ReferralForm>,
) -> Response {
    let org = match public_org(&state, Some(&slug)).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let (jar, csrf) = crate::pages::auth::pre_session_csrf(jar, state.secure_cookies);
    let again = |errors: Invalid, status| {
        let layout = public_layout(&csrf, org.is_demo, true);
        let page = refer_view(
            layout,
            errors,
            form.clone(),
            false,
            org.name.clone(),
            format!("/refer/{}", org.slug),
        );
        render(status, &page)
    };
    let response = match referrals::submit_public(&state.app, &slug, &form, &addr).await {
        Ok(s) => render(
            StatusCode::OK,
            &DonePage { layout: public_layout(&csrf, org.is_demo, false), staff: false, reference: s.reference, id: s.id, exit_url: EXIT_URL },
        ),
        Err(AppError::Invalid(errors)) => again(errors, StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Throttled) => again(
            Invalid::one("given_name", "We have received several requests from this connection in the last hour, so this one was not sent. Please phone us instead, or try again later. If anyone is in immediate danger, call 999."),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => page_error(e),
    };
    (jar, response).into_response()
}

pub async fn new_referral(State(state): State<AppState>, Signed(who): Signed) -> Response {
    let form = ReferralForm {
        submission_key: secrets::new_token(),
        ..Default::default()
    };
    let _ = &state;
    render(
        StatusCode::OK,
        &refer_view(
            Layout::signed("Take a referral", &who),
            Invalid::default(),
            form,
            true,
            who.org.name.clone(),
            "/referrals".into(),
        ),
    )
}

pub async fn submit_staff(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<ReferralForm>,
) -> Response {
    match referrals::submit(&state.app, &who.actor(), Source::Phone, &form).await {
        Ok(s) => render(
            StatusCode::OK,
            &DonePage {
                layout: Layout::signed("Referral recorded", &who),
                staff: true,
                reference: s.reference,
                id: s.id,
                exit_url: EXIT_URL,
            },
        ),
        Err(AppError::Invalid(errors)) => {
            let layout = Layout::signed("Take a referral", &who).with_errors(&errors);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &refer_view(
                    layout,
                    errors,
                    form,
                    true,
                    who.org.name.clone(),
                    "/referrals".into(),
                ),
            )
        }
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "triage.html")]
struct TriagePage {
    layout: Layout,
    items: Vec<QueueItem>,
}

pub async fn triage(
    State(state): State<AppState>,
    Signed(who): Signed,
    Query(q): Query<super::DoneQuery>,
) -> PageResult {
    let items = referrals::queue(&state.app, &who.actor()).await?;
    Ok(render(
        StatusCode::OK,
        &TriagePage {
            layout: Layout::signed("Triage", &who).with_done(&q.done),
            items,
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

async fn referral_page(
    state: &AppState,
    who: &SignedIn,
    id: Uuid,
    errors: Invalid,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let v = match referrals::view(&state.app, &who.actor(), id).await {
        Ok(v) => v,
        Err(e) => return page_error(e),
    };
    let mut teams = match orgs::teams(&state.app, who.org.id).await {
        Ok(t) => t,
        Err(e) => return page_error(e),
    };
    // The user's own team first, and chosen: accepting into the first team in the alphabet
    // sent cases where the person triaging could not follow them.
    teams.sort_by_key(|t| Some(t.id) != who.user.team_id);
    render(
        status,
        &ReferralPage {
            layout: Layout::signed(&format!("Referral {}", v.referral.reference), who)
                .with_errors(&errors),
            errors,
            v,
            teams,
            reasons: DECLINE_REASONS,
            message,
        },
    )
}

pub async fn referral(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId,
) -> Response {
    referral_page(&state, &who, id, Invalid::default(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct DecisionSubmission {
    #[serde(flatten)]
    form: DecisionForm,
    #[serde(default)]
    decline_note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId,
    Form(s): Form<DecisionSubmission>,
) -> Response {
    let declining = s.form.decision == "decline";
    let form = if declining {
        DecisionForm {
            note: s.decline_note.clone(),
            ..s.form
        }
    } else {
        s.form
    };
    match referrals::decide(&state.app, &who.actor(), id, &form).await {
        Ok(Some(case_id)) => {
            let case_id = CaseId::from_uuid(case_id);
            match records::may_open_case(&state.app, &who.actor(), case_id).await {
                Ok(true) => {
                    Redirect::to(&format!("/cases/{case_id}?done=accepted")).into_response()
                }
                Ok(false) => Redirect::to("/triage?done=accepted_elsewhere").into_response(),
                Err(e) => page_error(e),
            }
        }
        Ok(None) => Redirect::to("/triage").into_response(),
        Err(AppError::Invalid(mut errors)) => {
            if declining {
                for e in &mut errors.0 {
                    if e.field == "note" {
                        e.field = "decline_note".into();
                    }
                }
            }
            referral_page(
                &state,
                &who,
                id,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            referral_page(
                &state,
                &who,
                id,
                Invalid::default(),
                Some(message),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => page_error(e),
    }
}
