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
