//! Bad input: a clear message naming the field, what was typed kept, nothing half-written.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_bad_form_names_each_field_keeps_what_was_typed_and_saves_nothing() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin = t.signed_in(&w.staff["admin"].1).await;
    let before = t
        .audit_rows()
        .await
        .iter()
        .filter(|r| r.1 == "user.add")
        .count();
    let r = t
        .submit(
            &admin,
            "/admin/users/new",
            "/admin/users",
            &[
                ("display_name", "Fatima Al-Rashid"),
                ("email", "fatima at northshire"),
                ("role", "superuser"),
                ("team_id", "not-a-team"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<title>Error: "),
        "the title says there is an error"
    );
    assert!(html.contains("There is a problem"));
    for field in ["email", "role", "team_id"] {
        assert!(
            html.contains(&format!("href=\"#{field}\"")),
            "summary links to {field}"
        );
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "message beside {field}"
        );
    }
    assert!(html.contains("Enter an email address in the correct format"));
    assert!(html.contains("Choose a role from the list"));
    assert!(
        html.contains("value=\"Fatima Al-Rashid\""),
        "typed name kept"
    );
    assert!(
        html.contains("value=\"fatima at northshire\""),
        "typed email kept"
    );
    assert_eq!(
        t.audit_rows()
            .await
            .iter()
            .filter(|r| r.1 == "user.add")
            .count(),
        before
    );
}

#[tokio::test]
async fn names_in_any_script_are_stored_exactly_and_overlong_ones_refused() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin = t.signed_in(&w.staff["admin"].1).await;
    let name = "فاطمة الزهراء 🌻 Ní Bhriain";
    let r = t
        .submit(
            &admin,
            "/admin/users/new",
            "/admin/users",
            &[
                ("display_name", name),
                ("email", "fatima@northshire.example"),
                ("role", "case_worker"),
                ("team_id", &w.idva_team.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(name));
    assert!(html.contains("temporary password"));

    let long = "x".repeat(5000);
    let r = t
        .submit(
            &admin,
            "/admin/users/new",
            "/admin/users",
            &[
                ("display_name", long.as_str()),
                ("email", "long@northshire.example"),
                ("role", "case_worker"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Name must be 200 characters or fewer"));

    // The same email again is refused on the email field, not with a crash.
    let r = t
        .submit(
            &admin,
            "/admin/users/new",
            "/admin/users",
            &[
                ("display_name", "Someone Else"),
                ("email", "FATIMA@northshire.example"),
                ("role", "case_worker"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("An account with this email address already exists"));
}

#[tokio::test]
async fn sign_in_with_empty_fields_names_them() {
    let t = spawn_app().await;
    let b = browser();
    let r = t
        .submit(&b, "/login", "/login", &[("email", ""), ("password", "")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter your email address"));
    assert!(html.contains("Enter your password"));
    assert!(html.contains("href=\"#password\""));
}

#[tokio::test]
async fn malformed_identifiers_and_unknown_pages_are_plain_not_found() {
    let t = spawn_app().await;
    let w = t.world().await;
    let b = t.signed_in(&w.staff["service_manager"].1).await;
    for path in [
        "/cases/not-a-uuid",
        "/people/%00",
        "/cases/'%20OR%201=1",
        "/nowhere",
    ] {
        let r = b.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(r.text().await.unwrap().contains("Page not found"));
    }
}
