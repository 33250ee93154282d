//! Signing in, the second factor, enrolment, signing out and changing one's password.

use crate::error::page_error;
use crate::session::{csrf_cookie, removal, session_cookie, ClientAddress, Signed, SESSION_COOKIE};
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use hearth_app::auth::Stage;
use hearth_app::auth::{self, SessionState, SignIn};
use hearth_app::{demo, secrets, AppError};
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
    errors: Invalid,
    email: String,
    ended: String,
) -> LoginPage {
    LoginPage {
        layout: Layout::public("Sign in", state.demo, csrf).with_errors(&errors),
        errors,
        email,
        ended,
        demo: state.demo,
        demo_password: demo::DEMO_PASSWORD,
        demo_accounts: demo_accounts(state),
    }
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
    let page = login_view(&state, &csrf, Invalid::default(), String::new(), ended);
    (jar, render(StatusCode::OK, &page)).into_response()
}

pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddress(addr): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Response {
    let previous = jar.get(SESSION_COOKIE).map(|c| c.value().to_string());
    match auth::sign_in(
        &state.app,
        &form.email,
        &form.password,
        &addr,
        previous.as_deref(),
    )
    .await
    {
        Ok(outcome) => {
            let (token, to) = match outcome {
                SignIn::Complete { token } => (token, "/"),
                SignIn::NeedsCode { token } => (token, "/login/code"),
                SignIn::NeedsEnrolment { token } => (token, "/login/enrol"),
            };
            (
                jar.add(session_cookie(token, state.secure_cookies)),
                Redirect::to(to),
            )
                .into_response()
        }
        Err(AppError::Invalid(errors)) => {
            let (jar, csrf) = pre_session_csrf(jar, state.secure_cookies);
            let page = login_view(&state, &csrf, errors, form.email, String::new());
            (jar, render(StatusCode::UNPROCESSABLE_ENTITY, &page)).into_response()
        }
        Err(AppError::Throttled) => {
            let (jar, csrf) = pre_session_csrf(jar, state.secure_cookies);
            let errors = Invalid::one(
                "email",
                "Too many attempts to sign in. Wait 15 minutes, then try again. If you have forgotten your password, ask your administrator to reset it.",
            );
            let page = login_view(&state, &csrf, errors, form.email, String::new());
            (jar, render(StatusCode::TOO_MANY_REQUESTS, &page)).into_response()
        }
        Err(e) => page_error(e),
    }
}

/// The pending sign-in behind this browser's cookie, or where to send it instead.
async fn pending(
    state: &AppState,
    jar: &CookieJar,
    want: Stage,
) -> Result<(String, String), Response> {
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Err(Redirect::to("/login").into_response());
    };
    match auth::session(&state.app, &token).await {
        Ok(SessionState::Pending {
            stage, csrf_token, ..
        }) if stage == want => Ok((token, csrf_token)),
        Ok(SessionState::Pending {
            stage: Stage::Enrol,
            ..
        }) => Err(Redirect::to("/login/enrol").into_response()),
        Ok(SessionState::Pending { .. }) => Err(Redirect::to("/login/code").into_response()),
        Ok(SessionState::Active(_)) => Err(Redirect::to("/").into_response()),
        Ok(_) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(page_error(e)),
    }
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    layout: Layout,
    errors: Invalid,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn code_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    match pending(&state, &jar, Stage::SecondFactor).await {
        Ok((_, csrf)) => render(
            StatusCode::OK,
            &CodePage {
                layout: Layout::public("Enter your code", state.demo, &csrf),
                errors: Invalid::default(),
            },
        ),
        Err(r) => r,
    }
}

pub async fn code(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddress(addr): ClientAddress,
    Form(form): Form<CodeForm>,
) -> Response {
    let (token, csrf) = match pending(&state, &jar, Stage::SecondFactor).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match auth::second_factor(&state.app, &token, &form.code, &addr).await {
        Ok(new_token) => (
            jar.add(session_cookie(new_token, state.secure_cookies)),
            Redirect::to("/"),
        )
            .into_response(),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &CodePage {
                layout: Layout::public("Enter your code", state.demo, &csrf).with_errors(&errors),
                errors,
            },
        ),
        Err(AppError::Throttled) => {
            let errors = Invalid::one(
                "code",
                "Too many attempts. Wait 15 minutes, then try again.",
            );
            render(
                StatusCode::TOO_MANY_REQUESTS,
                &CodePage {
                    layout: Layout::public("Enter your code", state.demo, &csrf)
                        .with_errors(&errors),
                    errors,
                },
            )
        }
        Err(e) => page_error(e),
    }
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

async fn enrol_view(
    state: &AppState,
    token: &str,
    csrf: &str,
    errors: Invalid,
    status: StatusCode,
) -> Response {
    match auth::enrolment(&state.app, token).await {
        Ok(e) => render(
            status,
            &EnrolPage {
                layout: Layout::public("Set up your authenticator app", state.demo, csrf)
                    .with_errors(&errors),
                errors,
                qr_svg: e.qr_svg,
                secret: e.secret_base32,
            },
        ),
        Err(e) => page_error(e),
    }
}

pub async fn enrol_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    match pending(&state, &jar, Stage::Enrol).await {
        Ok((token, csrf)) => {
            enrol_view(&state, &token, &csrf, Invalid::default(), StatusCode::OK).await
        }
        Err(r) => r,
    }
}

pub async fn enrol(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddress(addr): ClientAddress,
    Form(form): Form<CodeForm>,
) -> Response {
    let (token, csrf) = match pending(&state, &jar, Stage::Enrol).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match auth::finish_enrolment(&state.app, &token, &form.code, &addr).await {
        Ok((new_token, codes)) => {
            // The new session's CSRF token is not needed on this page: it has no form.
            let page = RecoveryPage {
                layout: Layout::public("Save your recovery codes", state.demo, ""),
                codes,
            };
            (
                jar.add(session_cookie(new_token, state.secure_cookies)),
                render(StatusCode::OK, &page),
            )
                .into_response()
        }
        Err(AppError::Invalid(errors)) => {
            enrol_view(
                &state,
                &token,
                &csrf,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Throttled) => {
            let errors = Invalid::one(
                "code",
                "Too many attempts. Wait 15 minutes, then try again.",
            );
            enrol_view(&state, &token, &csrf, errors, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(e) => page_error(e),
    }
}

pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        if let Err(e) = auth::sign_out(&state.app, c.value()).await {
            return page_error(e);
        }
    }
    (
        jar.remove(removal(SESSION_COOKIE)),
        Redirect::to("/login?ended=out"),
    )
        .into_response()
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

pub async fn password_page(Signed(who): Signed) -> Response {
    render(
        StatusCode::OK,
        &PasswordPage {
            layout: Layout::signed("Change your password", &who),
            errors: Invalid::default(),
            must_change: who.user.must_change_password,
            done: false,
        },
    )
}

pub async fn change_password(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(f): Form<PasswordForm>,
) -> Response {
    match auth::change_password(
        &state.app,
        &who,
        &f.current_password,
        &f.new_password,
        &f.confirm_password,
    )
    .await
    {
        Ok(()) => render(
            StatusCode::OK,
            &PasswordPage {
                layout: Layout::signed("Change your password", &who),
                errors: Invalid::default(),
                must_change: false,
                done: true,
            },
        ),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                layout: Layout::signed("Change your password", &who).with_errors(&errors),
                errors,
                must_change: who.user.must_change_password,
                done: false,
            },
        ),
        Err(e) => page_error(e),
    }
}
