//! The seven programmes in combination, walked as a service would: a referral becomes a case,
//! the mother gets an Idva, both children 1:1 work, the father Engage (refused until her Idva
//! offer is recorded), sessions are held and one missed, an enrolment ends with a reason, and
//! the family's plan shows it all, to each worker only what they may see.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A family referred and accepted, with its workers allocated.
struct Family {
    case: String,
    mother: String,
    father: String,
    children: Vec<String>,
    idva: String,
    childrens: String,
    engage: String,
    manager: String,
}

async fn family(t: &TestApp, w: &World) -> Family {
    let token = |k: &'static str| t.token_for(w.org, w.staff[k].0);
    let (referrer, manager) = (token("referrer").await, token("team_manager").await);
    let (idva, childrens, engage) = (
        token("idva").await,
        token("children").await,
        token("engage").await,
    );
    let referral: Value = t
        .api_post(&referrer, "/api/v1/referrals", &json!({
            "submission_key": new_key(), "given_name": "Nadia", "family_name": "Thornwick", "date_of_birth": "12/03/1990",
            "consent": "yes", "referrer_name": "PC Hale", "referrer_agency": "police", "referrer_phone": "01632 960001",
            "phone": "07700 900222", "safe_to_phone": "safe", "harm_given_name": "Callum", "harm_family_name": "Thornwick",
            "harm_date_of_birth": "02/02/1987", "harm_relationship": "partner",
            "child1_name": "Maisie Thornwick", "child1_dob": "05/05/2016", "child2_name": "Leo Thornwick", "child2_dob": "09/09/2013"}))
        .await
        .json()
        .await
        .unwrap();
    let id = referral["id"].as_str().unwrap();
    let decided: Value = t
        .api_post(
            &manager,
            &format!("/api/v1/referrals/{id}/decision"),
            &json!({"decision": "accept", "team_id": w.idva_team}),
        )
        .await
        .json()
        .await
        .unwrap();
    let case = decided["case_id"]
        .as_str()
        .expect("accepted into a case")
        .to_string();
    let record: Value = t
        .api_get(&manager, &format!("/api/v1/cases/{case}"))
        .await
        .json()
        .await
        .unwrap();
    let with = |role: &str| -> Vec<String> {
        record["members"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == role)
            .map(|m| m["person_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (mother, father, children) = (
        with("victim_survivor")[0].clone(),
        with("person_causing_harm")[0].clone(),
        with("child_or_young_person"),
    );
    assert_eq!(children.len(), 2, "{record}");
    let allocate = |worker: &'static str, person: String| {
        let body = json!({"worker_id": w.staff[worker].0, "person_id": person});
        let (manager, case) = (manager.clone(), case.clone());
        async move {
            let r = t
                .api_post(
                    &manager,
                    &format!("/api/v1/cases/{case}/allocations"),
                    &body,
                )
                .await;
            assert_eq!(r.status(), StatusCode::NO_CONTENT, "allocating {worker}");
        }
    };
    allocate("idva", mother.clone()).await;
    allocate("children", children[0].clone()).await;
    allocate("children", children[1].clone()).await;
    allocate("engage", father.clone()).await;
    Family {
        case,
        mother,
        father,
        children,
        idva,
        childrens,
        engage,
        manager,
    }
}

async fn propose(
    t: &TestApp,
    token: &str,
    case: &str,
    programme: &str,
    people: &[&str],
) -> reqwest::Response {
    t.api_post(
        token,
        &format!("/api/v1/cases/{case}/enrolments"),
        &json!({"programme": programme, "people": people, "submission_key": new_key()}),
    )
    .await
}

async fn created(r: reqwest::Response) -> String {
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn enrolment(t: &TestApp, token: &str, id: &str) -> Value {
    t.api_get(token, &format!("/api/v1/enrolments/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

async fn change(t: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let version = enrolment(t, token, id).await["version"].clone();
    let mut body = body;
    body["based_on"] = version;
    let r = t
        .api_post(token, &format!("/api/v1/enrolments/{id}/change"), &body)
        .await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn start(
    t: &TestApp,
    f: &Family,
    w: &World,
    id: &str,
    worker: &'static str,
) -> (StatusCode, Value) {
    change(
        t,
        &f.manager,
        id,
        json!({"to": "active", "worker_id": w.staff[worker].0}),
    )
    .await
}

async fn session(t: &TestApp, token: &str, id: &str, time: &str) -> String {
    let body = json!({"date": "23/11/2026", "time": time, "place": "The family centre, Northgate", "submission_key": new_key()});
    created(
        t.api_post(token, &format!("/api/v1/enrolments/{id}/sessions"), &body)
            .await,
    )
    .await
}

async fn attend(
    t: &TestApp,
    token: &str,
    id: &str,
    session: &str,
    body: Value,
) -> reqwest::Response {
    let mut body = body;
    body["based_on"] = json!(1);
    t.api_post(
        token,
        &format!("/api/v1/enrolments/{id}/sessions/{session}/attendance"),
        &body,
    )
    .await
}

fn due_kinds(due: &Value) -> Vec<String> {
    due.as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_family_through_its_programmes_from_referral_to_the_plan() {
    let t = spawn_app().await;
    let w = t.world().await;
    let f = family(&t, &w).await;

    // The mother's Idva support, proposed by her Idva and started by the manager.
    let idva_support = created(propose(&t, &f.idva, &f.case, "idva", &[&f.mother]).await).await;
    assert_eq!(
        start(&t, &f, &w, &idva_support, "idva").await.0,
        StatusCode::NO_CONTENT
    );

    // 1:1 work for each child; a child cannot be put on a programme for adults.
    let wrong = propose(&t, &f.childrens, &f.case, "idva", &[&f.children[0]]).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "people", "{body}");
    let cyp: Vec<String> = vec![
        created(
            propose(
                &t,
                &f.childrens,
                &f.case,
                "cyp_one_to_one",
                &[&f.children[0]],
            )
            .await,
        )
        .await,
        created(
            propose(
                &t,
                &f.childrens,
                &f.case,
                "cyp_one_to_one",
                &[&f.children[1]],
            )
            .await,
        )
        .await,
    ];
    for e in &cyp {
        assert_eq!(
            start(&t, &f, &w, e, "children").await.0,
            StatusCode::NO_CONTENT
        );
    }

    // Engage for the father: refused until her Idva offer is recorded, naming her.
    let engage = created(propose(&t, &f.engage, &f.case, "engage", &[&f.father]).await).await;
    let (status, refused) = start(&t, &f, &w, &engage, "engage").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("Record an Idva offer to Nadia Thornwick before Engage can start"),
        "{refused}"
    );
    // Only those who may see her sensitive data record it: not the Engage worker.
    let offer =
        json!({"outcome": "accepted", "offered_on": "20/11/2026", "view_sought_on": "20/11/2026"});
    let path = format!("/api/v1/cases/{}/idva-offers/{}", f.case, f.mother);
    let by_engage = t.api_put(&f.engage, &path, &offer).await.status();
    assert!(
        matches!(by_engage, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{by_engage}"
    );
    assert_eq!(
        t.api_put(&f.idva, &path, &offer).await.status(),
        StatusCode::NO_CONTENT
    );
    // The Engage worker learns only that an offer has been made; her Idva sees the details.
    let seen_by_engage = enrolment(&t, &f.engage, &engage).await;
    assert_eq!(seen_by_engage["partners"][0]["offer_made"], true);
    assert!(
        seen_by_engage["partners"][0]["detail"].is_null(),
        "{seen_by_engage}"
    );
    let seen_by_idva = enrolment(&t, &f.idva, &engage).await;
    assert!(
        seen_by_idva["partners"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Accepted"),
        "{seen_by_idva}"
    );
    // Her Idva cannot be the Engage worker.
    assert_eq!(
        start(&t, &f, &w, &engage, "idva").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        start(&t, &f, &w, &engage, "engage").await.0,
        StatusCode::NO_CONTENT
    );

    // Sessions: one attended, one missed; none before the enrolment started.
    let early = json!({"date": "01/11/2026", "time": "10:00", "place": "School", "submission_key": new_key()});
    let r = t
        .api_post(
            &f.childrens,
            &format!("/api/v1/enrolments/{}/sessions", cyp[0]),
            &early,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let attended = session(&t, &f.childrens, &cyp[0], "08:00").await;
    let r = attend(&t, &f.childrens, &cyp[0], &attended, json!({"outcome": "attended", "duration_minutes": "45", "topics": ["Feelings", "Confidence"], "note": "Drew her safe place.", "sensitivity": "ordinary"})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let again = attend(
        &t,
        &f.childrens,
        &cyp[0],
        &attended,
        json!({"outcome": "did_not_attend"}),
    )
    .await;
    assert_eq!(
        again.status(),
        StatusCode::CONFLICT,
        "attendance is recorded once"
    );
    let missed = session(&t, &f.childrens, &cyp[1], "08:30").await;
    let r = attend(
        &t,
        &f.childrens,
        &cyp[1],
        &missed,
        json!({"outcome": "did_not_attend"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let later = session(&t, &f.childrens, &cyp[1], "15:00").await;
    let r = attend(
        &t,
        &f.childrens,
        &cyp[1],
        &later,
        json!({"outcome": "attended", "duration_minutes": "30"}),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a session is recorded once it has happened"
    );

    // A missed session leaves a check that the child is safe; the next session is due.
    let due: Value = t
        .api_get(&f.childrens, "/api/v1/due")
        .await
        .json()
        .await
        .unwrap();
    let kinds = due_kinds(&due);
    assert!(kinds.contains(&"safety_check".to_string()), "{due}");
    assert!(kinds.contains(&"session".to_string()), "{due}");

    // An Engage session attended: news for her Idva, never on the Engage worker's list.
    let engage_session = session(&t, &f.engage, &engage, "08:15").await;
    let r = attend(
        &t,
        &f.engage,
        &engage,
        &engage_session,
        json!({"outcome": "attended", "duration_minutes": "60", "topics": ["Accountability"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let idva_due: Value = t
        .api_get(&f.idva, "/api/v1/due")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        idva_due
            .to_string()
            .contains("Callum Thornwick attended an Engage session"),
        "{idva_due}"
    );
    let engage_due: Value = t
        .api_get(&f.engage, "/api/v1/due")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !due_kinds(&engage_due).contains(&"partner_news".to_string()),
        "{engage_due}"
    );
    assert!(!engage_due.to_string().contains("Nadia"), "{engage_due}");

    // An enrolment ends only with a reason from its programme's list.
    let (status, body) = change(&t, &f.childrens, &cyp[0], json!({"to": "ended"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "exit_reason", "{body}");
    let (status, _) = change(
        &t,
        &f.childrens,
        &cyp[0],
        json!({"to": "ended", "exit_reason": "Goals met"}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The family's plan shows it all to the manager.
    let plan: Value = t
        .api_get(&f.manager, &format!("/api/v1/cases/{}/plan", f.case))
        .await
        .json()
        .await
        .unwrap();
    let states = |person: &str| -> Vec<(String, String)> {
        plan["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["person_id"] == person)
            .unwrap()["enrolments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["programme"].as_str().unwrap().into(),
                    e["state"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(
        states(&f.mother),
        [("idva".to_string(), "active".to_string())]
    );
    assert_eq!(
        states(&f.children[0]),
        [("cyp_one_to_one".to_string(), "ended".to_string())]
    );
    assert_eq!(
        states(&f.children[1]),
        [("cyp_one_to_one".to_string(), "active".to_string())]
    );
    assert_eq!(
        states(&f.father),
        [("engage".to_string(), "active".to_string())]
    );

    // Ended, she can be enrolled again: a new enrolment, the ended one kept beside it.
    let again = created(
        propose(
            &t,
            &f.childrens,
            &f.case,
            "cyp_one_to_one",
            &[&f.children[0]],
        )
        .await,
    )
    .await;
    assert_ne!(again, cyp[0]);
    let replan: Value = t
        .api_get(&f.manager, &format!("/api/v1/cases/{}/plan", f.case))
        .await
        .json()
        .await
        .unwrap();
    let hers: Vec<&str> = replan["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person_id"] == f.children[0].as_str())
        .unwrap()["enrolments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(hers, ["proposed", "ended"], "{replan}");

    // The Engage worker sees his client's enrolment and nothing of the others'.
    let his: Value = t
        .api_get(&f.engage, &format!("/api/v1/cases/{}/plan", f.case))
        .await
        .json()
        .await
        .unwrap();
    for p in his["people"].as_array().unwrap() {
        if p["person_id"] == f.father.as_str() {
            assert_eq!(p["enrolments"].as_array().unwrap().len(), 1);
        } else {
            assert_eq!(p["shown"], false, "{p}");
            assert!(p["enrolments"].as_array().unwrap().is_empty(), "{p}");
        }
    }
    assert_eq!(
        t.api_get(&f.engage, &format!("/api/v1/enrolments/{idva_support}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // And the page: the plan with its people, the Engage worker's with hers withheld.
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let (status, html) = page(&manager, &t, &format!("/cases/{}", f.case)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("The family&#x27;s plan") || html.contains("The family's plan"),
        "the plan heading"
    );
    assert!(html.contains(&format!("/enrolments/{idva_support}")));
    let engage_worker = t.signed_in(&w.staff["engage"].1).await;
    let (_, his_page) = page(&engage_worker, &t, &format!("/cases/{}", f.case)).await;
    assert!(his_page.contains(&format!("/enrolments/{engage}")));
    assert!(!his_page.contains(&format!("/enrolments/{idva_support}")));
    assert!(
        !his_page.contains("The family centre"),
        "the session place is never shown behind the firewall"
    );
    assert!(
        !his_page.contains("Drew her safe place"),
        "nor a child's session note"
    );
    let timeline: Value = t
        .api_get(&f.engage, &format!("/api/v1/cases/{}/timeline", f.case))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !timeline.to_string().contains("Drew her safe place"),
        "{timeline}"
    );
    let (_, managers) = page(&manager, &t, &format!("/cases/{}", f.case)).await;
    assert!(
        managers.contains("Drew her safe place"),
        "the note is on the timeline for those who may read it"
    );
    // Whoever opened an enrolment's page is in the trail, naming it.
    let rows = t.audit_rows().await;
    assert!(
        rows.iter()
            .any(|r| r.1 == "case.enrolment_view" && r.3.contains(&idva_support)),
        "the enrolment view is audited"
    );
}

#[tokio::test]
async fn linked_programmes_enrol_together_and_nothing_is_overwritten() {
    let t = spawn_app().await;
    let w = t.world().await;
    let f = family(&t, &w).await;

    // Grow Together needs the parent with her own child, recorded as such.
    let r = propose(&t, &f.idva, &f.case, "grow_together", &[&f.mother]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = propose(
        &t,
        &f.manager,
        &f.case,
        "grow_together",
        &[&f.mother, &f.children[0]],
    )
    .await;
    let body: Value = r.json().await.unwrap();
    assert!(
        body.to_string()
            .contains("not recorded as Nadia Thornwick's child"),
        "{body}"
    );
    let rel = json!({"from_person": f.mother, "kind": "parent", "to_person": f.children[0]});
    let r = t
        .api_post(
            &f.manager,
            &format!("/api/v1/cases/{}/relationships", f.case),
            &rel,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let pair = created(
        propose(
            &t,
            &f.manager,
            &f.case,
            "grow_together",
            &[&f.mother, &f.children[0]],
        )
        .await,
    )
    .await;
    let plan: Value = t
        .api_get(&f.manager, &format!("/api/v1/cases/{}/plan", f.case))
        .await
        .json()
        .await
        .unwrap();
    let grow = plan.to_string().matches("grow_together").count();
    assert_eq!(grow, 2, "both enrolled together: {plan}");

    // Sent twice, saved once.
    let key = new_key();
    let body = json!({"programme": "recovery", "people": [f.mother], "submission_key": key});
    let path = format!("/api/v1/cases/{}/enrolments", f.case);
    let first = created(t.api_post(&f.idva, &path, &body).await).await;
    let second = created(t.api_post(&f.idva, &path, &body).await).await;
    assert_eq!(first, second);
    // And someone already proposed is not proposed again while it is open.
    let r = propose(&t, &f.idva, &f.case, "recovery", &[&f.mother]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The waiting list: a priority reason is required; the second change on a stale version
    // is refused and tells the user, rather than overwriting.
    let stale = enrolment(&t, &f.manager, &pair).await["version"].clone();
    let (status, body) = change(&t, &f.manager, &pair, json!({"to": "waiting"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "priority_reason");
    let (status, _) = change(
        &t,
        &f.manager,
        &pair,
        json!({"to": "waiting", "priority_reason": "Court date next month"}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let r = t
        .api_post(
            &f.manager,
            &format!("/api/v1/enrolments/{pair}/change"),
            &json!({"to": "ended", "exit_reason": "Completed", "based_on": stale}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let list: Value = t
        .api_get(&f.manager, "/api/v1/programmes/grow_together/waiting")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list[0]["priority_reason"], "Court date next month",
        "{list}"
    );
    let demand: Value = t
        .api_get(&f.manager, "/api/v1/programmes/demand")
        .await
        .json()
        .await
        .unwrap();
    let grow = demand
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == "grow_together")
        .unwrap();
    assert_eq!(grow["waiting"], 1, "{demand}");
    // Started later, its waiting-list reason still reads, with its history kept.
    assert_eq!(
        start(&t, &f, &w, &pair, "children").await.0,
        StatusCode::NO_CONTENT
    );
    let started = enrolment(&t, &f.manager, &pair).await;
    assert_eq!(
        started["priority_reason"], "Court date next month",
        "{started}"
    );
    assert_eq!(started["state"], "active");
    // Workers do not see the service's waiting lists.
    assert_eq!(
        t.api_get(&f.idva, "/api/v1/programmes/demand")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // APVA enrols the young person causing harm with the parent: a role he does not hold is refused.
    let r = propose(
        &t,
        &f.manager,
        &f.case,
        "apva",
        &[&f.children[1], &f.mother],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_catalogue_is_data_a_bad_file_is_refused_and_history_stays() {
    let t = spawn_app().await;
    let w = t.world().await;
    let admin = t.token_for(w.org, w.staff["admin"].0).await;
    let current: Value = t
        .api_get(&admin, "/api/v1/programmes")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current.as_array().unwrap().len(), 7);
    let src = hearth_domain::programme::DEFAULT.1;

    // A file with a mistake is refused, naming the line; the version in use stays.
    let bad = src.replacen("delivery = \"one_to_one\"", "delivery = \"online\"", 1);
    let r = t
        .api_post(
            &admin,
            "/api/v1/programmes",
            &json!({"file": "p.toml", "definition": bad}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("p.toml, line"), "{body}");

    // Renaming a programme is a new version of it; retiring one keeps it in the file.
    let renamed = src
        .replacen(
            "key = \"engage\"\nversion = 1\nname = \"Engage\"",
            "key = \"engage\"\nversion = 2\nname = \"Engage (behaviour change)\"",
            1,
        )
        .replacen(
            "key = \"recovery\"\nversion = 1",
            "key = \"recovery\"\nversion = 2\nretired = true",
            1,
        );
    let r = t
        .api_post(
            &admin,
            "/api/v1/programmes",
            &json!({"file": "p.toml", "definition": renamed}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let now: Value = t
        .api_get(&admin, "/api/v1/programmes")
        .await
        .json()
        .await
        .unwrap();
    assert!(now.to_string().contains("Engage (behaviour change)"));
    let recovery = now
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "recovery")
        .unwrap()
        .clone();
    assert_eq!(recovery["retired"], true);
    // A retired programme is no longer offered.
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let r = t
        .api_post(
            &idva,
            &format!("/api/v1/cases/{}/enrolments", w.case),
            &json!({"programme": "recovery", "people": [w.victim], "submission_key": new_key()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Workers do not load catalogues.
    let r = t
        .api_post(
            &idva,
            "/api/v1/programmes",
            &json!({"file": "p.toml", "definition": src}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
