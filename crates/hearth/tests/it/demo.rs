//! The demo service: fictional, unmistakably a demo, and usable without a second factor.

use crate::common::*;
use hearth_app::demo;
use hearth_domain::Role;
use reqwest::StatusCode;

/// A count as of the demo's today, bound as `$1`.
async fn count(conn: &mut sqlx::AnyConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind("2026-11-23")
        .fetch_one(conn)
        .await
        .unwrap()
}

/// Made late on a winter evening, the demo's programme work dated its steps by the UTC day and
/// its sessions by the UK day; for days in summer time they differed, and `hearth demo` would
/// not start between 23:00 and midnight.
#[tokio::test]
async fn the_demo_can_be_made_late_in_the_evening() {
    let t = spawn_app().await;
    t.clock.set(time::macros::datetime!(2026-12-06 23:20 UTC));
    let summary = demo::seed(&t.app, 3).await.unwrap();
    assert_eq!(summary.families, 3);
}

#[tokio::test]
async fn the_demo_has_every_role_hundreds_of_families_and_says_it_is_a_demo() {
    let t = spawn_app().await;
    let summary = demo::seed(&t.app, 300).await.unwrap();
    assert_eq!(summary.families, 300);
    for role in Role::ALL {
        assert!(
            summary.accounts.iter().any(|(_, r)| *r == role),
            "no demo account for {role:?}"
        );
    }
    let mut conn = t.app.store.conn().await.unwrap();
    assert_eq!(
        hearth_store::cases::count(&mut conn, summary.org.id)
            .await
            .unwrap(),
        302,
        "300 families and 2 accepted referrals"
    );
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT role FROM case_members ORDER BY role")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    assert_eq!(
        roles,
        [
            "child_or_young_person",
            "other_adult",
            "person_causing_harm",
            "victim_survivor"
        ]
    );
    let contacts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_versions")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(contacts, 302, "every victim has contact details");
    let sensitive: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM timeline_entries WHERE sensitivity = 'sensitive'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert!(sensitive > 100, "disclosures to protect: {sensitive}");
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM referrals WHERE status = 'new'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(waiting >= 10, "referrals waiting in triage: {waiting}");

    // Risk work: assessments at every level, reviews and actions overdue, meetings both ways.
    let levels: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT level FROM risk_assessments ORDER BY level")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    assert_eq!(levels, ["high", "medium", "standard"]);
    let overdue_reviews = count(
        &mut conn,
        "SELECT COUNT(*) FROM safety_plans s WHERE review_on < $1 AND version = \
         (SELECT MAX(version) FROM safety_plans t WHERE t.person_id = s.person_id)",
    )
    .await;
    assert!(overdue_reviews > 0, "safety plans due for review");
    let past = count(
        &mut conn,
        "SELECT COUNT(*) FROM marac_meetings WHERE held_on < $1",
    )
    .await;
    let upcoming = count(
        &mut conn,
        "SELECT COUNT(*) FROM marac_meetings WHERE held_on >= $1",
    )
    .await;
    assert!(
        past > 10 && upcoming > 0,
        "{past} past, {upcoming} upcoming"
    );
    let overdue_actions = count(
        &mut conn,
        "SELECT COUNT(*) FROM marac_actions WHERE status = 'open' AND due_on < $1",
    )
    .await;
    assert!(overdue_actions > 0);
    let repeats = count(
        &mut conn,
        "SELECT COUNT(*) FROM marac_referrals WHERE is_repeat = 1 AND referred_on <= $1",
    )
    .await;
    assert!(repeats > 0, "repeat referrals");
    let schools: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM case_agencies WHERE person_id IS NOT NULL")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert!(
        schools > 0,
        "children's schools, for MARAC proposals to carry"
    );
    drop(conn);

    // Demo accounts go straight in, and every page says it is a demo.
    let b = browser();
    let email = format!("idva@{}", demo::DEMO_DOMAIN);
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[("email", &email), ("password", demo::DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(location(&r), "/");
    let r = b.get(t.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Demo service."));
    assert!(html.contains("HD-"), "the Idva has a caseload");
    assert!(
        html.contains("things are overdue") && html.contains("First contact with"),
        "the demo shows overdue first contacts on the due list"
    );
    // The demo's re-referrals are there for triage to find.
    let b = browser();
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[
                ("email", &format!("idva.manager@{}", demo::DEMO_DOMAIN)),
                ("password", demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&r), "/");
    let queue = b
        .get(t.url("/triage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut found_match = false;
    for id in queue
        .split("/triage/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
    {
        let html = b
            .get(t.url(&format!("/triage/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        found_match |= html.contains("same date of birth");
    }
    assert!(found_match, "a re-referral with a match to find");

    // The coordinator's MARAC page has its figures, meetings and overdue actions.
    let marac = b
        .get(t.url("/marac"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(marac.contains("Repeat rate"));
    assert!(marac.contains("Overdue MARAC actions"));
    assert!(marac.contains("on the agenda"), "an upcoming meeting");
}
