//! The practitioner's day: search from the header that tells people apart, home pages that
//! serve each role, and navigation that says where you are. Each check also tries what must
//! not happen: a risk level shown behind the firewall, a caseload outside the manager's team.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn search_tells_people_apart_by_their_part_and_risk_and_keeps_risk_behind_the_firewall() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva_token = t.token_for(w.org, w.staff["idva"].0).await;
    let r = t
        .api_post(
            &idva_token,
            &format!("/api/v1/people/{}/risk", w.victim),
            &json!({"instrument": "adult-risk", "answers": answers(18), "safe_to_talk": true, "submission_key": new_key()}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    let found = |token: String| {
        let t = &t;
        async move {
            t.api_get(&token, "/api/v1/search?q=Quillfeather")
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let person = |v: &Value, name: &str| -> Value {
        v.as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {v}"))
            .clone()
    };
    let v = found(idva_token.clone()).await;
    let zoe = person(&v, "Zoë Quillfeather");
    assert_eq!(zoe["cases"][0]["role"], "victim_survivor");
    assert_eq!(zoe["risk_level"], "high");
    let darren = person(&v, "Darren Quillfeather");
    assert_eq!(darren["cases"][0]["role"], "person_causing_harm");

    // The Engage practitioner finds her by name, and her part in the case, but never her risk:
    // a level is a judgement about her, as sensitive as what she disclosed.
    let engage = t.token_for(w.org, w.staff["engage"].0).await;
    let v = found(engage).await;
    let zoe = person(&v, "Zoë Quillfeather");
    assert_eq!(zoe["cases"][0]["role"], "victim_survivor");
    assert!(zoe["risk_level"].is_null(), "risk withheld: {zoe}");

    // The page says the same in words, with the risk as a coloured tag.
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let (_, html) = page(&idva, &t, "/search?q=Quillfeather").await;
    assert!(html.contains("Victim/survivor") && html.contains("Person causing harm"));
    assert!(html.contains("tag tag--high\">High risk"));
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let (_, html) = page(&engage, &t, "/search?q=Quillfeather").await;
    assert!(!html.contains("High risk"), "no level behind the firewall");
}

#[tokio::test]
async fn search_sits_in_the_header_and_the_navigation_marks_where_you_are() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let (_, home) = page(&idva, &t, "/").await;
    assert!(home.contains("<form class=\"header-search\" method=\"get\" action=\"/search\""));
    assert!(home.contains("<a href=\"/\" aria-current=\"page\""));
    assert!(!home.contains("<a href=\"/cases\" aria-current"));
    let (_, case) = page(&idva, &t, &format!("/cases/{}", w.case)).await;
    assert!(case.contains("header-search"), "on every signed-in page");
    assert!(
        case.contains("<a href=\"/cases\" aria-current=\"true\""),
        "within the case list"
    );
    assert!(!case.contains("aria-current=\"page\""));
    let (_, search) = page(&idva, &t, "/search?q=Zoe").await;
    assert!(
        !search.contains("header-search"),
        "the search page has its own box"
    );
    // Three names that could not be told apart are gone.
    for confusing in [">Caseload<", ">Caseloads<", ">Cases<"] {
        assert!(!home.contains(confusing), "{confusing}");
    }
    // A worker without triage sees no team links.
    assert!(!home.contains("href=\"/team\""));
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let (_, team) = page(&manager, &t, "/team").await;
    assert!(team.contains(
        "<a href=\"/team\" aria-current=\"page\" class=\"nav__current\">Team workload</a>"
    ));
}

#[tokio::test]
async fn a_managers_home_shows_her_team_at_a_glance_and_names_open_each_caseload() {
    let t = spawn_app().await;
    let w = t.world().await;
    let referrer = t.token_for(w.org, w.staff["idva"].0).await;
    for name in ["Ruth", "Sian"] {
        let r = t
            .api_post(&referrer, "/api/v1/referrals", &json!({
                "submission_key": new_key(), "referrer_name": "Ifeoma", "referrer_agency": "other",
                "referrer_email": "i@example.org", "given_name": name, "family_name": "Oakbridge",
                "address": "somewhere", "consent": "yes"
            }))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    // A week on, the first contacts and first assessments in the team's cases are overdue.
    t.clock.advance(time::Duration::days(7));
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let (status, home) = page(&manager, &t, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("<h1>Your team</h1>"), "not an empty caseload");
    let card = home.split("<p class=\"card__figure\">").nth(1).unwrap();
    assert!(card.starts_with("2</p><p>referrals waiting"), "{card}");
    assert!(home.contains("Overdue by worker"));
    assert!(home.contains("Caseloads against capacity"));
    let (idva_id, idva2_id, engage_id) =
        (w.staff["idva"].0, w.staff["idva2"].0, w.staff["engage"].0);
    let by_worker = home
        .split_once("<h2>Overdue by worker</h2>")
        .unwrap()
        .1
        .split_once("<h2>Caseloads against capacity</h2>")
        .unwrap()
        .0;
    assert!(
        by_worker.contains(&format!(
            "<a href=\"/cases?worker={idva_id}\">Test idva</a>"
        )),
        "{by_worker}"
    );
    assert!(by_worker.contains(&format!("/cases?worker={idva2_id}")));

    // Her worker's name opens that worker's caseload: the cases allocated to them she may open.
    let (status, cases) = page(&manager, &t, &format!("/cases?worker={idva2_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cases.contains("<h1>Cases allocated to Test idva2</h1>"));
    let (_, case_page) = page(&manager, &t, &format!("/cases/{}", w.team_case)).await;
    let reference = case_page
        .split("<title>")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert!(cases.contains(&reference), "{reference} in {cases}");
    // The trail says whose caseload she looked at.
    let mut conn = t.app.store.conn().await.unwrap();
    let named: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'caseload.view' AND actor_id = $1 AND entity_id = $2",
    )
    .bind(w.staff["team_manager"].0.to_string())
    .bind(idva2_id.to_string())
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        named, 1,
        "the worker's caseload is named in the audit entry"
    );
    drop(conn);
    let (_, idva_cases) = page(&manager, &t, &format!("/cases?worker={idva_id}")).await;
    assert!(
        !idva_cases.contains(&format!("{reference}<")),
        "another worker's case"
    );

    // The team's due list says whose each case is.
    let (_, team) = page(&manager, &t, "/team").await;
    assert!(team.contains("<th scope=\"col\">Worker</th>"));
    assert!(team.contains(&format!(
        "<a href=\"/cases?worker={idva2_id}\">Test idva2</a>"
    )));

    // Another team's worker is not hers to look at, and a case worker has no one's caseload.
    let (status, _) = page(&manager, &t, &format!("/cases?worker={engage_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let (status, _) = page(&idva, &t, &format!("/cases?worker={idva2_id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, idva_home) = page(&idva, &t, "/").await;
    assert!(idva_home.contains("<h1>Your cases</h1>"));
    assert!(!idva_home.contains("referrals waiting"));
}

#[tokio::test]
async fn a_workers_home_opens_with_her_cases_and_her_due_list_grouped_and_filtered() {
    let t = spawn_app().await;
    let w = t.world().await;
    t.clock.advance(time::Duration::days(7));
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let (_, home) = page(&idva, &t, "/").await;
    let cases_at = home.find("id=\"caseload\"").expect("her cases");
    let due_at = home.find("id=\"due-heading\"").expect("her due list");
    assert!(cases_at < due_at, "her cases come first");
    // Grouped under the case, with how much is overdue in it.
    assert!(home.contains("<th scope=\"rowgroup\""));
    assert!(home.contains("overdue</span></th>"));
    assert!(!home.contains("<td data-label=\"About\">–</td>"));
    // Narrowed to one kind, the rest leave the list; an unknown filter shows everything.
    let (_, risk_only) = page(&idva, &t, "/?show=risk_assessment").await;
    assert!(risk_only.contains("<strong>Risk assessment</strong>"));
    assert!(!risk_only.contains("<strong>First contact</strong>"));
    assert!(risk_only.contains("value=\"risk_assessment\" checked"));
    let (status, odd) = page(&idva, &t, "/?show=%3Cscript%3E").await;
    assert_eq!(status, StatusCode::OK);
    assert!(odd.contains("value=\"all\" checked") && !odd.contains("<script>"));
}

#[tokio::test]
async fn a_case_opens_with_each_person_at_a_glance_the_main_actions_and_the_first_weeks() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let contact = format!("/people/{}/contact", w.victim);
    let r = t
        .submit(
            &idva,
            &contact,
            &contact,
            &[
                ("based_on", "0"),
                ("phone", "07700 900982"),
                ("phone_safety", "not_safe"),
                ("text_safety", "safe"),
                ("text_when", "weekdays 8-2"),
                ("email_safety", "not_known"),
                ("letter_safety", "not_safe"),
                ("voicemail_safety", "not_safe"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // "Record a contact" opens the form set for a contact, with safe contact in view.
    let case_url = format!("/cases/{}", w.case);
    let case = page(&idva, &t, &case_url).await.1;
    let form_url = format!("/cases/{}/entries/new?kind=contact", w.case);
    assert!(case.contains(&format!("href=\"{form_url}\"")), "{case}");
    let form = page(&idva, &t, &form_url).await.1;
    assert!(form.contains("value=\"contact\" checked"), "{form}");
    assert!(form.contains("id=\"safe-contact\""));
    // Nobody chosen is refused, not filed against the family.
    let r = add_entry(
        &t,
        &idva,
        w.case,
        &[
            ("kind", "contact"),
            ("sensitivity", "ordinary"),
            ("person_id", ""),
            ("contact_method", "text"),
            ("contact_outcome", "spoke"),
            ("body", "Texted back"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Choose who the contact was with"), "{html}");
    assert!(html.contains("Texted back"), "what was typed is kept");
    let victim = w.victim.to_string();
    let r = add_entry(
        &t,
        &idva,
        w.case,
        &[
            ("kind", "contact"),
            ("sensitivity", "ordinary"),
            ("person_id", victim.as_str()),
            ("contact_method", "text"),
            ("contact_outcome", "spoke"),
            ("body", "Texted back"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let case = page(&idva, &t, &case_url).await.1;
    let top = case.split("id=\"main-actions\"").next().unwrap();
    assert!(
        top.contains(
            "Safe contact:</span> Safe: Text message (weekdays 8-2). Not safe: Phone call, Letter, Voicemail. Ask first: Email."
        ),
        "{top}"
    );
    assert!(top.contains("MARAC:</span> not referred"));
    assert!(top.contains("Last contact:</span> 23 November 2026, 09:00, text message (successful: spoke with them)"), "{top}");
    assert!(top.contains("Risk:</span> Not assessed"));
    // The main actions come before the rest of the page, and the task list right after them.
    let (actions, people) = (
        case.find("id=\"main-actions\"").unwrap(),
        case.find("People in this case").unwrap(),
    );
    let tasks = case
        .find("The family&#39;s first weeks")
        .or(case.find("The family's first weeks"))
        .unwrap();
    assert!(actions < tasks && tasks < people);
    let list = case
        .split("class=\"task-list\"")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    for (task, status) in [
        ("Risk assessment", "Not yet started"),
        ("Safety plan", "Not yet started"),
        ("MARAC", "Not needed"),
    ] {
        let item = list
            .split("task-list__item")
            .find(|i| i.contains(&format!(">{task} – ")))
            .unwrap_or_else(|| panic!("{task} in {list}"));
        assert!(item.contains(status), "{task}: {item}");
    }

    // Behind the firewall: the victim's name and role, nothing about her risk, MARAC, safe
    // contact or contacts, and no tasks about her.
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let seen = page(&engage, &t, &case_url).await.1;
    let top = seen.split("People in this case").next().unwrap();
    assert!(!top.contains("Safe contact:") || !top.contains("Text message (weekdays"));
    assert!(!seen.contains("weekdays 8-2") && !seen.contains("Texted back"));
    assert!(!seen.contains("MARAC:</span>") && !seen.contains("Risk assessment –"));
    assert!(top.contains("Not shown to you"));
}
