//! What the route matrix (`route_matrix.rs`) cannot see from status codes alone: that a hidden
//! record answers exactly like a missing one, and that lists hold only what the policy allows.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn hidden_records_look_exactly_like_missing_ones() {
    let t = spawn_app().await;
    let w = t.world().await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let hidden = t
        .api_get(&token, &format!("/api/v1/cases/{}", w.team_case))
        .await;
    let missing = t
        .api_get(
            &token,
            &format!("/api/v1/cases/{}", uuid::Uuid::from_u128(rand::random())),
        )
        .await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    assert_eq!(hidden.text().await.unwrap(), missing.text().await.unwrap());

    let b = t.signed_in(&w.staff["idva"].1).await;
    let hidden = b
        .get(t.url(&format!("/cases/{}", w.team_case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let missing = b
        .get(t.url(&format!("/cases/{}", uuid::Uuid::from_u128(rand::random()))))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hidden, missing);
    assert!(
        !hidden.contains("Marrowdene"),
        "no trace of the hidden family"
    );
}

#[tokio::test]
async fn lists_show_only_what_the_policy_allows() {
    let t = spawn_app().await;
    let w = t.world().await;
    let refs = |body: serde_json::Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|c| c["reference"].as_str().unwrap().to_string())
            .collect()
    };
    let expect = [
        ("service_manager", vec!["NS-0001", "NS-0002", "NS-0003"]),
        ("team_manager", vec!["NS-0001", "NS-0002"]),
        ("idva", vec!["NS-0001"]),
        ("engage", vec!["NS-0001"]),
        ("admin", vec![]),
        ("evaluator", vec![]),
    ];
    for (key, want) in expect {
        let token = t.token_for(w.org, w.staff[key].0).await;
        let mut got = refs(
            t.api_get(&token, "/api/v1/cases")
                .await
                .json()
                .await
                .unwrap(),
        );
        got.sort();
        assert_eq!(got, want, "{key}");
    }
    let token = t
        .token_for(w.other_org, w.staff["other_org_manager"].0)
        .await;
    assert_eq!(
        refs(
            t.api_get(&token, "/api/v1/cases")
                .await
                .json()
                .await
                .unwrap()
        ),
        vec!["SV-0001"]
    );
}

/// A list puts its candidates to `access::resolve`, the rule that opens single records, so it
/// cannot name a case the rule hides. Its SQL only narrows the candidates, and this checks it
/// never narrows away a case the rule lets the actor open, for every role. Break-glass opens one
/// case and does not add it to lists, so it is tried without.
#[tokio::test]
async fn lists_show_exactly_what_the_one_rule_allows() {
    use hearth_domain::access::Decision;
    use hearth_store::{access, cases, users};
    let t = spawn_app().await;
    let w = t.world().await;
    let ids = [w.case, w.team_case, w.other_team_case, w.other_org_case];
    let mut conn = t.app.store.work(t.now()).await.unwrap();
    let mut checked = 0;
    for (key, (_, email)) in &w.staff {
        let actor = users::by_email(&mut conn, email)
            .await
            .unwrap()
            .unwrap()
            .actor();
        let resolved = access::resolve(&mut conn, &actor, &ids).await.unwrap();
        let listed: Vec<_> =
            cases::visible(&mut conn, &actor, hearth_domain::paging::Page::first(500))
                .await
                .unwrap()
                .cases
                .into_iter()
                .map(|c| c.id)
                .filter(|id| ids.contains(id))
                .collect();
        for id in ids {
            let allowed = resolved
                .get(&id)
                .is_some_and(|a| a.decision == Decision::Allow);
            assert_eq!(listed.contains(&id), allowed, "{key}: case {id}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "every role was tried: {checked}");
}
