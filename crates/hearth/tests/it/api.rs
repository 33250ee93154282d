//! The JSON API: bearer tokens, a stable error shape, and an OpenAPI document that covers it.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn the_api_needs_a_live_token_and_answers_errors_in_one_shape() {
    let t = spawn_app().await;
    let w = t.world().await;
    let r = reqwest::get(t.url("/api/v1/me")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");

    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let me: Value = t.api_get(&token, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["email"], w.staff["idva"].1);
    assert_eq!(me["user"]["role"], "case_worker");
    assert_eq!(me["organisation"]["name"], "Northshire Family Safety");

    // A session cookie is no way into the API.
    let b = t.signed_in(&w.staff["idva"].1).await;
    assert_eq!(
        b.get(t.url("/api/v1/me")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    // Revoked tokens and tokens of disabled accounts stop working at once.
    let admin = t.token_for(w.org, w.staff["admin"].0).await;
    let client = reqwest::Client::new();
    let r = client
        .post(t.url(&format!("/api/v1/users/{}/disable", w.staff["idva"].0)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        t.api_get(&token, "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let ids: Vec<_> =
        hearth_app::tokens::list(&t.app, hearth_app::users::By::Command { org_id: w.org })
            .await
            .unwrap();
    let admin_token_id = ids
        .iter()
        .find(|x| x.user_id == w.staff["admin"].0)
        .unwrap()
        .id;
    hearth_app::tokens::revoke(
        &t.app,
        hearth_app::users::By::Command { org_id: w.org },
        admin_token_id,
    )
    .await
    .unwrap();
    assert_eq!(
        t.api_get(&admin, "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn adding_a_user_through_the_api_validates_each_field() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin = t.token_for(w.org, w.staff["admin"].0).await;
    let client = reqwest::Client::new();
    let post = |body: Value| {
        client
            .post(t.url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };

    let r = post(json!({"email": "bad", "display_name": "", "role": "nobody"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["display_name", "email", "role"],
        "in the order of the form"
    );

    let r = client
        .post(t.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid");

    let r = post(json!({"email": "api.made@northshire.example", "display_name": "Api Made", "role": "team_manager", "team_id": w.idva_team}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["user"]["role"], "team_manager");
    assert!(body["temporary_password"].as_str().unwrap().len() >= 12);

    // Only administrators may.
    let manager = t.token_for(w.org, w.staff["service_manager"].0).await;
    let r = client
        .post(t.url("/api/v1/users"))
        .bearer_auth(&manager)
        .json(&json!({"email": "x@northshire.example", "display_name": "X", "role": "case_worker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let t = spawn_app().await;
    let doc: Value = reqwest::get(t.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/me", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}/disable", "post"),
        ("/api/v1/users/{id}/reset-password", "post"),
        ("/api/v1/audit", "get"),
        ("/api/v1/caseload", "get"),
        ("/api/v1/cases", "get"),
        ("/api/v1/cases/{id}", "get"),
        ("/api/v1/cases/{id}/history", "get"),
        ("/api/v1/people/{id}", "get"),
        ("/api/v1/people/{id}/history", "get"),
        ("/api/v1/people/{id}/contact", "get"),
        ("/api/v1/people/{id}/contact", "put"),
        ("/api/v1/cases/{id}/timeline", "get"),
        ("/api/v1/cases/{id}/timeline", "post"),
        ("/api/v1/cases/{id}/timeline/{entry}/corrections", "post"),
        ("/api/v1/cases/{id}/timeline/{entry}/withdraw", "post"),
        ("/api/v1/referrals", "get"),
        ("/api/v1/referrals", "post"),
        ("/api/v1/referrals/{id}", "get"),
        ("/api/v1/referrals/{id}/decision", "post"),
        ("/api/v1/cases/{id}/allocations", "post"),
        ("/api/v1/cases/{id}/close", "post"),
        ("/api/v1/search", "get"),
        ("/api/v1/break-glass", "post"),
        ("/api/v1/people/{id}/details", "get"),
        ("/api/v1/people/{id}/details", "put"),
        ("/api/v1/cases/{id}/members", "post"),
        ("/api/v1/cases/{id}/relationships", "post"),
        ("/api/v1/cases/{id}/agencies", "get"),
        ("/api/v1/cases/{id}/agencies", "post"),
        ("/api/v1/cases/{id}/involvements/close", "post"),
        ("/api/v1/cases/{id}/allocations/end", "post"),
        ("/api/v1/caseloads", "get"),
        ("/api/v1/break-glass", "get"),
        ("/api/v1/people/{id}/risk", "get"),
        ("/api/v1/people/{id}/risk", "post"),
        ("/api/v1/people/{id}/incidents", "post"),
        ("/api/v1/people/{id}/safety-plan", "get"),
        ("/api/v1/people/{id}/safety-plan", "put"),
        ("/api/v1/people/{id}/marac", "get"),
        ("/api/v1/people/{id}/marac", "post"),
        ("/api/v1/instruments", "get"),
        ("/api/v1/instruments", "post"),
        ("/api/v1/due", "get"),
        ("/api/v1/due/team", "get"),
        ("/api/v1/marac", "get"),
        ("/api/v1/marac/meetings", "post"),
        ("/api/v1/marac/meetings/{id}", "get"),
        ("/api/v1/marac/meetings/{id}/agenda", "post"),
        ("/api/v1/marac/meetings/{id}/attendance", "put"),
        ("/api/v1/marac/referrals/{id}", "get"),
        ("/api/v1/marac/referrals/{id}/actions", "post"),
        ("/api/v1/marac/actions/{id}/status", "post"),
        ("/api/v1/programmes", "get"),
        ("/api/v1/programmes", "post"),
        ("/api/v1/programmes/demand", "get"),
        ("/api/v1/programmes/{key}/waiting", "get"),
        ("/api/v1/enrolments/{id}/waiting", "post"),
        ("/api/v1/cases/{id}/plan", "get"),
        ("/api/v1/cases/{id}/enrolments", "post"),
        ("/api/v1/enrolments/{id}", "get"),
        ("/api/v1/enrolments/{id}/change", "post"),
        ("/api/v1/enrolments/{id}/sessions", "post"),
        (
            "/api/v1/enrolments/{id}/sessions/{session}/attendance",
            "post",
        ),
        ("/api/v1/cases/{id}/idva-offers/{person}", "put"),
        ("/api/v1/partner-news/{id}/told", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }
    assert_eq!(
        paths
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        69,
        "undocumented extras or gaps"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    // And every documented operation is really served: an unknown route answers "No such API
    // endpoint", a real one answers anything else (here 401, as no token is sent).
    let client = reqwest::Client::new();
    for (path, ops) in paths {
        let concrete = path
            .replace("{id}", &uuid::Uuid::nil().to_string())
            .replace("{entry}", &uuid::Uuid::nil().to_string());
        for method in ops.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = client.request(m, t.url(&concrete)).send().await.unwrap();
            let body = r.text().await.unwrap();
            assert!(
                !body.contains("No such API endpoint"),
                "{method} {path} is documented but not served"
            );
        }
    }
}
