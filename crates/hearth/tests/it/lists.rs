//! Long lists come a page at a time and say how many there are in all: nothing is cut off
//! without the user knowing, and every item can be reached.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;

async fn ids_and_total(t: &TestApp, token: &str, path: &str) -> (Vec<String>, usize) {
    let r = t.api_get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let total = r.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let items: Vec<Value> = r.json().await.unwrap();
    (
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect(),
        total,
    )
}

#[tokio::test]
async fn the_triage_queue_counts_every_referral_and_pages_through_them_oldest_first() {
    let t = spawn_app().await;
    let w = t.world().await;
    let referrer = t.token_for(w.org, w.staff["referrer"].0).await;
    let mut sent = Vec::new();
    for n in 0..57 {
        let r = t
            .api_post(
                &referrer,
                "/api/v1/referrals",
                &json!({
                    "submission_key": new_key(), "referrer_name": "PC Dawn Hale", "referrer_agency": "police",
                    "referrer_phone": "01632 960001", "given_name": "Queue", "family_name": format!("Person{n:02}"),
                    "address": "1 Long Lane", "consent": "yes"
                }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        sent.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let manager = t.token_for(w.org, w.staff["team_manager"].0).await;
    let (first, total) = ids_and_total(&t, &manager, "/api/v1/referrals").await;
    assert_eq!(total, 57);
    assert_eq!(first.len(), 50);
    let (second, total) = ids_and_total(&t, &manager, "/api/v1/referrals?page=2").await;
    assert_eq!((second.len(), total), (7, 57));
    // Every referral once across the pages (the test clock stands still, so all arrived at
    // the same moment and their order is the stable tie-break).
    let all: HashSet<&String> = first.iter().chain(&second).collect();
    assert_eq!(all, sent.iter().collect());
    assert_eq!(all.len(), 57);
    let (beyond, _) = ids_and_total(&t, &manager, "/api/v1/referrals?page=9").await;
    assert!(beyond.is_empty());
    // A page number the API does not number is refused and named, not read as page 1.
    for bad in ["0", "2147483648", "-1", "two"] {
        let r = t
            .api_get(&manager, &format!("/api/v1/referrals?page={bad}"))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "page={bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["error"]["fields"][0]["field"], "page",
            "page={bad}: {body}"
        );
    }

    // The page says how many wait and links to the rest.
    let b = t.signed_in(&w.staff["team_manager"].1).await;
    let (_, html) = page(&b, &t, "/triage").await;
    assert!(
        html.contains("57 waiting, oldest first: 1 to 50 shown"),
        "{html}"
    );
    assert!(html.contains("Page 1 of 2"));
    assert!(html.contains("href=\"/triage?page=2\""));
    let links =
        |html: &str, ids: &[String]| ids.iter().all(|i| html.contains(&format!("/triage/{i}")));
    assert!(links(&html, &first) && !links(&html, &second[..1]));
    let (_, html) = page(&b, &t, "/triage?page=2").await;
    assert!(html.contains("51 to 57 shown") && links(&html, &second));
    assert!(html.contains("href=\"/triage?page=1\""));
}

#[tokio::test]
async fn a_case_list_counts_every_case_the_user_may_open_and_pages_through_them() {
    let t = spawn_app().await;
    let w = t.world().await;
    let now = t.now();
    let mut made = HashSet::new();
    let mut tx = t.app.store.begin().await.unwrap();
    for n in 0..60 {
        let id = hearth_store::cases::insert_case(
            &mut tx,
            now - time::Duration::minutes(n),
            w.org,
            w.idva_team,
            &format!("LONG-{n:03}"),
        )
        .await
        .unwrap();
        made.insert(id.to_string());
    }
    tx.commit().await.unwrap();

    // The team manager: the world's two team cases and the sixty, two pages of them.
    let manager = t.token_for(w.org, w.staff["team_manager"].0).await;
    let (first, total) = ids_and_total(&t, &manager, "/api/v1/cases").await;
    assert_eq!((first.len(), total), (50, 62));
    let (second, _) = ids_and_total(&t, &manager, "/api/v1/cases?page=2").await;
    assert_eq!(second.len(), 12);
    let seen: HashSet<String> = first.iter().chain(&second).cloned().collect();
    assert_eq!(seen.len(), 62, "no case on both pages, none left out");
    assert!(made.is_subset(&seen));
    assert!(seen.contains(&w.case.to_string()) && seen.contains(&w.team_case.to_string()));

    // An Engage practitioner's list counts only what he may open.
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    let (his, total) = ids_and_total(&t, &engage, "/api/v1/cases").await;
    assert_eq!(his.len(), total);
    assert!(his.iter().all(|c| !made.contains(c)));

    // The page says where it is and links on.
    let b = t.signed_in(&w.staff["team_manager"].1).await;
    let (_, html) = page(&b, &t, "/cases").await;
    assert!(
        html.contains("62 cases, newest first: 1 to 50 shown"),
        "{html}"
    );
    assert!(html.contains("href=\"/cases?page=2\""));
    let (_, html) = page(&b, &t, "/cases?page=2").await;
    assert!(html.contains("51 to 62 shown"), "{html}");
}

#[tokio::test]
async fn a_case_timeline_comes_a_page_at_a_time_counting_only_what_the_user_may_see() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    let timeline = format!("/api/v1/cases/{}/timeline", w.case);
    // Thirty sensitive notes about the victim, then four ordinary ones about the person
    // causing harm, a minute apart, so the newest is "Note 33".
    for n in 0..34 {
        t.clock.advance(time::Duration::minutes(1));
        let (person, sensitivity) = if n < 30 {
            (w.victim, "sensitive")
        } else {
            (w.perpetrator, "ordinary")
        };
        let entry = json!({"kind": "note", "sensitivity": sensitivity, "person_id": person.to_string(),
                           "body": format!("Note {n:02}"), "submission_key": new_key()});
        let r = t.api_post(&idva, &timeline, &entry).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    // Through the API: pages of 50, every entry once, the total in the header.
    let every = t.api_pages(&idva, &timeline).await;
    let total = every.len();
    assert!(total >= 34);
    assert_eq!(every[0]["versions"][0]["body"], "Note 33");
    assert_eq!(
        every
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect::<HashSet<_>>()
            .len(),
        total
    );

    // On the case page: the 25 newest, how many in all, and the way on, which keeps the
    // filters and lands on the timeline.
    let b = t.signed_in(&w.staff["idva"].1).await;
    let case = format!("/cases/{}", w.case);
    let (status, html) = page(&b, &t, &case).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("{total} entries, newest first: 1 to 25 shown")),
        "{html}"
    );
    assert!(html.contains("Note 33") && html.contains("Note 09"));
    assert!(!html.contains("Note 08"), "the 26th newest is on page 2");
    let next = format!("href=\"{case}?person=&#38;kind=&#38;page=2#timeline\"");
    assert!(html.contains(&next), "{html}");
    let (_, html) = page(&b, &t, &format!("{case}?person=&kind=&page=2")).await;
    assert!(html.contains("26 to") && html.contains("Note 08") && !html.contains("Note 09"));
    // Narrowed to the person causing harm: his four, one page, no pager.
    let (_, html) = page(&b, &t, &format!("{case}?person={}", w.perpetrator)).await;
    assert!(html.contains("Note 30") && html.contains("Note 33"));
    assert!(!html.contains("Note 29") && !html.contains("Pages of the timeline"));
    // A page past the end says so and offers the way back.
    let (status, html) = page(&b, &t, &format!("{case}?page=99")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Go to the newest entries"), "{html}");

    // The Engage practitioner: the victim's sensitive notes are neither shown nor counted, so
    // the number of pages says nothing of what is withheld.
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    let (his, his_total) = ids_and_total(&t, &engage, &timeline).await;
    assert_eq!(his.len(), his_total);
    assert!(
        his_total >= 4 && his_total < total - 25,
        "{his_total} of {total}"
    );
    let b = t.signed_in(&w.staff["engage"].1).await;
    let (_, html) = page(&b, &t, &case).await;
    assert!(html.contains("Note 33") && !html.contains("Note 00"));
    assert!(!html.contains("Pages of the timeline") && !html.contains(&format!("{total} entries")));
}
