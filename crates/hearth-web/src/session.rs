//! Who is asking: the session cookie for pages, resolved through the sign-in use cases.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use hearth_app::auth::Stage;
use hearth_app::auth::{self, SessionState, SignedIn};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "hearth_session";

pub fn csrf_cookie() -> &'static str {
    "hearth_csrf"
}

pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

pub fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path("/").build()
}

/// A fully signed-in user. Anyone else is sent to the right step of signing in.
pub struct Signed(pub SignedIn);

fn to_login(jar: CookieJar, query: &str) -> Response {
    (
        jar.remove(removal(SESSION_COOKIE)),
        Redirect::to(&format!("/login{query}")),
    )
        .into_response()
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(Redirect::to("/login").into_response());
        };
        match auth::session(&state.app, &token).await {
            Ok(SessionState::Active(s)) => {
                if s.user.must_change_password
                    && parts.uri.path() != "/account/password"
                    && parts.uri.path() != "/logout"
                {
                    return Err(Redirect::to("/account/password").into_response());
                }
                Ok(Signed(s))
            }
            Ok(SessionState::Pending {
                stage: Stage::Enrol,
                ..
            }) => Err(Redirect::to("/login/enrol").into_response()),
            Ok(SessionState::Pending { .. }) => Err(Redirect::to("/login/code").into_response()),
            Ok(SessionState::TimedOut { idle: true }) => Err(to_login(jar, "?ended=idle")),
            Ok(SessionState::TimedOut { idle: false }) => Err(to_login(jar, "?ended=limit")),
            Ok(SessionState::None) => Err(to_login(jar, "")),
            Err(e) => Err(crate::error::page_error(e)),
        }
    }
}

/// The network address of the client, for sign-in throttling.
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddress(addr))
    }
}
