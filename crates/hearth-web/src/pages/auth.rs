//! Signing in, the second factor, enrolment, signing out and changing one's password.

use crate::error::{PageError, PageResult};
use crate::form::{to, Again, OrAgain, Saved};
use crate::session::{csrf_cookie, removal, session_cookie, ClientAddress, Signed, SESSION_COOKIE};
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use hearth_app::auth::Stage;
use hearth_app::auth::{self, SessionState, SignIn, SignedIn};
use hearth_app::{demo, secrets};
use hearth_domain::validation::Invalid;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    errors: Invalid,
    email: String,
    ended: String,
    demo: bool,
    demo_password: &'static str,
    demo_accounts: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    ended: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The double-submit token for forms shown before sign-in: reuse the browser's, or make one.
pub(crate) fn pre_session_csrf(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(c) = jar.get(csrf_cookie()) {
        if c.value().len() == 64 {
            let v = c.value().to_string();
            return (jar, v);
        }
    }
    let token = secrets::new_token();
    let cookie = Cookie::build((csrf_cookie(), token.clone()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build();
    (jar.add(cookie), token)
}

fn demo_accounts(state: &AppState) -> Vec<(String, String)> {
    if !state.demo {
        return vec![];
    }
    [
        ("idva", "Idva / case worker"),
        ("idva.manager", "Team manager"),
        ("engage", "Engage practitioner"),
        ("service.manager", "Service manager"),
        ("admin", "Administrator"),
    ]
    .iter()
    .map(|(l, r)| (format!("{l}@{}", demo::DEMO_DOMAIN), r.to_string()))
    .collect()
}

fn login_view(
    state: &AppState,
    csrf: &str,
    email: String,
    ended: String,
    again: Again,
) -> Response {
    let status = again.status();
    let page = LoginPage {
        layout: Layout::public("Sign in", state.demo, csrf).with_errors(&again.errors),
        errors: again.errors,
        email,
        ended,
        demo: state.demo,
        demo_password: demo::DEMO_PASSWORD,
        demo_accounts: demo_accounts(state),
    };
    render(status, &page)
}

pub async fn login_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Response {
    let ended = match q.ended.as_str() {
        "idle" | "limit" | "out" => q.ended,
        _ => String::new(),
    };
    let (jar, csrf) = pre_session_csrf(jar, state.secure_cookies);
    let page = login_view(&state, &csrf, String::new(), ended, Again::fresh());
    (jar, page).into_response()
}

const TOO_MANY_SIGN_INS: &str = "Too many attempts to sign in. Wait 15 minutes, then try again. If you have forgotten your password, ask your administrator to reset it.";

const TOO_MANY_CODES: &str = "Too many attempts. Wait 15 minutes, then try again.";

pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddress(addr): ClientAddress,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let previous = jar.get(SESSION_COOKIE).map(|c| c.value().to_string());
    let (email, password) = (&form.email, &form.password);
    let signed = auth::sign_in(&state.app, email, password, &addr, previous.as_deref()).await;
    match signed.or_again_unless_throttled("email", TOO_MANY_SIGN_INS)? {
        Saved::Done(outcome) => {
            let (token, next) = match outcome {
                SignIn::Complete { token } => (token, "/"),
                SignIn::NeedsCode { token } => (token, "/login/code"),
                SignIn::NeedsEnrolment { token } => (token, "/login/enrol"),
            };
            Ok((
                jar.add(session_cookie(token, state.secure_cookies)),
                to(next),
            )
                .into_response())
        }
        Saved::Again(again) => {
            let (jar, csrf) = pre_session_csrf(jar, state.secure_cookies);
            let page = login_view(&state, &csrf, form.email, String::new(), again);
            Ok((jar, page).into_response())
        }
    }
}

/// The pending sign-in behind this browser's cookie, or where to send it instead.
async fn pending(
    state: &AppState,
    jar: &CookieJar,
    want: Stage,
) -> Result<(String, String), PageError> {
    let elsewhere = |path: &str| PageError::Elsewhere(Box::new(to(path)));
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Err(elsewhere("/login"));
    };
    match auth::session(&state.app, &token).await? {
        SessionState::Pending {
            stage, csrf_token, ..
        } if stage == want => Ok((token, csrf_token)),
        SessionState::Pending {
            stage: Stage::Enrol,
            ..
        } => Err(elsewhere("/login/enrol")),
        SessionState::Pending { .. } => Err(elsewhere("/login/code")),
        SessionState::Active(_) => Err(elsewhere("/")),
        _ => Err(elsewhere("/login")),
    }
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    layout: Layout,
    errors: Invalid,
}

fn code_view(state: &AppState, csrf: &str, again: Again) -> Response {
    let layout = Layout::public("Enter your code", state.demo, csrf).with_errors(&again.errors);
    render(
        again.status(),
        &CodePage {
            layout,
            errors: again.errors,
        },
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn code_page(State(state): State<AppState>, jar: CookieJar) -> PageResult {
    let (_, csrf) = pending(&state, &jar, Stage::SecondFactor).await?;
    Ok(code_view(&state, &csrf, Again::fresh()))
}

pub async fn code(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddress(addr): ClientAddress,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let (token, csrf) = pending(&state, &jar, Stage::SecondFactor).await?;
    let checked = auth::second_factor(&state.app, &token, &form.code, &addr).await;
    Ok(
        match checked.or_again_unless_throttled("code", TOO_MANY_CODES)? {
            Saved::Done(new_token) => {
                let cookie = session_cookie(new_token, state.secure_cookies);
                (jar.add(cookie), to("/")).into_response()
            }
            Saved::Again(again) => code_view(&state, &csrf, again),
        },
    )
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    layout: Layout,
    errors: Invalid,
    qr_svg: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "recovery.html")]
struct RecoveryPage {
    layout: Layout,
    codes: Vec<String>,
}

async fn enrol_view(state: &AppState, token: &str, csrf: &str, again: Again) -> PageResult {
    let e = auth::enrolment(&state.app, token).await?;
    let title = "Set up your authenticator app";
    Ok(render(
        again.status(),
        &EnrolPage {
            layout: Layout::public(title, state.demo, csrf).with_errors(&again.errors),
            errors: again.errors,
            qr_svg: e.qr_svg,
            secret: e.secret_base32,
        },
    ))
}

pub async fn enrol_page(State(state): State<AppState>, jar: CookieJar) -> PageResult {
    let (token, csrf) = pending(&state, &jar, Stage::Enrol).await?;
    enrol_view(&state, &token, &csrf, Again::fresh()).await
}

pub async fn enrol(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddress(addr): ClientAddress,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let (token, csrf) = pending(&state, &jar, Stage::Enrol).await?;
    let done = auth::finish_enrolment(&state.app, &token, &form.code, &addr).await;
    match done.or_again_unless_throttled("code", TOO_MANY_CODES)? {
        Saved::Done((new_token, codes)) => {
            // The new session's CSRF token is not needed on this page: it has no form.
            let layout = Layout::public("Save your recovery codes", state.demo, "");
            let page = render(StatusCode::OK, &RecoveryPage { layout, codes });
            Ok((
                jar.add(session_cookie(new_token, state.secure_cookies)),
                page,
            )
                .into_response())
        }
        Saved::Again(again) => enrol_view(&state, &token, &csrf, again).await,
    }
}

pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> PageResult {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        auth::sign_out(&state.app, c.value()).await?;
    }
    Ok((jar.remove(removal(SESSION_COOKIE)), to("/login?ended=out")).into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    errors: Invalid,
    must_change: bool,
    done: bool,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

fn password_view(who: &SignedIn, must_change: bool, done: bool, again: Again) -> Response {
    let status = again.status();
    let layout = Layout::signed("Change your password", who).with_errors(&again.errors);
    let page = PasswordPage {
        layout,
        errors: again.errors,
        must_change,
        done,
    };
    render(status, &page)
}

pub async fn password_page(Signed(who): Signed) -> Response {
    password_view(&who, who.user.must_change_password, false, Again::fresh())
}

pub async fn change_password(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let (current, new, confirm) = (&f.current_password, &f.new_password, &f.confirm_password);
    let changed = auth::change_password(&state.app, &who, current, new, confirm).await;
    Ok(match changed.or_again()? {
        Saved::Done(()) => password_view(&who, false, true, Again::fresh()),
        Saved::Again(again) => password_view(&who, who.user.must_change_password, false, again),
    })
}
