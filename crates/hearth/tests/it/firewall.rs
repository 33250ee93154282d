//! The tightened firewall (issue 10, items 1–4): someone whose only link to a family is work with
//! the person causing harm learns a victim's or child's name and role in the case, nothing else,
//! and changes nothing about them.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Family {
    case: String,
    reference: String,
    victim: String,
    harm: String,
    child: String,
}

/// A police referral with the referrer's checklist score of 17 (high risk), accepted into a new
/// case; the Idva works with the victim, the Engage practitioner with the person causing harm.
async fn referred_family(t: &TestApp, w: &World) -> Family {
    let referrer = t.token_for(w.org, w.staff["referrer"].0).await;
    let r = t.api_post(&referrer, "/api/v1/referrals", &json!({
        "submission_key": new_key(), "referrer_name": "PC Dawn Hale", "referrer_agency": "police",
        "referrer_phone": "01632 960001", "given_name": "Priya", "family_name": "Larkspurrow",
        "date_of_birth": "1985-02-03", "phone": "07700 900555", "safe_to_phone": "safe",
        "harm_given_name": "Ravi", "harm_family_name": "Larkspurrow",
        "child1_name": "Mia Larkspurrow", "child1_dob": "2015-06-01", "dash_score": "17", "consent": "yes"
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
    let r = t
        .api_post(
            &tm,
            &format!("/api/v1/referrals/{id}/decision"),
            &json!({"decision": "accept", "team_id": w.idva_team}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let case = r.json::<Value>().await.unwrap()["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    let record: Value = t
        .api_get(&tm, &format!("/api/v1/cases/{case}"))
        .await
        .json()
        .await
        .unwrap();
    let person = |role: &str| {
        record["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == role)
            .unwrap()["person_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let f = Family {
        case: case.clone(),
        reference: record["case"]["reference"].as_str().unwrap().to_string(),
        victim: person("victim_survivor"),
        harm: person("person_causing_harm"),
        child: person("child_or_young_person"),
    };
    for (worker, person) in [("idva", &f.victim), ("engage", &f.harm)] {
        let r = t
            .api_post(
                &tm,
                &format!("/api/v1/cases/{case}/allocations"),
                &json!({"worker_id": w.staff[worker].0, "person_id": person}),
            )
            .await;
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    f
}

/// Everything the Engage practitioner can read about the case, pages and API together.
async fn everything_engage_reads(t: &TestApp, w: &World, f: &Family) -> String {
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let token = t.token_for(w.org, w.staff["engage"].0).await;
    let mut all = String::new();
    for page in [
        "/".to_string(),
        "/cases".to_string(),
        format!("/cases/{}", f.case),
        format!("/people/{}", f.victim),
        format!("/people/{}", f.child),
    ] {
        let r = engage.get(t.url(&page)).send().await.unwrap();
        all.push_str(&r.text().await.unwrap());
    }
    for path in [
        "/api/v1/caseload".to_string(),
        "/api/v1/cases".to_string(),
        "/api/v1/due".to_string(),
        format!("/api/v1/cases/{}", f.case),
        format!("/api/v1/cases/{}/timeline", f.case),
        format!("/api/v1/cases/{}/agencies", f.case),
        format!("/api/v1/people/{}", f.victim),
        format!("/api/v1/people/{}/details", f.victim),
        "/search?q=Larkspurrow".to_string(),
        // Found by the case's reference, the family is shown under the victim/survivor.
        format!("/search?q={}", f.reference),
        format!("/api/v1/search?q={}", f.reference),
    ] {
        let r = if path.starts_with("/api") {
            t.api_get(&token, &path).await
        } else {
            engage.get(t.url(&path)).send().await.unwrap()
        };
        let text = r.text().await.unwrap();
        if path.ends_with(&f.reference) {
            assert!(
                text.contains("Priya"),
                "the search by reference finds the family"
            );
        }
        all.push_str(&text);
    }
    all
}

#[tokio::test]
async fn work_with_the_person_causing_harm_learns_only_her_name_and_role() {
    let t = spawn_app().await;
    let w = t.world().await;
    let f = referred_family(&t, &w).await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let tm = t.token_for(w.org, w.staff["team_manager"].0).await;

    // The Idva reaches her by phone and notes it, ordinary class.
    let r = t.api_post(&idva, &format!("/api/v1/cases/{}/timeline", f.case), &json!({
        "kind": "contact", "sensitivity": "ordinary", "person_id": f.victim, "contact_method": "phone",
        "contact_outcome": "spoke", "body": "Spoke at the agreed safe time, weekday mornings", "submission_key": new_key()
    })).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let r = t.api_post(&idva, &format!("/api/v1/cases/{}/agencies", f.case), &json!({
        "person_id": f.victim, "agency": "gp", "name": "Eastmoor Surgery", "consent_to_share": "yes"
    })).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let before = everything_engage_reads(&t, &w, &f).await;

    // Her involvement closes: she moved away.
    let r = t
        .api_post(
            &tm,
            &format!("/api/v1/cases/{}/involvements/close", f.case),
            &json!({"person_id": f.victim, "exit_reason": "moved_away"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let after = everything_engage_reads(&t, &w, &f).await;

    for seen in [&before, &after] {
        assert!(seen.contains("Priya"), "her name and role stay visible");
        assert!(seen.contains("Ravi"), "his own client is fully visible");
        for leak in [
            "score given by the referrer",
            ": 17",
            "muted\">From the referral<",
            "\"High\"",
            ">High<",
            "High risk",
            "agreed safe time",
            "Moved out of the area",
            "moved_away",
            // Whole dates: a bare year also turns up by chance in identifiers and tokens.
            "1985-02-03",
            "03/02/1985",
            "3 February 1985",
            "2015-06-01",
            "01/06/2015",
            "1 June 2015",
            "Eastmoor Surgery",
            "Due by",
            "Overdue</strong>",
            "first_contact\":\"due",
        ] {
            assert!(
                !seen.contains(leak),
                "the Engage practitioner can read {leak:?}"
            );
        }
    }

    // The Idva and the manager still see all of it.
    let timeline = t
        .api_get(&tm, &format!("/api/v1/cases/{}/timeline", f.case))
        .await
        .text()
        .await
        .unwrap();
    assert!(timeline.contains("score given by the referrer: 17"));
    assert!(timeline.contains("Moved out of the area"));
    assert!(timeline.contains("agreed safe time"));
}

#[tokio::test]
async fn work_with_the_person_causing_harm_changes_nothing_about_her() {
    let t = spawn_app().await;
    let w = t.world().await;
    let f = referred_family(&t, &w).await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    let r = t.api_post(&idva, &format!("/api/v1/cases/{}/timeline", f.case), &json!({
        "kind": "note", "sensitivity": "ordinary", "person_id": f.victim, "body": "Housing letter sent", "submission_key": new_key()
    })).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let note = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Her name, date of birth and other names.
    let r = t.api_put(&engage, &format!("/api/v1/people/{}/details", f.victim), &json!({
        "based_on": 1, "given_name": "Pri", "family_name": "Larkspurrow", "aliases": "P Smith", "date_of_birth": "1990-01-01"
    })).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The Idva's ordinary note about her.
    let r = t
        .api_post(
            &engage,
            &format!("/api/v1/cases/{}/timeline/{note}/corrections", f.case),
            &json!({"body": "overwritten"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A new entry about her or the child, of any class, or about the whole family.
    for (person, sensitivity) in [
        (&f.victim, "ordinary"),
        (&f.child, "ordinary"),
        (&f.victim, "sensitive"),
    ] {
        let r = t.api_post(&engage, &format!("/api/v1/cases/{}/timeline", f.case), &json!({
            "kind": "note", "sensitivity": sensitivity, "person_id": person, "body": "about her", "submission_key": new_key()
        })).await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{person} {sensitivity}"
        );
    }
    // A relationship or an agency involving her.
    let r = t
        .api_post(
            &engage,
            &format!("/api/v1/cases/{}/relationships", f.case),
            &json!({"from_person": f.harm, "kind": "lives_with", "to_person": f.victim}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A new child added to the family.
    let r = t
        .api_post(&engage, &format!("/api/v1/cases/{}/members", f.case), &json!({"given_name": "Baby", "family_name": "Larkspurrow", "role": "child_or_young_person"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Nothing changed.
    let v: Value = t
        .api_get(&idva, &format!("/api/v1/people/{}/details", f.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["details"]["given_name"], "Priya");
    assert_eq!(v["version"], 1);
    let timeline = t
        .api_get(&idva, &format!("/api/v1/cases/{}/timeline", f.case))
        .await
        .text()
        .await
        .unwrap();
    assert!(!timeline.contains("overwritten") && !timeline.contains("about her"));
    let case = t
        .api_get(&idva, &format!("/api/v1/cases/{}", f.case))
        .await
        .text()
        .await
        .unwrap();
    assert!(!case.contains("Baby"));

    // He still records work with his own client.
    let r = t.api_post(&engage, &format!("/api/v1/cases/{}/timeline", f.case), &json!({
        "kind": "note", "sensitivity": "sensitive", "person_id": f.harm, "body": "Session one", "submission_key": new_key()
    })).await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// What each role may learn on the four paths that leaked (issue 10, items 1–4), and what each
/// write about the victim answers. `V`: shown; `W`: withheld though the page opens; `-`: the
/// case is not theirs at all (404). Columns: Idva (allocated to her), Engage practitioner
/// (allocated to him), team manager, service manager, children's worker (not allocated).
const V: char = 'V';
const W: char = 'W';
const N: char = '-';
#[rustfmt::skip]
const SEEN: &[(&str, &str, &str, [char; 5])] = &[
    // (what, path, marker)                                            idva eng tm sm cyp
    ("referrer's score on the case list",   "/cases",                 "muted\">From the referral<",          [V, W, V, V, W]),
    ("referrer's score on the timeline",    "/api/v1/cases/{case}/timeline", "score given by the referrer: 17", [V, W, V, V, N]),
    ("her first-contact deadline",          "/cases/{case}",          "Due by",                              [V, W, V, V, N]),
    ("her exit reason",                     "/cases/{case}",          "Moved out of the area",               [V, W, V, V, N]),
    ("her exit reason, API",                "/api/v1/cases/{case}",   "moved_away",                          [V, W, V, V, N]),
    ("a contact with her",                  "/api/v1/cases/{case}/timeline", "agreed safe time",             [V, W, V, V, N]),
    ("her date of birth",                   "/api/v1/people/{victim}", "1985-02-03",                         [V, W, V, V, N]),
];
/// (what, method, path, body) and the status each role gets.
#[rustfmt::skip]
const WRITES: &[(&str, &str, &str, [u16; 5])] = &[
    ("change her details",       "PUT",  "/api/v1/people/{victim}/details",                 [200, 403, 200, 200, 404]),
    ("correct a note about her", "POST", "/api/v1/cases/{case}/timeline/{note}/corrections", [200, 404, 200, 200, 404]),
    ("open her edit page",       "GET",  "/people/{victim}/edit",                           [200, 403, 200, 200, 404]),
];
const WHO: [&str; 5] = [
    "idva",
    "engage",
    "team_manager",
    "service_manager",
    "children",
];

#[tokio::test]
async fn the_firewall_paths_answer_every_role_as_written_down() {
    let t = spawn_app().await;
    let w = t.world().await;
    let f = referred_family(&t, &w).await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let tm = t.token_for(w.org, w.staff["team_manager"].0).await;
    let r = t.api_post(&idva, &format!("/api/v1/cases/{}/timeline", f.case), &json!({
        "kind": "contact", "sensitivity": "ordinary", "person_id": f.victim, "contact_method": "phone",
        "contact_outcome": "no_answer", "body": "Tried at the agreed safe time", "submission_key": new_key()
    })).await;
    let note = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The Idva also holds the family, so closing her involvement leaves the Idva the case.
    let r = t
        .api_post(
            &tm,
            &format!("/api/v1/cases/{}/allocations", f.case),
            &json!({"worker_id": w.staff["idva"].0}),
        )
        .await;
    assert!(r.status().is_success());
    let fill = |p: &str| {
        p.replace("{case}", &f.case)
            .replace("{victim}", &f.victim)
            .replace("{note}", &note)
    };
    let mut failures = Vec::new();
    // Her first-contact deadline is seen before anyone reaches her; the exit reason once she goes.
    for phase in ["open", "closed"] {
        if phase == "closed" {
            let r = t
                .api_post(
                    &tm,
                    &format!("/api/v1/cases/{}/involvements/close", f.case),
                    &json!({"person_id": f.victim, "exit_reason": "moved_away"}),
                )
                .await;
            assert!(r.status().is_success());
        }
        for (col, key) in WHO.iter().enumerate() {
            let token = t.token_for(w.org, w.staff[key].0).await;
            let browser = t.signed_in(&w.staff[key].1).await;
            for (what, path, marker, expected) in SEEN {
                let applies = match (phase, *what) {
                    ("open", w) => !w.starts_with("her exit reason"),
                    (_, w) => w != "her first-contact deadline",
                };
                if !applies {
                    continue;
                }
                let path = fill(path);
                let r = if path.starts_with("/api") {
                    t.api_get(&token, &path).await
                } else {
                    browser.get(t.url(&path)).send().await.unwrap()
                };
                let status = r.status();
                let seen = match (status, r.text().await.unwrap().contains(marker)) {
                    (StatusCode::NOT_FOUND, _) => N,
                    (_, true) => V,
                    (_, false) => W,
                };
                if seen != expected[col] {
                    failures.push(format!(
                        "{key} / {what} ({phase}): expected {}, got {seen} ({status})",
                        expected[col]
                    ));
                }
            }
        }
    }
    for (col, key) in WHO.iter().enumerate() {
        let token = t.token_for(w.org, w.staff[key].0).await;
        let browser = t.signed_in(&w.staff[key].1).await;
        for (what, method, path, expected) in WRITES {
            let path = fill(path);
            let status = match *method {
                "GET" => browser.get(t.url(&path)).send().await.unwrap().status(),
                "PUT" => {
                    let v: Value = t.api_get(&idva, &path).await.json().await.unwrap();
                    let r = t.api_put(&token, &path, &json!({"based_on": v["version"], "given_name": "Priya", "family_name": "Larkspurrow", "date_of_birth": "03/02/1985", "gender": ""})).await;
                    let status = r.status();
                    if status == StatusCode::UNPROCESSABLE_ENTITY {
                        failures.push(r.text().await.unwrap());
                    }
                    status
                }
                _ => t.api_post(&token, &path, &json!({"body": format!("Corrected by {key}"), "contact_method": "phone", "contact_outcome": "no_answer"})).await.status(),
            };
            if status.as_u16() != expected[col] {
                failures.push(format!(
                    "{key} / {what}: expected {}, got {status}",
                    expected[col]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "firewall matrix broken:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn only_those_who_allocate_list_the_staff_to_allocate() {
    let t = spawn_app().await;
    let w = t.world().await;
    let actor = |key: &str, role| hearth_domain::Actor {
        user_id: w.staff[key].0,
        org_id: w.org,
        team_id: Some(w.idva_team),
        role,
        break_glass: vec![],
    };
    let engage = actor("engage", hearth_domain::Role::EngagePractitioner);
    assert!(matches!(
        hearth_app::casework::allocatable_workers(&t.app, &engage).await,
        Err(hearth_app::AppError::Forbidden)
    ));
    let manager = actor("team_manager", hearth_domain::Role::TeamManager);
    let staff = hearth_app::casework::allocatable_workers(&t.app, &manager)
        .await
        .unwrap();
    assert!(staff.iter().any(|s| s.id == w.staff["idva"].0));
}
