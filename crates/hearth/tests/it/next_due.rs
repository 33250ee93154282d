//! Each case's next due, kept on write (migration 0018, `hearth_app::next_due`). A team's and
//! the service's due lists skip the cases whose kept date is beyond the look-ahead, so they
//! must be exactly what working out every case gives, on the day the dates were kept and on
//! any later day; every change to what a case's list is made from must make its date unknown
//! in the same transaction; and a date worked out before a change must never be kept after it.

use crate::common::*;
use hearth_app::{demo, due, home_page, next_due, team_due};
use hearth_domain::due::{by_case, horizon, overdue_by_worker, DueItem, DueKind, Show};
use hearth_domain::paging::Page;
use hearth_domain::ukdate::{iso, uk_today};
use hearth_domain::Actor;
use hearth_store::cases::next_due as kept;
use time::Duration;

async fn demo_actor(t: &TestApp, account: &str) -> Actor {
    actor(t, &format!("{account}@{}", demo::DEMO_DOMAIN)).await
}

/// The member of staff with this email as the app sees them: their role and team as stored.
async fn actor(t: &TestApp, email: &str) -> Actor {
    let mut conn = t.app.store.conn().await.unwrap();
    let u = hearth_store::users::by_email(&mut conn, email)
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

const SHOWS: [Show; 7] = [
    Show::Everything,
    Show::Overdue,
    Show::Kind(DueKind::FirstContact),
    Show::Kind(DueKind::RiskAssessment),
    Show::Kind(DueKind::SafetyPlanReview),
    Show::Kind(DueKind::Session),
    Show::Kind(DueKind::SafetyCheck),
];

/// A page smaller than the list, so that it runs to several pages and a page boundary falls
/// inside a case.
const PER_PAGE: usize = 40;

/// Everything a manager is shown of the due list now: the home page's figures and every page
/// of the team's list under each filter, each checked against the whole list worked out case
/// by case as the API gives it.
async fn shown(t: &TestApp, m: &Actor) -> Vec<String> {
    let whole = due::team(&t.app, m).await.unwrap();
    let (own, others): (Vec<_>, Vec<_>) = whole.iter().cloned().partition(|i| !i.other_agency);
    let home = home_page::view(&t.app, m).await.unwrap();
    let team = home.team.expect("a manager's home shows the team");
    assert_eq!(
        team.overdue,
        own.iter().filter(|i| i.overdue).count(),
        "the home page's overdue figure"
    );
    assert_eq!(
        team.by_worker,
        overdue_by_worker(&whole),
        "overdue by worker"
    );
    let mut out = vec![format!("{:?} {:?}", team.overdue, team.by_worker)];
    let in_order = |items: Vec<DueItem>| -> Vec<DueItem> {
        by_case(items).into_iter().flat_map(|g| g.items).collect()
    };
    let others = in_order(others);
    for show in SHOWS {
        let kept = in_order(own.iter().filter(|i| show.keeps(i)).cloned().collect());
        let (mut paged, mut others_paged) = (Vec::new(), Vec::new());
        let mut page = 1;
        loop {
            let pages = team_due::Pages {
                own: page,
                others: page,
                size: PER_PAGE,
            };
            let (_, d) = team_due::team_workload(&t.app, m, show, pages)
                .await
                .unwrap();
            assert_eq!((d.own, d.kept), (own.len(), kept.len()), "{show:?} counts");
            assert_eq!(d.overdue, own.iter().filter(|i| i.overdue).count());
            assert_eq!(
                d.others_total,
                others.len(),
                "{show:?}: other agencies' actions"
            );
            out.push(format!("{show:?} {page} {:?} {:?}", d.items, d.others));
            // A page past the end of either list is its last page.
            assert_eq!(d.page, page.min(d.pages));
            assert_eq!(d.others_page, page.min(d.others_pages));
            if d.page == page {
                paged.extend(d.items);
            }
            if d.others_page == page {
                others_paged.extend(d.others);
            }
            if page >= d.pages.max(d.others_pages) {
                break;
            }
            page += 1;
        }
        assert_eq!(
            paged, kept,
            "{show:?}: the pages together are the whole list"
        );
        assert_eq!(
            others_paged, others,
            "{show:?}: the pages of other agencies' actions together are all of them"
        );
    }
    // Other agencies' actions a few to a page, so that pages end inside a case.
    let mut others_paged = Vec::new();
    for page in 1.. {
        let pages = team_due::Pages {
            own: 1,
            others: page,
            size: 3,
        };
        let (_, d) = team_due::team_workload(&t.app, m, Show::Everything, pages)
            .await
            .unwrap();
        others_paged.extend(d.others);
        if page >= d.others_pages {
            break;
        }
    }
    assert_eq!(
        others_paged, others,
        "other agencies' actions, three to a page"
    );
    // The API's list: own items then other agencies' actions, as one list in pages.
    let whole_list: Vec<DueItem> = in_order(own.clone()).into_iter().chain(others).collect();
    let mut listed = Vec::new();
    for n in 1.. {
        let page = team_due::list(&t.app, m, Page::at(Some(n), PER_PAGE))
            .await
            .unwrap();
        assert_eq!(page.total, whole_list.len(), "the API's total");
        if page.items.is_empty() {
            assert_eq!(
                n,
                whole_list.len().div_ceil(PER_PAGE) + 1,
                "no page is empty before the end"
            );
            break;
        }
        listed.extend(page.items);
    }
    assert_eq!(
        listed, whole_list,
        "the API's pages together are the whole list"
    );
    out.push(format!("{listed:?}"));
    out
}

async fn everything_shown(t: &TestApp, managers: &[Actor]) -> Vec<String> {
    let mut out = Vec::new();
    for m in managers {
        out.extend(shown(t, m).await);
    }
    out
}

#[tokio::test]
async fn a_managers_due_list_is_the_same_counted_from_kept_items_on_that_day_and_every_later_one() {
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
    let others = due::team(&t.app, &managers[1])
        .await
        .unwrap()
        .iter()
        .filter(|i| i.other_agency)
        .count();
    assert!(
        others > 3,
        "other agencies' actions run to more than one page of three: {others}"
    );
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
    // Items kept on the first day stay true as days pass: sessions pass and are to be
    // recorded, plans and assessments fall due, first contacts go overdue, with no write.
    // And an hour either side of a deadline for a first contact not yet made: overdue from
    // that moment, not from the day after.
    let deadline = due::team(&t.app, &managers[0])
        .await
        .unwrap()
        .iter()
        .filter(|i| i.kind == DueKind::FirstContact)
        .filter_map(|i| i.turns_at)
        .max()
        .expect("a first contact not yet made");
    let mut moments: Vec<_> = [0, 6, 29, 120]
        .iter()
        .map(|d| start + Duration::days(*d))
        .collect();
    moments.extend([deadline - Duration::hours(1), deadline + Duration::hours(1)]);
    for at in moments {
        t.clock.set(at);
        let with = everything_shown(&t, &managers).await;
        let mut tx = t.app.store.begin().await.unwrap();
        kept::forget_all(&mut tx, "looking without them")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let without = everything_shown(&t, &managers).await;
        assert_eq!(with.len(), without.len());
        for (with, without) in with.iter().zip(&without) {
            assert_eq!(
                with, without,
                "at {at}: the kept items changed what is shown"
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
    let stale = vec![kept::KeptItem {
        kind: "risk_assessment",
        due_on: uk_today(t.app.now()) + Duration::days(300),
        overdue_after: None,
        recorded_from: None,
        always_listed: false,
        other_agency: false,
    }];
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

#[tokio::test]
async fn every_transaction_that_writes_about_a_case_raises_its_version_however_many_rows_it_writes()
{
    let t = spawn_app().await;
    let world = t.world().await;
    let version = |t: &TestApp| {
        let store = t.app.store.clone();
        let case = world.case.to_string();
        async move {
            let mut conn = store.conn().await.unwrap();
            sqlx::query_scalar::<_, i64>("SELECT due_version FROM cases WHERE id = $1")
                .bind(case)
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        }
    };
    // The case is already unknown before each of these transactions, as it is after any write:
    // being unknown must not excuse a later transaction from raising the version, or a date
    // read before it could be kept after it.
    for round in 0..3 {
        let before = version(&t).await;
        let mut tx = t.app.store.begin().await.unwrap();
        for _ in 0..3 {
            // Every member of the case: a row each, so a trigger call each.
            let rows = sqlx::query("UPDATE case_members SET case_id = case_id WHERE case_id = $1")
                .bind(world.case.to_string())
                .execute(&mut *tx)
                .await
                .unwrap();
            assert!(rows.rows_affected() > 1, "the case has several members");
        }
        tx.commit().await.unwrap();
        let after = version(&t).await;
        assert!(after > before, "round {round}: the version was raised");
        if t.app.store.backend() == hearth_store::Backend::Postgres {
            // Migration 0019: one new version of the case's row per transaction, not per row.
            assert_eq!(after, before + 1, "round {round}: raised once");
        }
    }
}

/// A manager reaches a case of another team only through an allocation with the person causing
/// harm. The kept items were worked out as the whole service sees the case, the victim's
/// included, so counting them for this manager would put behind-the-firewall work on their
/// list. The case must take the guard's path, where the firewall hides the victim.
#[tokio::test]
async fn a_case_a_manager_reaches_only_through_the_person_causing_harm_is_never_counted_from_kept_items(
) {
    use hearth_domain::access::CaseRole;
    use hearth_domain::ids::{CaseId, PersonId};
    use hearth_domain::person::Identity;
    let t = spawn_app().await;
    let world = t.world().await;
    let now = t.now();
    let org = world.org;
    let engage_case = CaseId::from_uuid(world.other_team_case);
    let manager = actor(&t, &world.staff["team_manager"].1).await;
    let tm_id = manager.user_id;
    let mut tx = t.app.store.begin().await.unwrap();
    let harm: String = sqlx::query_scalar("SELECT person_id FROM case_members WHERE case_id = $1")
        .bind(engage_case.to_string())
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let harm = PersonId::from_uuid(harm.parse().unwrap());
    let victim = hearth_store::cases::insert_person(
        &mut tx,
        &t.cipher(org.uuid()).await,
        now,
        org,
        &Identity::named("Maud", "Sallowmere", Some("1992-06-14")),
    )
    .await
    .unwrap();
    hearth_store::cases::add_member(
        &mut tx,
        now,
        org,
        engage_case,
        victim,
        CaseRole::VictimSurvivor,
    )
    .await
    .unwrap();
    hearth_store::cases::allocate(
        &mut tx,
        now,
        hearth_store::cases::NewAllocation {
            org_id: org,
            case_id: engage_case,
            person_id: Some(harm),
            worker_id: tm_id,
            by: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let service = actor(&t, &world.staff["service_manager"].1).await;
    let about_victim = |items: &[hearth_domain::due::DueItem]| {
        items
            .iter()
            .filter(|i| i.person_id == Some(victim.uuid()))
            .count()
    };
    next_due::work_out_all(&t.app).await.unwrap();
    let mut conn = t.app.store.conn().await.unwrap();
    assert!(
        kept::of_case(&mut conn, engage_case.uuid())
            .await
            .unwrap()
            .is_some(),
        "the case's items are kept"
    );
    drop(conn);
    let whole = due::team(&t.app, &service).await.unwrap();
    assert!(
        about_victim(&whole) > 0,
        "the service sees work due for the victim, so the kept items hold some: {whole:?}"
    );
    let managers = due::team(&t.app, &manager).await.unwrap();
    let idva = t.signed_in(&world.staff["team_manager"].1).await;
    let (status, _) = page(&idva, &t, &format!("/cases/{engage_case}")).await;
    assert_eq!(
        status,
        reqwest::StatusCode::OK,
        "the manager reaches the case, through the allocation"
    );
    assert_eq!(
        about_victim(&managers),
        0,
        "nothing due for the victim reaches the manager"
    );
    let counted = shown(&t, &manager).await;
    assert!(
        counted
            .iter()
            .all(|line| !line.contains(&victim.to_string())),
        "no page and no figure names the victim's work"
    );
    // The same pages with nothing kept: what the guard alone gives.
    let dates = kept_dates(&t).await;
    let mut tx = t.app.store.begin().await.unwrap();
    kept::forget_all(&mut tx, "looking without them")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(shown(&t, &manager).await, counted);
    put_back(&t, &dates).await;
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
