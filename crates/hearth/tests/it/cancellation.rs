//! A client that gives up mid-request must not leave a pooled connection inside an open
//! transaction (issue 11's outage: every later page answered 500 until a restart).

use crate::common::*;
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn requests_cancelled_mid_transaction_leave_the_pool_healthy() {
    let t = spawn_app().await;
    let w = t.world().await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let case = format!("{}/api/v1/cases/{}", t.base, w.case);
    // Clients that hang up after a few hundred microseconds to a few milliseconds: some before
    // the transaction begins, some inside BEGIN, some after.
    for round in 0..6u64 {
        let impatient = reqwest::Client::builder()
            .timeout(Duration::from_micros(300 + round * 700))
            .build()
            .unwrap();
        let sends = (0..40).map(|_| impatient.get(&case).bearer_auth(&token).send());
        let _ = futures_util::future::join_all(sends).await;
    }
    // Then every ordinary request is served.
    let patient = reqwest::Client::new();
    for _ in 0..30 {
        let r = patient.get(&case).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    }
}

#[tokio::test]
async fn a_transaction_cancelled_while_it_begins_is_never_left_open_on_its_connection() {
    let t = spawn_app().await;
    let store = t.app.store.clone();
    for n in 0..3000u64 {
        let s = store.clone();
        // Cancel at every point of `begin` in turn: the future is dropped after n % 40 polls'
        // worth of time.
        let _ = tokio::time::timeout(Duration::from_micros(n % 40), async move {
            let tx = s.begin().await;
            tokio::task::yield_now().await;
            drop(tx);
        })
        .await;
    }
    // Every pooled connection must still begin, write and commit. One at a time: SQLite has
    // one writer, so holding several write transactions at once would wait on itself.
    for _ in 0..16 {
        let mut tx = tokio::time::timeout(Duration::from_secs(30), store.begin())
            .await
            .expect("a connection is free")
            .expect("begin works on every pooled connection");
        sqlx::query("SELECT 1").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
}

/// Writes share commits (ADR 0011). A unit of work cancelled at any point, while it waits for
/// the writer, inside its savepoint or while its commit is under way, is either undone alone or
/// saved whole; one that was told it was saved is never lost; and the writer goes on.
#[tokio::test]
async fn writes_cancelled_at_any_point_are_undone_alone_and_the_writer_goes_on() {
    let t = spawn_app().await;
    let org = t.world().await.org;
    let store = t.app.store.clone();
    let now = t.app.now();
    let mut acknowledged = Vec::new();
    for n in 0..2000u64 {
        let s = store.clone();
        // From 0 to about 2 ms, finely spaced at first: a few microseconds reach different
        // points of SQLite's unit, PostgreSQL's round trips take longer.
        let patience = Duration::from_micros((n % 100).pow(2) / 5);
        let attempt = tokio::time::timeout(patience, async move {
            let mut w = s.work(now).await?;
            let taken = hearth_store::referrals::next_number(&mut w, org, "cancelled").await?;
            w.audit(
                hearth_store::audit::AuditEvent::new("test.cancelled", "counter")
                    .org(org)
                    .detail("n", taken.to_string()),
            );
            w.commit().await?;
            Ok::<_, hearth_store::StoreError>(taken)
        })
        .await;
        if let Ok(saved) = attempt {
            acknowledged.push(saved.expect("a unit nobody cancelled is saved"));
        }
    }
    // One at a time, so each number follows the last: every one told "saved" is kept.
    assert!(acknowledged.windows(2).all(|p| p[0] < p[1]));
    let mut w = tokio::time::timeout(Duration::from_secs(30), store.work(now))
        .await
        .expect("the writer is free")
        .unwrap();
    let next = hearth_store::referrals::next_number(&mut w, org, "cancelled")
        .await
        .unwrap();
    w.commit().await.unwrap();
    assert!(next > acknowledged.last().copied().unwrap_or(0));
    // Numbers are kept exactly when their unit's audit entry is: nothing half-written.
    let mut conn = store.conn().await.unwrap();
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'test.cancelled'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(
        audited,
        next - 1,
        "each number kept has its audit entry, and no other"
    );
    assert!(matches!(
        hearth_store::audit::verify(&mut conn, store.audit_key())
            .await
            .unwrap(),
        hearth_store::audit::Verification::Intact { .. }
    ));
}
