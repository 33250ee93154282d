//! Every route × every role × own case / team case / other team / other organisation, with the
//! expected answer written down in one table. Both the pages and the API are tried, because both
//! must give the same answer from the same policy.

use crate::common::*;
use futures_util::future::join_all;
use reqwest::StatusCode;

const A: u16 = 200; // allowed
const H: u16 = 404; // hidden: as if it did not exist
const F: u16 = 403; // forbidden: the function is not part of the role

/// Columns follow `ROLES`: admin, service manager, team manager (Idva team), Idva, children's
/// worker, Engage practitioner, group facilitator, peer-mentor coordinator, training coordinator,
/// evaluator, external referrer.
#[rustfmt::skip]
const MATRIX: &[(&str, [u16; 11])] = &[
    //                                  adm sm tm idva cyp eng gf pmc tc ev ext
    ("case (allocated)",               [H, A, A, A, A, A, H, H, H, H, H]),
    ("case (team, not allocated)",     [H, A, A, H, H, H, H, H, H, H, H]),
    ("case (other team)",              [H, A, H, H, H, H, H, H, H, H, H]),
    ("case (other organisation)",      [H, H, H, H, H, H, H, H, H, H, H]),
    ("case history (allocated)",       [H, A, A, H, H, H, H, H, H, H, H]),
    ("case history (other team)",      [H, A, H, H, H, H, H, H, H, H, H]),
    ("case history (other org)",       [H, H, H, H, H, H, H, H, H, H, H]),
    ("victim (allocated case)",        [H, A, A, A, A, A, H, H, H, H, H]),
    ("victim history",                 [H, A, A, H, H, H, H, H, H, H, H]),
    ("person causing harm",            [H, A, A, A, A, A, H, H, H, H, H]),
    ("child",                          [H, A, A, A, A, A, H, H, H, H, H]),
    ("person (other organisation)",    [H, H, H, H, H, H, H, H, H, H, H]),
    ("person history (other org)",     [H, H, H, H, H, H, H, H, H, H, H]),
    ("staff list",                     [A, A, A, F, F, F, F, F, F, F, F]),
    ("staff account (own org)",        [A, A, A, F, F, F, F, F, F, F, F]),
    ("staff account (other org)",      [H, H, H, F, F, F, F, F, F, F, F]),
    ("audit trail",                    [A, A, F, F, F, F, F, F, F, F, F]),
    ("triage queue",                   [F, A, A, F, F, F, F, F, F, F, F]),
    ("case timeline (allocated)",      [H, A, A, A, A, A, H, H, H, H, H]),
    ("victim risk",                    [H, A, A, A, A, F, H, H, H, H, H]),
    ("victim safety plan",             [H, A, A, A, A, F, H, H, H, H, H]),
    ("victim MARAC proposal",          [H, A, A, A, A, F, H, H, H, H, H]),
    ("person causing harm risk",       [H, A, A, A, A, A, H, H, H, H, H]),
    ("risk (other organisation)",      [H, H, H, H, H, H, H, H, H, H, H]),
    ("MARAC overview",                 [F, A, A, F, F, F, F, F, F, F, F]),
    ("instruments",                    [A, A, F, F, F, F, F, F, F, F, F]),
];

/// (page path, API path) for each row.
fn paths(w: &World) -> Vec<(String, String)> {
    let rows = [
        format!("/cases/{}", w.case),
        format!("/cases/{}", w.team_case),
        format!("/cases/{}", w.other_team_case),
        format!("/cases/{}", w.other_org_case),
        format!("/cases/{}/history", w.case),
        format!("/cases/{}/history", w.other_team_case),
        format!("/cases/{}/history", w.other_org_case),
        format!("/people/{}", w.victim),
        format!("/people/{}/history", w.victim),
        format!("/people/{}", w.perpetrator),
        format!("/people/{}", w.child),
        format!("/people/{}", w.other_org_person),
        format!("/people/{}/history", w.other_org_person),
    ];
    let mut out: Vec<(String, String)> = rows
        .iter()
        .map(|p| (p.clone(), format!("/api/v1{p}")))
        .collect();
    out.push(("/admin/users".into(), "/api/v1/users".into()));
    out.push((
        format!("/admin/users/{}", w.staff["idva"].0),
        format!("/api/v1/users/{}", w.staff["idva"].0),
    ));
    out.push((
        format!("/admin/users/{}", w.other_org_user),
        format!("/api/v1/users/{}", w.other_org_user),
    ));
    out.push(("/audit".into(), "/api/v1/audit".into()));
    out.push(("/triage".into(), "/api/v1/referrals".into()));
    out.push((
        format!("/cases/{}?kind=note", w.case),
        format!("/api/v1/cases/{}/timeline", w.case),
    ));
    for p in [
        format!("/people/{}/risk", w.victim),
        format!("/people/{}/safety-plan", w.victim),
    ] {
        out.push((p.clone(), format!("/api/v1{p}")));
    }
    out.push((
        format!("/people/{}/marac/new", w.victim),
        format!("/api/v1/people/{}/marac", w.victim),
    ));
    for p in [
        format!("/people/{}/risk", w.perpetrator),
        format!("/people/{}/risk", w.other_org_person),
    ] {
        out.push((p.clone(), format!("/api/v1{p}")));
    }
    out.push(("/marac".into(), "/api/v1/marac".into()));
    out.push(("/admin/instruments".into(), "/api/v1/instruments".into()));
    out
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    let t = spawn_app().await;
    let w = t.world().await;
    let paths = paths(&w);
    assert_eq!(paths.len(), MATRIX.len());
    let mut failures = Vec::new();
    for (col, (key, role)) in ROLES.iter().enumerate() {
        let (user_id, email) = &w.staff[key];
        let token = t.token_for(w.org, *user_id).await;
        let browser = t.signed_in(email).await;
        let checks = MATRIX
            .iter()
            .zip(&paths)
            .map(|((row, expected), (page, api))| {
                let (t, token, browser) = (&t, &token, &browser);
                async move {
                    let api_status = t.api_get(token, api).await.status().as_u16();
                    let page_status = browser
                        .get(t.url(page))
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    (row, expected[col], api_status, page_status)
                }
            });
        for (row, expected, api_status, page_status) in join_all(checks).await {
            if api_status != expected || page_status != expected {
                failures.push(format!("{role:?} / {row}: expected {expected}, API gave {api_status}, page gave {page_status}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "access matrix broken:\n{}",
        failures.join("\n")
    );
}

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

/// Lists are scoped in SQL; single records through `access::resolve`. The two must agree for
/// every role, or a list could name a case its page hides (or hide one its page shows).
/// Break-glass opens one case and does not add it to lists, so it is tried without.
#[tokio::test]
async fn lists_scoped_in_sql_agree_with_the_one_rule() {
    use hearth_domain::access::Decision;
    use hearth_store::{access, cases, users};
    let t = spawn_app().await;
    let w = t.world().await;
    let ids = [w.case, w.team_case, w.other_team_case, w.other_org_case];
    let mut conn = t.app.store.conn().await.unwrap();
    let mut checked = 0;
    for (key, (_, email)) in &w.staff {
        let actor = users::by_email(&mut conn, email)
            .await
            .unwrap()
            .unwrap()
            .actor();
        let resolved = access::resolve(&mut conn, &actor, &ids).await.unwrap();
        let listed: Vec<_> = cases::visible(&mut conn, &actor, 500)
            .await
            .unwrap()
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
