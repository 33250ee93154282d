//! Each case's next due, kept on write (migration 0018, `hearth_app::next_due`). A team's and
//! the service's due lists skip the cases whose kept date is beyond the look-ahead, so they
//! must be exactly what working out every case gives, on the day the dates were kept and on
//! any later day; every change to what a case's list is made from must make its date unknown
//! in the same transaction; and a date worked out before a change must never be kept after it.

use crate::common::*;
use hearth_app::{demo, due, home_page, next_due};
use hearth_domain::due::horizon;
use hearth_domain::ukdate::{iso, uk_today};
use hearth_domain::Actor;
use hearth_store::cases::next_due as kept;
use time::Duration;

async fn demo_actor(t: &TestApp, account: &str) -> Actor {
    let email = format!("{account}@{}", demo::DEMO_DOMAIN);
    let mut conn = t.app.store.conn().await.unwrap();
    let u = hearth_store::users::by_email(&mut conn, &email)
        .await
        .unwrap()
        .unwrap();
    Actor::staff(u.id, u.org_id, u.team_id, u.role)
}

/// Every case's kept date, to put back after looking without them.
async fn kept_dates(t: &TestApp) -> Vec<(String, Option<String>, i64)> {
    let mut conn = t.app.store.conn().await.unwrap();
    sqlx::query_as("SELECT id, next_due_on, due_version FROM cases")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

async fn put_back(t: &TestApp, dates: &[(String, Option<String>, i64)]) {
    let mut tx = t.app.store.begin().await.unwrap();
    for (id, on, version) in dates {
        sqlx::query("UPDATE cases SET next_due_on = $1, due_version = $2 WHERE id = $3")
            .bind(on.clone())
            .bind(*version)
            .bind(id.clone())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn unknown_open_cases(t: &TestApp) -> Vec<String> {
    let mut conn = t.app.store.conn().await.unwrap();
    sqlx::query_scalar("SELECT id FROM cases WHERE next_due_on IS NULL AND status = 'open'")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

/// What each manager's due list and home page show now.
async fn lists(t: &TestApp, managers: &[Actor]) -> Vec<Vec<hearth_domain::due::DueItem>> {
    let mut out = Vec::new();
    for m in managers {
        out.push(due::team(&t.app, m).await.unwrap());
        let home = home_page::view(&t.app, m).await.unwrap();
        out.push(home.team.expect("a manager's home shows the team").due);
    }
    out
}

#[tokio::test]
async fn the_due_lists_are_the_same_with_the_kept_dates_on_that_day_and_every_later_one() {
    let t = spawn_app().await;
    demo::seed(&t.app, 120).await.unwrap();
    assert!(
        unknown_open_cases(&t).await.is_empty(),
        "the demo works every case out after loading"
    );
    let managers = [
        demo_actor(&t, "idva.manager").await,
        demo_actor(&t, "service.manager").await,
    ];
    let start = t.app.now();
    let dates = kept_dates(&t).await;
    let beyond = dates
        .iter()
        .filter(|(_, on, _)| on.as_deref() > Some(iso(horizon(uk_today(start))).as_str()))
        .count();
    assert!(
        beyond > 10,
        "some cases have nothing due in the look-ahead, so the lists skip them: {beyond}"
    );
    // Dates kept on the first day stay a true bound as days pass: sessions pass, plans and
    // assessments fall due, first contacts go overdue, all without a write.
    for days in [0, 1, 6, 15, 29, 57, 120] {
        t.clock.set(start + Duration::days(days));
        let with = lists(&t, &managers).await;
        assert!(
            with.iter().all(|l| !l.is_empty()),
            "day {days}: something is due"
        );
        let mut tx = t.app.store.begin().await.unwrap();
        kept::forget_all(&mut tx, "looking without them")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let without = lists(&t, &managers).await;
        for (k, (with, without)) in with.iter().zip(&without).enumerate() {
            let missing: Vec<_> = without.iter().filter(|i| !with.contains(i)).collect();
            assert!(
                missing.is_empty(),
                "day {days}, list {k}: the kept dates left out {} items, the first {:?}",
                missing.len(),
                missing.first()
            );
            assert_eq!(
                with, without,
                "day {days}, list {k}: the kept dates changed it"
            );
        }
        put_back(&t, &dates).await;
    }
}

/// The tables a case's due list is made from, and a row of each with the case it is about.
const MADE_FROM: &[(&str, &str)] = &[
    ("case_members", "SELECT id, case_id FROM case_members"),
    (
        "referrals",
        "SELECT id, case_id FROM referrals WHERE case_id IS NOT NULL",
    ),
    ("timeline_entries", "SELECT id, case_id FROM timeline_entries"),
    ("risk_assessments", "SELECT id, case_id FROM risk_assessments"),
    ("incidents", "SELECT id, case_id FROM incidents"),
    ("safety_plans", "SELECT id, case_id FROM safety_plans"),
    ("marac_referrals", "SELECT id, case_id FROM marac_referrals"),
    (
        "marac_actions",
        "SELECT a.id, r.case_id FROM marac_actions a JOIN marac_referrals r ON r.id = a.referral_id",
    ),
    ("enrolments", "SELECT id, case_id FROM enrolments"),
    ("programme_sessions", "SELECT id, case_id FROM programme_sessions"),
    ("partner_news", "SELECT id, case_id FROM partner_news"),
];

#[tokio::test]
async fn a_change_to_anything_a_due_list_is_made_from_makes_the_case_unknown_at_once() {
    let t = spawn_app().await;
    demo::seed(&t.app, 60).await.unwrap();
    for (table, row_and_case) in MADE_FROM {
        next_due::work_out_all(&t.app).await.unwrap();
        let mut tx = t.app.store.begin().await.unwrap();
        let found: Option<(String, String)> =
            sqlx::query_as(&format!("{row_and_case} ORDER BY 1 LIMIT 1"))
                .fetch_optional(&mut *tx)
                .await
                .unwrap();
        let (id, case) = found.unwrap_or_else(|| panic!("the demo has rows in {table}"));
        let case = case.parse().unwrap();
        assert!(
            kept::of_case(&mut tx, case).await.unwrap().is_some(),
            "{table}: worked out first"
        );
        sqlx::query(&format!("UPDATE {table} SET id = id WHERE id = $1"))
            .bind(&id)
            .execute(&mut *tx)
            .await
            .unwrap();
        let inside = kept::of_case(&mut tx, case).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            inside, None,
            "a change to {table} left the case's date known"
        );
    }
}

#[tokio::test]
async fn a_recorded_note_makes_its_case_unknown_and_working_it_out_again_keeps_the_new_date() {
    let t = spawn_app().await;
    let world = t.world().await;
    next_due::work_out_all(&t.app).await.unwrap();
    let mut conn = t.app.store.conn().await.unwrap();
    let before = kept::of_case(&mut conn, world.case).await.unwrap();
    assert!(before.is_some(), "worked out");
    drop(conn);
    add_contact(&t, &world).await;
    let mut conn = t.app.store.conn().await.unwrap();
    assert_eq!(
        kept::of_case(&mut conn, world.case).await.unwrap(),
        None,
        "the contact was saved with the case's date unknown"
    );
    drop(conn);
    assert!(next_due::work_out_all(&t.app).await.unwrap() >= 1);
    let mut conn = t.app.store.conn().await.unwrap();
    assert!(kept::of_case(&mut conn, world.case)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_date_worked_out_before_a_change_is_never_kept_after_it() {
    let t = spawn_app().await;
    let world = t.world().await;
    let mut w = t.app.view().await.unwrap();
    let unknown = kept::unknown(&mut w, 1_000).await.unwrap();
    w.commit().await.unwrap();
    let read = *unknown
        .iter()
        .find(|u| u.case_id == world.case)
        .expect("a new case is unknown");
    // A change lands between the reading and the keeping.
    add_contact(&t, &world).await;
    let stale = Some(uk_today(t.app.now()) + Duration::days(300));
    assert_eq!(
        kept::keep(&t.app.store, &[(read, stale)], false)
            .await
            .unwrap(),
        0,
        "the stale date was not kept"
    );
    let mut conn = t.app.store.conn().await.unwrap();
    assert_eq!(kept::of_case(&mut conn, world.case).await.unwrap(), None);
}

/// The Idva records an ordinary note about the victim on the world's case.
async fn add_contact(t: &TestApp, world: &World) {
    let idva = t.signed_in(&world.staff["idva"].1).await;
    let victim = world.victim.to_string();
    let r = add_entry(
        t,
        &idva,
        world.case,
        &[
            ("kind", "note"),
            ("sensitivity", "ordinary"),
            ("person_id", victim.as_str()),
            ("body", "Rang the school about the pick-up arrangements"),
        ],
    )
    .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "saved");
}
