//! CSRF protection on every state-changing form, security headers on every response.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused_and_change_nothing() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin = t.signed_in(&w.staff["admin"].1).await;
    let target = format!("/admin/users/{}/disable", w.staff["idva"].0);

    let r = admin
        .post(t.url(&target))
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no token");
    assert!(r.text().await.unwrap().contains("This form has expired"));
    let r = admin
        .post(t.url(&target))
        .form(&[("csrf_token", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "wrong token");

    // The right token, but sent from another site's page.
    let html = admin
        .get(t.url(&format!("/admin/users/{}", w.staff["idva"].0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html);
    let r = admin
        .post(t.url(&target))
        .header("origin", "https://evil.example")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "cross-site origin");
    let r = admin
        .post(t.url(&target))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "browser says cross-site");

    // Another user's token does not work in this session.
    let other = t.signed_in(&w.staff["service_manager"].1).await;
    let other_csrf = csrf_in(
        &other
            .get(t.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    let r = admin
        .post(t.url(&target))
        .form(&[("csrf_token", other_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "token of another session"
    );

    // Nothing was disabled: the Idva can still sign in.
    t.signed_in(&w.staff["idva"].1).await;
    assert!(!t.audit_rows().await.iter().any(|r| r.1 == "user.disable"));

    // Sign-out and sign-in forms are protected too.
    let r = admin
        .post(t.url("/logout"))
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let fresh = browser();
    let r = fresh
        .post(t.url("/login"))
        .form(&[
            ("email", w.staff["idva"].1.as_str()),
            ("password", PASSWORD),
            ("csrf_token", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let t = spawn_app().await;
    let w = t.world().await;
    let b = t.signed_in(&w.staff["idva"].1).await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let pages = [
        b.get(t.url("/login")).send().await.unwrap(),
        b.get(t.url("/")).send().await.unwrap(),
        b.get(t.url(&format!("/cases/{}", w.case)))
            .send()
            .await
            .unwrap(),
        b.get(t.url("/no/such/page")).send().await.unwrap(),
        t.api_get(&token, "/api/v1/me").await,
    ];
    for r in pages {
        let h = r.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
        assert_eq!(h.get("cache-control").unwrap(), "no-store", "{}", r.url());
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    }
    let css = b.get(t.url("/static/hearth.css")).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}

#[tokio::test]
async fn pages_load_nothing_from_elsewhere_and_need_no_script() {
    let t = spawn_app().await;
    let w = t.world().await;
    let b = t.signed_in(&w.staff["service_manager"].1).await;
    for path in [
        "/login",
        "/",
        "/cases",
        &format!("/cases/{}", w.case),
        "/audit",
        "/admin/users",
    ] {
        let html = b
            .get(t.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("<script"), "{path} uses script");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{path} refers elsewhere"
        );
        assert!(html.contains("lang=\"en-GB\""));
        assert!(html.contains("href=\"#main\""), "{path} has a skip link");
        assert!(
            html.contains("<main id=\"main\""),
            "{path} has a main landmark"
        );
    }
}

#[tokio::test]
async fn health_check_answers_when_the_database_does() {
    let t = spawn_app().await;
    let r = reqwest::get(t.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    t.app.store.close().await;
    let r = reqwest::get(t.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_real_browsers_same_site_post_is_accepted() {
    // Under Referrer-Policy: no-referrer, Chromium sends `Origin: null` with a form post from
    // Hearth's own page, and `Sec-Fetch-Site: same-origin`. That must work.
    let t = spawn_app().await;
    let w = t.world().await;
    let b = browser();
    let html = b
        .get(t.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html);
    let r = b
        .post(t.url("/login"))
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", &w.staff["idva"].1),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login/code");
}

/// Slow clients cannot hold the server (issue 10, item 14): stalled headers are cut off, a
/// stalled body is answered 408, and connections beyond the cap wait rather than pile up.
#[tokio::test]
async fn slow_clients_are_cut_off_and_connections_are_capped() {
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = hearth_web::ServeLimits {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        max_connections: 2,
    };
    let state = hearth_web::AppState {
        app: t.app.clone(),
        demo: false,
        secure_cookies: false,
    };
    tokio::spawn(hearth_web::serve(
        listener,
        state,
        limits,
        std::future::pending(),
    ));
    let read_all = |mut s: tokio::net::TcpStream| async move {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).to_string()
    };

    // Headers that never finish: the connection is closed, nothing is served.
    let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = read_all(stalled).await;
    assert!(!answer.contains("200 OK"), "{answer}");

    // A body that never finishes: 408, in the API's error shape.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST /api/v1/referrals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"given")
        .await
        .unwrap();
    let answer = read_all(slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"timeout\""), "{answer}");

    // Two stalled connections fill the cap; a third client is served once they are cut off.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        held.push(s);
    }
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    drop(held);
}
