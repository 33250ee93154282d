//! Submission keys (issue 10, items 5 and 6): a key is scoped to its actor, the kind of record
//! and its target; a replay with a different payload is refused with 409; simultaneous duplicates
//! all get the first answer.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn refused_as_reused(status: StatusCode, body: &str) {
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("already used for a different request"),
        "{body}"
    );
}

#[tokio::test]
async fn a_key_belongs_to_one_request_by_one_actor_about_one_record() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    // A second victim in the family: Beth.
    let r = t
        .api_post(&idva, &format!("/api/v1/cases/{}/members", w.case), &json!({"given_name": "Beth", "family_name": "Quillfeather", "role": "victim_survivor"}))
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let beth = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let key = hearth_app::secrets::new_token();
    let alice = format!("/api/v1/people/{}/risk", w.victim);
    let body = json!({"instrument": "adult-risk", "answers": answers(15), "safe_to_talk": true, "submission_key": key});
    let r = t.api_post(&idva, &alice, &body).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let first: Value = r.json().await.unwrap();
    let first_id = first["id"].as_str().unwrap().to_string();

    // The same request again: the first answer, stored once.
    let r = t.api_post(&idva, &alice, &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["id"], first_id.as_str());

    // Beth's checklist with Alice's key: refused, never answered with Alice's assessment.
    let r = t
        .api_post(&idva, &format!("/api/v1/people/{beth}/risk"), &json!({"instrument": "adult-risk", "answers": answers(2), "safe_to_talk": true, "submission_key": key}))
        .await;
    let (status, text) = (r.status(), r.text().await.unwrap());
    refused_as_reused(status, &text);
    assert!(
        !text.contains(&first_id),
        "another person's record is never handed back"
    );

    // The same key and person with different answers: refused, not silently dropped.
    let r = t
        .api_post(&idva, &alice, &json!({"instrument": "adult-risk", "answers": answers(3), "safe_to_talk": true, "submission_key": key}))
        .await;
    let (status, text) = (r.status(), r.text().await.unwrap());
    refused_as_reused(status, &text);

    // Another actor replaying the key on another kind of record learns no ids.
    let r = t.api_post(&engage, &format!("/api/v1/cases/{}/timeline", w.case), &json!({
        "kind": "note", "sensitivity": "ordinary", "person_id": w.perpetrator, "body": "Session", "submission_key": key
    })).await;
    let (status, text) = (r.status(), r.text().await.unwrap());
    refused_as_reused(status, &text);
    assert!(!text.contains(&first_id));

    // Beth's checklist with a key of its own is saved, and both histories hold one assessment.
    let r = t
        .api_post(&idva, &format!("/api/v1/people/{beth}/risk"), &json!({"instrument": "adult-risk", "answers": answers(2), "safe_to_talk": true, "submission_key": hearth_app::secrets::new_token()}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for person in [w.victim.to_string(), beth] {
        let v: Value = t
            .api_get(&idva, &format!("/api/v1/people/{person}/risk"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["assessments"].as_array().map(|h| h.len()),
            Some(1),
            "{person}: {v}"
        );
    }
}

#[tokio::test]
async fn simultaneous_duplicates_all_get_the_first_answer() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let key = hearth_app::secrets::new_token();
    let path = format!("/api/v1/cases/{}/timeline", w.case);
    let body = json!({"kind": "note", "sensitivity": "ordinary", "person_id": w.victim, "body": "Sent eight times", "submission_key": key});
    let sends = (0..8).map(|_| t.api_post(&idva, &path, &body));
    let answers = futures_util::future::join_all(sends).await;
    let mut ids = Vec::new();
    for r in answers {
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{text}");
        ids.push(serde_json::from_str::<Value>(&text).unwrap()["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one entry, the same answer each time");
    let timeline = t.api_get(&idva, &path).await.text().await.unwrap();
    assert_eq!(timeline.matches("Sent eight times").count(), 1);
}
