//! Organisations never see each other: every record of organisation B is a 404 to a user of A,
//! including to A's most powerful roles, and including changes, not only reads.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn every_record_of_another_organisation_is_not_found() {
    let t = spawn_app().await;
    let w = t.world().await;
    for key in ["service_manager", "admin"] {
        let token = t.token_for(w.org, w.staff[key].0).await;
        let b = t.signed_in(&w.staff[key].1).await;
        for path in [
            format!("/cases/{}", w.other_org_case),
            format!("/cases/{}/history", w.other_org_case),
            format!("/people/{}", w.other_org_person),
            format!("/people/{}/history", w.other_org_person),
            format!("/users/{}", w.other_org_user),
        ] {
            let api = t.api_get(&token, &format!("/api/v1{path}")).await;
            assert_eq!(api.status(), StatusCode::NOT_FOUND, "{key} API {path}");
            let body = api.text().await.unwrap();
            assert!(
                !body.contains("Southvale") && !body.contains("Nettlewick"),
                "{body}"
            );
        }
        for path in [
            format!("/cases/{}", w.other_org_case),
            format!("/people/{}", w.other_org_person),
            format!("/admin/users/{}", w.other_org_user),
        ] {
            let r = b.get(t.url(&path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{key} page {path}");
        }
    }
}

#[tokio::test]
async fn changes_to_another_organisations_records_are_not_found_and_change_nothing() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin_token = t.token_for(w.org, w.staff["admin"].0).await;
    let client = reqwest::Client::new();
    for action in ["disable", "reset-password"] {
        let r = client
            .post(t.url(&format!("/api/v1/users/{}/{action}", w.other_org_user)))
            .bearer_auth(&admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let b = t.signed_in(&w.staff["admin"].1).await;
    let page = format!("/admin/users/{}", w.staff["idva"].0);
    for action in ["disable", "reset-password", "reset-second-factor"] {
        let r = t
            .submit(
                &b,
                &page,
                &format!("/admin/users/{}/{action}", w.other_org_user),
                &[("confirm", "yes")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action}");
    }
    // Southvale's administrator can still sign in: nothing was changed.
    let sv = t.signed_in("admin@southvale.example").await;
    assert_eq!(
        sv.get(t.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    // And Southvale's tokens cannot be revoked from Northshire.
    let sv_token_id = hearth_app::tokens::create(
        &t.app,
        hearth_app::users::By::Command {
            org_id: w.other_org,
        },
        w.other_org_user,
        "feed",
    )
    .await
    .unwrap()
    .id;
    let r = t
        .submit(
            &b,
            "/admin/tokens",
            &format!("/admin/tokens/{sv_token_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// Search and triage find people by index tokens keyed by the organisation, among the index
/// rows filed under it, and check the organisation again where people are opened and their
/// cases resolved. Give a person of Southvale every token of a Northshire victim twice: filed
/// under Southvale (the 128-bit collision that cannot happen by chance) and filed under
/// Northshire (a row that could only be forged). Neither Northshire's search nor its triage
/// matching shows her.
#[tokio::test]
async fn another_organisations_person_holding_this_organisations_tokens_is_never_found() {
    let t = spawn_app().await;
    let w = t.world().await;
    let mut tx = t.app.store.begin().await.unwrap();
    for filed_under in [w.other_org, w.org] {
        let n = sqlx::query(
            "INSERT INTO person_index (org_id, token, person_id, field) \
             SELECT $1, token, $2, field FROM person_index WHERE person_id = $3",
        )
        .bind(filed_under.to_string())
        .bind(w.other_org_person.to_string())
        .bind(w.victim.to_string())
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
        assert!(n > 0, "the victim has index rows to copy");
    }
    tx.commit().await.unwrap();

    let manager = t.token_for(w.org, w.staff["service_manager"].0).await;
    let r = t
        .api_get(&manager, "/api/v1/search?q=Zo%C3%AB%20Quillfeather")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-total-count"], "1");
    let body = r.text().await.unwrap();
    assert!(body.contains(&w.victim.to_string()), "{body}");
    assert!(
        !body.contains(&w.other_org_person.to_string()) && !body.contains("Nettlewick"),
        "{body}"
    );

    let referrer = t.token_for(w.org, w.staff["idva"].0).await;
    let r = t
        .api_post(&referrer, "/api/v1/referrals", &serde_json::json!({
            "submission_key": new_key(), "referrer_name": "Ifeoma", "referrer_agency": "other",
            "referrer_email": "i@example.org", "given_name": "Zoë", "family_name": "Quillfeather",
            "address": "somewhere", "consent": "yes"
        }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .api_get(&manager, &format!("/api/v1/referrals/{id}"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let referral = r.text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&referral).unwrap();
    assert_eq!(v["matches"].as_array().unwrap().len(), 1, "{referral}");
    assert!(
        !referral.contains(&w.other_org_person.to_string()) && !referral.contains("Nettlewick"),
        "{referral}"
    );
}
