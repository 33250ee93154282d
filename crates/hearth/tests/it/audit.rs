//! The audit trail: views and changes are recorded, managers can see a record's history,
//! nothing personal is written into it, and `hearth audit verify` catches tampering.

use crate::common::*;
use hearth_store::Backend;
use reqwest::StatusCode;
use std::process::Command;

#[tokio::test]
async fn views_and_changes_are_audited_and_managers_see_who_viewed_a_record() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    assert_eq!(
        idva.get(t.url(&format!("/cases/{}", w.case)))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        idva.get(t.url(&format!("/people/{}", w.victim)))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // A refused view is not recorded as a view.
    assert_eq!(
        idva.get(t.url(&format!("/cases/{}", w.team_case)))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let html = manager
        .get(t.url(&format!("/cases/{}/history", w.case)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Test idva"), "who");
    assert!(html.contains("Opened the case"), "what");
    assert!(html.contains("23 November 2026"), "when, in UK format");

    let token = t.token_for(w.org, w.staff["team_manager"].0).await;
    let lines: serde_json::Value = t
        .api_get(&token, &format!("/api/v1/people/{}/history", w.victim))
        .await
        .json()
        .await
        .unwrap();
    let lines = lines.as_array().unwrap();
    assert!(lines
        .iter()
        .any(|l| l["action"] == "person.view" && l["actor_id"] == w.staff["idva"].0.to_string()));

    let rows = t.audit_rows().await;
    let views_of_team_case = rows
        .iter()
        .filter(|r| r.1 == "case.view" && r.4.as_deref() == Some(&w.team_case.to_string()))
        .count();
    assert_eq!(views_of_team_case, 0);
    // Looking at the history is itself recorded.
    assert!(rows.iter().any(|r| r.1 == "case.history_view"));

    // A change: disabling an account.
    let admin = t.signed_in(&w.staff["admin"].1).await;
    let page = format!("/admin/users/{}", w.staff["idva2"].0);
    t.submit(
        &admin,
        &page,
        &format!("{page}/disable"),
        &[("confirm", "yes")],
    )
    .await;
    let rows = t.audit_rows().await;
    let disable = rows
        .iter()
        .find(|r| r.1 == "user.disable")
        .expect("disable audited");
    assert_eq!(
        disable.4.as_deref(),
        Some(w.staff["idva2"].0.to_string().as_str())
    );
    assert_eq!(
        disable.5.as_deref(),
        Some(w.staff["admin"].0.to_string().as_str())
    );
}

#[tokio::test]
async fn the_audit_trail_holds_identifiers_not_personal_details() {
    let t = spawn_app().await;
    let w = t.world().await;
    let b = t.signed_in(&w.staff["idva"].1).await;
    b.get(t.url(&format!("/cases/{}", w.case)))
        .send()
        .await
        .unwrap();
    b.get(t.url(&format!("/people/{}", w.victim)))
        .send()
        .await
        .unwrap();
    let bad = browser();
    t.submit(
        &bad,
        "/login",
        "/login",
        &[
            ("email", "zoe.quillfeather@example.org"),
            ("password", "not right at all"),
        ],
    )
    .await;
    for (_, action, entity_type, detail, _, _) in t.audit_rows().await {
        let text = format!("{action} {entity_type} {detail}");
        for personal in [
            "Zoë",
            "Quillfeather",
            "Alfie",
            "northshire.example",
            "zoe.quillfeather",
            "1990-04-01",
        ] {
            assert!(
                !text.contains(personal),
                "audit entry holds {personal}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn the_audit_log_refuses_ordinary_updates_and_deletes() {
    let t = spawn_app().await;
    t.world().await;
    let mut conn = t.app.store.write_conn().await.unwrap();
    hearth_store::audit::append(
        &mut conn,
        t.app.store.audit_key(),
        t.now(),
        hearth_store::audit::AuditEvent::new("test.event", "test"),
    )
    .await
    .unwrap();
    assert!(sqlx::query("UPDATE audit_log SET detail = 'x'")
        .execute(&mut *conn)
        .await
        .is_err());
    assert!(sqlx::query("DELETE FROM audit_log")
        .execute(&mut *conn)
        .await
        .is_err());
}

/// Run `hearth audit verify` against the test database, as an operator would.
fn verify_cli(t: &TestApp) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["audit", "verify"])
        .env("HEARTH_DATABASE_URL", &t.database_url)
        .env("HEARTH_KEY_FILE", &t.key_file)
        .env("HEARTH_LOG", "warn")
        .output()
        .expect("run hearth");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

/// An attacker with the database (but not the key file) first removes the guard triggers.
async fn drop_guards(t: &TestApp, conn: &mut sqlx::AnyConnection) {
    for trigger in [
        "audit_log_append_only_update",
        "audit_log_append_only_delete",
    ] {
        let sql = match t.app.store.backend() {
            Backend::Sqlite => format!("DROP TRIGGER {trigger}"),
            Backend::Postgres => format!("DROP TRIGGER {trigger} ON audit_log"),
        };
        sqlx::query(&sql).execute(&mut *conn).await.unwrap();
    }
}

async fn trail_of_twenty() -> (TestApp, World) {
    let t = spawn_app().await;
    let w = t.world().await;
    let b = t.signed_in(&w.staff["idva"].1).await;
    for _ in 0..6 {
        b.get(t.url(&format!("/cases/{}", w.case)))
            .send()
            .await
            .unwrap();
    }
    assert!(t.audit_rows().await.len() >= 8);
    (t, w)
}

#[tokio::test]
async fn audit_verify_passes_an_untouched_trail_and_catches_an_edited_entry() {
    let (t, _) = trail_of_twenty().await;
    let (code, out) = verify_cli(&t);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Audit trail intact"), "{out}");

    let mut conn = t.app.store.write_conn().await.unwrap();
    drop_guards(&t, &mut conn).await;
    sqlx::query("UPDATE audit_log SET action = 'caseload.view' WHERE seq = 5")
        .execute(&mut *conn)
        .await
        .unwrap();
    let (code, out) = verify_cli(&t);
    assert_ne!(code, 0);
    assert!(out.contains("BROKEN at entry 5"), "{out}");
    assert!(out.contains("edited"), "{out}");
}

#[tokio::test]
async fn audit_verify_catches_a_deleted_entry() {
    let (t, _) = trail_of_twenty().await;
    let mut conn = t.app.store.write_conn().await.unwrap();
    drop_guards(&t, &mut conn).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 4")
        .execute(&mut *conn)
        .await
        .unwrap();
    let (code, out) = verify_cli(&t);
    assert_ne!(code, 0);
    assert!(out.contains("BROKEN at entry 4"), "{out}");
}

#[tokio::test]
async fn audit_verify_catches_removal_of_the_newest_entry() {
    let (t, _) = trail_of_twenty().await;
    let mut conn = t.app.store.write_conn().await.unwrap();
    drop_guards(&t, &mut conn).await;
    let last: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(last)
        .execute(&mut *conn)
        .await
        .unwrap();
    let (code, out) = verify_cli(&t);
    assert_ne!(code, 0);
    assert!(out.contains(&format!("BROKEN at entry {last}")), "{out}");
}

#[tokio::test]
async fn audit_verify_catches_reordered_entries() {
    let (t, _) = trail_of_twenty().await;
    let mut conn = t.app.store.write_conn().await.unwrap();
    drop_guards(&t, &mut conn).await;
    // Swap entries 3 and 4 by renumbering them.
    for sql in [
        "UPDATE audit_log SET seq = -1 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = -1",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.unwrap();
    }
    let (code, out) = verify_cli(&t);
    assert_ne!(code, 0);
    assert!(out.contains("BROKEN at entry 3"), "{out}");
}

#[tokio::test]
async fn audit_verify_catches_an_inserted_entry() {
    let (t, _) = trail_of_twenty().await;
    let mut conn = t.app.store.write_conn().await.unwrap();
    drop_guards(&t, &mut conn).await;
    // Make room after entry 2 and insert a forged entry copied from entry 2.
    let max: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    for seq in (3..=max).rev() {
        sqlx::query("UPDATE audit_log SET seq = seq + 1 WHERE seq = $1")
            .bind(seq)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO audit_log (seq, id, org_id, at, actor_id, action, entity_type, entity_id, detail, prev_hash, hash) \
         SELECT 3, '00000000-0000-4000-8000-000000000000', org_id, at, actor_id, action, entity_type, entity_id, detail, hash, hash FROM audit_log WHERE seq = 2",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    let (code, out) = verify_cli(&t);
    assert_ne!(code, 0);
    assert!(out.contains("BROKEN at entry 3"), "{out}");
}

/// Each organisation's entries form their own chain, so one organisation's appends never wait
/// on another's; `hearth audit verify` checks every chain, and says whose trail was touched.
#[tokio::test]
async fn each_organisation_has_its_own_chain_and_verify_checks_them_all() {
    let (t, w) = trail_of_twenty().await;
    let other = t.signed_in(&w.staff["other_org_manager"].1).await;
    for _ in 0..3 {
        other.get(t.url("/cases")).send().await.unwrap();
    }
    let mut conn = t.app.store.write_conn().await.unwrap();
    let chains: Vec<String> = sqlx::query_scalar("SELECT chain FROM audit_chains")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    for org in [w.org, w.other_org] {
        assert!(chains.contains(&org.to_string()), "{org} has its own chain");
    }
    let (code, out) = verify_cli(&t);
    assert_eq!(code, 0, "{out}");
    drop(conn);

    // An entry of the other organisation's edited: found, and named as that trail.
    let mut conn = t.app.store.write_conn().await.unwrap();
    drop_guards(&t, &mut conn).await;
    let theirs: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log WHERE org_id = $1")
        .bind(w.other_org.to_string())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET detail = 'kind=name' WHERE seq = $1")
        .bind(theirs)
        .execute(&mut *conn)
        .await
        .unwrap();
    let (code, out) = verify_cli(&t);
    assert_ne!(code, 0);
    assert!(out.contains(&format!("BROKEN at entry {theirs}")), "{out}");
    assert!(out.contains(&w.other_org.to_string()), "{out}");
}

/// An entry moved onto another organisation's chain is found, even with its contents intact.
#[tokio::test]
async fn an_entry_moved_to_another_chain_is_found() {
    let (t, w) = trail_of_twenty().await;
    let mut conn = t.app.store.write_conn().await.unwrap();
    drop_guards(&t, &mut conn).await;
    let ours: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log WHERE org_id = $1")
        .bind(w.org.to_string())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET chain = $1 WHERE seq = $2")
        .bind(w.other_org.to_string())
        .bind(ours)
        .execute(&mut *conn)
        .await
        .unwrap();
    let (code, out) = verify_cli(&t);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BROKEN"), "{out}");
}

/// An operator checks the trail while the service is in use. Entries appended during the check
/// are not tampering: the check reads one snapshot, so a live system is never reported broken.
#[tokio::test]
async fn verifying_while_the_service_writes_never_reports_a_break() {
    let t = spawn_app().await;
    let w = t.world().await;
    let store = t.app.store.clone();
    let (org, actor) = (w.org, w.staff["idva"].0);
    let now = t.now();
    let writer = tokio::spawn(async move {
        for _ in 0..400 {
            let mut work = store.work(now).await.unwrap();
            work.audit(
                hearth_store::audit::AuditEvent::new("test.busy", "user")
                    .org(org)
                    .actor(actor)
                    .entity(actor),
            );
            work.commit().await.unwrap();
        }
    });
    let mut checks = 0;
    while !writer.is_finished() {
        match hearth_app::records::verify_audit(&t.app).await.unwrap() {
            hearth_store::audit::Verification::Intact { .. } => checks += 1,
            broken => panic!("a live trail reported as broken after {checks} checks: {broken:?}"),
        }
    }
    writer.await.unwrap();
    assert!(checks > 0, "the check ran while entries were being written");
    assert!(matches!(
        hearth_app::records::verify_audit(&t.app).await.unwrap(),
        hearth_store::audit::Verification::Intact { .. }
    ));
}

/// The pages of one record below a case (a timeline entry, a referral, the triage queue, a
/// MARAC referral and meeting) are audited by the guard that showed them, naming the record;
/// what the firewall withheld is not a view.
#[tokio::test]
async fn the_page_of_each_record_is_audited_by_the_guard_that_showed_it() {
    let t = spawn_app().await;
    let w = t.world().await;
    let Records {
        entry,
        referral,
        meeting,
        marac_referral,
    } = Records::make(&t, &w, "sensitive").await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let engage = t.signed_in(&w.staff["engage"].1).await;
    let manager = t.signed_in(&w.staff["team_manager"].1).await;
    let entry_page = format!("/cases/{}/entries/{entry}", w.case);
    assert_eq!(page(&idva, &t, &entry_page).await.0, StatusCode::OK);
    // Behind the firewall the entry does not exist, and nothing was shown.
    assert_eq!(
        page(&engage, &t, &entry_page).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(page(&manager, &t, "/triage").await.0, StatusCode::OK);
    let referral_page = format!("/triage/{referral}");
    assert_eq!(page(&manager, &t, &referral_page).await.0, StatusCode::OK);
    let meeting_page = format!("/marac/meetings/{meeting}");
    assert_eq!(page(&manager, &t, &meeting_page).await.0, StatusCode::OK);
    let marac_page = format!("/marac/referrals/{marac_referral}");
    assert_eq!(page(&idva, &t, &marac_page).await.0, StatusCode::OK);

    let rows = t.audit_rows().await;
    let by = |key: &str| Some(w.staff[key].0.to_string());
    let one = |action: &str, actor: &str, entity: &str, detail: &str| {
        rows.iter()
            .filter(|r| {
                r.1 == action && r.5 == by(actor) && r.4.as_deref() == Some(entity) && r.3 == detail
            })
            .count()
    };
    let case = w.case.to_string();
    assert_eq!(
        one("case.entry_view", "idva", &case, &format!("entry={entry}")),
        1
    );
    assert_eq!(
        one(
            "case.entry_view",
            "engage",
            &case,
            &format!("entry={entry}")
        ),
        0
    );
    let manager_id = w.staff["team_manager"].0.to_string();
    assert_eq!(
        one("referral.queue_view", "team_manager", &manager_id, ""),
        1
    );
    assert_eq!(one("referral.view", "team_manager", &referral, ""), 1);
    assert_eq!(one("marac.meeting_view", "team_manager", &meeting, ""), 1);
    let victim = w.victim.to_string();
    let detail = format!("referral={marac_referral}");
    assert_eq!(one("marac.referral_view", "idva", &victim, &detail), 1);
}
