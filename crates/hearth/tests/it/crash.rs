//! Crash injection (issue 10, item 18): the real `hearth serve` is killed with SIGKILL again and
//! again while clients write. Every write it acknowledged must be there afterwards, every write
//! whose answer was lost must be saved exactly once when sent again, and the audit chain must
//! still verify. Bounded: a fixed number of kills, each after a short burst of writes.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const KILLS: usize = 20;
const CLIENTS: usize = 8;

/// The server process; killed if the test fails half-way.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(t: &TestApp, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .arg("serve")
        .env("HEARTH_DATABASE_URL", &t.database_url)
        .env("HEARTH_KEY_FILE", &t.key_file)
        .env("HEARTH_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEARTH_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hearth serve");
    let server = Server(child);
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            if r.status() == StatusCode::OK {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("hearth serve did not start");
}

fn body_of(n: usize) -> String {
    format!("Crash write {n:06} end")
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill_and_lost_answers_save_once_on_resend() {
    let t = spawn_app().await;
    let w = t.world().await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let path = format!("/api/v1/cases/{}/timeline", w.case);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // (number, submission key, acknowledged)
    let mut sent: Vec<(usize, String, bool)> = Vec::new();
    let mut next = 0usize;
    for _ in 0..KILLS {
        let mut server = start(&t, port).await;
        let burst = (0..CLIENTS).map(|_| {
            let (client, token, path) = (client.clone(), token.clone(), path.clone());
            let first = next;
            next += 1000;
            async move {
                let mut mine = Vec::new();
                for n in first.. {
                    let key = hearth_app::secrets::new_token();
                    let r = client
                        .post(format!("http://127.0.0.1:{port}{path}"))
                        .bearer_auth(&token)
                        .json(&json!({"kind": "note", "sensitivity": "ordinary", "person_id": w.victim,
                                      "body": body_of(n), "submission_key": key}))
                        .send()
                        .await;
                    let acked = matches!(&r, Ok(r) if r.status() == StatusCode::CREATED);
                    let refused = matches!(&r, Ok(r) if r.status() != StatusCode::CREATED);
                    assert!(!refused, "a write was refused: {:?}", r.map(|r| r.status()));
                    mine.push((n, key, acked));
                    if r.is_err() {
                        break; // the server is gone
                    }
                }
                mine
            }
        });
        let writers = tokio::spawn(futures_util::future::join_all(burst));
        tokio::time::sleep(Duration::from_millis(150 + rand::random::<u64>() % 250)).await;
        server.0.kill().expect("SIGKILL");
        let _ = server.0.wait();
        for mine in writers.await.unwrap() {
            sent.extend(mine);
        }
    }
    let acked = sent.iter().filter(|s| s.2).count();
    eprintln!(
        "crash injection: {KILLS} kills, {acked} writes acknowledged, {} answers lost",
        sent.len() - acked
    );
    assert!(acked > KILLS, "the bursts wrote something");

    // After the last crash: every acknowledged write is there once.
    let _server = start(&t, port).await;
    let count = |timeline: &str, n: usize| timeline.matches(&body_of(n)).count();
    let timeline = serde_json::to_string(&t.api_pages(&token, &path).await).unwrap();
    for (n, _, acked) in &sent {
        if *acked {
            assert_eq!(
                count(&timeline, *n),
                1,
                "acknowledged write {n} lost or doubled"
            );
        } else {
            assert!(
                count(&timeline, *n) <= 1,
                "unacknowledged write {n} saved twice"
            );
        }
    }
    // Writes whose answer was lost, sent again with the same key: each saved exactly once.
    for (n, key, _) in sent.iter().filter(|s| !s.2) {
        let r = t
            .api_post(
                &token,
                &path,
                &json!({"kind": "note", "sensitivity": "ordinary", "person_id": w.victim,
                                            "body": body_of(*n), "submission_key": key}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "resending {n}");
    }
    let timeline = serde_json::to_string(&t.api_pages(&token, &path).await).unwrap();
    for (n, _, _) in &sent {
        assert_eq!(count(&timeline, *n), 1, "write {n} after resending");
    }

    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["audit", "verify"])
        .env("HEARTH_DATABASE_URL", &t.database_url)
        .env("HEARTH_KEY_FILE", &t.key_file)
        .env("HEARTH_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit verify after {KILLS} kills: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
