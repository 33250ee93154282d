//! Signing in with a second factor, signing out, timeouts, throttling and session endings.

use crate::common::*;
use hearth_app::users::{self, By};
use reqwest::StatusCode;
use time::Duration;

#[tokio::test]
async fn sign_in_needs_password_and_authenticator_code_then_sign_out_ends_the_session() {
    let t = spawn_app().await;
    let w = t.world().await;
    let email = &w.staff["idva"].1;
    let b = browser();

    // Before signing in, the caseload is out of reach.
    let r = b.get(t.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");

    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&r), "/login/code");
    // A correct password alone does not open anything.
    let r = b.get(t.url("/")).send().await.unwrap();
    assert_eq!(location(&r), "/login/code");

    // A wrong code is refused with a message on the code field.
    let r = t
        .submit(&b, "/login/code", "/login/code", &[("code", "000000")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"#code\""),
        "error summary links to the field"
    );
    assert!(html.contains("The code is not right"));

    let code = t.code_for(email);
    let r = t
        .submit(&b, "/login/code", "/login/code", &[("code", &code)])
        .await;
    assert_eq!(location(&r), "/");
    let html = b
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Your cases</h1>"));
    assert!(html.contains("Test idva"), "shows who is signed in");
    assert!(html.contains("Idva / case worker"), "shows their role");
    assert!(
        html.contains("Northshire Family Safety"),
        "shows their organisation"
    );
    assert!(html.contains("NS-0001"), "lists their allocated case");
    assert!(
        !html.contains("NS-0002"),
        "does not list a colleague's case"
    );

    let r = t.submit(&b, "/", "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?ended=out");
    let r = b.get(t.url("/")).send().await.unwrap();
    assert_eq!(
        location(&r),
        "/login",
        "signed out on the server, not just in the browser"
    );
}

#[tokio::test]
async fn a_code_cannot_be_used_twice() {
    let t = spawn_app().await;
    let w = t.world().await;
    let email = &w.staff["idva"].1;
    let code = t.code_for(email);
    let b = browser();
    t.submit(
        &b,
        "/login",
        "/login",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    let r = t
        .submit(&b, "/login/code", "/login/code", &[("code", &code)])
        .await;
    assert_eq!(location(&r), "/");
    // Someone who saw the code over a shoulder tries it at once in another browser.
    let b2 = browser();
    t.submit(
        &b2,
        "/login",
        "/login",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    let r = t
        .submit(&b2, "/login/code", "/login/code", &[("code", &code)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn new_staff_enrol_an_authenticator_app_and_get_recovery_codes() {
    let t = spawn_app().await;
    let w = t.world().await;
    let form = users::NewUserForm {
        email: "new.worker@northshire.example".into(),
        display_name: "Nia New-Worker".into(),
        role: "case_worker".into(),
        team_id: w.idva_team.to_string(),
        password: PASSWORD.into(),
    };
    users::add(&t.app, By::Command { org_id: w.org }, &form)
        .await
        .unwrap();

    let b = browser();
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[
                ("email", "new.worker@northshire.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&r), "/login/enrol");
    let html = b
        .get(t.url("/login/enrol"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<svg"), "QR code drawn on the server");
    let start = html.find("class=\"secret\">").unwrap() + "class=\"secret\">".len();
    let secret_b32: String = html[start..].chars().take_while(|c| *c != '<').collect();
    let secret = totp_rs::Secret::Encoded(secret_b32).to_bytes().unwrap();

    // Reloading shows the same secret, so a slow scanner is not caught out.
    let again = b
        .get(t.url("/login/enrol"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains(&html[start..start + 32]));

    t.clock.advance(Duration::seconds(30));
    let code = hearth_app::secrets::totp(&secret, "x", "y")
        .generate(u64::try_from(t.now().unix_timestamp()).unwrap());
    let r = t
        .submit(&b, "/login/enrol", "/login/enrol", &[("code", &code)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Save your recovery codes"));
    let recovery: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(
        b.get(t.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );

    // A recovery code works once in place of the app's code.
    let b2 = browser();
    t.submit(
        &b2,
        "/login",
        "/login",
        &[
            ("email", "new.worker@northshire.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let r = t
        .submit(
            &b2,
            "/login/code",
            "/login/code",
            &[("code", &recovery[0].to_uppercase())],
        )
        .await;
    assert_eq!(location(&r), "/");
    let b3 = browser();
    t.submit(
        &b3,
        "/login",
        "/login",
        &[
            ("email", "new.worker@northshire.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let r = t
        .submit(&b3, "/login/code", "/login/code", &[("code", &recovery[0])])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a recovery code is single-use"
    );
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout_and_say_why() {
    let t = spawn_app().await;
    let w = t.world().await;
    let b = t.signed_in(&w.staff["idva"].1).await;
    t.clock.advance(Duration::minutes(29));
    assert_eq!(
        b.get(t.url("/")).send().await.unwrap().status(),
        StatusCode::OK,
        "activity within 30 minutes"
    );
    t.clock.advance(Duration::minutes(29));
    assert_eq!(
        b.get(t.url("/")).send().await.unwrap().status(),
        StatusCode::OK,
        "the timer restarts on activity"
    );
    t.clock.advance(Duration::minutes(31));
    let r = b.get(t.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?ended=idle");
    let html = b
        .get(t.url("/login?ended=idle"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("You were signed out because you had not done anything for a while"));
    // And it stays ended even if the clock were wound back.
    t.clock.advance(Duration::minutes(-60));
    assert_eq!(location(&b.get(t.url("/")).send().await.unwrap()), "/login");
    assert!(t
        .audit_rows()
        .await
        .iter()
        .any(|r| r.1 == "session.end" && r.3.contains("idle_timeout")));
}

#[tokio::test]
async fn sessions_end_after_the_absolute_timeout_however_active() {
    let t = spawn_app().await;
    let w = t.world().await;
    let b = t.signed_in(&w.staff["idva"].1).await;
    for _ in 0..28 {
        t.clock.advance(Duration::minutes(25));
        assert_eq!(
            b.get(t.url("/")).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    t.clock.advance(Duration::minutes(25)); // 12 h 5 min after sign-in
    assert_eq!(
        location(&b.get(t.url("/")).send().await.unwrap()),
        "/login?ended=limit"
    );
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_account_without_revealing_whether_it_exists() {
    let t = spawn_app().await;
    let w = t.world().await;
    let email = &w.staff["idva"].1;
    let b = browser();
    for _ in 0..5 {
        let r = t
            .submit(
                &b,
                "/login",
                "/login",
                &[("email", email), ("password", "wrong password!")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("The email address or password is not right"));
    }
    // Now even the right password is refused, with a clear message.
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let throttled_page = r.text().await.unwrap();
    assert!(throttled_page.contains("Too many attempts to sign in. Wait 15 minutes"));

    // An address that has no account behaves exactly the same.
    for _ in 0..5 {
        let r = t
            .submit(
                &b,
                "/login",
                "/login",
                &[
                    ("email", "nobody@northshire.example"),
                    ("password", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("The email address or password is not right"));
    }
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[
                ("email", "nobody@northshire.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // After the window, the real user can sign in again.
    t.clock.advance(Duration::minutes(16));
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&r), "/login/code");
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_accounts() {
    let t = spawn_app().await;
    let w = t.world().await;
    let b = browser();
    for i in 0..20 {
        let email = format!("guess{i}@northshire.example");
        t.submit(
            &b,
            "/login",
            "/login",
            &[("email", &email), ("password", "wrong password!")],
        )
        .await;
    }
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[("email", &w.staff["idva"].1), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn wrong_codes_are_throttled_too() {
    let t = spawn_app().await;
    let w = t.world().await;
    let email = &w.staff["idva"].1;
    let b = browser();
    t.submit(
        &b,
        "/login",
        "/login",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    for _ in 0..5 {
        let r = t
            .submit(&b, "/login/code", "/login/code", &[("code", "123456")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let code = t.code_for(email);
    let r = t
        .submit(&b, "/login/code", "/login/code", &[("code", &code)])
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_session_token_is_replaced_at_each_step_of_sign_in() {
    let t = spawn_app().await;
    let w = t.world().await;
    let email = &w.staff["idva"].1;
    let b = browser();
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    let pending = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let code = t.code_for(email);
    let r = t
        .submit(&b, "/login/code", "/login/code", &[("code", &code)])
        .await;
    let active = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(pending, active);
    // The pending token is worthless now.
    let pending_token = pending.split(';').next().unwrap().to_string();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(t.url("/"))
        .header("cookie", pending_token)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login");
    assert!(active.contains("HttpOnly"));
    assert!(active.contains("SameSite=Lax"));
}

#[tokio::test]
async fn disabling_an_account_or_resetting_its_password_ends_its_sessions() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin = t.signed_in(&w.staff["admin"].1).await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let idva2 = t.signed_in(&w.staff["idva2"].1).await;

    let page = format!("/admin/users/{}", w.staff["idva"].0);
    // The first press asks, and changes nothing.
    let r = t
        .submit(&admin, &page, &format!("{page}/disable"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let asked = r.text().await.unwrap();
    assert!(asked.contains("Disable the account for Test idva?"));
    assert!(asked.contains("name=\"confirm\" value=\"yes\""));
    assert_eq!(
        idva.get(t.url("/")).send().await.unwrap().status(),
        StatusCode::OK,
        "still signed in until it is confirmed"
    );
    let r = t
        .submit(
            &admin,
            &page,
            &format!("{page}/disable"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        location(&idva.get(t.url("/")).send().await.unwrap()),
        "/login"
    );
    // And a disabled account cannot sign in again.
    let b = browser();
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[("email", &w.staff["idva"].1), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let page = format!("/admin/users/{}", w.staff["idva2"].0);
    let r = t
        .submit(&admin, &page, &format!("{page}/reset-password"), &[])
        .await;
    let asked = r.text().await.unwrap();
    assert!(asked.contains("Reset the password for Test idva2?"));
    assert!(
        !asked.contains("temporary password is"),
        "nothing reset yet"
    );
    assert_eq!(
        idva2.get(t.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let r = t
        .submit(
            &admin,
            &page,
            &format!("{page}/reset-password"),
            &[("confirm", "yes")],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("temporary password"));
    assert_eq!(
        location(&idva2.get(t.url("/")).send().await.unwrap()),
        "/login"
    );
}

#[tokio::test]
async fn a_temporary_password_must_be_changed_before_anything_else() {
    let t = spawn_app().await;
    let w = t.world().await;
    let temp = users::reset_password(&t.app, By::Command { org_id: w.org }, w.staff["idva"].0)
        .await
        .unwrap();
    let email = &w.staff["idva"].1;
    let b = browser();
    t.submit(
        &b,
        "/login",
        "/login",
        &[("email", email), ("password", &temp)],
    )
    .await;
    let code = t.code_for(email);
    t.submit(&b, "/login/code", "/login/code", &[("code", &code)])
        .await;
    let r = b.get(t.url("/")).send().await.unwrap();
    assert_eq!(location(&r), "/account/password");
    let cases = b
        .get(t.url(&format!("/cases/{}", w.case)))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&cases), "/account/password");

    let r = t
        .submit(
            &b,
            "/account/password",
            "/account/password",
            &[
                ("current_password", &temp),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Password must be at least 12 characters"));

    let r = t
        .submit(
            &b,
            "/account/password",
            "/account/password",
            &[
                ("current_password", &temp),
                ("new_password", "a much better passphrase"),
                ("confirm_password", "a much better passphrase"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        b.get(t.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
}
