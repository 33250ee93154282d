//! Risk assessment, safety plans, MARAC and the due list: the whole path on each database,
//! the bad input the issue names, and the firewall around all of it.

use crate::common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// Checklist fields for the page with `yes` answers to the first `yes` questions.
fn checklist_fields(yes: usize) -> Vec<(String, String)> {
    adult_questions()
        .into_iter()
        .enumerate()
        .map(|(n, id)| {
            (
                format!("q_{id}"),
                if n < yes { "yes" } else { "no" }.to_string(),
            )
        })
        .collect()
}

fn submission_key_in(html: &str) -> String {
    let marker = "name=\"submission_key\" value=\"";
    let start = html.find(marker).expect("a submission key") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// Fill in the checklist page and send it, as the worker would.
async fn assess_on_page(
    t: &TestApp,
    b: &Client,
    person: Uuid,
    yes: usize,
    extra: &[(&str, &str)],
) -> (reqwest::Response, String) {
    let form_path = format!("/people/{person}/risk/new?instrument=adult-risk");
    let (status, html) = page(b, t, &form_path).await;
    assert_eq!(status, StatusCode::OK);
    let key = submission_key_in(&html);
    let csrf = csrf_in(&html);
    let answers = checklist_fields(yes);
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("instrument", "adult-risk"),
        ("submission_key", &key),
        ("safe_to_talk", "yes"),
    ];
    form.extend(answers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    form.extend_from_slice(extra);
    let r = b
        .post(t.url(&format!("/people/{person}/risk")))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r, key)
}

fn created_id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

#[tokio::test]
async fn high_risk_to_marac_to_an_overdue_action_and_a_repeat() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let idva_token = t.token_for(w.org, w.staff["idva"].0).await;

    // Safe contact details, so the referral can be filled in from the case.
    let r = t
        .api_put(
            &idva_token,
            &format!("/api/v1/people/{}/contact", w.victim),
            &json!({"based_on": 0, "phone": "07700 900123", "phone_safety": "safe",
                    "phone_when": "Weekdays 10 to 2", "address": "1 Birch Row", "postcode": "NS1 2AB",
                    "confidential_address": "yes"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    // Before any assessment, one falls due: the first.
    let due: Value = t
        .api_get(&idva_token, "/api/v1/due")
        .await
        .json()
        .await
        .unwrap();
    assert!(due
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "risk_assessment" && i["person_id"] == w.victim.to_string()));

    // The checklist scores 15: high. Sent twice by a double-click, it is stored once.
    let (r, key) = assess_on_page(&t, &idva, w.victim, 15, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let csrf = {
        let (_, html) = page(&idva, &t, &format!("/people/{}/risk", w.victim)).await;
        csrf_in(&html)
    };
    let again = checklist_fields(15);
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("instrument", "adult-risk"),
        ("submission_key", &key),
        ("safe_to_talk", "yes"),
    ];
    form.extend(again.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = idva
        .post(t.url(&format!("/people/{}/risk", w.victim)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let risk: Value = t
        .api_get(&idva_token, &format!("/api/v1/people/{}/risk", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        risk["assessments"].as_array().unwrap().len(),
        1,
        "stored once"
    );
    assert_eq!(risk["current_level"], "high");
    assert_eq!(risk["assessments"][0]["yes_count"], 15);
    assert_eq!(risk["assessments"][0]["instrument_version"], 1);
    assert_eq!(risk["marac_proposed"], json!(["visible_high_risk"]));

    // The page proposes MARAC; the case and caseload show the level, who set it and when.
    let (_, html) = page(&idva, &t, &format!("/people/{}/risk", w.victim)).await;
    assert!(html.contains("MARAC referral proposed"));
    assert!(html.contains("Visible high risk"));
    let (_, case_page) = page(&idva, &t, &format!("/cases/{}", w.case)).await;
    assert!(case_page.contains("High risk") && case_page.contains("Set by Test idva"));
    let (_, home) = page(&idva, &t, "/").await;
    assert!(
        home.contains("Test idva, 23 November 2026"),
        "who set the level and when"
    );
    // The level change is on the timeline.
    let (_, timeline) = page(&idva, &t, &format!("/cases/{}", w.case)).await;
    assert!(timeline.contains("Risk level set: high"));

    // The child's school was recorded on the case earlier.
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/cases/{}/agencies", w.case),
            &json!({"agency": "school", "name": "Northshire Primary School", "person_id": w.child}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // The proposal is filled in from the case: nobody types anything twice.
    let (status, form_html) = page(&idva, &t, &format!("/people/{}/marac/new", w.victim)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form_html.contains("07700 900123"));
    assert!(form_html.contains("Darren Quillfeather"));
    assert!(form_html.contains("Alfie Quillfeather"));
    let proposal: Value = t
        .api_get(&idva_token, &format!("/api/v1/people/{}/marac", w.victim))
        .await
        .json()
        .await
        .unwrap();
    let mut referral = proposal["referral"].clone();
    assert_eq!(referral["criteria"], json!(["visible_high_risk"]));
    assert!(referral["details"]["safe_contact"]
        .as_str()
        .unwrap()
        .contains("Weekdays 10 to 2"));
    assert!(referral["details"]["safe_contact"]
        .as_str()
        .unwrap()
        .contains("CONFIDENTIAL ADDRESS"));
    assert!(referral["details"]["perpetrators"]
        .as_str()
        .unwrap()
        .contains("Darren Quillfeather"));
    assert_eq!(
        referral["details"]["children"][0]["name"],
        "Alfie Quillfeather"
    );
    assert_eq!(
        referral["details"]["children"][0]["date_of_birth"],
        "30/09/2017"
    );
    assert_eq!(
        referral["details"]["children"][0]["school"],
        "Northshire Primary School"
    );
    assert!(form_html.contains("Northshire Primary School"));
    assert!(referral["details"]["summary"]
        .as_str()
        .unwrap()
        .contains("15"));
    assert!(proposal["repeat_dates"].as_array().unwrap().is_empty());
    referral["victim_knows"] = json!("yes");
    referral["victim_consented"] = json!("yes");
    referral["source_agency"] = json!("idva");
    referral["submission_key"] = json!("test-first-marac-referral");
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/marac", w.victim),
            &referral,
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let first_referral = created_id(&body);
    let risk: Value = t
        .api_get(&idva_token, &format!("/api/v1/people/{}/risk", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        risk["marac_proposed"].as_array().unwrap().is_empty(),
        "answered by the referral"
    );

    // The coordinator (a team manager) arranges the meeting and lists the case.
    let coordinator = t.signed_in(&w.staff["team_manager"].1).await;
    let (status, html) = page(&coordinator, &t, "/marac").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("NS-0001"), "waiting for a meeting");
    let r = t
        .submit(
            &coordinator,
            "/marac",
            "/marac/meetings",
            &[("held_on", "30/11/2026"), ("area", "Northshire")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let meeting_path = location(&r);
    let meeting_id = meeting_path
        .trim_start_matches("/marac/meetings/")
        .to_string();
    let r = t
        .submit(
            &coordinator,
            &meeting_path,
            &format!("{meeting_path}/agenda"),
            &[("referral_id", &first_referral)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for (agency, status) in [("police", "present"), ("health", "apologies")] {
        let r = t
            .submit(
                &coordinator,
                &meeting_path,
                &format!("{meeting_path}/attendance"),
                &[("agency", agency), ("status", status)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, html) = page(&coordinator, &t, &meeting_path).await;
    assert!(html.contains("Zoë Quillfeather") && html.contains("Police"));
    assert!(html.contains("Sent apologies"));

    // An action due before the meeting is refused, with what was typed kept.
    let referral_path = format!("/marac/referrals/{first_referral}");
    let r = t
        .submit(
            &coordinator,
            &referral_path,
            &format!("{referral_path}/actions"),
            &[
                ("agency", "Police"),
                ("description", "Flag the address for urgent response"),
                ("due_on", "29/11/2026"),
                ("submission_key", "test-submission-action-one"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("The due date cannot be before the meeting on 30 November 2026"));
    assert!(html.contains("Flag the address for urgent response"));
    let r = t
        .submit(
            &coordinator,
            &referral_path,
            &format!("{referral_path}/actions"),
            &[
                ("agency", "Police"),
                ("description", "Flag the address for urgent response"),
                ("due_on", "7/12/2026"),
                ("submission_key", "test-submission-action-one"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let manager_token = t.token_for(w.org, w.staff["team_manager"].0).await;
    let r = t
        .api_post(
            &manager_token,
            &format!("/api/v1/marac/referrals/{first_referral}/actions"),
            &json!({"agency": "Children's social care", "description": "Strategy discussion",
                    "due_on": "2026-11-29", "submission_key": "test-submission-action-two"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "due_on");

    // The meeting is held; a week after the due date the action stands out to the worker...
    t.clock.advance(time::Duration::days(15));
    // Sessions time out over a fortnight: sign in again.
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let coordinator = t.signed_in(&w.staff["team_manager"].1).await;
    let (_, home) = page(&idva, &t, "/").await;
    // The police hold it: it is shown apart from her own tasks, about the victim, to follow up.
    let (own, others) = home
        .split_once("Other agencies' MARAC actions")
        .expect("other agencies' actions apart");
    assert!(
        !own.contains("Police: Flag the address"),
        "not her own task"
    );
    assert!(others.contains("Police: Flag the address for urgent response"));
    assert!(others.contains("Overdue</strong> since 7 December 2026"));
    assert!(others.contains("Zoë Quillfeather"), "says who it is about");
    assert!(others.contains("Follow up"));
    let due: Value = t
        .api_get(&idva_token, "/api/v1/due")
        .await
        .json()
        .await
        .unwrap();
    let action = due
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "marac_action")
        .expect("the action is on the worker's list");
    assert_eq!(action["overdue"], true);
    assert_eq!(action["due_on"], "2026-12-07");
    assert_eq!(action["other_agency"], true);
    assert_eq!(action["person_id"], w.victim.to_string());
    // ...and to the coordinator, and on the team's list.
    let overview: Value = t
        .api_get(&manager_token, "/api/v1/marac")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["overdue_actions"].as_array().unwrap().len(), 1);
    assert_eq!(overview["dashboard"]["heard"], 1);
    assert_eq!(overview["dashboard"]["repeats"], 0);
    assert_eq!(overview["dashboard"]["by_source"][0]["agency"], "idva");
    let (_, team) = page(&coordinator, &t, "/team").await;
    assert!(team.contains("Police: Flag the address for urgent response"));

    // Things get worse again: a new high score within 12 months is a repeat, with the date.
    let (r, _) = assess_on_page(&t, &idva, w.victim, 16, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, form_html) = page(&idva, &t, &format!("/people/{}/marac/new", w.victim)).await;
    assert!(form_html.contains("This will be a repeat referral"));
    assert!(form_html.contains("30 November 2026"));
    let proposal: Value = t
        .api_get(&idva_token, &format!("/api/v1/people/{}/marac", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(proposal["repeat_dates"], json!(["2026-11-30"]));
    let mut referral = proposal["referral"].clone();
    referral["victim_knows"] = json!("no");
    referral["victim_consented"] = json!("not_asked");
    referral["source_agency"] = json!("idva");
    referral["submission_key"] = json!("test-second-marac-referral");
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/marac", w.victim),
            &referral,
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = created_id(&body);
    let view: Value = t
        .api_get(&manager_token, &format!("/api/v1/marac/referrals/{second}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["referral"]["is_repeat"], true);
    assert_eq!(view["referral"]["repeat_dates"], json!(["2026-11-30"]));
    assert!(view["referral"]["criteria"]
        .as_array()
        .unwrap()
        .contains(&json!("repeat")));
    let (_, html) = page(&coordinator, &t, &format!("/marac/referrals/{second}")).await;
    assert!(html.contains("Repeat referral") && html.contains("30 November 2026"));

    // The action is done: it leaves the list, and the change is kept.
    let actions: Value = t
        .api_get(
            &manager_token,
            &format!("/api/v1/marac/referrals/{first_referral}"),
        )
        .await
        .json()
        .await
        .unwrap();
    let action_id = actions["actions"][0]["id"].as_str().unwrap().to_string();
    let r = t
        .api_post(
            &manager_token,
            &format!("/api/v1/marac/actions/{action_id}/status"),
            &json!({"from": "open", "to": "done"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .api_post(
            &manager_token,
            &format!("/api/v1/marac/actions/{action_id}/status"),
            &json!({"from": "open", "to": "cancelled"}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "a stale status is refused"
    );
    // Marked from the page, the action lands back on the referral with a banner.
    let referral_path = format!("/marac/referrals/{first_referral}");
    let r = t
        .submit(
            &coordinator,
            &referral_path,
            &format!("/marac/actions/{action_id}/status"),
            &[("from", "done"), ("to", "open"), ("back", &first_referral)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, landed) = page(&coordinator, &t, &location(&r)).await;
    assert!(landed.contains("MARAC action opened again."));
    let r = t
        .submit(
            &coordinator,
            &referral_path,
            &format!("/marac/actions/{action_id}/status"),
            &[("from", "open"), ("to", "done"), ("back", &first_referral)],
        )
        .await;
    let (_, landed) = page(&coordinator, &t, &location(&r)).await;
    assert!(landed.contains("MARAC action marked done."));
    let due: Value = t
        .api_get(&idva_token, "/api/v1/due")
        .await
        .json()
        .await
        .unwrap();
    assert!(!due
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "marac_action"));
    let _ = meeting_id;

    // Every step is in the audit trail.
    let actions: Vec<String> = t.audit_rows().await.into_iter().map(|r| r.1).collect();
    for a in [
        "person.risk_assess",
        "marac.refer",
        "marac.meeting_create",
        "marac.action_add",
        "marac.action_status",
        "due.view",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} is audited");
    }
}

#[tokio::test]
async fn judgement_raises_but_never_lowers_and_bad_answers_are_refused() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let path = format!("/api/v1/people/{}/risk", w.victim);

    // Lowering a score-based high is refused on the page, with the reason and the answers kept.
    let (r, _) = assess_on_page(
        &t,
        &idva,
        w.victim,
        14,
        &[
            ("judgement_level", "medium"),
            ("judgement_reason", "She seems calmer"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("never lower"), "says why");
    assert!(html.contains("14 yes"));
    assert!(html.contains("She seems calmer"), "keeps what was typed");

    // The same through the API.
    let r = t
        .api_post(
            &token,
            &path,
            &json!({"instrument": "adult-risk", "answers": answers(14), "safe_to_talk": true,
                    "judgement_level": "standard", "judgement_reason": "x", "submission_key": "test-submission-k1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "judgement_level");

    // An answer outside the allowed answers, a missing one, and not confirming it is safe.
    let mut bad = answers(3);
    bad["injury"] = json!("maybe");
    bad.as_object_mut().unwrap().remove("weapons");
    let r = t
        .api_post(
            &token,
            &path,
            &json!({"instrument": "adult-risk", "answers": bad, "safe_to_talk": false, "submission_key": "test-submission-k2"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"safe_to_talk"));
    assert!(fields.contains(&"q_injury"));
    assert!(fields.contains(&"q_weapons"));
    let mut unknown = answers(3);
    unknown["favourite_colour"] = json!("yes");
    let r = t
        .api_post(
            &token,
            &path,
            &json!({"instrument": "adult-risk", "answers": unknown, "safe_to_talk": true, "submission_key": "test-submission-k3"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Judgement can raise a standard score to high, with a reason; MARAC is proposed on it.
    let r = t
        .api_post(
            &token,
            &path,
            &json!({"instrument": "adult-risk", "answers": answers(4), "safe_to_talk": true,
                    "judgement_level": "high", "judgement_reason": "", "submission_key": "test-submission-k4"}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed"
    );
    let r = t
        .api_post(
            &token,
            &path,
            &json!({"instrument": "adult-risk", "answers": answers(4), "safe_to_talk": true,
                    "judgement_level": "high", "judgement_reason": "Threats made through the children",
                    "submission_key": "test-submission-k4"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["level"], "high");
    assert_eq!(done["marac_proposed"], json!(["professional_judgement"]));
    let view: Value = t.api_get(&token, &path).await.json().await.unwrap();
    assert_eq!(view["assessments"][0]["score_level"], "standard");
    assert_eq!(view["assessments"][0]["level"], "high");
    assert_eq!(
        view["assessments"][0]["judgement_reason"],
        "Threats made through the children"
    );
    assert_eq!(view["assessments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn police_callouts_escalate_and_incidents_bring_reassessment_forward() {
    let t = spawn_app().await;
    let w = t.world().await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let path = format!("/api/v1/people/{}/risk", w.victim);
    let r = t
        .api_post(
            &token,
            &path,
            &json!({"instrument": "adult-risk", "answers": answers(5), "safe_to_talk": true, "submission_key": "test-submission-a1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let view: Value = t.api_get(&token, &path).await.json().await.unwrap();
    assert_eq!(view["current_level"], "standard");
    assert_eq!(
        view["reassessment_due"], "2027-01-18",
        "8 weeks after the assessment"
    );
    assert_eq!(view["escalated"], false);

    // Later that morning, a future incident date is refused; then three police call-outs.
    t.clock.advance(time::Duration::minutes(20));
    let r = t
        .api_post(
            &token,
            &format!("/api/v1/people/{}/incidents", w.victim),
            &json!({"occurred_on": "2026-12-25", "police_called": true, "summary": "x", "submission_key": "test-submission-i0"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for (n, day) in ["2026-09-01", "2026-10-15", "2026-11-22"]
        .iter()
        .enumerate()
    {
        let r = t
            .api_post(
                &token,
                &format!("/api/v1/people/{}/incidents", w.victim),
                &json!({"occurred_on": day, "police_called": true,
                        "summary": "Police called by a neighbour", "submission_key": format!("test-submission-i{n}")}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // A double-submitted incident is stored once.
    let r = t
        .api_post(
            &token,
            &format!("/api/v1/people/{}/incidents", w.victim),
            &json!({"occurred_on": "2026-11-22", "police_called": true,
                    "summary": "Police called by a neighbour", "submission_key": "test-submission-i2"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let view: Value = t.api_get(&token, &path).await.json().await.unwrap();
    assert_eq!(view["incidents"].as_array().unwrap().len(), 3);
    assert_eq!(view["callouts_12_months"], 3);
    assert_eq!(view["escalated"], true);
    assert_eq!(view["marac_proposed"], json!(["potential_escalation"]));
    assert_eq!(view["reassessment_due"], "2026-11-23", "due at once");
    let due: Value = t.api_get(&token, "/api/v1/due").await.json().await.unwrap();
    assert!(due.as_array().unwrap().iter().any(
        |i| i["kind"] == "risk_assessment" && i["what"].as_str().unwrap().contains("incident")
    ));
}

#[tokio::test]
async fn safety_plans_are_versioned_printable_anonymously_and_fall_due_for_review() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let edit = format!("/people/{}/safety-plan/edit", w.victim);
    let save = format!("/people/{}/safety-plan", w.victim);

    // A review date in the past is refused with what was typed kept.
    let r = t
        .submit(
            &idva,
            &edit,
            &save,
            &[
                ("based_on", "0"),
                ("template", "adult"),
                ("strengths", "Close to her sister"),
                ("safe_word", "Bluebell"),
                ("escape_plan", "Bag at her sister's; taxi number saved"),
                (
                    "action_what_0",
                    "Ask the school about the collection password",
                ),
                ("action_who_0", "Idva"),
                ("action_by_0", "1/12/2026"),
                ("review_on", "1/11/2026"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("review_on"));
    assert!(html.contains("Bag at her sister"));

    let r = t
        .submit(
            &idva,
            &edit,
            &save,
            &[
                ("based_on", "0"),
                ("template", "adult"),
                ("strengths", "Close to her sister"),
                ("safe_word", "Bluebell"),
                ("escape_plan", "Bag at her sister's; taxi number saved"),
                (
                    "action_what_0",
                    "Ask the school about the collection password",
                ),
                ("action_who_0", "Idva"),
                ("action_by_0", "1/12/2026"),
                ("review_on", "1/12/2026"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The save lands on the plan with a banner saying it was saved.
    let (_, landed) = page(&idva, &t, &location(&r)).await;
    assert!(landed.contains("Safety plan saved."), "{}", location(&r));
    let plan: Value = t
        .api_get(&token, &format!("/api/v1/people/{}/safety-plan", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plan["version"], 1);
    assert_eq!(plan["versions"][0]["plan"]["safe_word"], "Bluebell");
    assert_eq!(
        plan["versions"][0]["plan"]["actions"][0]["by"],
        "2026-12-01"
    );

    // A change based on an old version is refused; a current one makes version 2.
    let mut body = json!({"based_on": 0, "plan": plan["versions"][0]["plan"].clone()});
    body["plan"]["safe_word"] = json!("Tulip");
    let r = t
        .api_put(
            &token,
            &format!("/api/v1/people/{}/safety-plan", w.victim),
            &body,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    body["based_on"] = json!(1);
    let r = t
        .api_put(
            &token,
            &format!("/api/v1/people/{}/safety-plan", w.victim),
            &body,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, html) = page(&idva, &t, &save).await;
    assert!(
        html.contains("Tulip") && html.contains("Bluebell"),
        "history kept"
    );

    // The printable plan carries nothing that names the service or the system.
    let (status, print) = page(&idva, &t, &format!("{save}/print")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("Tulip"));
    for giveaway in [
        "Hearth",
        "Northshire",
        "Family Safety",
        "domestic abuse",
        "Domestic abuse",
        "Idva",
        "NS-0001",
        "Quillfeather",
    ] {
        assert!(!print.contains(giveaway), "the print shows {giveaway}");
    }
    assert!(
        print.contains("(support worker, by 1 December 2026)"),
        "the action's owner in plain words: {print}"
    );

    // The review falls due: on the list beforehand, and overdue after.
    let due: Value = t.api_get(&token, "/api/v1/due").await.json().await.unwrap();
    let review = due
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "safety_plan_review")
        .expect("review due within a fortnight");
    assert_eq!(review["overdue"], false);
    t.clock.advance(time::Duration::days(9));
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let (_, home) = page(&idva, &t, "/").await;
    assert!(home.contains("Review the safety plan"));
    assert!(home.contains("Overdue</strong> since 1 December 2026"));
}

#[tokio::test]
async fn the_firewall_holds_for_risk_safety_plans_and_marac() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva_token = t.token_for(w.org, w.staff["idva"].0).await;
    // The victim is assessed high, has a plan and a MARAC referral.
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/risk", w.victim),
            &json!({"instrument": "adult-risk", "answers": answers(18), "safe_to_talk": true, "submission_key": "test-submission-f1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .api_put(
            &idva_token,
            &format!("/api/v1/people/{}/safety-plan", w.victim),
            &json!({"based_on": 0, "plan": {"template": "adult", "safe_word": "Bluebell",
                    "escape_plan": "To the refuge on Elm Street", "review_on": "2026-12-01"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let proposal: Value = t
        .api_get(&idva_token, &format!("/api/v1/people/{}/marac", w.victim))
        .await
        .json()
        .await
        .unwrap();
    let mut referral = proposal["referral"].clone();
    referral["victim_knows"] = json!("yes");
    referral["victim_consented"] = json!("yes");
    referral["source_agency"] = json!("idva");
    referral["submission_key"] = json!("test-submission-firewall");
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/marac", w.victim),
            &referral,
        )
        .await;
    let referral_id = created_id(&r.json().await.unwrap());

    // The Engage worker, allocated to the person causing harm in the same case, sees none of it.
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let engage_token = t.token_for(w.org, w.staff["engage"].0).await;
    for path in [
        format!("/people/{}/risk", w.victim),
        format!("/people/{}/risk/new?instrument=adult-risk", w.victim),
        format!("/people/{}/safety-plan", w.victim),
        format!("/people/{}/safety-plan/edit", w.victim),
        format!("/people/{}/safety-plan/print", w.victim),
        format!("/people/{}/marac/new", w.victim),
        format!("/marac/referrals/{referral_id}"),
        "/marac".to_string(),
    ] {
        let (status, html) = page(&engage, &t, &path).await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{path} answered {status}"
        );
        assert!(!html.contains("Bluebell") && !html.contains("Elm Street"));
    }
    for path in [
        format!("/api/v1/people/{}/risk", w.victim),
        format!("/api/v1/people/{}/safety-plan", w.victim),
        format!("/api/v1/people/{}/marac", w.victim),
        format!("/api/v1/marac/referrals/{referral_id}"),
        "/api/v1/marac".to_string(),
    ] {
        let r = t.api_get(&engage_token, &path).await;
        assert!(
            r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND,
            "{path} answered {}",
            r.status()
        );
    }
    // Nor can they write to it.
    let r = t
        .api_post(
            &engage_token,
            &format!("/api/v1/people/{}/risk", w.victim),
            &json!({"instrument": "adult-risk", "answers": answers(1), "safe_to_talk": true, "submission_key": "test-submission-e1"}),
        )
        .await;
    assert!(matches!(
        r.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let r = t
        .api_put(
            &engage_token,
            &format!("/api/v1/people/{}/safety-plan", w.victim),
            &json!({"based_on": 1, "plan": {"template": "adult", "review_on": "2026-12-01"}}),
        )
        .await;
    assert!(matches!(
        r.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    // Their home page, due list and case page say nothing of the victim's risk or plan.
    t.clock.advance(time::Duration::days(10));
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let (status, home) = page(&engage, &t, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Due and overdue"), "a real home page");
    assert!(!home.contains("Review the safety plan"));
    assert!(!home.contains("Risk assessment not yet done"));
    assert!(!home.contains("High"), "the victim's level is not shown");
    let due: Value = t
        .api_get(&engage_token, "/api/v1/due")
        .await
        .json()
        .await
        .unwrap();
    for i in due.as_array().unwrap() {
        assert_ne!(i["person_id"], w.victim.to_string());
        assert_ne!(i["kind"], "marac_action");
        assert_ne!(i["kind"], "safety_plan_review");
    }
    let (_, case_page) = page(&engage, &t, &format!("/cases/{}", w.case)).await;
    assert!(!case_page.contains("High risk"));
    assert!(case_page.contains("Not shown to you"));
    // The idva still sees all of it.
    let (_, home) = page(&t.signed_in(&w.staff["idva"].1).await, &t, "/").await;
    assert!(home.contains("Review the safety plan"));
}

#[tokio::test]
async fn a_bad_instrument_file_is_refused_and_the_version_in_use_stays() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin_token = t.token_for(w.org, w.staff["admin"].0).await;
    let idva_token = t.token_for(w.org, w.staff["idva"].0).await;
    let list: Value = t
        .api_get(&admin_token, "/api/v1/instruments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "both shipped checklists");

    // An assessment on version 1.
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/risk", w.victim),
            &json!({"instrument": "adult-risk", "answers": answers(10), "safe_to_talk": true, "submission_key": "test-submission-v1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // A broken definition: the error names the file, the line and the problem.
    let (_, shipped) = hearth_domain::instrument::SHIPPED[0];
    let broken = shipped.replace("version = 1", "version = 2").replacen(
        "[[band]]",
        "[[band]]\nfrom = \"lots\"",
        1,
    );
    let r = t
        .api_post(
            &admin_token,
            "/api/v1/instruments",
            &json!({"file": "adult-risk-2027.toml", "definition": broken}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(message.contains("adult-risk-2027.toml"), "{message}");
    assert!(message.contains("line"), "{message}");

    // The same mistake on the page keeps the pasted text.
    let admin = t.signed_in(&w.staff["admin"].1).await;
    let r = t
        .submit(
            &admin,
            "/admin/instruments",
            "/admin/instruments",
            &[("file", "adult-risk-2027.toml"), ("definition", &broken)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("adult-risk-2027.toml"));
    assert!(html.contains("lots"));

    // Version 1 is still the one in use.
    let list: Value = t
        .api_get(&admin_token, "/api/v1/instruments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);

    // A good version 2 with a higher threshold: new assessments use it, old ones keep theirs.
    let v2 = shipped
        .replace("version = 1", "version = 2")
        .replace("from = 10", "from = 11");
    assert_ne!(v2, shipped.replace("version = 1", "version = 2"));
    let r = t
        .api_post(
            &admin_token,
            "/api/v1/instruments",
            &json!({"file": "adult-risk-2027.toml", "definition": v2}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    // Loading the same version again is refused.
    let r = t
        .api_post(
            &admin_token,
            "/api/v1/instruments",
            &json!({"file": "again.toml", "definition": v2}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/risk", w.victim),
            &json!({"instrument": "adult-risk", "answers": answers(10), "safe_to_talk": true, "submission_key": "test-submission-v2",
                    "lowered_reason": "The 2027 checklist asks more: the same answers weigh less"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let view: Value = t
        .api_get(&idva_token, &format!("/api/v1/people/{}/risk", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["assessments"][0]["instrument_version"], 2);
    assert_eq!(
        view["assessments"][0]["level"], "standard",
        "10 is below 11"
    );
    assert_eq!(view["assessments"][1]["instrument_version"], 1);
    assert_eq!(view["assessments"][1]["level"], "medium", "unchanged");

    // Only administrators and service managers load instruments.
    let r = t
        .api_post(
            &idva_token,
            "/api/v1/instruments",
            &json!({"file": "x.toml", "definition": v2}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, _) = page(
        &t.signed_in(&w.staff["idva"].1).await,
        &t,
        "/admin/instruments",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_young_peoples_checklist_is_for_thirteen_to_seventeen() {
    let t = spawn_app().await;
    let w = t.world().await;
    // A 15-year-old in the family, allocated to the Idva.
    let now = t.now();
    let mut tx = t.app.store.begin().await.unwrap();
    let teen = hearth_store::cases::insert_person(
        &mut tx,
        &t.cipher(w.org.uuid()).await,
        now,
        w.org,
        &hearth_domain::person::Identity::named("Kai", "Quillfeather", Some("2011-05-02")),
    )
    .await
    .unwrap();
    hearth_store::cases::add_member(
        &mut tx,
        now,
        w.org,
        hearth_domain::ids::CaseId::from_uuid(w.case),
        teen,
        hearth_domain::access::CaseRole::ChildOrYoungPerson,
    )
    .await
    .unwrap();
    hearth_store::cases::allocate(
        &mut tx,
        now,
        hearth_store::cases::NewAllocation {
            org_id: w.org,
            case_id: hearth_domain::ids::CaseId::from_uuid(w.case),
            person_id: Some(teen),
            worker_id: w.staff["idva"].0,
            by: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let keys = |v: &Value| -> Vec<String> {
        v["instruments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].as_str().unwrap().to_string())
            .collect()
    };
    let adult: Value = t
        .api_get(&token, &format!("/api/v1/people/{}/risk", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&adult), ["adult-risk"]);
    let young: Value = t
        .api_get(&token, &format!("/api/v1/people/{teen}/risk"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&young), ["young-people-risk"]);
    let child: Value = t
        .api_get(&token, &format!("/api/v1/people/{}/risk", w.child))
        .await
        .json()
        .await
        .unwrap();
    assert!(keys(&child).is_empty(), "nine is too young for either");

    // The adult checklist is refused for him; the young people's one is scored and banded.
    let r = t
        .api_post(
            &token,
            &format!("/api/v1/people/{teen}/risk"),
            &json!({"instrument": "adult-risk", "answers": answers(2), "safe_to_talk": true,
                    "submission_key": "test-submission-teen-adult"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answers: serde_json::Map<String, Value> = young["instruments"][0]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(n, q)| {
            (
                q["id"].as_str().unwrap().to_string(),
                json!(if n < 15 { "yes" } else { "not_known" }),
            )
        })
        .collect();
    let r = t
        .api_post(
            &token,
            &format!("/api/v1/people/{teen}/risk"),
            &json!({"instrument": "young-people-risk", "answers": answers, "safe_to_talk": true,
                    "submission_key": "test-submission-teen-young"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["level"], "high");
}

/// MARAC's writes belong to the coordinator, and an action's status also to the case's own
/// workers. Everyone else is refused on every write, and nothing changes; the team's due list is
/// for managers only.
#[tokio::test]
async fn marac_writes_refuse_everyone_but_the_coordinator_and_the_cases_workers() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva_token = t.token_for(w.org, w.staff["idva"].0).await;
    let manager_token = t.token_for(w.org, w.staff["team_manager"].0).await;
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/risk", w.victim),
            &json!({"instrument": "adult-risk", "answers": answers(18), "safe_to_talk": true, "submission_key": "test-submission-w1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let proposal: Value = t
        .api_get(&idva_token, &format!("/api/v1/people/{}/marac", w.victim))
        .await
        .json()
        .await
        .unwrap();
    let mut referral = proposal["referral"].clone();
    referral["victim_knows"] = json!("yes");
    referral["victim_consented"] = json!("yes");
    referral["submission_key"] = json!("test-submission-writes");
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/marac", w.victim),
            &referral,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let referral_id = created_id(&r.json().await.unwrap());
    let r = t
        .api_post(
            &manager_token,
            "/api/v1/marac/meetings",
            &json!({"held_on": "2026-11-30", "area": "Northshire"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let meeting_id = created_id(&r.json().await.unwrap());
    let r = t
        .api_post(
            &manager_token,
            &format!("/api/v1/marac/meetings/{meeting_id}/agenda"),
            &json!({"referral_id": referral_id}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .api_post(
            &manager_token,
            &format!("/api/v1/marac/referrals/{referral_id}/actions"),
            &json!({"agency": "Police", "description": "Flag the address", "due_on": "2026-12-07",
                    "submission_key": "test-submission-writes-action"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let action_id = created_id(&r.json().await.unwrap());

    let refused = |s: StatusCode| s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND;
    for key in ["engage", "idva2", "groups", "evaluator", "admin"] {
        let token = t.token_for(w.org, w.staff[key].0).await;
        let r = t
            .api_post(
                &token,
                "/api/v1/marac/meetings",
                &json!({"held_on": "2026-12-14", "area": "Northshire"}),
            )
            .await;
        assert!(refused(r.status()), "{key} arranged a meeting");
        let r = t
            .api_get(&token, &format!("/api/v1/marac/meetings/{meeting_id}"))
            .await;
        assert!(refused(r.status()), "{key} read the meeting");
        let r = t
            .api_post(
                &token,
                &format!("/api/v1/marac/meetings/{meeting_id}/agenda"),
                &json!({"referral_id": referral_id}),
            )
            .await;
        assert!(refused(r.status()), "{key} changed the agenda");
        let r = t
            .api_put(
                &token,
                &format!("/api/v1/marac/meetings/{meeting_id}/attendance"),
                &json!({"agency": "police", "status": "apologies"}),
            )
            .await;
        assert!(refused(r.status()), "{key} recorded attendance");
        let r = t
            .api_post(
                &token,
                &format!("/api/v1/marac/referrals/{referral_id}/actions"),
                &json!({"agency": "Police", "description": "Something else", "due_on": "2026-12-08",
                        "submission_key": format!("test-submission-writes-{key}")}),
            )
            .await;
        assert!(refused(r.status()), "{key} added an action");
        let r = t
            .api_post(
                &token,
                &format!("/api/v1/marac/actions/{action_id}/status"),
                &json!({"from": "open", "to": "cancelled"}),
            )
            .await;
        assert!(refused(r.status()), "{key} changed an action");
        let r = t.api_get(&token, "/api/v1/due/team").await;
        if key != "admin" {
            assert!(refused(r.status()), "{key} read the team's due list");
        }
    }

    // Nothing changed: one meeting with one case, one action, still open, no attendance.
    let overview: Value = t
        .api_get(&manager_token, "/api/v1/marac")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["upcoming"].as_array().unwrap().len(), 1);
    let meeting: Value = t
        .api_get(
            &manager_token,
            &format!("/api/v1/marac/meetings/{meeting_id}"),
        )
        .await
        .json()
        .await
        .unwrap();
    let text = meeting.to_string();
    assert!(!text.contains("apologies"), "{text}");
    let referral: Value = t
        .api_get(
            &manager_token,
            &format!("/api/v1/marac/referrals/{referral_id}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(referral["actions"].as_array().unwrap().len(), 1);
    assert_eq!(referral["actions"][0]["status"], "open");

    // The Idva on the case may update its action; that is their work too.
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/marac/actions/{action_id}/status"),
            &json!({"from": "open", "to": "done"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_lower_level_is_never_saved_without_a_reason_and_the_history_shows_it() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let (r, _) = assess_on_page(&t, &idva, w.victim, 15, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // A new checklist of all "no": stopped, told what it would do, with what she typed kept.
    let notes = ("notes", "She answered quickly and would not look at me");
    let (r, _) = assess_on_page(&t, &idva, w.victim, 0, &[notes]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("This lowers the risk level from High to Standard. Say why before saving"),
        "{html}"
    );
    assert!(html.contains("She answered quickly and would not look at me"));
    let idva_token = t.token_for(w.org, w.staff["idva"].0).await;
    let risk: Value = t
        .api_get(&idva_token, &format!("/api/v1/people/{}/risk", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(risk["current_level"], "high", "nothing was saved");

    // With the reason it is saved, and the history says why the level fell.
    let why = (
        "lowered_reason",
        "He is in custody until March; she is in refuge",
    );
    let (r, _) = assess_on_page(&t, &idva, w.victim, 0, &[notes, why]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&idva, &t, &format!("/people/{}/risk", w.victim)).await;
    assert!(html.contains("Lowered: He is in custody until March; she is in refuge"));
    assert!(html.contains("Notes: She answered quickly and would not look at me"));

    // Raising it again needs no reason.
    let (r, _) = assess_on_page(&t, &idva, w.victim, 15, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
