//! Cross-site request forgery protection for every state-changing form.
//!
//! Each form carries a `csrf_token` field. With a session, it must equal the token bound to
//! that session on the server; before sign-in, it must equal the `hearth_csrf` cookie (a
//! double-submit token). A request whose `Origin` is another site is refused outright.
//! The JSON API is not cookie-authenticated (bearer tokens only), so it needs none of this.

use crate::session::{csrf_cookie, SESSION_COOKIE};
use crate::views::ErrorPage;
use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use hearth_app::secrets;

/// Large enough for a 100 KB note with room to spare; larger bodies are refused.
pub const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

fn refuse() -> Response {
    ErrorPage::new(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "For your security, forms stop working after you sign out or after a while without activity. \
         Go back, reload the page, and send it again. Nothing was saved.",
    )
    .into_response()
}

/// Whether the browser says the form came from another site. `Origin: null` says nothing: browsers
/// send it for ordinary same-site posts under `Referrer-Policy: no-referrer`, so the token decides.
fn from_another_site(req: &Request) -> bool {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    if header("sec-fetch-site") == Some("cross-site") {
        return true;
    }
    match header(header::ORIGIN.as_str()) {
        None | Some("null") => false,
        Some(origin) => {
            let host = header(header::HOST.as_str()).unwrap_or_default();
            origin != format!("http://{host}") && origin != format!("https://{host}")
        }
    }
}

fn too_large() -> Response {
    ErrorPage::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "That was too large to send",
        "The form was larger than Hearth accepts (2 MB). Shorten it and try again.",
    )
    .into_response()
}

/// The token the form carries, if it carries one.
fn sent_token(body: &[u8]) -> Option<String> {
    let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v)
}

/// The token this browser's form must carry: its session's, or before sign-in its own cookie's.
/// A store that cannot answer gives none, so the form is refused rather than let through.
async fn expected_token(state: &AppState, jar: &CookieJar) -> Option<String> {
    let session = match jar.get(SESSION_COOKIE) {
        Some(c) => hearth_app::auth::session_form_token(&state.app, c.value())
            .await
            .ok()
            .flatten(),
        None => None,
    };
    session.or_else(|| jar.get(csrf_cookie()).map(|c| c.value().to_string()))
}

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method || req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    if from_another_site(&req) {
        return refuse();
    }
    let jar = CookieJar::from_headers(req.headers());
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return too_large();
    };
    match (sent_token(&bytes), expected_token(&state, &jar).await) {
        (Some(sent), Some(expected)) if !expected.is_empty() && secrets::same(&expected, &sent) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => refuse(),
    }
}
