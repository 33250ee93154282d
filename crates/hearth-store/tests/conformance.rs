//! The store's promises, one story per area, run on SQLite and (with
//! `HEARTH_TEST_BACKEND=postgres`) on PostgreSQL: the same code and the same answers on both.
//! These go below the web layer, to the guards and the unit of work themselves.

use hearth_domain::access::{Action, CaseRole, Decision};
use hearth_domain::enrolment::Offer;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::{CaseId, EnrolmentId, PersonId, SessionId};
use hearth_domain::paging::Page;
use hearth_domain::person::{Equality, Identity, PersonDetails};
use hearth_domain::programme::OfferOutcome;
use hearth_domain::timeline::{EntryKind, Sensitivity};
use hearth_domain::{Actor, Role};
use hearth_store::access::Guard;
use hearth_store::audit::{self, AuditEvent, Verification};
use hearth_store::sealed::Opened;
use hearth_store::{
    cases, enrolments, orgs, partners, people, programme_sessions, referrals, testing, timeline,
    users, MasterKey, Store,
};
use hearth_store::{StoreError, UnitOfWork};
use std::sync::atomic::{AtomicU64, Ordering};
use time::macros::datetime;
use uuid::Uuid;

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}_{:016x}_{}",
        rand::random::<u64>(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, migrated store: a new SQLite file, or a new database on the local PostgreSQL,
/// which must be running when asked for (this fails, never skips).
async fn fresh_store() -> Store {
    let store = empty_store().await;
    store.migrate().await.expect("migrate");
    store
}

/// A new database with no schema yet.
async fn empty_store() -> Store {
    let name = unique("hearth_test_store");
    let (url, _) = testing::fresh_database(&name).await;
    let key = MasterKey::create_file(&testing::scratch_dir().join(format!("{name}.key")))
        .expect("key file");
    let store = Store::connect(&url, key).await.expect("connect");
    assert_eq!(store.backend(), testing::backend());
    store
}

const NOW: hearth_domain::Timestamp = datetime!(2026-11-23 09:00 UTC);

/// One family in one team: an Idva with the victim, an Engage practitioner with the person
/// causing harm, a second case nobody here is allocated to, and another organisation's case.
struct Family {
    store: Store,
    idva: Actor,
    engage: Actor,
    manager: Actor,
    coordinator_elsewhere: Actor,
    case: Uuid,
    victim: Uuid,
    perpetrator: Uuid,
    unallocated_case: Uuid,
    other_org_case: Uuid,
}

async fn family() -> Family {
    let store = fresh_store().await;
    let mut tx = store.begin().await.unwrap();
    let org = orgs::create(&store, &mut tx, NOW, "Northshire", &unique("ns"), false)
        .await
        .unwrap();
    let other = orgs::create(&store, &mut tx, NOW, "Southvale", &unique("sv"), false)
        .await
        .unwrap();
    let team = orgs::create_team(&mut tx, NOW, org.id, "Idva")
        .await
        .unwrap();
    let engage_team = orgs::create_team(&mut tx, NOW, org.id, "Engage")
        .await
        .unwrap();
    let other_team = orgs::create_team(&mut tx, NOW, other.id, "Idva")
        .await
        .unwrap();
    let user = |org_id: OrgId, team_id: Option<hearth_domain::ids::TeamId>, role: Role| {
        let id = hearth_domain::ids::UserId::new(NOW);
        (
            id,
            Actor::staff(id, org_id, team_id, role),
            users::NewUser {
                id,
                org_id,
                team_id,
                email: "",
                display_name: "Test",
                role,
                password_hash: "x",
                must_change_password: false,
            },
        )
    };
    let mut actors = Vec::new();
    for (org_id, team_id, role) in [
        (org.id, Some(team.id), Role::CaseWorker),
        (org.id, Some(engage_team.id), Role::EngagePractitioner),
        (org.id, Some(team.id), Role::TeamManager),
        (other.id, None, Role::ServiceManager),
    ] {
        let (id, actor, new) = user(org_id, team_id, role);
        let email = format!("{id}@example.org");
        users::insert(
            &mut tx,
            NOW,
            users::NewUser {
                email: &email,
                ..new
            },
        )
        .await
        .unwrap();
        actors.push(actor);
    }
    let case = cases::insert_case(&mut tx, NOW, org.id, team.id, "NS-1")
        .await
        .unwrap();
    let cipher = store.cipher(&mut tx, org.id).await.unwrap();
    let victim = cases::insert_person(
        &mut tx,
        &cipher,
        NOW,
        org.id,
        &Identity::named("Zoë", "Quill", Some("1990-04-01")),
    )
    .await
    .unwrap();
    let perpetrator = cases::insert_person(
        &mut tx,
        &cipher,
        NOW,
        org.id,
        &Identity::named("Darren", "Quill", None),
    )
    .await
    .unwrap();
    for (p, role) in [
        (victim, CaseRole::VictimSurvivor),
        (perpetrator, CaseRole::PersonCausingHarm),
    ] {
        cases::add_member(&mut tx, NOW, org.id, case, p, role)
            .await
            .unwrap();
    }
    for (person, worker) in [(victim, &actors[0]), (perpetrator, &actors[1])] {
        cases::allocate(
            &mut tx,
            NOW,
            cases::NewAllocation {
                org_id: org.id,
                case_id: case,
                person_id: Some(person),
                worker_id: worker.user_id,
                by: None,
            },
        )
        .await
        .unwrap();
    }
    let unallocated_case = cases::insert_case(&mut tx, NOW, org.id, engage_team.id, "NS-2")
        .await
        .unwrap();
    let other_org_case = cases::insert_case(&mut tx, NOW, other.id, other_team.id, "SV-1")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut a = actors.into_iter();
    Family {
        store,
        idva: a.next().unwrap(),
        engage: a.next().unwrap(),
        manager: a.next().unwrap(),
        coordinator_elsewhere: a.next().unwrap(),
        case: case.uuid(),
        victim: victim.uuid(),
        perpetrator: perpetrator.uuid(),
        unallocated_case: unallocated_case.uuid(),
        other_org_case: other_org_case.uuid(),
    }
}

fn refusal<T>(r: Result<T, StoreError>) -> Decision {
    match r {
        Err(StoreError::Refused(d)) => d,
        Err(e) => panic!("refused by the policy, not by {e}"),
        Ok(_) => panic!("the policy let it through"),
    }
}

async fn people_count(conn: &mut sqlx::AnyConnection) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM people")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_unit_of_work_audits_on_commit_and_leaves_nothing_when_dropped() {
    let f = family().await;
    let mut conn = f.store.conn().await.unwrap();
    let before = audit::count(&mut conn).await.unwrap();
    let people_before = people_count(&mut conn).await;
    drop(conn);
    let ev = || {
        AuditEvent::new("case.view", "case")
            .org(f.idva.org_id)
            .actor(f.idva.user_id)
            .entity(f.case)
    };
    {
        let mut w = f.store.work(NOW).await.unwrap();
        w.audit(ev());
        let cipher = w.cipher(f.idva.org_id).await.unwrap();
        cases::insert_person(
            &mut w,
            &cipher,
            NOW,
            f.idva.org_id,
            &Identity::named("Never", "Saved", None),
        )
        .await
        .unwrap();
        // Dropped uncommitted: the write and its audit entry both go.
    }
    let mut conn = f.store.conn().await.unwrap();
    assert_eq!(audit::count(&mut conn).await.unwrap(), before);
    assert_eq!(
        people_count(&mut conn).await,
        people_before,
        "nothing half-written"
    );
    drop(conn);
    let mut w = f.store.work(NOW).await.unwrap();
    w.audit(ev());
    w.audit(ev());
    w.commit().await.unwrap();
    let mut conn = f.store.conn().await.unwrap();
    assert_eq!(audit::count(&mut conn).await.unwrap(), before + 2);
    assert!(matches!(
        audit::verify(&mut conn, f.store.audit_key()).await.unwrap(),
        Verification::Intact { .. }
    ));
}

#[tokio::test]
async fn a_case_opens_only_as_the_policy_says() {
    let f = family().await;
    let mut w = f.store.work(NOW).await.unwrap();
    let g = w
        .case(&f.idva, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    assert!(g.allows(Action::RecordWork));
    assert!(!g.allows(Action::Allocate));
    // Not allocated, another team, another organisation: as if it did not exist.
    for (actor, case) in [
        (&f.idva, f.unallocated_case),
        (&f.manager, f.unallocated_case),
        (&f.idva, f.other_org_case),
        (&f.coordinator_elsewhere, f.case),
    ] {
        assert_eq!(
            refusal(
                w.case(actor, CaseId::from_uuid(case), Action::ViewCaseRecord)
                    .await
            ),
            Decision::Hidden
        );
        // Asking to do something else to it says no more.
        assert_eq!(
            refusal(
                w.case(actor, CaseId::from_uuid(case), Action::Allocate)
                    .await
            ),
            Decision::Hidden
        );
    }
    // One they may open but not allocate: told so.
    assert_eq!(
        refusal(
            w.case(&f.idva, CaseId::from_uuid(f.case), Action::Allocate)
                .await
        ),
        Decision::Forbidden
    );
    assert!(w
        .case(&f.manager, CaseId::from_uuid(f.case), Action::Allocate)
        .await
        .is_ok());
    // Lists keep only what may be opened, in the order asked.
    let many = w
        .cases(&f.idva, &[f.other_org_case, f.case, f.unallocated_case])
        .await
        .unwrap();
    assert_eq!(many.case_ids(), vec![f.case]);
    w.rollback().await.unwrap();
}

/// A sensitive note, now, with this text.
async fn add_entry(
    w: &mut UnitOfWork,
    f: &Family,
    person: Option<Uuid>,
    body: &str,
) -> hearth_domain::ids::EntryId {
    let about = (person, EntryKind::Note, Sensitivity::Sensitive);
    entry_at(w, f, about, 0, (1, false), body).await
}

#[tokio::test]
async fn sealed_fields_open_only_where_the_firewall_lets_them() {
    let f = family().await;
    let mut w = f.store.work(NOW).await.unwrap();
    add_entry(
        &mut w,
        &f,
        Some(f.victim),
        "She disclosed where she is staying",
    )
    .await;
    add_entry(&mut w, &f, Some(f.perpetrator), "He accepts the programme").await;
    add_entry(&mut w, &f, None, "The family as a whole").await;
    let opened = |g: &hearth_store::access::CaseGuard, entries: &[timeline::Entry]| {
        entries
            .iter()
            .map(|e| (e.person_id, g.open(&e.versions[0].body).unwrap()))
            .collect::<Vec<_>>()
    };
    let idva = w
        .case(&f.idva, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    let entries = timeline::for_case(&mut w, &idva).await.unwrap();
    assert_eq!(entries.len(), 3);
    assert!(opened(&idva, &entries)
        .iter()
        .all(|(_, o)| matches!(o, Opened::Shown(_))));
    // The Engage practitioner reads the same rows and opens only what is about him.
    let engage = w
        .case(&f.engage, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    let entries = timeline::for_case(&mut w, &engage).await.unwrap();
    for (person, o) in opened(&engage, &entries) {
        match person {
            Some(p) if p == f.perpetrator => assert!(matches!(o, Opened::Shown(_))),
            _ => assert_eq!(o, Opened::Withheld, "about {person:?}"),
        }
    }
    // A guard over many cases answers the same for each.
    let many = w.cases(&f.engage, &[f.case]).await.unwrap();
    for e in &entries {
        assert_eq!(
            many.open(&e.versions[0].body).unwrap(),
            engage.open(&e.versions[0].body).unwrap()
        );
    }
    // The Engage practitioner has no guard on the other case at all.
    assert_eq!(
        refusal(
            w.case(
                &f.engage,
                CaseId::from_uuid(f.unallocated_case),
                Action::ViewCaseRecord
            )
            .await
        ),
        Decision::Hidden
    );
    w.rollback().await.unwrap();
}

/// An entry of the given kind and sensitivity, `minutes` after NOW, with `versions` versions
/// of this text (each correction an hour later than the last) and withdrawn if asked.
async fn entry_at(
    w: &mut UnitOfWork,
    f: &Family,
    (person, kind, sensitivity): (Option<Uuid>, EntryKind, Sensitivity),
    minutes: i64,
    (versions, withdrawn): (i64, bool),
    body: &str,
) -> hearth_domain::ids::EntryId {
    let id = hearth_domain::ids::EntryId::new(NOW);
    let org = f.idva.org_id;
    timeline::insert_entry(
        w,
        NOW,
        timeline::NewEntry {
            id,
            org_id: org,
            case_id: f.case,
            person_id: person,
            kind,
            sensitivity,
            by: f.idva.user_id,
            submission_key: &unique("k"),
        },
    )
    .await
    .unwrap();
    let store = w.store().clone();
    let cipher = store.cipher(w, org).await.unwrap();
    for version in 1..=versions {
        let at = NOW + time::Duration::minutes(minutes) + time::Duration::hours(version - 1);
        timeline::insert_version(
            w,
            NOW,
            timeline::NewVersion {
                org_id: org,
                entry_id: id,
                version,
                occurred_at: at,
                method: (kind == EntryKind::Contact).then_some("phone"),
                outcome: (kind == EntryKind::Contact).then_some(if version == 1 {
                    "no_answer"
                } else {
                    "spoke"
                }),
                body: cipher
                    .encrypt(&timeline::body_place(id, version), body)
                    .unwrap(),
                by: f.idva.user_id,
            },
        )
        .await
        .unwrap();
    }
    if withdrawn {
        let reason = cipher
            .encrypt(&timeline::reason_place(id), "In error")
            .unwrap();
        assert!(timeline::withdraw(w, NOW, id, f.idva.user_id, reason)
            .await
            .unwrap());
    }
    id
}

#[tokio::test]
async fn a_timeline_page_holds_exactly_what_its_guard_would_open() {
    use EntryKind::{Contact, Note};
    use Sensitivity::{Ordinary, Sensitive};
    let f = family().await;
    let mut w = f.store.work(NOW).await.unwrap();
    let (v, p) = (Some(f.victim), Some(f.perpetrator));
    // Victim and perpetrator, ordinary and sensitive, about the family, corrected (moved to
    // the top by its new time) and withdrawn, and two at the same minute.
    let shapes = [
        ((v, Contact, Sensitive), 10, (1, false)),
        ((v, Contact, Ordinary), 20, (1, false)),
        ((v, Note, Sensitive), 30, (1, false)),
        ((p, Note, Ordinary), 40, (1, false)),
        ((p, Contact, Ordinary), 50, (1, false)),
        ((p, Contact, Sensitive), 60, (1, false)),
        ((None, Note, Ordinary), 70, (1, false)),
        ((None, Note, Sensitive), 80, (1, false)),
        ((v, Contact, Ordinary), 5, (3, false)),
        ((v, Contact, Ordinary), 500, (1, true)),
        ((p, Note, Ordinary), 70, (1, false)),
    ];
    for (who, minutes, versions) in shapes {
        entry_at(&mut w, &f, who, minutes, versions, "A note").await;
    }
    let narrowings = [
        timeline::Narrowing::default(),
        timeline::Narrowing {
            person: v,
            kind: None,
        },
        timeline::Narrowing {
            person: p,
            kind: None,
        },
        timeline::Narrowing {
            person: None,
            kind: Some(Contact),
        },
        timeline::Narrowing {
            person: v,
            kind: Some(Note),
        },
    ];
    for actor in [&f.idva, &f.engage] {
        let guard = w
            .case(actor, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
            .await
            .unwrap();
        let whole = timeline::for_case(&mut w, &guard).await.unwrap();
        for n in narrowings {
            // What the whole timeline opens, narrowed, in its order: the pages must hold
            // exactly these, in this order, and count no more.
            let expected: Vec<_> = whole
                .iter()
                .filter(|e| n.person.is_none_or(|p| e.person_id == Some(p)))
                .filter(|e| n.kind.is_none_or(|k| e.kind == k))
                .filter(|e| matches!(guard.open(&e.versions[0].body), Ok(Opened::Shown(_))))
                .map(|e| e.id)
                .collect();
            let mut paged = Vec::new();
            for number in 1..=4 {
                let page = timeline::page(&mut w, &guard, n, Page::at(Some(number), 3))
                    .await
                    .unwrap();
                assert_eq!(page.total, expected.len(), "{n:?}");
                assert!(page.items.len() <= 3);
                for e in &page.items {
                    assert_eq!(
                        e.versions.len(),
                        whole.iter().find(|w| w.id == e.id).unwrap().versions.len()
                    );
                    assert!(matches!(
                        guard.open(&e.versions[0].body),
                        Ok(Opened::Shown(_))
                    ));
                }
                paged.extend(page.items.iter().map(|e| e.id));
            }
            assert_eq!(paged, expected, "{n:?}");
        }
        // Each person's newest contact, as the whole timeline would say it.
        let mut expected: Vec<_> = [f.victim, f.perpetrator]
            .into_iter()
            .filter_map(|person| {
                whole
                    .iter()
                    .filter(|e| e.kind == Contact && e.withdrawn_at.is_none())
                    .filter(|e| e.person_id == Some(person))
                    .filter(|e| matches!(guard.open(&e.versions[0].body), Ok(Opened::Shown(_))))
                    .max_by_key(|e| (e.versions[0].occurred_at, e.created_at, e.id))
                    .map(|e| timeline::LastContact {
                        person_id: person,
                        at: e.versions[0].occurred_at,
                        method: e.versions[0].contact_method.clone(),
                        outcome: e.versions[0].contact_outcome.clone(),
                    })
            })
            .collect();
        let mut last = timeline::last_contacts(&mut w, &guard).await.unwrap();
        last.sort_by_key(|c| c.person_id);
        expected.sort_by_key(|c| c.person_id);
        assert_eq!(last, expected);
        if actor == &f.idva {
            // The corrected contact, three hours on, is the victim's newest; the withdrawn
            // one, later still, is not counted.
            let victim = last.iter().find(|c| c.person_id == f.victim).unwrap();
            assert_eq!(
                victim.at,
                NOW + time::Duration::minutes(5) + time::Duration::hours(2)
            );
            assert_eq!(victim.outcome.as_deref(), Some("spoke"));
        } else {
            assert!(last.iter().all(|c| c.person_id != f.victim), "{last:?}");
        }
    }
    w.rollback().await.unwrap();
}

#[tokio::test]
async fn a_service_function_opens_its_own_records_and_no_others() {
    let f = family().await;
    let mut w = f.store.work(NOW).await.unwrap();
    // A case worker does not triage; a team manager does, and running MARAC is another function.
    assert_eq!(
        refusal(w.service(&f.idva, Action::Triage).await),
        Decision::Forbidden
    );
    let marac = w.service(&f.manager, Action::RunMarac).await.unwrap();
    assert_eq!(
        refusal(referrals::queue(&mut w, &marac, Page::first(10)).await),
        Decision::Forbidden
    );
    let triage = w.service(&f.manager, Action::Triage).await.unwrap();
    assert!(referrals::queue(&mut w, &triage, Page::first(10))
        .await
        .unwrap()
        .items
        .is_empty());
    // Function guards cover no person: case readers refuse them.
    assert!(!triage.covers(f.victim));
    w.rollback().await.unwrap();
}

#[tokio::test]
async fn risk_contact_and_history_readers_refuse_what_their_guard_did_not_open() {
    let f = family().await;
    let mut w = f.store.work(NOW).await.unwrap();
    let victim = w
        .person(
            &f.idva,
            PersonId::from_uuid(f.victim),
            Action::ViewCaseRecord,
        )
        .await
        .unwrap();
    // A guard on her reaches her, and nobody else.
    assert!(
        hearth_store::risk::latest_for_people(&mut w, &victim, &[f.victim])
            .await
            .is_ok()
    );
    for refused in [
        refusal(hearth_store::risk::latest_for_people(&mut w, &victim, &[f.perpetrator]).await),
        refusal(hearth_store::risk::incident_dates(&mut w, &victim, &[f.perpetrator]).await),
        refusal(hearth_store::contact::latest_version(&mut w, &victim, f.perpetrator).await),
    ] {
        assert_eq!(refused, Decision::Hidden);
    }
    // A case guard's risk reader stays inside its own case.
    let case = w
        .case(&f.idva, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    assert_eq!(
        refusal(
            hearth_store::risk::latest_in_case(&mut w, &case.as_cases(), f.unallocated_case).await
        ),
        Decision::Hidden
    );
    // A record's history is read only through a guard opened to read history.
    assert_eq!(
        refusal(audit::history_of_case(&mut w, &case, 10).await),
        Decision::Forbidden
    );
    assert_eq!(
        refusal(audit::history_of_person(&mut w, &victim, 10).await),
        Decision::Forbidden
    );
    let history = w
        .case(
            &f.manager,
            CaseId::from_uuid(f.case),
            Action::ViewRecordHistory,
        )
        .await
        .unwrap();
    assert!(audit::history_of_case(&mut w, &history, 10).await.is_ok());
    w.rollback().await.unwrap();
}

#[tokio::test]
async fn a_new_version_of_a_person_keeps_the_old_one_and_what_the_saver_could_not_see() {
    let f = family().await;
    let mut w = f.store.work(NOW).await.unwrap();
    let g = w
        .person(&f.idva, PersonId::from_uuid(f.victim), Action::RecordWork)
        .await
        .unwrap();
    let stored = people::get(&mut w, &g, f.victim).await.unwrap().unwrap();
    let answers = Equality {
        ethnicity: "White Polish".into(),
        ..Default::default()
    };
    let mut details: PersonDetails = stored.open(&g).unwrap();
    details.language = "Polish".into();
    let v2 = people::update(
        &mut w,
        &g,
        NOW,
        people::PersonUpdate {
            based_on: stored.version,
            by: f.idva.user_id,
            details: &details,
            equality: people::EqualityChange::Set(&answers),
        },
    )
    .await
    .unwrap()
    .expect("saved");
    // Saved by someone who may not see the answers: they are carried across untouched.
    details.language = "Polish and English".into();
    let v3 = people::update(
        &mut w,
        &g,
        NOW,
        people::PersonUpdate {
            based_on: v2,
            by: f.idva.user_id,
            details: &details,
            equality: people::EqualityChange::Keep,
        },
    )
    .await
    .unwrap()
    .expect("saved");
    let now = people::get(&mut w, &g, f.victim).await.unwrap().unwrap();
    assert_eq!(now.version, v3);
    assert_eq!(now.open(&g).unwrap().equality.ethnicity, "White Polish");
    // A save based on an old version changes nothing.
    let stale = people::update(
        &mut w,
        &g,
        NOW,
        people::PersonUpdate {
            based_on: v2,
            by: f.idva.user_id,
            details: &details,
            equality: people::EqualityChange::Keep,
        },
    )
    .await
    .unwrap();
    assert_eq!(stale, None);
    // Every earlier state is kept whole.
    let earlier = people::versions(&mut w, &g).await.unwrap();
    assert_eq!(earlier.len(), 2);
    let then: PersonDetails =
        serde_json::from_str(&g.open(&earlier[0].snapshot).unwrap().shown().unwrap()).unwrap();
    assert_eq!(then.language, "Polish");
    assert_eq!(then.equality.ethnicity, "White Polish");
    // Readers refuse a person the guard does not cover.
    assert_eq!(
        refusal(people::get(&mut w, &g, f.perpetrator).await),
        Decision::Hidden
    );
    w.rollback().await.unwrap();
}

/// Someone written before names were sealed (plain text on the row, other names in their own
/// table) is sealed and indexed the next time the store starts, and the plain text is blanked.
#[tokio::test]
async fn people_written_before_names_were_sealed_are_sealed_at_start_up() {
    let f = family().await;
    let mut tx = f.store.begin().await.unwrap();
    let legacy = hearth_domain::ids::new_id(NOW);
    sqlx::query(
        "INSERT INTO people (id, org_id, given_name, family_name, date_of_birth, created_at, updated_at) \
         VALUES ($1, $2, 'Hester', 'Ashgrove', '1979-12-24', 0, 0)",
    )
    .bind(legacy.to_string())
    .bind(f.idva.org_id.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO person_aliases (id, org_id, person_id, name) VALUES ($1, $2, $3, 'Hester Thornby')")
        .bind(hearth_domain::ids::new_id(NOW).to_string())
        .bind(f.idva.org_id.to_string())
        .bind(legacy.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    cases::add_member(
        &mut tx,
        NOW,
        f.idva.org_id,
        CaseId::from_uuid(f.case),
        PersonId::from_uuid(legacy),
        CaseRole::OtherAdult,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    f.store.migrate().await.unwrap();

    let mut conn = f.store.conn().await.unwrap();
    let (given, family, dob, sealed): (String, String, Option<String>, Option<Vec<u8>>) =
        sqlx::query_as(
            "SELECT given_name, family_name, date_of_birth, identity FROM people WHERE id = $1",
        )
        .bind(legacy.to_string())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        (given.as_str(), family.as_str(), dob),
        ("", "", None),
        "the plain text is gone"
    );
    assert!(sealed.is_some_and(|s| !s.windows(8).any(|w| w == b"Ashgrove")));
    let aliases: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM person_aliases WHERE person_id = $1")
            .bind(legacy.to_string())
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(aliases, 0);
    drop(conn);

    let mut w = f.store.work(NOW).await.unwrap();
    let terms: Vec<String> = hearth_domain::search_terms::query_word_terms("thornby")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let hits = people::find(&mut w, &f.manager, &terms).await.unwrap();
    assert!(
        hits.iter()
            .any(|h| h.person_id == legacy
                && h.field == hearth_domain::search_terms::Field::OtherName),
        "found by the other name she had before"
    );
    let g = w
        .person(
            &f.manager,
            PersonId::from_uuid(legacy),
            Action::ViewCaseRecord,
        )
        .await
        .unwrap();
    let record = cases::person_record(&mut w, &g).await.unwrap();
    assert_eq!(
        (
            record.given_name.as_str(),
            record.family_name.as_str(),
            record.date_of_birth.as_deref()
        ),
        ("Hester", "Ashgrove", Some("1979-12-24"))
    );
    // Another organisation's key finds nothing: its tokens are its own.
    let hits = people::find(&mut w, &f.coordinator_elsewhere, &terms)
        .await
        .unwrap();
    assert!(hits.is_empty());
}

/// What an actor did to one record, as the trail holds it, oldest first.
async fn trail_of(store: &Store, actor: &Actor, kind: &str, id: Uuid) -> Vec<String> {
    let mut conn = store.conn().await.unwrap();
    let mut actions: Vec<String> = audit::for_org(
        &mut conn,
        actor.org_id,
        Some(actor.user_id.uuid()),
        None,
        1_000,
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|l| l.entry.entity_type == kind && l.entry.entity_id == Some(id))
    .map(|l| l.entry.action)
    .collect();
    actions.reverse();
    actions
}

#[tokio::test]
async fn opening_a_record_to_look_at_it_is_audited_by_the_guard_itself() {
    let f = family().await;
    // A view that opens the case twice and the victim once, and says nothing itself.
    let mut w = f.store.view(NOW).await.unwrap();
    w.case(&f.idva, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    w.case(&f.idva, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    w.person(
        &f.idva,
        PersonId::from_uuid(f.victim),
        Action::ViewCaseRecord,
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    assert_eq!(
        trail_of(&f.store, &f.idva, "case", f.case).await,
        ["case.view"]
    );
    assert_eq!(
        trail_of(&f.store, &f.idva, "person", f.victim).await,
        ["person.view"]
    );

    // Opening it to change it is no view: the change says what it did.
    let mut w = f.store.work(NOW).await.unwrap();
    w.case(&f.manager, CaseId::from_uuid(f.case), Action::Allocate)
        .await
        .unwrap();
    w.commit().await.unwrap();
    assert!(trail_of(&f.store, &f.manager, "case", f.case)
        .await
        .is_empty());

    // A refused open records nothing, and a view dropped unfinished leaves no trace.
    let mut w = f.store.view(NOW).await.unwrap();
    assert!(w
        .person(
            &f.engage,
            PersonId::from_uuid(f.victim),
            Action::ViewRecordHistory
        )
        .await
        .is_err());
    w.case(&f.engage, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    drop(w);
    assert!(trail_of(&f.store, &f.engage, "case", f.case)
        .await
        .is_empty());

    // A list is audited by the list.
    let mut w = f.store.view(NOW).await.unwrap();
    let listed = cases::caseload(&mut w, &f.idva).await.unwrap();
    assert_eq!(listed.cases.len(), 1);
    w.commit().await.unwrap();
    assert_eq!(
        trail_of(&f.store, &f.idva, "user", f.idva.user_id.uuid()).await,
        ["caseload.view"]
    );
}

#[tokio::test]
async fn a_guard_opened_to_look_audits_each_kind_of_record_it_shows() {
    use hearth_store::contact::{self, NewContact};
    let f = family().await;
    let details = hearth_domain::contact::ContactDetails {
        address: "1 Refuge Lane".into(),
        ..Default::default()
    };
    let mut w = f.store.work(NOW).await.unwrap();
    let cipher = w.cipher(f.idva.org_id).await.unwrap();
    contact::insert(
        &mut w,
        &cipher,
        NOW,
        NewContact {
            org_id: f.idva.org_id,
            person_id: f.victim,
            version: 1,
            details: &details,
            by: f.idva.user_id,
        },
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    let contact_views = |actor: &Actor| {
        let (store, actor) = (f.store.clone(), actor.clone());
        async move {
            trail_of(&store, &actor, "person", f.victim)
                .await
                .into_iter()
                .filter(|a| a == "person.contact_view")
                .count()
        }
    };

    // Shown through a guard opened to look: the view is in the trail, though the reader and the
    // use case said nothing.
    let mut w = f.store.view(NOW).await.unwrap();
    let g = w
        .case(&f.idva, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    let versions = contact::versions(&mut w, &g, f.victim).await.unwrap();
    assert!(g.open(&versions[0].sealed).unwrap().shown().is_some());
    w.commit().await.unwrap();
    assert_eq!(contact_views(&f.idva).await, 1);

    // Withheld by the firewall: nothing was shown, so nothing is a view.
    let mut w = f.store.view(NOW).await.unwrap();
    let g = w
        .case(&f.engage, CaseId::from_uuid(f.case), Action::ViewCaseRecord)
        .await
        .unwrap();
    let versions = contact::versions(&mut w, &g, f.victim).await.unwrap();
    assert_eq!(g.open(&versions[0].sealed).unwrap(), Opened::Withheld);
    w.commit().await.unwrap();
    assert_eq!(contact_views(&f.engage).await, 0);

    // Read while recording work: the change is what gets audited, not a view.
    let mut w = f.store.work(NOW).await.unwrap();
    let g = w
        .case(&f.idva, CaseId::from_uuid(f.case), Action::RecordWork)
        .await
        .unwrap();
    let versions = contact::versions(&mut w, &g, f.victim).await.unwrap();
    assert!(g.open(&versions[0].sealed).unwrap().shown().is_some());
    w.commit().await.unwrap();
    assert_eq!(contact_views(&f.idva).await, 1);
}

#[tokio::test]
async fn an_instrument_version_is_parsed_once_and_handed_out_again() {
    let f = family().await;
    let mut w = f.store.view(NOW).await.unwrap();
    let org = f.idva.org_id;
    let stored = hearth_store::risk::current_instruments(&mut w, org)
        .await
        .unwrap();
    w.rollback().await.unwrap();
    let first = f.store.parsed_instrument(org, &stored[0]).unwrap();
    let again = f.store.parsed_instrument(org, &stored[0]).unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again), "parsed once");
    assert_eq!(first.key, stored[0].key);
    assert_eq!(first.version, stored[0].version);
}

#[tokio::test]
async fn an_enrolment_is_known_only_to_those_the_firewall_lets_see_its_person() {
    let f = family().await;
    let mut w = f.store.work(NOW).await.unwrap();
    let case = CaseId::from_uuid(f.case);
    let mut ids = Vec::new();
    for (person, key) in [(f.victim, "idva_support"), (f.perpetrator, "engage")] {
        let id = EnrolmentId::new(NOW);
        enrolments::insert(
            &mut w,
            NOW,
            enrolments::NewEnrolment {
                id,
                org_id: f.manager.org_id,
                case_id: case,
                person_id: PersonId::from_uuid(person),
                programme_key: key,
                programme_version: 1,
                link_id: None,
                proposed_on: NOW.date(),
                by: f.manager.user_id,
            },
        )
        .await
        .unwrap();
        ids.push(id);
    }
    let (hers, his) = (ids[0], ids[1]);
    for (enrolment, person) in [(hers, f.victim), (his, f.perpetrator)] {
        programme_sessions::insert(
            &mut w,
            NOW,
            programme_sessions::NewSession {
                id: SessionId::new(NOW),
                org_id: f.manager.org_id,
                enrolment_id: enrolment,
                case_id: case,
                person_id: PersonId::from_uuid(person),
                planned_at: NOW,
                place: Vec::new(),
                worker_id: f.manager.user_id,
                by: f.manager.user_id,
                submission_key: &unique("session"),
            },
        )
        .await
        .unwrap();
    }
    let people = |es: Vec<enrolments::Enrolment>| {
        es.into_iter()
            .map(|e| e.person_id.uuid())
            .collect::<Vec<_>>()
    };
    // Her Idva knows of both; the Engage practitioner only of his client's, by either reader.
    let idva = w.case(&f.idva, case, Action::ViewCaseRecord).await.unwrap();
    let mut both = people(enrolments::in_case(&mut w, &idva).await.unwrap());
    both.sort();
    let mut expected = vec![f.victim, f.perpetrator];
    expected.sort();
    assert_eq!(both, expected);
    let engage = w
        .case(&f.engage, case, Action::ViewCaseRecord)
        .await
        .unwrap();
    assert_eq!(
        people(enrolments::in_case(&mut w, &engage).await.unwrap()),
        [f.perpetrator]
    );
    let many = w.cases(&f.engage, &[f.case]).await.unwrap();
    assert_eq!(
        people(enrolments::in_cases(&mut w, &many).await.unwrap()),
        [f.perpetrator]
    );
    // Their sessions likewise, in the case and on the due list.
    let sessions = |ss: Vec<programme_sessions::Session>| {
        ss.into_iter()
            .map(|s| s.person_id.uuid())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        sessions(
            programme_sessions::of_enrolment(&mut w, &engage, hers)
                .await
                .unwrap()
        ),
        Vec::<Uuid>::new()
    );
    assert_eq!(
        sessions(
            programme_sessions::open_in_cases(&mut w, &many)
                .await
                .unwrap()
        ),
        [f.perpetrator]
    );
    // An Idva offer to her is her Idva's to read; the Engage rule learns only that there is one.
    let offer = Offer {
        outcome: OfferOutcome::Accepted,
        offered_on: NOW.date(),
        view_sought_on: None,
    };
    partners::record_offer(&mut w, &idva, NOW, PersonId::from_uuid(f.victim), &offer)
        .await
        .unwrap();
    assert_eq!(partners::offers(&mut w, &idva).await.unwrap().len(), 1);
    assert!(partners::offers(&mut w, &engage).await.unwrap().is_empty());
    // Opened by id, hers is refused as if it did not exist; his opens.
    assert_eq!(
        refusal(enrolments::open(&mut w, &f.engage, hers, Action::ViewCaseRecord).await),
        Decision::Hidden
    );
    let (opened, _) = enrolments::open(&mut w, &f.engage, his, Action::ViewCaseRecord)
        .await
        .unwrap();
    assert_eq!(opened.person_id.uuid(), f.perpetrator);
    w.rollback().await.unwrap();
}

/// Referral and case numbers: each organisation's sequences start at 1 and count up by one,
/// apart from each other's, and a number taken in work that is undone is taken again.
#[tokio::test]
async fn each_organisations_sequences_count_from_one_apart() {
    let f = family().await;
    let org = f.idva.org_id;
    let other = f.coordinator_elsewhere.org_id;
    let mut tx = f.store.begin().await.unwrap();
    let mut taken = Vec::new();
    for (o, name) in [
        (org, "referral"),
        (org, "referral"),
        (org, "case"),
        (other, "referral"),
        (org, "referral"),
    ] {
        taken.push(
            hearth_store::referrals::next_number(&mut tx, o, name)
                .await
                .unwrap(),
        );
    }
    assert_eq!(taken, [1, 2, 1, 1, 3]);
    tx.commit().await.unwrap();
    let mut tx = f.store.begin().await.unwrap();
    let n = hearth_store::referrals::next_number(&mut tx, org, "referral")
        .await
        .unwrap();
    assert_eq!(n, 4);
    tx.rollback().await.unwrap();
    let mut tx = f.store.begin().await.unwrap();
    let n = hearth_store::referrals::next_number(&mut tx, org, "referral")
        .await
        .unwrap();
    assert_eq!(n, 4, "a number in undone work is not used up");
    tx.commit().await.unwrap();
}

/// Begin a unit of work and take the next of an organisation's numbers in it.
async fn take_number(store: &Store, org: OrgId, name: &str) -> (UnitOfWork, i64) {
    let mut w = store.work(NOW).await.unwrap();
    let n = hearth_store::referrals::next_number(&mut w, org, name)
        .await
        .unwrap();
    (w, n)
}

/// How many entries the audit trail holds for this action, having checked that it verifies.
async fn audited_in_intact_trail(store: &Store, action: &str) -> i64 {
    let mut conn = store.conn().await.unwrap();
    assert!(matches!(
        audit::verify(&mut conn, store.audit_key()).await.unwrap(),
        Verification::Intact { .. }
    ));
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

/// Many actions at once, sharing commits: each kept or undone on its own. A number taken by
/// undone work is taken again, so the numbers kept are exactly 1 to the count of actions kept,
/// and the audit trail verifies.
#[tokio::test]
async fn actions_at_once_are_each_kept_or_undone_alone() {
    let f = family().await;
    let org = f.idva.org_id;
    let actions: Vec<_> = (0..40)
        .map(|i| {
            let store = f.store.clone();
            tokio::spawn(async move {
                let (mut w, n) = take_number(&store, org, "at once").await;
                w.audit(
                    AuditEvent::new("test.at_once", "counter")
                        .org(org)
                        .detail("n", n.to_string()),
                );
                if i % 5 == 0 {
                    // Undone by dropping, as an error or a cancelled request does.
                    drop(w);
                    None
                } else {
                    w.commit().await.unwrap();
                    Some(n)
                }
            })
        })
        .collect();
    let mut kept = Vec::new();
    for a in actions {
        let done = tokio::time::timeout(std::time::Duration::from_secs(60), a)
            .await
            .expect("every action ends: none waits for a commit that never comes")
            .unwrap();
        kept.extend(done);
    }
    kept.sort_unstable();
    assert_eq!(kept, (1..=32).collect::<Vec<i64>>());
    assert_eq!(
        audited_in_intact_trail(&f.store, "test.at_once").await,
        32,
        "only the kept actions are audited"
    );
}

/// An action that finishes while others wait to begin is answered only once it is committed,
/// and one of those others failing does not hold it up or undo it.
#[tokio::test]
async fn a_finished_action_outlives_a_failure_after_it() {
    let f = family().await;
    let org = f.idva.org_id;
    let (first, _) = take_number(&f.store, org, "outlives").await;
    // Two more queue for the writer while the first holds it.
    let second = {
        let store = f.store.clone();
        tokio::spawn(async move {
            let (w, n) = take_number(&store, org, "outlives").await;
            w.rollback().await.unwrap();
            n
        })
    };
    let third = {
        let store = f.store.clone();
        tokio::spawn(async move {
            let (w, n) = take_number(&store, org, "outlives").await;
            w.commit().await.unwrap();
            n
        })
    };
    // Wait until both are queued, so the first's commit is shared with them.
    while f.store.writers_waiting() < 2 {
        tokio::task::yield_now().await;
    }
    let limit = std::time::Duration::from_secs(60);
    tokio::time::timeout(limit, first.commit())
        .await
        .expect("the first is answered")
        .unwrap();
    let second = tokio::time::timeout(limit, second).await.unwrap().unwrap();
    let third = tokio::time::timeout(limit, third).await.unwrap().unwrap();
    // The first kept 1. The third takes 2 whether the second's number, taken before it, was
    // undone or the second comes after it and takes 3.
    assert!(second == 2 || second == 3);
    assert_eq!(third, 2);
    let (w, next) = take_number(&f.store, org, "outlives").await;
    assert_eq!(
        next, 3,
        "1 and the third's number are kept, the second's is not"
    );
    w.rollback().await.unwrap();
}

/// A bulk load's action alone in its transaction: it begins only once the shared transaction
/// before it has committed (so that action is answered, and kept whatever becomes of this one),
/// and undoing it undoes all of its work and none of anyone else's.
#[tokio::test]
async fn an_action_alone_commits_the_shared_one_first_and_is_undone_whole() {
    let f = family().await;
    let org = f.idva.org_id;
    let audited = move |n: i64| {
        AuditEvent::new("test.alone", "counter")
            .org(org)
            .detail("n", n.to_string())
    };
    let (mut first, n) = take_number(&f.store, org, "alone").await;
    assert_eq!(n, 1);
    first.audit(audited(n));
    let undone = {
        let store = f.store.clone();
        tokio::spawn(async move {
            let mut w = store.work_alone(NOW).await.unwrap();
            let n = hearth_store::referrals::next_number(&mut w, org, "alone")
                .await
                .unwrap();
            w.audit(audited(n));
            // Undone by dropping, as an error part-way through a load would.
            drop(w);
            n
        })
    };
    while f.store.writers_waiting() == 0 {
        tokio::task::yield_now().await;
    }
    let limit = std::time::Duration::from_secs(60);
    tokio::time::timeout(limit, first.commit())
        .await
        .expect("the shared action is answered before the one alone begins")
        .unwrap();
    let n = tokio::time::timeout(limit, undone).await.unwrap().unwrap();
    assert_eq!(n, 2, "the one alone read what the shared one kept");
    let mut w = f.store.work_alone(NOW).await.unwrap();
    let n = hearth_store::referrals::next_number(&mut w, org, "alone")
        .await
        .unwrap();
    assert_eq!(n, 2, "the undone action's number was not used up");
    w.audit(audited(n));
    tokio::time::timeout(limit, w.commit())
        .await
        .expect("an action alone is answered once it commits")
        .unwrap();
    let (w, next) = take_number(&f.store, org, "alone").await;
    assert_eq!(next, 3);
    w.rollback().await.unwrap();
    assert_eq!(
        audited_in_intact_trail(&f.store, "test.alone").await,
        2,
        "the kept actions are audited, the undone one is not"
    );
}

/// If the transaction a group of actions shares is lost (here one of them ends it by hand, as a
/// failed fsync or a full disk would), none of them is told it was saved, and the writer goes
/// on: the next action is saved.
#[tokio::test]
async fn a_lost_shared_transaction_tells_every_action_in_it() {
    let f = family().await;
    let org = f.idva.org_id;
    let (first, _) = take_number(&f.store, org, "lost").await;
    let saboteur = {
        let store = f.store.clone();
        tokio::spawn(async move {
            let mut w = store.work(NOW).await.unwrap();
            sqlx::query("ROLLBACK").execute(&mut *w).await.unwrap();
            w.commit().await
        })
    };
    // Let the saboteur queue behind the first, so the first's commit waits to share with it.
    while !saboteur.is_finished() && f.store.writers_waiting() == 0 {
        tokio::task::yield_now().await;
    }
    let limit = std::time::Duration::from_secs(60);
    let first = tokio::time::timeout(limit, first.commit()).await.unwrap();
    let saboteur = tokio::time::timeout(limit, saboteur)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(first, Err(hearth_store::StoreError::NotSaved(_))),
        "the first's work was lost, and it is told so: {first:?}"
    );
    assert!(matches!(
        saboteur,
        Err(hearth_store::StoreError::NotSaved(_))
    ));
    let (w, n) = take_number(&f.store, org, "lost").await;
    assert_eq!(n, 1, "nothing of the lost transaction was kept");
    w.commit().await.unwrap();
    let (w, n) = take_number(&f.store, org, "lost").await;
    assert_eq!(n, 2, "the writer goes on after a lost transaction");
    w.rollback().await.unwrap();
}

/// Views and writes of two organisations at once: each view records entries on both
/// organisations' chains, each write on one. Every chain head moves on one connection, so none
/// waits for another in a circle (on PostgreSQL a separate connection for views' entries once
/// could), and every action is saved and the trail verifies.
#[tokio::test]
async fn views_and_writes_across_organisations_at_once_all_save() {
    let f = family().await;
    let orgs = [f.idva.org_id, f.coordinator_elsewhere.org_id];
    let actions: Vec<_> = (0..200)
        .map(|i| {
            let store = f.store.clone();
            tokio::spawn(async move {
                let event = |org| AuditEvent::new("test.mixed", "counter").org(org);
                if i % 2 == 0 {
                    let mut w = store.work(NOW).await?;
                    let org = orgs[(i / 2) % 2];
                    hearth_store::referrals::next_number(&mut w, org, "mixed").await?;
                    w.audit(event(org));
                    w.commit().await
                } else {
                    let mut w = store.view(NOW).await?;
                    let (first, second) = if i % 4 == 1 {
                        (orgs[0], orgs[1])
                    } else {
                        (orgs[1], orgs[0])
                    };
                    w.audit(event(first));
                    w.audit(event(second));
                    w.commit().await
                }
            })
        })
        .collect();
    for a in actions {
        tokio::time::timeout(std::time::Duration::from_secs(60), a)
            .await
            .expect("no action waits for ever")
            .unwrap()
            .expect("every action is saved");
    }
    assert_eq!(
        audited_in_intact_trail(&f.store, "test.mixed").await,
        100 + 2 * 100
    );
}

/// Migration 21 files the blind index under each person's organisation. A database that an
/// older release wrote keeps every index row it had, each filed under the organisation of the
/// person it points to.
#[tokio::test]
async fn an_upgrade_files_every_index_row_under_its_persons_organisation() {
    let store = empty_store().await;
    testing::migrate_schema_to(&store, 20)
        .await
        .expect("the schema of release 20");
    let pool = store.pool();
    let orgs = [Uuid::from_u128(0xA1), Uuid::from_u128(0xB2)];
    let mut written = Vec::new();
    for (i, org) in orgs.iter().enumerate() {
        sqlx::query(
            "INSERT INTO organisations (id, name, slug, wrapped_key, created_at) \
             VALUES ($1, $2, $3, $4, 0)",
        )
        .bind(org.to_string())
        .bind(format!("Service {i}"))
        .bind(format!("service-{i}"))
        .bind(vec![0u8; 8])
        .execute(pool)
        .await
        .unwrap();
        for p in 0..3u128 {
            let person = Uuid::from_u128(((i as u128 + 1) << 16) | p);
            // Sealed already, as release 20 wrote people, so the upgrade has nothing to seal.
            sqlx::query(
                "INSERT INTO people (id, org_id, given_name, family_name, identity, created_at, \
                 updated_at) VALUES ($1, $2, '', '', $3, 0, 0)",
            )
            .bind(person.to_string())
            .bind(org.to_string())
            .bind(vec![1u8; 8])
            .execute(pool)
            .await
            .unwrap();
            for (t, field) in ["n", "n", "b"].iter().enumerate() {
                // The same token for everyone: the upgrade must not fold people together.
                let token = vec![t as u8; 16];
                sqlx::query(
                    "INSERT INTO person_index (token, person_id, field) VALUES ($1, $2, $3)",
                )
                .bind(token.clone())
                .bind(person.to_string())
                .bind(format!("{field}{t}"))
                .execute(pool)
                .await
                .unwrap();
                written.push((
                    org.to_string(),
                    token,
                    person.to_string(),
                    format!("{field}{t}"),
                ));
            }
        }
    }

    store.migrate().await.expect("the upgrade");

    let mut kept: Vec<(String, Vec<u8>, String, String)> =
        sqlx::query_as("SELECT org_id, token, person_id, field FROM person_index")
            .fetch_all(pool)
            .await
            .unwrap();
    kept.sort();
    written.sort();
    assert_eq!(
        kept, written,
        "every row kept, filed under its person's organisation"
    );
}

/// The blind index answers an organisation from its own rows only. Copy every index row of
/// Northshire's under Southvale (as a 128-bit collision would, or someone writing to the file):
/// Northshire's counts and lookups are what they were, not doubled.
#[tokio::test]
async fn the_blind_index_answers_only_from_the_organisations_own_rows() {
    let f = family().await;
    let terms: Vec<String> = hearth_domain::search_terms::query_word_terms("quill")
        .into_iter()
        .map(|(term, _)| term)
        .collect();
    let before = index_answers(&f.store, &f.idva, &terms).await;
    assert!(before.0 > 0, "Northshire's index holds the Quills");
    let found: Vec<Uuid> = before.1.iter().map(|h| h.0).collect();
    assert!(found.contains(&f.victim) && found.contains(&f.perpetrator));

    let mut tx = f.store.begin().await.unwrap();
    let copied = sqlx::query(
        "INSERT INTO person_index (org_id, token, person_id, field) \
         SELECT $1, token, person_id, field FROM person_index WHERE org_id = $2",
    )
    .bind(f.coordinator_elsewhere.org_id.to_string())
    .bind(f.idva.org_id.to_string())
    .execute(&mut *tx)
    .await
    .unwrap()
    .rows_affected();
    tx.commit().await.unwrap();
    assert!(copied > 0);

    let after = index_answers(&f.store, &f.idva, &terms).await;
    assert_eq!(
        after, before,
        "rows filed under another organisation do not answer"
    );
}

/// How many index rows hold these terms for the actor's organisation, and what a lookup finds.
async fn index_answers(
    store: &Store,
    actor: &Actor,
    terms: &[String],
) -> (i64, Vec<(Uuid, usize, &'static str)>) {
    let mut w = store.view(NOW).await.unwrap();
    let n = people::count_terms(&mut w, actor, terms).await.unwrap();
    let mut hits: Vec<(Uuid, usize, &'static str)> = people::find(&mut w, actor, terms)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.person_id, h.term, h.field.code()))
        .collect();
    hits.sort();
    (n, hits)
}

/// Rotating a key moves the values of every column in `rekey::SEALED`. A binary column missing
/// from it would stay under the old key and be lost with it, so every binary column in the
/// schema must be listed there or in `rekey::NOT_SEALED`, and every listed one must exist.
#[tokio::test]
async fn every_binary_column_is_known_to_key_rotation() {
    use hearth_store::rekey::{NOT_SEALED, SEALED};
    let store = fresh_store().await;
    let mut conn = store.conn().await.unwrap();
    let sql = match store.backend() {
        hearth_store::Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.type = 'BLOB' AND m.name <> '_sqlx_migrations'"
        }
        hearth_store::Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND data_type = 'bytea' AND table_name <> '_sqlx_migrations'"
        }
    };
    let mut found: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&mut *conn).await.unwrap();
    found.sort();
    let mut known: Vec<(String, String)> = SEALED
        .iter()
        .map(|c| (c.table.to_string(), c.column.to_string()))
        .chain(
            NOT_SEALED
                .iter()
                .map(|(t, c)| (t.to_string(), c.to_string())),
        )
        .collect();
    known.sort();
    assert_eq!(found, known);
}

/// The index rebuilt in one pass (after a bulk load, or under a rotated key) is row for row the
/// index that writing each person and each change of contact details keeps, and touches no other
/// organisation's rows.
#[tokio::test]
async fn an_index_rebuilt_at_once_is_the_index_kept_person_by_person() {
    use hearth_domain::contact::ContactDetails;
    use hearth_store::contact::{self, NewContact};
    use hearth_store::identity;
    let f = family().await;
    let org = f.idva.org_id;
    let mut w = f.store.work(NOW).await.unwrap();
    let cipher = w.cipher(org).await.unwrap();
    let mut someone = Identity::named("Hester", "Thornby-Åkesson", Some("1984-06-02"));
    someone.aliases = vec!["Hetty Thornby".into()];
    let person = cases::insert_person(&mut w, &cipher, NOW, org, &someone)
        .await
        .unwrap();
    // Her namesake in another service: its rows are its own.
    let other_org = f.coordinator_elsewhere.org_id;
    let other_cipher = w.cipher(other_org).await.unwrap();
    cases::insert_person(&mut w, &other_cipher, NOW, other_org, &someone)
        .await
        .unwrap();
    for (version, phone, postcode) in [
        (1, "07700 900123", "NS1 2AB"),
        (2, "01632 960555", "NS9 9ZZ"),
    ] {
        let details = ContactDetails {
            phone: phone.into(),
            postcode: postcode.into(),
            ..ContactDetails::default()
        };
        contact::insert(
            &mut w,
            &cipher,
            NOW,
            NewContact {
                org_id: org,
                person_id: person.uuid(),
                version,
                details: &details,
                by: f.idva.user_id,
            },
        )
        .await
        .unwrap();
    }
    w.commit().await.unwrap();
    let pool = f.store.pool();
    let rows = |org: OrgId| {
        let sql = "SELECT token, person_id, field FROM person_index WHERE org_id = $1 \
                   ORDER BY token, person_id, field";
        sqlx::query_as::<_, (Vec<u8>, String, String)>(sql).bind(org.to_string())
    };
    let kept = rows(org).fetch_all(pool).await.unwrap();
    let elsewhere = rows(other_org).fetch_all(pool).await.unwrap();
    assert!(kept.iter().any(|(_, p, _)| *p == person.to_string()));
    assert!(!elsewhere.is_empty());

    let mut w = f.store.work(NOW).await.unwrap();
    let people = identity::reindex(&mut w, &cipher).await.unwrap();
    w.commit().await.unwrap();
    assert_eq!(people, 3, "the family's two and Hester");
    assert_eq!(rows(org).fetch_all(pool).await.unwrap(), kept);
    assert_eq!(rows(other_org).fetch_all(pool).await.unwrap(), elsewhere);
}
