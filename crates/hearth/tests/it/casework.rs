//! Contact details and the timeline, and the firewall around them: someone whose only link to a
//! family is work with the person causing harm never sees the victim's or child's location or
//! sensitive notes, whichever way they ask.

use crate::common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const ADDRESS: &str = "Flat 3, 12 Refuge Lane, Northshire";
const DISCLOSURE: &str = "She disclosed he tried to strangle her on Friday";
const CHILD_SAID: &str = "Alfie said he hides under the bed when they shout";

/// Save a version of someone's contact details through the form, and check it was saved.
async fn save_contact(t: &TestApp, by: &Client, person: uuid::Uuid, fields: &[(&str, &str)]) {
    let page = format!("/people/{person}/contact");
    let r = t.submit(by, &page, &page, fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
}

async fn record_victim_contact(t: &TestApp, idva: &Client, victim: uuid::Uuid) {
    save_contact(
        t,
        idva,
        victim,
        &[
            ("based_on", "0"),
            ("phone", "07700 900982"),
            ("phone_safety", "not_safe"),
            ("text_safety", "safe"),
            ("text_when", "Weekdays 10 to 2, when he is at work"),
            ("email", "zoe.q@example.org"),
            ("email_safety", "not_known"),
            ("letter_safety", "not_safe"),
            ("voicemail_safety", "not_safe"),
            ("address", ADDRESS),
            ("postcode", "ns1 2ab"),
            ("confidential_address", "yes"),
        ],
    )
    .await;
}

/// The case page reads every shown person's current details together: after a second save it
/// shows the new arrangements, never the earlier ones, and still nothing behind the firewall.
#[tokio::test]
async fn the_case_page_shows_current_safe_contact_only() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    record_victim_contact(&t, &idva, w.victim).await;
    let case_url = format!("/cases/{}", w.case);
    let top = |html: String| {
        html.split("id=\"main-actions\"")
            .next()
            .unwrap()
            .to_string()
    };
    let before = top(page(&idva, &t, &case_url).await.1);
    assert!(
        before.contains("Weekdays 10 to 2, when he is at work"),
        "{before}"
    );

    save_contact(
        &t,
        &idva,
        w.victim,
        &[
            ("based_on", "1"),
            ("phone", "07700 900982"),
            ("phone_safety", "safe"),
            ("phone_when", "Evenings after 7"),
            ("text_safety", "not_safe"),
            ("letter_safety", "not_safe"),
            ("voicemail_safety", "not_safe"),
            ("address", ADDRESS),
            ("postcode", "ns1 2ab"),
        ],
    )
    .await;
    let after = top(page(&idva, &t, &case_url).await.1);
    assert!(after.contains("Evenings after 7"), "{after}");
    assert!(!after.contains("when he is at work"), "{after}");

    let engage = t.signed_in(&w.staff["engage"].1).await;
    let seen = page(&engage, &t, &case_url).await.1;
    assert!(!seen.contains("Evenings after 7") && !seen.contains("when he is at work"));
}

#[tokio::test]
async fn contact_details_are_shown_arrangements_first_and_withheld_behind_the_firewall() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    record_victim_contact(&t, &idva, w.victim).await;

    let html = idva
        .get(t.url(&format!("/people/{}", w.victim)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(ADDRESS) && html.contains("NS1 2AB"),
        "the Idva sees the address, postcode normalised"
    );
    assert!(html.contains("Confidential address."));
    let arrangements = html.find("Safe contact arrangements").unwrap();
    assert!(
        arrangements < html.find("07700 900982").unwrap(),
        "arrangements come before any detail"
    );
    assert!(html.contains("Weekdays 10 to 2, when he is at work"));

    // The Engage practitioner works with the person causing harm in the same case.
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let html = engage
        .get(t.url(&format!("/people/{}", w.victim)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("You cannot see this person's contact details."));
    for secret in [
        ADDRESS,
        "Refuge",
        "NS1 2AB",
        "07700",
        "zoe.q@",
        "when he is at work",
    ] {
        assert!(!html.contains(secret), "Engage page shows {secret}");
    }
    let r = engage
        .get(t.url(&format!("/people/{}/contact", w.victim)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains("Refuge"));
    // The child is protected too.
    let html = engage
        .get(t.url(&format!("/people/{}", w.child)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("You cannot see this person's contact details."));

    let token = t.token_for(w.org, w.staff["engage"].0).await;
    let r = t
        .api_get(&token, &format!("/api/v1/people/{}/contact", w.victim))
        .await;
    let body = r.text().await.unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "withheld");
    assert!(v["details"].is_null());
    assert!(!body.contains("Refuge") && !body.contains("07700"));
    // Nor can they change it (which would also tell them it exists).
    let r = t
        .api_put(
            &token,
            &format!("/api/v1/people/{}/contact", w.victim),
            &json!({"based_on": 1, "address": "anything"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains("Refuge"));

    // Those who may see it: the Idva, the child's worker, the team and service managers.
    for key in ["idva", "children", "team_manager", "service_manager"] {
        let token = t.token_for(w.org, w.staff[key].0).await;
        let v: Value = t
            .api_get(&token, &format!("/api/v1/people/{}/contact", w.victim))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["status"], "shown", "{key}");
        assert_eq!(v["details"]["address"], ADDRESS, "{key}");
        assert_eq!(v["details"]["arrangements"][0]["channel"], "phone");
        assert_eq!(v["details"]["arrangements"][0]["safety"], "not_safe");
    }

    // Viewing location data is audited; being refused it is not a view.
    let rows = t.audit_rows().await;
    let viewers: Vec<_> = rows
        .iter()
        .filter(|r| r.1 == "person.contact_view")
        .filter_map(|r| r.5.clone())
        .collect();
    assert!(viewers.contains(&w.staff["idva"].0.to_string()));
    assert!(!viewers.contains(&w.staff["engage"].0.to_string()));

    // And the database file holds none of it in the clear.
    if let Some(path) = &t.sqlite_file {
        let mut raw = std::fs::read(path).unwrap();
        raw.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
        for plain in ["Refuge Lane", "07700 900982", "when he is at work"] {
            assert!(
                !raw.windows(plain.len()).any(|w| w == plain.as_bytes()),
                "{plain} in the database file"
            );
        }
    }
}

#[tokio::test]
async fn contact_changes_keep_history_and_never_silently_overwrite() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    record_victim_contact(&t, &idva, w.victim).await;

    // Two people open the form at version 1; the second to save is told, and keeps their typing.
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let page = format!("/people/{}/contact", w.victim);
    let r = t
        .submit(
            &idva,
            &page,
            &page,
            &[
                ("based_on", "1"),
                ("address", "New refuge, Eastmoor"),
                ("postcode", "EM1 1AA"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = t
        .submit(
            &manager,
            &page,
            &page,
            &[
                ("based_on", "1"),
                ("address", "Manager's stale edit"),
                ("postcode", "NS9 9ZZ"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("Someone else changed these contact details"));
    assert!(
        html.contains("Manager&#39;s stale edit") || html.contains("Manager's stale edit"),
        "typed text kept"
    );

    let html = idva
        .get(t.url(&format!("/people/{}", w.victim)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("New refuge, Eastmoor"));
    assert!(!html.contains("stale edit"));
    assert!(html.contains("Earlier versions (1)"));
    assert!(
        html.contains(ADDRESS),
        "the earlier address is kept in the history"
    );

    // Bad input names the field and keeps what was typed.
    let r = t
        .submit(
            &idva,
            &page,
            &page,
            &[
                ("based_on", "2"),
                ("postcode", "not a postcode"),
                ("phone", "12"),
                ("text_safety", "safe"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("href=\"#postcode\"") && html.contains("Enter a real postcode"));
    assert!(html.contains("href=\"#phone\""));
    assert!(html.contains("value=\"not a postcode\""));
}

#[tokio::test]
async fn sensitive_notes_never_reach_work_with_the_person_causing_harm() {
    let t = spawn_app().await;
    let w = t.world().await;
    let case = w.case;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let children = t.signed_in(&w.staff["children"].1).await;
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let (victim, child, harm) = (
        w.victim.to_string(),
        w.child.to_string(),
        w.perpetrator.to_string(),
    );

    for (who, fields) in [
        (
            &idva,
            vec![
                ("kind", "note"),
                ("sensitivity", "sensitive"),
                ("person_id", victim.as_str()),
                ("body", DISCLOSURE),
            ],
        ),
        (
            &idva,
            vec![
                ("kind", "note"),
                ("sensitivity", "ordinary"),
                ("person_id", "family"),
                ("body", "Family referred on to housing"),
            ],
        ),
        (
            &children,
            vec![
                ("kind", "note"),
                ("sensitivity", "sensitive"),
                ("person_id", child.as_str()),
                ("body", CHILD_SAID),
            ],
        ),
        (
            &engage,
            vec![
                ("kind", "note"),
                ("sensitivity", "sensitive"),
                ("person_id", harm.as_str()),
                ("body", "He admitted controlling the money"),
            ],
        ),
        (
            &engage,
            vec![
                ("kind", "contact"),
                ("sensitivity", "ordinary"),
                ("person_id", harm.as_str()),
                ("contact_method", "phone"),
                ("contact_outcome", "spoke"),
                ("body", ""),
            ],
        ),
    ] {
        let r = add_entry(&t, who, case, &fields).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{:?}: {}",
            fields,
            r.text().await.unwrap()
        );
    }

    // The Idva sees everything about the family.
    let html = idva
        .get(t.url(&format!("/cases/{case}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for text in [
        DISCLOSURE,
        CHILD_SAID,
        "He admitted controlling the money",
        "Family referred on to housing",
    ] {
        assert!(
            html.contains(text.replace('\'', "&#39;").as_str()) || html.contains(text),
            "Idva misses {text}"
        );
    }

    // The Engage practitioner sees their own client's entries and nothing else, not even an
    // ordinary note about the whole family (it is about her and the children too), and no trace.
    let html = engage
        .get(t.url(&format!("/cases/{case}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Family referred on to housing"));
    assert!(html.contains("He admitted controlling the money"));
    assert!(html.contains("Successful: spoke with them"));
    for secret in [DISCLOSURE, "strangle", CHILD_SAID, "under the bed"] {
        assert!(!html.contains(secret), "Engage case page shows {secret}");
    }
    assert_eq!(
        html.matches("<article").count(),
        2,
        "no placeholder hints at hidden entries"
    );
    let filtered = engage
        .get(t.url(&format!("/cases/{case}?person={victim}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!filtered.contains("strangle"));

    let token = t.token_for(w.org, w.staff["engage"].0).await;
    let body = t
        .api_get(&token, &format!("/api/v1/cases/{case}/timeline"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !body.contains("strangle") && !body.contains("under the bed"),
        "{body}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Asking for the hidden entry directly, correcting it or withdrawing it gives nothing away.
    let idva_token = t.token_for(w.org, w.staff["idva"].0).await;
    let all: Value = t
        .api_get(&idva_token, &format!("/api/v1/cases/{case}/timeline"))
        .await
        .json()
        .await
        .unwrap();
    let hidden = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["versions"][0]["body"] == DISCLOSURE)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = engage
        .get(t.url(&format!("/cases/{case}/entries/{hidden}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains("strangle"));
    let r = t
        .api_post(
            &token,
            &format!("/api/v1/cases/{case}/timeline/{hidden}/corrections"),
            &json!({"body": "overwritten"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // They cannot write a sensitive entry about the victim either (they could not read it back).
    let r = add_entry(
        &t,
        &engage,
        case,
        &[
            ("kind", "note"),
            ("sensitivity", "sensitive"),
            ("person_id", &victim),
            ("body", "x"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("only about the people you work with"));

    // A colleague not allocated to the case gets nothing at all.
    let idva2 = t.token_for(w.org, w.staff["idva2"].0).await;
    assert_eq!(
        t.api_get(&idva2, &format!("/api/v1/cases/{case}/timeline"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn corrections_keep_history_and_only_managers_withdraw_with_a_reason() {
    let t = spawn_app().await;
    let w = t.world().await;
    let case = w.case;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let r = add_entry(
        &t,
        &idva,
        case,
        &[
            ("kind", "note"),
            ("sensitivity", "ordinary"),
            ("body", "Met at the school gate"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let all: Value = t
        .api_get(&token, &format!("/api/v1/cases/{case}/timeline"))
        .await
        .json()
        .await
        .unwrap();
    let entry = all[0]["id"].as_str().unwrap().to_string();

    let page = format!("/cases/{case}/entries/{entry}/correct");
    let r = t
        .submit(
            &idva,
            &page,
            &page,
            &[
                ("body", "Met at the library, not the school gate"),
                ("occurred_on", ""),
                ("occurred_time", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = idva
        .get(t.url(&format!("/cases/{case}/entries/{entry}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Version 2 (current)") && html.contains("Met at the library"));
    assert!(
        html.contains("Version 1") && html.contains("Met at the school gate"),
        "the earlier text stays visible"
    );

    // A worker may not withdraw.
    let wpage = format!("/cases/{case}/entries/{entry}");
    let r = t
        .submit(
            &idva,
            &wpage,
            &format!("{wpage}/withdraw"),
            &[("reason", "mine")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A manager must give a reason.
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let r = t
        .submit(
            &manager,
            &wpage,
            &format!("{wpage}/withdraw"),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Say why this entry is being withdrawn"));
    let r = t
        .submit(
            &manager,
            &wpage,
            &format!("{wpage}/withdraw"),
            &[("reason", "Recorded on the wrong family")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = idva
        .get(t.url(&wpage))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Withdrawn") && html.contains("Recorded on the wrong family"));
    assert!(
        html.contains("Met at the school gate"),
        "withdrawn, not deleted"
    );
    let rows = t.audit_rows().await;
    for action in [
        "case.entry_add",
        "case.entry_correct",
        "case.entry_withdraw",
    ] {
        assert!(rows.iter().any(|r| r.1 == action), "{action} audited");
    }
}

#[tokio::test]
async fn timeline_input_is_checked_stored_faithfully_and_saved_once() {
    let t = spawn_app().await;
    let w = t.world().await;
    let case = w.case;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let client = Client::new();
    let post = |body: Value| {
        client
            .post(t.url(&format!("/api/v1/cases/{case}/timeline")))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };

    // A long note with emoji and right-to-left text is kept exactly.
    let long: String = "فاطمة قالت 🌻 — line one\n".repeat(4_000);
    assert!(
        long.chars().count() < 100_000 && long.len() > 100_000,
        "over 100 KB"
    );
    let r = post(
        json!({"kind": "note", "sensitivity": "ordinary", "body": long, "submission_key": new_key()}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let all: Value = t
        .api_get(&token, &format!("/api/v1/cases/{case}/timeline"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        all[0]["versions"][0]["body"].as_str().unwrap(),
        long.trim_end()
    );

    // Too long is refused with a reason, not cut short.
    let r = post(json!({"kind": "note", "sensitivity": "ordinary", "body": "x".repeat(100_001), "submission_key": new_key()})).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["fields"][0]["field"], "body");

    let bad = [
        (
            json!({"kind": "note", "sensitivity": "ordinary", "body": "x", "occurred_on": "01/01/2030"}),
            "occurred_on",
        ),
        (
            json!({"kind": "note", "sensitivity": "ordinary", "body": "x", "occurred_on": "01/01/2020"}),
            "occurred_on",
        ),
        (
            json!({"kind": "note", "sensitivity": "ordinary", "body": "x", "occurred_on": "31/02/2026"}),
            "occurred_on",
        ),
        (
            json!({"kind": "gossip", "sensitivity": "ordinary", "body": "x"}),
            "kind",
        ),
        (
            json!({"kind": "note", "sensitivity": "ordinary", "body": "x", "person_id": w.other_org_person}),
            "person_id",
        ),
        (
            json!({"kind": "contact", "sensitivity": "ordinary", "body": ""}),
            "contact_method",
        ),
    ];
    for (body, field) in bad {
        let mut body = body;
        body["submission_key"] = json!(new_key());
        let r = post(body.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{body}: {v}"
        );
    }

    // The same submission twice is one entry.
    let k = new_key();
    let first: Value = post(json!({"kind": "event", "sensitivity": "ordinary", "body": "Moved to refuge", "submission_key": k})).await.unwrap().json().await.unwrap();
    let second: Value = post(json!({"kind": "event", "sensitivity": "ordinary", "body": "Moved to refuge", "submission_key": k})).await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    let all: Value = t
        .api_get(&token, &format!("/api/v1/cases/{case}/timeline?kind=event"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);

    // A form page double-submitted by the browser behaves the same.
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let html = idva
        .get(t.url(&format!("/cases/{case}/entries/new")))
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
    let csrf = csrf_in(&html);
    for _ in 0..2 {
        let r = idva
            .post(t.url(&format!("/cases/{case}/entries")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("submission_key", &submission),
                ("kind", "note"),
                ("sensitivity", "ordinary"),
                ("person_id", "family"),
                ("body", "Double-clicked save"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let html = idva
        .get(t.url(&format!("/cases/{case}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("Double-clicked save").count(), 1);
}

#[tokio::test]
async fn managers_allocate_and_close_and_access_follows_allocation() {
    let t = spawn_app().await;
    let w = t.world().await;
    let case = w.case;
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let idva2 = t.signed_in(&w.staff["idva2"].1).await;
    assert_eq!(
        idva2
            .get(t.url(&format!("/cases/{case}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    let page = format!("/cases/{case}");
    let alloc = format!("{page}/allocations");
    let victim = w.victim.to_string();
    let worker = w.staff["idva2"].0.to_string();
    let r = t
        .submit(
            &manager,
            &page,
            &alloc,
            &[("worker_id", &worker), ("person_id", &victim)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        idva2.get(t.url(&page)).send().await.unwrap().status(),
        StatusCode::OK,
        "allocation opens the case"
    );
    let r = t
        .submit(
            &manager,
            &page,
            &alloc,
            &[("worker_id", &worker), ("person_id", &victim)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("already allocated"));
    let r = t
        .submit(
            &manager,
            &page,
            &alloc,
            &[
                ("worker_id", &w.staff["evaluator"].0.to_string()),
                ("person_id", &w.other_org_person.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Choose a worker from the list")
            && html.contains("Choose someone who is in this case")
    );

    // A worker cannot allocate; a colleague outside the case learns nothing.
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let r = t
        .submit(&idva, &page, &alloc, &[("worker_id", &worker)])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let token = t.token_for(w.org, w.staff["children"].0).await;
    let r = t
        .api_post(
            &token,
            &format!("/api/v1/cases/{}/allocations", w.team_case),
            &json!({"worker_id": w.staff["children"].0}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Allocating an Engage practitioner to the victim by mistake still shows them nothing protected.
    let r = t
        .submit(
            &manager,
            &page,
            &alloc,
            &[
                ("worker_id", &w.staff["engage"].0.to_string()),
                ("person_id", &victim),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    let v: Value = t
        .api_get(&engage, &format!("/api/v1/people/{victim}/contact"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "withheld");

    // Ending an allocation closes the door again.
    let r = t
        .submit(
            &manager,
            &page,
            &format!("{page}/allocations/end"),
            &[("worker_id", &worker), ("person_id", &victim)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        idva2.get(t.url(&page)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // Closing needs a reason; then allocations end, and the case leaves the caseload.
    let r = t
        .submit(
            &manager,
            &page,
            &format!("{page}/close"),
            &[("exit_reason", ""), ("closing_note", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Choose why the case is closing"));
    let r = t
        .submit(
            &manager,
            &page,
            &format!("{page}/close"),
            &[
                ("exit_reason", "goals_met"),
                ("closing_note", "Safe at new address"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = manager
        .get(t.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<dd>Closed</dd>")
            && html.contains("Case closed: Goals met. Safe at new address")
    );
    let home = idva
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("NS-0001"));
    let mgr = t.token_for(w.org, w.staff["team_manager"].0).await;
    let r = t
        .api_post(
            &mgr,
            &format!("/api/v1/cases/{case}/close"),
            &json!({"exit_reason": "goals_met"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let rows = t.audit_rows().await;
    for action in ["case.allocate", "case.deallocate", "case.close"] {
        assert!(rows.iter().any(|r| r.1 == action), "{action}");
    }
}

#[tokio::test]
async fn search_finds_only_what_the_user_may_open_and_never_by_protected_location() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    record_victim_contact(&t, &idva, w.victim).await;
    let names = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    };
    let search = |key: &'static str, q: &'static str| {
        let t = &t;
        let w = &w;
        async move {
            let token = t.token_for(w.org, w.staff[key].0).await;
            let url = format!(
                "/api/v1/search?q={}",
                q.replace(' ', "%20").replace('/', "%2F")
            );
            t.api_get(&token, &url).await.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        names(search("idva", "zoe").await),
        ["Zoë Quillfeather"],
        "spelling variant"
    );
    assert_eq!(
        names(search("idva", "01/04/1990").await),
        ["Zoë Quillfeather"],
        "date of birth"
    );
    assert_eq!(
        names(search("idva", "07700 900982").await),
        ["Zoë Quillfeather"],
        "phone"
    );
    assert_eq!(
        names(search("idva", "ns1 2ab").await),
        ["Zoë Quillfeather"],
        "postcode"
    );
    assert!(
        names(search("idva", "Grace").await).is_empty(),
        "a colleague's case"
    );
    assert_eq!(
        names(search("team_manager", "Grace Marrowdene").await),
        ["Grace Marrowdene"]
    );
    assert!(
        names(search("team_manager", "Kyle").await).is_empty(),
        "another team's case"
    );
    assert_eq!(
        names(search("service_manager", "Kyle").await),
        ["Kyle Sallowmere"]
    );
    assert!(
        names(search("service_manager", "Amira").await).is_empty(),
        "another organisation"
    );
    assert!(
        names(search("admin", "Zoe").await).is_empty(),
        "administrators open no case records"
    );

    // The Engage practitioner may find the victim by name (an ordinary field)...
    assert_eq!(
        names(search("engage", "Zoe Quillfeather").await),
        ["Zoë Quillfeather"]
    );
    // ...but never by her phone number or postcode, which would tell them where she is.
    assert!(names(search("engage", "07700 900982").await).is_empty());
    assert!(names(search("engage", "NS1 2AB").await).is_empty());
    assert_eq!(
        search("engage", "NS-0001").await[0]["matched_on"],
        "case reference"
    );
    assert!(names(search("idva2", "NS-0001").await).is_empty());

    // The page works the same, and the trail records the kind of search, never the words.
    let html = idva
        .get(t.url("/search?q=Quillfeather"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Zoë Quillfeather") && html.contains("NS-0001"));
    for (_, action, _, detail, _, _) in t.audit_rows().await {
        if action == "search" {
            assert!(
                !detail.contains("Quill")
                    && !detail.contains("07700")
                    && !detail.to_lowercase().contains("zoe"),
                "{detail}"
            );
        }
    }
}

#[tokio::test]
async fn break_glass_opens_a_case_for_a_day_with_a_reason_that_managers_review() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    record_victim_contact(&t, &idva, w.victim).await;
    let case_page = format!("/cases/{}", w.case);
    let colleague = t.signed_in(&w.staff["idva2"].1).await;
    assert_eq!(
        colleague
            .get(t.url(&case_page))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    let r = t
        .submit(
            &colleague,
            "/break-glass",
            "/break-glass",
            &[("reference", "NS-0001"), ("reason", "urgent")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("shown to the service manager"));
    for reference in ["NS-9999", "SV-0001"] {
        let r = t
            .submit(
                &colleague,
                "/break-glass",
                "/break-glass",
                &[
                    ("reference", reference),
                    ("reason", "Victim called in crisis, Ifeoma is on leave"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{reference}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("No case has that reference"),
            "another organisation's case is simply not there"
        );
    }
    let r = t
        .submit(
            &colleague,
            "/break-glass",
            "/break-glass",
            &[
                ("reference", "ns-0001"),
                ("reason", "Victim called in crisis, Ifeoma is on leave"),
            ],
        )
        .await;
    assert_eq!(location(&r), case_page);
    assert_eq!(
        colleague
            .get(t.url(&case_page))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let html = colleague
        .get(t.url(&format!("/people/{}", w.victim)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("12 Refuge Lane"),
        "an Idva in an emergency can see how to reach her safely"
    );
    assert!(t
        .audit_rows()
        .await
        .iter()
        .any(|r| r.1 == "case.break_glass" && r.4.as_deref() == Some(w.case.to_string().as_str())));

    // The service manager reviews it; a team manager's role does not include the log.
    let sm = t.signed_in(&w.staff["service_manager"].1).await;
    let log = sm
        .get(t.url("/break-glass/log"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        log.contains("Test idva2")
            && log.contains("NS-0001")
            && log.contains("Victim called in crisis")
    );
    let tm = t.signed_in(&w.staff["team_manager"].1).await;
    assert_eq!(
        tm.get(t.url("/break-glass/log"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    // Roles without casework cannot break glass at all.
    for key in ["admin", "evaluator"] {
        let token = t.token_for(w.org, w.staff[key].0).await;
        let r = t
            .api_post(
                &token,
                "/api/v1/break-glass",
                &json!({"reference": "NS-0001", "reason": "Just curious about this family"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{key}");
    }

    // Break-glass does not get round the firewall: an Engage practitioner still sees nothing protected.
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    let r = t
        .api_post(
            &engage,
            "/api/v1/break-glass",
            &json!({"reference": "NS-0002", "reason": "Client says he is at this address now"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let case: Value = t
        .api_get(&engage, &format!("/api/v1/cases/{}", w.team_case))
        .await
        .json()
        .await
        .unwrap();
    let grace = case["members"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v: Value = t
        .api_get(&engage, &format!("/api/v1/people/{grace}/contact"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "withheld");

    // After eight hours the door closes again.
    t.clock
        .advance(time::Duration::hours(8) + time::Duration::minutes(1));
    let colleague = t.signed_in(&w.staff["idva2"].1).await;
    assert_eq!(
        colleague
            .get(t.url(&case_page))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn person_details_keep_history_match_other_names_and_hide_equality_behind_the_firewall() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let edit = format!("/people/{}/edit", w.victim);
    let r = t
        .submit(
            &idva,
            &edit,
            &edit,
            &[
                ("based_on", "1"),
                ("given_name", "Zoë"),
                ("family_name", "Quillfeather"),
                ("aliases", "Zoe Marsh\nZo Quill"),
                ("date_of_birth", "01/04/1990"),
                ("gender", "woman"),
                ("language", "Polish"),
                ("interpreter_needed", "yes"),
                ("disability", "prefer_not_to_say"),
                ("ethnicity", "White Polish"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let html = idva
        .get(t.url(&format!("/people/{}", w.victim)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Zo Quill, Zoe Marsh")
            && html.contains("needs an interpreter")
            && html.contains("White Polish")
    );
    assert!(html.contains("Earlier details (1)"));
    // Opening her equality answers is a view the trail records, by the guard that opened them.
    let mut conn = t.app.store.conn().await.unwrap();
    let views: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'person.equality_view' AND actor_id = $1 AND entity_id = $2",
    )
    .bind(w.staff["idva"].0.to_string())
    .bind(w.victim.to_string())
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(views, 1);
    drop(conn);

    // Other names are found by search.
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let found: Value = t
        .api_get(&token, "/api/v1/search?q=Zoe%20Marsh")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found[0]["matched_on"], "other name");

    // Someone else saving an older version is told, and nothing is overwritten.
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let r = t
        .submit(
            &manager,
            &edit,
            &edit,
            &[
                ("based_on", "1"),
                ("given_name", "Zoe"),
                ("family_name", "Q"),
                ("gender", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Someone else changed these details"));

    // Bad input names the field.
    let r = t
        .submit(
            &idva,
            &edit,
            &edit,
            &[
                ("based_on", "2"),
                ("given_name", ""),
                ("family_name", "Q"),
                ("gender", "robot"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("href=\"#given_name\"") && html.contains("href=\"#gender\""));

    // The Engage practitioner learns her name and nothing else: not her other names, language
    // or equality answers. Changing her details is refused and changes nothing.
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    let v: Value = t
        .api_get(&engage, &format!("/api/v1/people/{}/details", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["equality_shown"], false);
    assert_eq!(v["details_shown"], false);
    assert_eq!(v["details"]["given_name"], "Zoë");
    assert_eq!(v["details"]["language"], "");
    let body = serde_json::to_string(&v).unwrap();
    assert!(!body.contains("White Polish") && !body.contains("Polish") && !body.contains("Marsh"));
    let r = t.api_put(&engage, &format!("/api/v1/people/{}/details", w.victim), &json!({"based_on": 2, "given_name": "Zoë", "family_name": "Quillfeather", "aliases": "Zoe Marsh", "gender": "woman", "language": "Polish and English", "disability": ""})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = t
        .api_get(&token, &format!("/api/v1/people/{}/details", w.victim))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["details"]["language"], "Polish", "nothing changed");
    assert_eq!(v["details"]["equality"]["ethnicity"], "White Polish");
    assert!(t.audit_rows().await.iter().any(|r| r.1 == "person.update"));
}

#[tokio::test]
async fn people_join_a_case_with_a_role_and_relationships_stay_inside_it() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let page = format!("/cases/{}", w.case);
    let r = t
        .submit(
            &idva,
            &page,
            &format!("{page}/members"),
            &[
                ("given_name", "Maisie"),
                ("family_name", "Quillfeather"),
                ("date_of_birth", "02/02/2020"),
                ("role", "godmother"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Choose their role in this case from the list")
            && html.contains("href=\"#role\"")
    );
    assert!(
        !idva
            .get(t.url(&page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Maisie"),
        "nothing half-saved"
    );
    let r = t
        .submit(
            &idva,
            &page,
            &format!("{page}/members"),
            &[
                ("given_name", "Maisie"),
                ("family_name", "Quillfeather"),
                ("date_of_birth", "02/02/2020"),
                ("role", "child_or_young_person"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let rel = |from: String, kind: &'static str, to: String| {
        let t = &t;
        let token = token.clone();
        let case = w.case;
        async move {
            t.api_post(
                &token,
                &format!("/api/v1/cases/{case}/relationships"),
                &json!({"from_person": from, "kind": kind, "to_person": to}),
            )
            .await
        }
    };
    let (victim, harm, child) = (
        w.victim.to_string(),
        w.perpetrator.to_string(),
        w.child.to_string(),
    );
    let r = rel(victim.clone(), "partner", w.other_org_person.to_string()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["error"]["fields"][0]["field"], "to_person",
        "someone not in the case"
    );
    assert_eq!(
        rel(victim.clone(), "partner", victim.clone())
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        rel(victim.clone(), "nemesis", harm.clone()).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        rel(harm.clone(), "ex_partner", victim.clone())
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        rel(harm.clone(), "ex_partner", victim.clone())
            .await
            .status(),
        StatusCode::CONFLICT,
        "recorded once"
    );
    assert_eq!(
        rel(child.clone(), "lives_with", victim.clone())
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    let html = idva
        .get(t.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Darren Quillfeather – ex-partner of – Zoë Quillfeather"));
    assert!(html.contains("Households") && html.contains("Zoë Quillfeather, Alfie Quillfeather"));
    let case: Value = t
        .api_get(&token, &format!("/api/v1/cases/{}", w.case))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case["relationships"].as_array().unwrap().len(), 2);
    assert_eq!(case["members"].as_array().unwrap().len(), 4);

    // Someone who cannot open the case cannot add to it, and learns nothing.
    let other = t.token_for(w.org, w.staff["idva2"].0).await;
    let r = t
        .api_post(
            &other,
            &format!("/api/v1/cases/{}/members", w.case),
            &json!({"given_name": "X", "family_name": "Y", "role": "nobody"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn caseloads_show_risk_and_last_contact_and_managers_see_sizes_against_capacity() {
    let t = spawn_app().await;
    let w = t.world().await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let r = t.api_post(&token, &format!("/api/v1/cases/{}/timeline", w.case), &json!({"kind": "contact", "sensitivity": "ordinary", "contact_method": "phone", "contact_outcome": "no_answer",
                      "body": "", "submission_key": hearth_app::secrets::new_token()})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let home = idva
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("<th scope=\"col\">Risk</th>")
            && home.contains("<th scope=\"col\">Last contact</th>")
    );
    assert!(
        home.contains("Not assessed") && home.contains("23 November 2026"),
        "last contact, even an attempt, is shown"
    );

    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let html = manager
        .get(t.url("/team"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The due list names whoever holds each case, from any team; the sizes are the team's own.
    let sizes = html.split("<h2>Caseload sizes</h2>").nth(1).unwrap();
    assert!(
        sizes.contains("Test idva")
            && sizes.contains("Test idva2")
            && sizes.contains("Test children")
    );
    assert!(!sizes.contains("Test engage"), "another team's worker");
    let sm = t.signed_in(&w.staff["service_manager"].1).await;
    assert!(sm
        .get(t.url("/team"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("Test engage"));
    assert_eq!(
        idva.get(t.url("/team")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // Against a capacity of one case each, a worker with two is over capacity.
    let mut app = t.app.clone();
    app.caseload_capacity = 1;
    let tm = {
        let mut conn = t.app.store.conn().await.unwrap();
        hearth_store::users::get(&mut conn, w.org, w.staff["team_manager"].0)
            .await
            .unwrap()
            .unwrap()
            .actor()
    };
    hearth_app::casework::allocate(
        &app,
        &tm,
        hearth_domain::ids::CaseId::from_uuid(w.team_case),
        &w.staff["idva"].0.to_string(),
        "",
    )
    .await
    .unwrap();
    let loads = hearth_app::casework::team_loads(&app, &tm).await.unwrap();
    let idva_load = loads
        .iter()
        .find(|l| l.user_id == w.staff["idva"].0)
        .unwrap();
    assert_eq!((idva_load.open_cases, idva_load.capacity), (2, 1));
}

#[tokio::test]
async fn agencies_carry_consent_and_a_childs_school_stays_behind_the_firewall() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let add = |token: String, body: Value| {
        let t = &t;
        let case = w.case;
        async move {
            t.api_post(&token, &format!("/api/v1/cases/{case}/agencies"), &body)
                .await
        }
    };
    let r = add(idva.clone(), json!({"agency": "school", "name": "Northshire Primary School", "contact": "Ms Patel, class teacher",
        "consent_to_share": "yes", "person_id": w.child})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = add(
        idva.clone(),
        json!({"agency": "probation", "name": "Northshire Probation", "person_id": w.perpetrator}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = add(idva.clone(), json!({"agency": "circus", "name": "", "consent_to_share": "perhaps", "person_id": w.other_org_person})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    let fields: Vec<&str> = v["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["agency", "name", "consent_to_share", "person_id"] {
        assert!(fields.contains(&f), "{f}: {fields:?}");
    }

    let page = idva_page(&t, &w).await;
    assert!(
        page.contains("Northshire Primary School")
            && page.contains("Consent to share: Yes, agreed")
    );

    // The Engage practitioner sees their client's probation officer, not the child's school.
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    let body = t
        .api_get(&engage, &format!("/api/v1/cases/{}/agencies", w.case))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Northshire Probation"));
    assert!(
        !body.contains("Primary School") && !body.contains("Patel"),
        "{body}"
    );
    let b = t.signed_in(&w.staff["engage"].1).await;
    let html = b
        .get(t.url(&format!("/cases/{}", w.case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Primary School"));
    // Nor can they record one for the child.
    let r = add(
        engage,
        json!({"agency": "school", "name": "Guessed School", "person_id": w.child}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn idva_page(t: &TestApp, w: &World) -> String {
    let b = t.signed_in(&w.staff["idva"].1).await;
    b.get(t.url(&format!("/cases/{}", w.case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn one_persons_involvement_closes_and_a_young_person_can_hold_two_roles() {
    let t = spawn_app().await;
    let w = t.world().await;
    let page = format!("/cases/{}", w.case);
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let close = format!("{page}/involvements/close");
    let r = t
        .submit(
            &manager,
            &page,
            &close,
            &[
                ("person_id", &w.perpetrator.to_string()),
                ("exit_reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Choose why their involvement is ending"));
    let r = t
        .submit(
            &manager,
            &page,
            &close,
            &[
                ("person_id", &w.perpetrator.to_string()),
                ("exit_reason", "disengaged"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = manager
        .get(t.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Involvement closed</strong> Disengaged") && html.contains("<dd>Open</dd>"),
        "the case stays open"
    );
    assert!(html.contains("Involvement closed: Disengaged."));
    // The Engage practitioner's allocation to him has ended with it.
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    assert_eq!(
        t.api_get(&engage, &page.replace("/cases", "/api/v1/cases"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = t
        .submit(
            &manager,
            &page,
            &close,
            &[
                ("person_id", &w.perpetrator.to_string()),
                ("exit_reason", "disengaged"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Adolescent-to-parent violence: the child also becomes the person causing harm.
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let add = |role: &'static str| {
        let t = &t;
        let token = token.clone();
        let (case, child) = (w.case, w.child);
        async move {
            t.api_post(
                &token,
                &format!("/api/v1/cases/{case}/members"),
                &json!({"person_id": child, "role": role}),
            )
            .await
        }
    };
    assert_eq!(
        add("person_causing_harm").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        add("person_causing_harm").await.status(),
        StatusCode::CONFLICT
    );
    let case: Value = t
        .api_get(&token, &format!("/api/v1/cases/{}", w.case))
        .await
        .json()
        .await
        .unwrap();
    let alfie: Vec<&str> = case["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["given_name"] == "Alfie")
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(alfie.len(), 2, "{alfie:?}");
}

#[tokio::test]
async fn contact_may_be_recorded_from_when_the_referral_arrived() {
    let t = spawn_app().await;
    let w = t.world().await;
    let key = hearth_app::secrets::new_token();
    let b = browser();
    let html = b
        .get(t.url("/refer/northshire"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html);
    b.post(t.url("/refer/northshire"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("submission_key", &key),
            ("given_name", "Ruby"),
            ("family_name", "Wrenfield"),
            ("phone", "07700 900444"),
            ("consent", "yes"),
        ])
        .send()
        .await
        .unwrap();
    t.clock.advance(time::Duration::days(3));
    let tm = t.token_for(w.org, w.staff["team_manager"].0).await;
    let queue: Value = t
        .api_get(&tm, "/api/v1/referrals")
        .await
        .json()
        .await
        .unwrap();
    let id = queue[0]["id"].as_str().unwrap().to_string();
    let r = t
        .api_post(
            &tm,
            &format!("/api/v1/referrals/{id}/decision"),
            &json!({"decision": "accept", "team_id": w.idva_team}),
        )
        .await;
    let case = r.json::<Value>().await.unwrap()["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    let post = |on: &'static str| {
        let t = &t;
        let tm = tm.clone();
        let case = case.clone();
        async move {
            t.api_post(&tm, &format!("/api/v1/cases/{case}/timeline"), &json!({"kind": "contact", "sensitivity": "ordinary", "contact_method": "phone", "contact_outcome": "spoke",
                              "body": "Called before triage met", "occurred_on": on, "occurred_time": "10:00",
                              "submission_key": hearth_app::secrets::new_token()})).await
        }
    };
    // The day after the referral, before the case was opened at triage: allowed.
    assert_eq!(post("24/11/2026").await.status(), StatusCode::CREATED);
    // Before the referral arrived: refused.
    let r = post("20/11/2026").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("before the referral arrived"));
}

#[tokio::test]
async fn allocations_caseloads_and_the_break_glass_log_work_over_the_api() {
    let t = spawn_app().await;
    let w = t.world().await;
    let tm = t.token_for(w.org, w.staff["team_manager"].0).await;
    let post = |path: String, token: String, body: Value| {
        let t = &t;
        async move { t.api_post(&token, &path, &body).await }
    };
    let loads: Value = t
        .api_get(&tm, "/api/v1/caseloads")
        .await
        .json()
        .await
        .unwrap();
    let idva = loads
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Test idva")
        .unwrap();
    assert_eq!(
        (idva["open_cases"].as_i64(), idva["capacity"].as_i64()),
        (Some(1), Some(25))
    );
    let worker = t.token_for(w.org, w.staff["idva"].0).await;
    assert_eq!(
        t.api_get(&worker, "/api/v1/caseloads").await.status(),
        StatusCode::FORBIDDEN
    );

    let r = post(
        format!("/api/v1/cases/{}/allocations/end", w.case),
        tm.clone(),
        json!({"worker_id": w.staff["idva"].0, "person_id": w.victim}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        t.api_get(&worker, &format!("/api/v1/cases/{}", w.case))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = post(
        format!("/api/v1/cases/{}/allocations/end", w.case),
        tm.clone(),
        json!({"worker_id": w.staff["idva"].0, "person_id": w.victim}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "nothing left to end");

    let r = post(
        "/api/v1/break-glass".into(),
        worker.clone(),
        json!({"reference": "NS-0001", "reason": "She called in crisis this morning"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let sm = t.token_for(w.org, w.staff["service_manager"].0).await;
    let log: Value = t
        .api_get(&sm, "/api/v1/break-glass")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["reference"], "NS-0001");
    assert_eq!(log[0]["reason"], "She called in crisis this morning");
    assert_eq!(
        t.api_get(&tm, "/api/v1/break-glass").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_contact_by_a_way_marked_not_safe_needs_a_reason_that_stays_with_it() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    record_victim_contact(&t, &idva, w.victim).await;

    // The arrangements are there, where the contact is recorded.
    let form = idva
        .get(t.url(&format!("/cases/{}/entries/new", w.case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let safe = form.split("id=\"safe-contact\"").nth(1).unwrap();
    let safe = safe.split("</div>").next().unwrap();
    assert!(
        safe.contains("Safe: Text message (Weekdays 10 to 2, when he is at work). Not safe: Phone call, Letter, Voicemail. Ask first: Email."),
        "{safe}"
    );

    // A call and a voicemail, both marked not safe: not saved without a reason, and what was
    // typed is kept.
    let victim = w.victim.to_string();
    let fields = [
        ("kind", "contact"),
        ("sensitivity", "ordinary"),
        ("person_id", victim.as_str()),
        ("contact_method", "phone"),
        ("contact_outcome", "message_left"),
        ("body", "Left a message about the court date"),
    ];
    let r = add_entry(&t, &idva, w.case, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Phone call and Voicemail: marked not safe for this person"),
        "{html}"
    );
    assert!(html.contains("Left a message about the court date"));

    // With the reason, it is saved, and the reason is part of the entry.
    let mut with_reason = fields.to_vec();
    with_reason.push((
        "safe_contact_reason",
        "She rang from her sister's and asked me to call back now",
    ));
    let r = add_entry(&t, &idva, w.case, &with_reason).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let case = idva
        .get(t.url(&format!("/cases/{}", w.case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case.contains("Safe contact override – Phone call and Voicemail marked not safe"));
    assert!(
        case.contains("She rang from her sister&#39;s")
            || case.contains("She rang from her sister's")
    );

    // A way she said is safe needs nothing more.
    let text = [
        ("kind", "contact"),
        ("sensitivity", "ordinary"),
        ("person_id", victim.as_str()),
        ("contact_method", "text"),
        ("contact_outcome", "spoke"),
        ("body", "Texted, she replied"),
    ];
    let r = add_entry(&t, &idva, w.case, &text).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Behind the firewall the arrangements are not shown: the Engage worker's form for the same
    // case says nothing about how to reach her.
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let form = engage
        .get(t.url(&format!("/cases/{}/entries/new", w.case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!form.contains("Weekdays 10 to 2") && !form.contains("Not safe: Phone call"));

    // And says so where it lands.
    let landed = location(&r);
    assert!(landed.ends_with("?done=contact#timeline"), "{landed}");
    let page = idva
        .get(t.url(landed.trim_end_matches("#timeline")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Contact recorded on the timeline."));
}

#[tokio::test]
async fn a_new_entry_is_about_the_workers_client_not_the_whole_family() {
    let t = spawn_app().await;
    let w = t.world().await;
    for (key, person) in [("idva", w.victim), ("engage", w.perpetrator)] {
        let b = t.signed_in(&w.staff[key].1).await;
        let html = b
            .get(t.url(&format!("/cases/{}/entries/new", w.case)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let select = html.split("name=\"person_id\">").nth(1).unwrap();
        let select = select.split("</select>").next().unwrap();
        assert!(
            select.contains(&format!("<option value=\"{person}\" selected>")),
            "{key}: {select}"
        );
        assert!(!select.contains("value=\"\" selected"));
    }
}

#[tokio::test]
async fn a_contact_outside_the_times_she_said_are_safe_needs_a_reason() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let page = format!("/people/{}/contact", w.victim);
    let r = t
        .submit(
            &idva,
            &page,
            &page,
            &[
                ("based_on", "0"),
                ("phone", "07700 900982"),
                ("phone_safety", "safe"),
                ("phone_when", "Weekdays 8-2"),
                ("text_safety", "not_known"),
                ("email_safety", "not_known"),
                ("letter_safety", "not_safe"),
                ("voicemail_safety", "not_safe"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let victim = w.victim.to_string();
    // Monday 23 November 2026: 07:30 is before the safe time, 09:00 (now) inside it.
    let early = [
        ("kind", "contact"),
        ("sensitivity", "ordinary"),
        ("person_id", victim.as_str()),
        ("contact_method", "phone"),
        ("contact_outcome", "spoke"),
        ("occurred_on", "23/11/2026"),
        ("occurred_time", "07:30"),
        ("body", "She answered"),
    ];
    let r = add_entry(&t, &idva, w.case, &early).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Phone call: safe only Weekdays 8-2, and this was 23 November 2026, 07:30"),
        "{html}"
    );
    assert!(html.contains("She answered"), "what was typed is kept");

    let mut with_reason = early.to_vec();
    with_reason.push(("safe_contact_reason", "She texted first to say he had left"));
    let r = add_entry(&t, &idva, w.case, &with_reason).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let case = idva
        .get(t.url(&format!("/cases/{}", w.case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        case.contains("Safe contact override – Phone call outside the safe times (Weekdays 8-2)"),
        "{case}"
    );

    let now = [
        ("kind", "contact"),
        ("sensitivity", "ordinary"),
        ("person_id", victim.as_str()),
        ("contact_method", "phone"),
        ("contact_outcome", "spoke"),
        ("body", "Called at the time she chose"),
    ];
    assert_eq!(
        add_entry(&t, &idva, w.case, &now).await.status(),
        StatusCode::SEE_OTHER,
        "inside the safe time nothing more is asked"
    );
}

#[tokio::test]
async fn last_contact_follows_a_corrected_time_and_forgets_a_withdrawn_contact() {
    let t = spawn_app().await;
    let w = t.world().await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let victim = w.victim.to_string();
    let r = t.api_post(&token, &format!("/api/v1/cases/{}/timeline", w.case), &json!({"kind": "contact", "sensitivity": "ordinary", "person_id": victim,
                      "contact_method": "phone", "contact_outcome": "spoke", "body": "Called", "occurred_on": "23/11/2026", "occurred_time": "08:00",
                      "submission_key": hearth_app::secrets::new_token()})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let entry = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let home = |b: &Client| {
        let b = b.clone();
        let url = t.url("/");
        async move {
            let html = b.get(url).send().await.unwrap().text().await.unwrap();
            html.split("id=\"caseload\"")
                .nth(1)
                .unwrap()
                .split("</table>")
                .next()
                .unwrap()
                .to_string()
        }
    };
    assert!(home(&idva).await.contains("23 November 2026, 08:00"));
    // Corrected to the day before: the caseload says so, from the current version.
    let r = t.api_post(&token, &format!("/api/v1/cases/{}/timeline/{entry}/corrections", w.case), &json!({"body": "Called", "occurred_on": "22/11/2026",
                      "occurred_time": "15:00", "contact_method": "phone", "contact_outcome": "spoke"})).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let caseload = home(&idva).await;
    assert!(
        caseload.contains("22 November 2026, 15:00")
            && !caseload.contains("23 November 2026, 08:00"),
        "{caseload}"
    );
    // Withdrawn by a manager: no longer a contact at all.
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let page = format!("/cases/{}/entries/{entry}", w.case);
    let r = t
        .submit(
            &manager,
            &page,
            &format!("{page}/withdraw"),
            &[("reason", "Recorded on the wrong family")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(home(&idva).await.contains("None yet"));
}
