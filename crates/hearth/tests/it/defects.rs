//! Regression tests for the defects found when Hearth was tried from outside (issue 10): each
//! failed before its fix.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn field_of(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    (
        status,
        v["error"]["fields"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Item 7: an incident without the police can be recorded through the API; leaving the
/// question out is still refused.
#[tokio::test]
async fn an_incident_without_the_police_is_recorded_through_the_api() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let path = format!("/api/v1/people/{}/incidents", w.victim);
    let r = t
        .api_post(&idva, &path, &json!({"occurred_on": "2026-11-20", "police_called": false, "summary": "Shouting in the street", "submission_key": new_key()}))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = t
        .api_post(
            &idva,
            &path,
            &json!({"occurred_on": "2026-11-20", "summary": "x", "submission_key": new_key()}),
        )
        .await;
    assert_eq!(
        field_of(r).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "police_called".into())
    );
    let v: Value = t
        .api_get(&idva, &format!("/api/v1/people/{}/risk", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(v["incidents"][0]["police_called"], false);
}

/// Item 8: control characters are refused at the edge with 422 naming the field, on both
/// databases alike, so nothing gets stuck half-accepted.
#[tokio::test]
async fn control_characters_are_refused_at_the_edge_naming_the_field() {
    let t = spawn_app().await;
    let w = t.world().await;
    let referrer = t.token_for(w.org, w.staff["referrer"].0).await;
    let manager = t.token_for(w.org, w.staff["team_manager"].0).await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let cases = [
        (
            &referrer,
            "/api/v1/referrals",
            json!({"submission_key": new_key(), "given_name": "Zo\u{0}e", "family_name": "Q", "consent": "yes"}),
            "given_name",
        ),
        (
            &referrer,
            "/api/v1/referrals",
            json!({"submission_key": format!("{}\u{0}", new_key()), "given_name": "Zoe", "family_name": "Q"}),
            "submission_key",
        ),
        (
            &manager,
            "/api/v1/marac/meetings",
            json!({"held_on": "2026-11-30", "area": "North\u{0}shire"}),
            "area",
        ),
        (
            &idva,
            &format!("/api/v1/people/{}/incidents", w.victim),
            json!({"occurred_on": "2026-11-20", "police_called": true, "summary": "x\u{1b}[2J", "submission_key": new_key()}),
            "summary",
        ),
    ];
    for (token, path, body, field) in cases {
        let r = t.api_post(token, path, &body).await;
        assert_eq!(
            field_of(r).await,
            (StatusCode::UNPROCESSABLE_ENTITY, field.to_string()),
            "{path}"
        );
    }
    // A line break is text, not a control character to refuse.
    let r = t
        .api_post(&idva, &format!("/api/v1/people/{}/incidents", w.victim), &json!({"occurred_on": "2026-11-20", "police_called": true, "summary": "one\r\ntwo\tthree", "submission_key": new_key()}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Query strings and forms too.
    let r = t.api_get(&idva, "/api/v1/search?q=Zo%00e").await;
    assert_eq!(
        field_of(r).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "q".into())
    );
    let b = t.signed_in(&w.staff["idva"].1).await;
    let r = b
        .post(t.url(&format!("/cases/{}/entries", w.case)))
        .form(&[("kind", "note"), ("body", "a\u{0}b")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("body contains a control character"));
    // Nothing reached the triage queue.
    let q: Value = t
        .api_get(&manager, "/api/v1/referrals")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(q.as_array().unwrap().len(), 0);
}

/// A case referred to MARAC, ready for a meeting.
async fn referred_to_marac(t: &TestApp, w: &World) -> String {
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let r = t
        .api_post(&idva, &format!("/api/v1/people/{}/risk", w.victim), &json!({"instrument": "adult-risk", "answers": answers(18), "safe_to_talk": true, "submission_key": new_key()}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let proposal: Value = t
        .api_get(&idva, &format!("/api/v1/people/{}/marac", w.victim))
        .await
        .json()
        .await
        .unwrap();
    let mut referral = proposal["referral"].clone();
    referral["victim_knows"] = json!("yes");
    referral["victim_consented"] = json!("yes");
    referral["submission_key"] = json!(new_key());
    let r = t
        .api_post(
            &idva,
            &format!("/api/v1/people/{}/marac", w.victim),
            &referral,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Items 10 and 11: implausible dates are refused naming the field, and a meeting held today is
/// past for every MARAC figure and list alike.
#[tokio::test]
async fn marac_dates_are_plausible_and_today_counts_as_held_everywhere() {
    let t = spawn_app().await; // Monday 23 November 2026
    let w = t.world().await;
    let manager = t.token_for(w.org, w.staff["team_manager"].0).await;
    for held_on in ["1800-01-01", "2200-01-01", "2019-01-01"] {
        let r = t
            .api_post(
                &manager,
                "/api/v1/marac/meetings",
                &json!({"held_on": held_on, "area": "Northshire"}),
            )
            .await;
        assert_eq!(
            field_of(r).await,
            (StatusCode::UNPROCESSABLE_ENTITY, "held_on".into()),
            "{held_on}"
        );
    }
    let referral = referred_to_marac(&t, &w).await;
    // A meeting held before the referral was made cannot hear it.
    let r = t
        .api_post(
            &manager,
            "/api/v1/marac/meetings",
            &json!({"held_on": "2026-10-01", "area": "Northshire"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let earlier = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .api_post(
            &manager,
            &format!("/api/v1/marac/meetings/{earlier}/agenda"),
            &json!({"referral_id": referral}),
        )
        .await;
    assert_eq!(
        field_of(r).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "referral_id".into())
    );
    // Heard today.
    let r = t
        .api_post(
            &manager,
            "/api/v1/marac/meetings",
            &json!({"held_on": "2026-11-23", "area": "Northshire"}),
        )
        .await;
    let today = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .api_post(
            &manager,
            &format!("/api/v1/marac/meetings/{today}/agenda"),
            &json!({"referral_id": referral}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for due_on in ["1900-01-01", "2100-01-01"] {
        let r = t
            .api_post(&manager, &format!("/api/v1/marac/referrals/{referral}/actions"), &json!({"agency": "Police", "description": "Flag the address", "due_on": due_on, "submission_key": new_key()}))
            .await;
        assert_eq!(
            field_of(r).await,
            (StatusCode::UNPROCESSABLE_ENTITY, "due_on".into()),
            "{due_on}"
        );
    }
    let o: Value = t
        .api_get(&manager, "/api/v1/marac")
        .await
        .json()
        .await
        .unwrap();
    let listed = |list: &str| {
        o[list]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == today.as_str())
    };
    assert!(listed("past") && !listed("upcoming"), "{o}");
    let heard_at_meetings: i64 = o["past"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["cases"].as_i64().unwrap())
        .sum();
    assert_eq!(o["dashboard"]["heard"], 1);
    assert_eq!(heard_at_meetings, 1, "heard per meeting adds up to heard");
}

/// Item 9: bad query parameters and silently dropped input are errors that name the parameter,
/// in the API's JSON shape, and the OpenAPI document says where each parameter goes.
#[tokio::test]
async fn the_api_names_bad_parameters_and_documents_where_they_go() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin = t.token_for(w.org, w.staff["admin"].0).await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let referrer = t.token_for(w.org, w.staff["referrer"].0).await;
    let checks = [
        (
            &admin,
            "/api/v1/audit?limit=abc".to_string(),
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            &admin,
            "/api/v1/audit?limit=-1".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit",
        ),
        (
            &admin,
            "/api/v1/audit?limit=0".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit",
        ),
        (
            &admin,
            "/api/v1/audit?limit=100000".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit",
        ),
        (
            &idva,
            "/api/v1/search".to_string(),
            StatusCode::BAD_REQUEST,
            "q",
        ),
        (
            &idva,
            "/api/v1/search?q=...".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "q",
        ),
        (
            &idva,
            format!("/api/v1/cases/{}/timeline?kind=gossip", w.case),
            StatusCode::UNPROCESSABLE_ENTITY,
            "kind",
        ),
        (
            &idva,
            format!("/api/v1/cases/{}/timeline?person=nobody", w.case),
            StatusCode::BAD_REQUEST,
            "person",
        ),
    ];
    for (token, path, status, field) in checks {
        let r = t.api_get(token, &path).await;
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        assert_eq!(field_of(r).await, (status, field.to_string()), "{path}");
    }
    let r = t.api_get(&admin, "/api/v1/audit?limit=5").await;
    assert_eq!(r.status(), StatusCode::OK);

    // A fifth child is refused by name, not dropped.
    let r = t.api_post(&referrer, "/api/v1/referrals", &json!({
        "submission_key": new_key(), "referrer_name": "PC Hale", "referrer_agency": "police", "given_name": "Ann",
        "family_name": "Bell", "consent": "yes", "child1_name": "A Bell", "child2_name": "B Bell", "child3_name": "C Bell",
        "child4_name": "D Bell", "child5_name": "E Bell"
    })).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "child5_name"),
        "{v}"
    );

    let doc: Value = reqwest::get(t.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, names) in [
        ("/api/v1/audit", vec!["before", "actor", "limit"]),
        ("/api/v1/search", vec!["q"]),
        (
            "/api/v1/cases/{id}/timeline",
            vec!["person", "kind", "page"],
        ),
    ] {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        for name in names {
            let p = params
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{path} {name}"));
            assert_eq!(p["in"], "query", "{path} {name}");
        }
    }
}

/// Item 12: an incident recorded in the same second as the last assessment still brings the
/// reassessment forward to today.
#[tokio::test]
async fn an_incident_in_the_same_second_as_the_assessment_brings_reassessment_forward() {
    let t = spawn_app().await; // the clock stands still: both happen at 09:00:00
    let w = t.world().await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let risk = format!("/api/v1/people/{}/risk", w.victim);
    let r = t
        .api_post(&idva, &risk, &json!({"instrument": "adult-risk", "answers": answers(3), "safe_to_talk": true, "submission_key": new_key()}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .api_post(&idva, &format!("/api/v1/people/{}/incidents", w.victim), &json!({"occurred_on": "2026-11-23", "police_called": false, "summary": "Turned up at her work", "submission_key": new_key()}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = t.api_get(&idva, &risk).await.json().await.unwrap();
    assert_eq!(v["reassessment_due"], "2026-11-23", "{v}");
    assert_eq!(v["reassessment_reason"], "Reassess risk: new incident");
}

/// Item 13: the MARAC pre-fill shows safe times only for channels that are safe.
#[tokio::test]
async fn the_marac_prefill_gives_times_only_for_safe_channels() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let r = t
        .api_put(&idva, &format!("/api/v1/people/{}/contact", w.victim), &json!({"based_on": 0, "phone": "07700 900123",
            "phone_safety": "safe", "phone_when": "Weekdays 10-12", "text_safety": "not_safe", "text_when": "Weekdays 10-12"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = t
        .api_post(&idva, &format!("/api/v1/people/{}/risk", w.victim), &json!({"instrument": "adult-risk", "answers": answers(18), "safe_to_talk": true, "submission_key": new_key()}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = t
        .api_get(&idva, &format!("/api/v1/people/{}/marac", w.victim))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("Phone call: Safe (Weekdays 10-12)")
            || body.contains("Safe (Weekdays 10-12)"),
        "{body}"
    );
    assert!(!body.contains("Not safe (Weekdays"), "{body}");
}

/// Item 9: a body over the limit answers 413, in the API's error shape.
#[tokio::test]
async fn an_oversized_body_is_413() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = t
        .api_post(&idva, &format!("/api/v1/cases/{}/timeline", w.case), &json!({"kind": "note", "sensitivity": "ordinary", "body": huge, "submission_key": new_key()}))
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "too_large");
}

/// The team's due list was worked out from the 1,000 newest cases, so a large team's oldest
/// cases silently dropped off it. It now covers every open case the manager oversees, a page at
/// a time on the page and through the API.
#[tokio::test]
async fn the_team_due_list_covers_every_open_case_however_many() {
    use hearth_domain::access::CaseRole;
    let t = spawn_app().await;
    let w = t.world().await;
    t.families((w.org, w.idva_team), 1_100, |n| {
        let victim = (
            "Bulk".into(),
            format!("Family{n}"),
            CaseRole::VictimSurvivor,
        );
        (format!("BULK-{n:04}"), vec![victim])
    })
    .await;
    let token = t.token_for(w.org, w.staff["team_manager"].0).await;
    // The API gives the list fifty at a time, says how many there are in all, and has every
    // item on some page.
    let items = t.api_pages(&token, "/api/v1/due/team").await;
    let cases: std::collections::HashSet<&str> = items
        .iter()
        .filter_map(|i| i["case_reference"].as_str())
        .filter(|r| r.starts_with("BULK-"))
        .collect();
    assert_eq!(
        cases.len(),
        1_100,
        "every case's first risk assessment is on the list"
    );
    // The page shows it fifty at a time, with the whole count and the way to the rest.
    // Other agencies' MARAC actions are listed apart, not paged with the worker's own tasks.
    let total = items.iter().filter(|i| i["other_agency"] == false).count();
    let pages = total.div_ceil(50);
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let page = |n: &str| {
        let (t, manager) = (&t, &manager);
        let url = t.url(&format!("/team?page={n}"));
        async move { manager.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let first = page("1").await;
    assert!(
        first.contains(&format!("{total} items, most pressing first")),
        "{first}"
    );
    assert!(first.contains(&format!("Page 1 of {pages}")));
    assert!(first.contains("page=2"));
    let last = page("9999").await;
    assert!(
        last.contains(&format!("Page {pages} of {pages}")),
        "past the end is the last page"
    );
    assert!(page("x").await.contains(&format!("Page 1 of {pages}")));
}

/// A worker's caseload through the API came whole; it is paged like every other list, 50 to a
/// page with the total in `X-Total-Count`, and every case is on exactly one page.
#[tokio::test]
async fn the_api_caseload_comes_a_page_at_a_time_with_every_case_on_one_page() {
    use hearth_store::cases;
    let t = spawn_app().await;
    let w = t.world().await;
    let now = t.now();
    let mut tx = t.app.store.begin().await.unwrap();
    for n in 1..=55 {
        let case = cases::insert_case(&mut tx, now, w.org, w.idva_team, &format!("LOAD-{n:03}"))
            .await
            .unwrap();
        let allocation = cases::NewAllocation {
            org_id: w.org,
            case_id: case,
            person_id: None,
            worker_id: w.staff["idva"].0,
            by: None,
        };
        cases::allocate(&mut tx, now, allocation).await.unwrap();
    }
    tx.commit().await.unwrap();
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let seen: Vec<String> = t
        .api_pages(&token, "/api/v1/caseload")
        .await
        .iter()
        .map(|c| c["reference"].as_str().unwrap().to_string())
        .collect();
    assert!(seen.len() > 50, "the caseload runs to two pages");
    let loads: Vec<&String> = seen.iter().filter(|r| r.starts_with("LOAD-")).collect();
    assert_eq!(loads.len(), 55, "every allocated case is listed: {seen:?}");
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no case is on two pages");
}
