//! Hearth's web server. Handlers are thin: they extract, call a use case, and render.
//! Sessions, CSRF protection and security headers are layers around every route.

pub mod api;
pub mod csrf;
pub mod error;
pub mod headers;
pub mod input;
pub mod pages;
pub mod session;
pub mod views;

use axum::Router;
use hearth_app::App;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Serving the demo: the sign-in page says so and shows the demo accounts.
    pub demo: bool,
    /// Mark cookies `Secure` and send HSTS; on whenever Hearth is served over HTTPS.
    pub secure_cookies: bool,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest("/api", api::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
        .layer(axum::middleware::from_fn(input::refuse_control_characters))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .with_state(state)
}

/// Serve until the future `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
