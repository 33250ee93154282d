//! Referrals in (public form, phone, API) and triage: matches, accept, signpost, decline.

use crate::common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn referral_fields(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("submission_key", key),
        ("referrer_kind", "self"),
        ("given_name", "Zoe"),
        ("family_name", "Quillfeather"),
        ("date_of_birth", "01/04/1990"),
        ("phone", "07700 900777"),
        ("safe_to_phone", "not_safe"),
        ("safe_to_text", "safe"),
        ("safe_times", "Mornings only"),
        ("harm_given_name", "Darren"),
        ("harm_family_name", "Quillfeather"),
        ("harm_relationship", "ex-partner"),
        ("child1_name", "Alfie Quillfeather"),
        ("child1_dob", "30/09/2017"),
        ("dash_score", "15"),
        ("consent", "yes"),
    ]
}

/// Fill in the public form as a browser would; returns the response.
async fn refer(t: &TestApp, b: &Client, fields: &[(&str, &str)]) -> reqwest::Response {
    let html = b
        .get(t.url("/refer/northshire"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html);
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(t.url("/refer/northshire"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn public_referral_to_triage_with_a_match_and_accepted_into_the_reopened_case() {
    let t = spawn_app().await;
    let w = t.world().await;
    // The family's earlier case has been closed.
    let mut conn = t.app.store.write_conn().await.unwrap();
    sqlx::query("UPDATE cases SET status = 'closed', closed_at = 1 WHERE id = $1")
        .bind(w.case.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);

    // The public form: a quick exit, and nothing personal in the address or title.
    let b = browser();
    let html = b
        .get(t.url("/refer/northshire"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-quick-exit") && html.contains("Leave this page"));
    assert!(
        html.contains("<script src=\"/static/quick-exit.js\""),
        "the quick exit script is our own file"
    );
    assert!(html.contains("browsing history"), "honest about history");
    let key = new_key();
    let r = refer(&t, &b, &referral_fields(&key)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.url().path(), "/refer/northshire");
    let html = r.text().await.unwrap();
    assert!(html.contains("Request sent") && html.contains("R2026-00001"));
    assert!(html.contains("What happens next"));
    let title = html
        .split("<title>")
        .nth(1)
        .unwrap()
        .split("</title>")
        .next()
        .unwrap();
    assert!(!title.contains("Zoe") && !title.contains("Quillfeather"));
    // Sent twice (a double click): still one referral.
    let again = refer(&t, &b, &referral_fields(&key))
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("R2026-00001"));

    // Triage: the team manager sees it waiting, oldest first.
    t.clock.advance(time::Duration::hours(26));
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let html = manager
        .get(t.url("/triage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("R2026-0000").count(),
        1,
        "one referral, not two"
    );
    assert!(html.contains("Zoe Quillfeather") && html.contains("1 day, 2 hours"));
    let id = html
        .split("/triage/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    let page = format!("/triage/{id}");
    let html = manager
        .get(t.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Possible matches"));
    assert!(html.contains("Person referred</strong> may be") && html.contains("NS-0001"));
    assert!(html.contains("same date of birth"), "says why it matched");
    assert!(
        html.contains("Child 1</strong> may be"),
        "children are matched too"
    );

    // Accept into the existing, closed case, as the same person.
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[
                ("decision", "accept"),
                ("case_id", &w.case.to_string()),
                ("person_id", &w.victim.to_string()),
                ("team_id", ""),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(location(&r), format!("/cases/{}?done=accepted", w.case));
    let html = manager
        .get(t.url(&format!("/cases/{}", w.case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<dd>Open</dd>"), "re-opened");
    assert!(html.contains("Re-referral R2026-00001 accepted"));
    let people = html
        .split("id=\"people\"")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .unwrap();
    assert_eq!(
        people.matches("Quillfeather</a>").count(),
        3,
        "nobody added twice: {people}"
    );
    // The referral's contact details and safe contact arrangements are carried across.
    let token = t.token_for(w.org, w.staff["team_manager"].0).await;
    let v: Value = t
        .api_get(&token, &format!("/api/v1/people/{}/contact", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["details"]["phone"], "07700 900777");
    assert_eq!(v["details"]["arrangements"][0]["safety"], "not_safe");
    assert_eq!(v["details"]["arrangements"][1]["when"], "Mornings only");

    // Deciding again is refused, and the queue is empty.
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[("decision", "signpost"), ("signposted_to", "Elsewhere")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("already accepted by someone else"));
    let html = manager
        .get(t.url("/triage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("No referrals are waiting"));

    let rows = t.audit_rows().await;
    for action in ["referral.receive", "referral.view", "referral.accept"] {
        assert!(rows.iter().any(|r| r.1 == action), "{action}");
    }
}

#[tokio::test]
async fn matches_are_shown_only_at_the_level_the_user_may_see() {
    let t = spawn_app().await;
    let w = t.world().await;
    let referrer = t.token_for(w.org, w.staff["idva"].0).await;
    // Kyle Sallowmere is in the Engage team's case, which the Idva team's manager cannot open.
    let r = t.api_post(&referrer, "/api/v1/referrals", &json!({
            "submission_key": new_key(), "referrer_name": "Ifeoma", "referrer_agency": "other", "referrer_email": "i@example.org",
            "given_name": "Kyle", "family_name": "Sallowmere", "address": "somewhere", "consent": "yes"
        })).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let tm = t.token_for(w.org, w.staff["team_manager"].0).await;
    let v: Value = t
        .api_get(&tm, &format!("/api/v1/referrals/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["matches"][0]["reasons"][0], "same name");
    assert!(
        v["matches"][0]["person_id"].is_null(),
        "no identity from a case they cannot open"
    );
    assert_eq!(v["matches"][0]["case_ids"].as_array().unwrap().len(), 0);
    let b = t.signed_in(&w.staff["team_manager"].1).await;
    let html = b
        .get(t.url(&format!("/triage/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("someone in a case you cannot open"));
    assert!(!html.contains("NS-0003"));

    let sm = t.token_for(w.org, w.staff["service_manager"].0).await;
    let v: Value = t
        .api_get(&sm, &format!("/api/v1/referrals/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["matches"][0]["case_ids"][0],
        w.other_team_case.to_string()
    );

    // Workers cannot triage; other organisations cannot see it at all.
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    assert_eq!(
        t.api_get(&idva, "/api/v1/referrals").await.status(),
        StatusCode::FORBIDDEN
    );
    let other = t
        .token_for(w.other_org, w.staff["other_org_manager"].0)
        .await;
    assert_eq!(
        t.api_get(&other, &format!("/api/v1/referrals/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_referral_accepted_into_a_new_case_places_each_person_with_their_role() {
    let t = spawn_app().await;
    let w = t.world().await;
    let referrer = t.token_for(w.org, w.staff["referrer"].0).await;
    let r = t.api_post(&referrer, "/api/v1/referrals", &json!({
            "submission_key": new_key(), "referrer_name": "PC Dawn Hale", "referrer_agency": "police", "referrer_phone": "01632 960001",
            "given_name": "Priya", "family_name": "Larkspurrow", "date_of_birth": "1985-02-03", "phone": "07700 900555",
            "safe_to_phone": "safe", "harm_given_name": "Ravi", "harm_family_name": "Larkspurrow",
            "child1_name": "Mia Larkspurrow", "child1_dob": "2015-06-01", "other_adults": "Asha Larkspurrow\n",
            "consent": "no", "consent_notes": "High risk: police attended twice this month"
        })).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tm = t.token_for(w.org, w.staff["team_manager"].0).await;
    let queue: Value = t
        .api_get(&tm, "/api/v1/referrals")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue[0]["source"], "api");
    assert_eq!(queue[0]["referrer_agency"], "police");

    let r = t
        .api_post(
            &tm,
            &format!("/api/v1/referrals/{id}/decision"),
            &json!({"decision": "accept", "team_id": w.idva_team}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let case_id = r.json::<Value>().await.unwrap()["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    let case: Value = t
        .api_get(&tm, &format!("/api/v1/cases/{case_id}"))
        .await
        .json()
        .await
        .unwrap();
    let roles: Vec<(String, String)> = case["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["given_name"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("Priya".into(), "victim_survivor".into()),
            ("Ravi".into(), "person_causing_harm".into()),
            ("Mia".into(), "child_or_young_person".into()),
            ("Asha".into(), "other_adult".into())
        ]
    );
    assert!(case["case"]["reference"]
        .as_str()
        .unwrap()
        .starts_with("C2026-"));
}

#[tokio::test]
async fn the_public_form_resists_robots_and_floods_and_names_bad_fields() {
    let t = spawn_app().await;
    t.world().await;
    let b = browser();
    let key = new_key();
    let mut robot = referral_fields(&key);
    robot.push(("website", "http://spam.example"));
    let r = refer(&t, &b, &robot).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("please phone us instead"));

    let r = refer(
        &t,
        &b,
        &[
            ("submission_key", &new_key()),
            ("given_name", "Zoë"),
            ("family_name", ""),
            ("date_of_birth", "01/01/2031"),
            ("consent", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for field in ["family_name", "date_of_birth", "phone", "consent"] {
        assert!(html.contains(&format!("href=\"#{field}\"")), "{field}");
    }
    assert!(html.contains("value=\"Zoë\""), "typed name kept");
    assert!(html.contains("value=\"01/01/2031\""));

    for _ in 0..5 {
        let key = new_key();
        assert_eq!(
            refer(&t, &b, &referral_fields(&key)).await.status(),
            StatusCode::OK
        );
    }
    let key = new_key();
    let r = refer(&t, &b, &referral_fields(&key)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Please phone us instead"));
}

#[tokio::test]
async fn signposting_and_declining_are_recorded_with_reasons() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    // A referral taken by phone.
    let html = idva
        .get(t.url("/referrals/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key = html
        .split("name=\"submission_key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mut ids = Vec::new();
    for n in 0..2 {
        let key = if n == 0 { key.clone() } else { new_key() };
        let mut fields = referral_fields(&key);
        fields.retain(|(k, _)| *k != "referrer_kind");
        let r = t
            .submit(&idva, "/referrals/new", "/referrals", &fields)
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("Referral recorded"), "{html}");
        ids.push(
            html.split("/triage/")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string(),
        );
    }
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let page = format!("/triage/{}", ids[0]);
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[("decision", "signpost"), ("signposted_to", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[
                ("decision", "signpost"),
                ("signposted_to", "Victim Support"),
                ("note", "Lives in Eastmoor"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/triage");

    let page = format!("/triage/{}", ids[1]);
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[
                ("decision", "decline"),
                ("reason", ""),
                ("decline_note", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("href=\"#reason\"") && html.contains("href=\"#decline_note\""));
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[
                ("decision", "decline"),
                ("reason", "duplicate"),
                ("decline_note", "Same as the one signposted today"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/triage");
    let html = manager
        .get(t.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Declined by Test team_manager")
            && html.contains("Same as the one signposted today")
    );
    let rows = t.audit_rows().await;
    assert!(
        rows.iter().any(|r| r.1 == "referral.signpost")
            && rows.iter().any(|r| r.1 == "referral.decline")
    );
}

/// The journey the issue names, end to end over HTTP.
#[tokio::test]
async fn the_whole_journey_from_public_referral_to_closure() {
    let t = spawn_app().await;
    let w = t.world().await;
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let case_page = format!("/cases/{}", w.case);
    // The family's earlier case was closed a while ago.
    t.submit(
        &manager,
        &case_page,
        &format!("{case_page}/close"),
        &[("exit_reason", "risk_reduced")],
    )
    .await;
    t.clock.advance(time::Duration::days(90));
    let manager = t.signed_in(&w.staff["team_manager"].1).await;

    // 1. A public self-referral.
    let key = new_key();
    let html = refer(&t, &browser(), &referral_fields(&key))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Request sent"));

    // 2. Triage finds the match.
    let queue = manager
        .get(t.url("/triage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = queue
        .split("/triage/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let page = format!("/triage/{id}");
    let html = manager
        .get(t.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("NS-0001 (closed)"), "{html}");

    // 3. Accepted into the re-opened case.
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[
                ("decision", "accept"),
                ("case_id", &w.case.to_string()),
                ("person_id", &w.victim.to_string()),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("{case_page}?done=accepted"));

    // 4. Allocated to an Idva.
    let r = t
        .submit(
            &manager,
            &case_page,
            &format!("{case_page}/allocations"),
            &[
                ("worker_id", &w.staff["idva2"].0.to_string()),
                ("person_id", &w.victim.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // 5. A contact and a note by the Idva.
    let idva = t.signed_in(&w.staff["idva2"].1).await;
    let home = idva
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("NS-0001"), "on her caseload");
    let victim = w.victim.to_string();
    let html = idva
        .get(t.url(&format!("{case_page}/entries/new")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let submission = html
        .split("name=\"submission_key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = t
        .submit(
            &idva,
            &format!("{case_page}/entries/new"),
            &format!("{case_page}/entries"),
            &[
                ("submission_key", &submission),
                ("kind", "contact"),
                ("sensitivity", "ordinary"),
                ("person_id", &victim),
                ("contact_method", "text"),
                ("contact_outcome", "spoke"),
                ("body", "Texted at the safe time; she called back"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = idva
        .get(t.url(&format!("{case_page}/entries/new")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let submission = html
        .split("name=\"submission_key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    t.submit(
        &idva,
        &format!("{case_page}/entries/new"),
        &format!("{case_page}/entries"),
        &[
            ("submission_key", &submission),
            ("kind", "note"),
            ("sensitivity", "sensitive"),
            ("person_id", &victim),
            ("body", "Disclosed a new threat on Monday"),
        ],
    )
    .await;

    // 6. The note is corrected.
    let token = t.token_for(w.org, w.staff["idva2"].0).await;
    let timeline: Value = t
        .api_get(
            &token,
            &format!("/api/v1/cases/{}/timeline?kind=note", w.case),
        )
        .await
        .json()
        .await
        .unwrap();
    let note = timeline[0]["id"].as_str().unwrap().to_string();
    let correct = format!("{case_page}/entries/{note}/correct");
    let r = t
        .submit(
            &idva,
            &correct,
            &correct,
            &[("body", "Disclosed a new threat on Sunday evening")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let timeline: Value = t
        .api_get(
            &token,
            &format!("/api/v1/cases/{}/timeline?kind=note", w.case),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(timeline[0]["versions"].as_array().unwrap().len(), 2);

    // 7. Closed again.
    let r = t
        .submit(
            &manager,
            &case_page,
            &format!("{case_page}/close"),
            &[("exit_reason", "goals_met")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = manager
        .get(t.url(&case_page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<dd>Closed</dd>"));
    for text in [
        "Re-referral R2027-00001 accepted",
        "Texted at the safe time",
        "Sunday evening",
        "Case closed: Goals met.",
    ] {
        assert!(html.contains(text), "timeline shows {text}");
    }
    let (code, out) = {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
            .args(["audit", "verify"])
            .env("HEARTH_DATABASE_URL", &t.database_url)
            .env("HEARTH_KEY_FILE", &t.key_file)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn first_contact_is_due_by_risk_and_stands_out_when_overdue() {
    let t = spawn_app().await; // Monday 23 November 2026, 09:00
    let w = t.world().await;
    let key = new_key();
    refer(&t, &browser(), &referral_fields(&key)).await; // risk checklist score 15: high risk
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let queue = manager
        .get(t.url("/triage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = queue
        .split("/triage/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let page = format!("/triage/{id}");
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[
                ("decision", "accept"),
                ("team_id", &w.idva_team.to_string()),
            ],
        )
        .await;
    let landed = location(&r);
    let case_page = landed.trim_end_matches("?done=accepted").to_string();
    let victim: Value = {
        let token = t.token_for(w.org, w.staff["team_manager"].0).await;
        t.api_get(&token, &format!("/api/v1{case_page}"))
            .await
            .json()
            .await
            .unwrap()
    };
    let person = victim["members"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    t.submit(
        &manager,
        &case_page,
        &format!("{case_page}/allocations"),
        &[
            ("worker_id", &w.staff["idva2"].0.to_string()),
            ("person_id", &person),
        ],
    )
    .await;

    let idva = t.signed_in(&w.staff["idva2"].1).await;
    let home = idva
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Due by 24 November 2026"),
        "high risk: one working day: {home}"
    );
    let token = t.token_for(w.org, w.staff["idva2"].0).await;
    let caseload: Value = t
        .api_get(&token, "/api/v1/caseload")
        .await
        .json()
        .await
        .unwrap();
    let this = caseload
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["first_contact"].is_string())
        .unwrap();
    assert_eq!(this["first_contact"], "due");

    // A day and a bit later, nobody has reached her: it stands out for the worker and the manager.
    t.clock.advance(time::Duration::hours(25));
    let idva = t.signed_in(&w.staff["idva2"].1).await;
    let home = idva
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("2 things are overdue"),
        "the first contact and, with it, the first risk assessment"
    );
    assert!(home.contains("First contact with"));
    assert!(
        home.contains("row--alert") && home.contains("Overdue</strong> since 24 November 2026")
    );
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let list = manager
        .get(t.url("/cases"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("1 first contact is overdue"));
    let first_row = list
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(first_row.contains("Overdue"), "overdue cases come first");

    // An attempt does not count; speaking with her does, and says it was late. (By text: her
    // referral says phone calls are not safe, and a call would need a reason.)
    for (outcome, expect) in [("no_answer", "overdue"), ("spoke", "made_late")] {
        let r = t.api_post(&token, &format!("/api/v1{case_page}/timeline"), &json!({"kind": "contact", "sensitivity": "ordinary", "person_id": person, "contact_method": "text",
                          "contact_outcome": outcome, "body": "", "submission_key": new_key()})).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let caseload: Value = t
            .api_get(&token, "/api/v1/caseload")
            .await
            .json()
            .await
            .unwrap();
        let this = caseload
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["first_contact"].is_string())
            .unwrap();
        assert_eq!(this["first_contact"], expect, "after {outcome}");
    }
}

/// The id of the first referral waiting in the manager's triage queue.
async fn first_waiting(manager: &Client, t: &TestApp) -> (String, String) {
    let queue = manager
        .get(t.url("/triage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = queue
        .split("/triage/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    (id, queue)
}

#[tokio::test]
async fn accepting_a_referral_lands_where_the_case_can_be_followed() {
    let t = spawn_app().await;
    let w = t.world().await;
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    refer(&t, &browser(), &referral_fields(&new_key())).await;

    // The referrer said 15 of 24: flagged as high risk in the queue, in words.
    let (id, queue) = first_waiting(&manager, &t).await;
    assert!(queue.contains("High risk"), "{queue}");
    let page = format!("/triage/{id}");
    let html = manager
        .get(t.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("not_safe"), "no raw codes: {html}");
    assert!(html.contains("Not safe / Safe"));
    // "Engage" comes first in the alphabet; her own team is offered first, and chosen.
    let own = format!("<option value=\"{}\" selected>Idva</option>", w.idva_team);
    let select = html.split("name=\"team_id\">").nth(1).unwrap();
    assert!(select.starts_with(&own), "{select}");
    let engage_team = select
        .split("\">Engage<")
        .next()
        .unwrap()
        .rsplit("value=\"")
        .next()
        .unwrap()
        .to_string();

    // Accepted as the form stands: she lands on the new case, told it worked, with the
    // allocation right there and her own team's workers first.
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[
                ("decision", "accept"),
                ("team_id", &w.idva_team.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let landed = location(&r);
    assert!(
        landed.starts_with("/cases/") && landed.ends_with("?done=accepted"),
        "{landed}"
    );
    let case = manager
        .get(t.url(&landed))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case.contains("Referral accepted"), "{case}");
    assert!(case.contains("role=\"alert\""));
    let workers = case.split("name=\"worker_id\">").nth(1).unwrap();
    let (idva, engage) = (
        workers.find("Test idva").unwrap(),
        workers.find("Test engage").unwrap(),
    );
    assert!(idva < engage, "own team first: {workers}");
    // Allocating from there says so too.
    let case_path = landed.trim_end_matches("?done=accepted").to_string();
    let r = t
        .submit(
            &manager,
            &landed,
            &format!("{case_path}/allocations"),
            &[
                ("worker_id", &w.staff["idva"].0.to_string()),
                ("person_id", ""),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("{case_path}?done=allocated"));
    let case = manager
        .get(t.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case.contains("Worker allocated."));

    // Accepted into another team, whose cases she cannot open: told so, not "Page not found".
    refer(&t, &browser(), &referral_fields(&new_key())).await;
    let (id, _) = first_waiting(&manager, &t).await;
    let page = format!("/triage/{id}");
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[("decision", "accept"), ("team_id", &engage_team)],
        )
        .await;
    assert_eq!(location(&r), "/triage?done=accepted_elsewhere");
    let queue = manager
        .get(t.url("/triage?done=accepted_elsewhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), StatusCode::OK);
    assert!(queue
        .text()
        .await
        .unwrap()
        .contains("accepted into a new case for another team"));

    // A banner says only what Hearth says: a code it does not know shows nothing.
    let html = manager
        .get(t.url("/triage?done=%3Cscript%3E"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("notice--success"));
}
