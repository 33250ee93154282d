//! Storage figures behind docs/adr/0002: what sqlx's `Any` driver costs over the native SQLite
//! driver, and how fast audited reads and writes and the due list are on each backend, on the
//! demo data set.
//! Run with `cargo bench -p hearth --bench store` (PostgreSQL figures need the local server).
//! It prints figures; it asserts nothing.

use hearth_app::{demo, records, App};
use hearth_domain::FixedClock;
use hearth_store::{cases, MasterKey, Store};
use sqlx::{Connection, Row};
use std::sync::Arc;
use std::time::Instant;

const READS: usize = 2_000;
const WRITES: usize = 300;

#[allow(clippy::disallowed_methods)] // a benchmark measures wall time by definition
fn timer() -> Instant {
    Instant::now()
}

fn rate(n: usize, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64();
    format!(
        "{:>9.0} per second ({:.3} ms each)",
        n as f64 / secs,
        secs * 1000.0 / n as f64
    )
}

async fn seeded(url: &str) -> App {
    let store = Store::connect(url, MasterKey::generate())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let clock = FixedClock::at(time::macros::datetime!(2026-11-23 09:00 UTC));
    let app = App::new(store, Arc::new(clock), Default::default());
    demo::seed(&app, 300).await.expect("seed");
    app
}

async fn case_ids(app: &App) -> Vec<String> {
    let mut conn = app.store.conn().await.unwrap();
    sqlx::query("SELECT id FROM cases")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
}

async fn bench_backend(label: &str, url: &str) {
    let app = seeded(url).await;
    let ids = case_ids(&app).await;
    let manager = {
        let mut conn = app.store.conn().await.unwrap();
        let u = hearth_store::users::by_email(&mut conn, "service.manager@demo.hearth.example")
            .await
            .unwrap()
            .unwrap();
        u.actor()
    };

    // A policy-checked case read (the query layer alone, no audit).
    let started = timer();
    let mut w = app.store.work(app.now()).await.unwrap();
    for i in 0..READS {
        let id = uuid::Uuid::parse_str(&ids[i % ids.len()]).unwrap();
        let g = w
            .case(
                &manager,
                hearth_domain::ids::CaseId::from_uuid(id),
                hearth_domain::access::Action::ViewCaseRecord,
            )
            .await
            .unwrap();
        cases::record(&mut w, &g).await.unwrap();
    }
    w.rollback().await.unwrap();
    println!(
        "{label:<11} policy-checked case read (3 queries)   {}",
        rate(READS, started)
    );

    // The full use case: read, policy, and an audit entry, in one committed transaction.
    let started = timer();
    for i in 0..WRITES {
        let id = uuid::Uuid::parse_str(&ids[i % ids.len()]).unwrap();
        records::view_case(&app, &manager, hearth_domain::ids::CaseId::from_uuid(id))
            .await
            .unwrap();
    }
    println!(
        "{label:<11} audited case view (one transaction)    {}",
        rate(WRITES, started)
    );

    // The due and overdue list: an Idva's home page and a team manager's Caseloads page
    // (the whole team), each computed from the raw records per request.
    for (who, email, runs) in [
        ("Idva", "idva@demo.hearth.example", 20),
        ("team", "idva.manager@demo.hearth.example", 5),
    ] {
        let actor = {
            let mut conn = app.store.conn().await.unwrap();
            hearth_store::users::by_email(&mut conn, email)
                .await
                .unwrap()
                .unwrap()
                .actor()
        };
        let cases = if who == "Idva" {
            records::caseload(&app, &actor, hearth_domain::paging::Page::first(1))
                .await
                .unwrap()
                .total
        } else {
            records::cases_list(&app, &actor, hearth_domain::paging::Page::first(1))
                .await
                .unwrap()
                .total
        };
        let started = timer();
        let mut items = 0;
        for _ in 0..runs {
            items = if who == "Idva" {
                hearth_app::due::mine(&app, &actor).await.unwrap().len()
            } else {
                hearth_app::due::team(&app, &actor).await.unwrap().len()
            };
        }
        println!(
            "{label:<11} due list, {who:<4} ({cases:>3} cases, {items:>3} items) {}",
            rate(runs, started)
        );
    }
}

async fn any_versus_native(path: &str) {
    let url = format!("sqlite://{path}?mode=rwc");
    let app = seeded(path).await;
    let ids = case_ids(&app).await;
    let sql = "SELECT c.id, c.reference, c.status, c.opened_at FROM cases c WHERE c.id = $1";

    let mut any = app.store.conn().await.unwrap();
    let started = timer();
    for i in 0..READS * 5 {
        sqlx::query(sql)
            .bind(&ids[i % ids.len()])
            .fetch_one(&mut *any)
            .await
            .unwrap();
    }
    println!(
        "SQLite      point read through Any driver          {}",
        rate(READS * 5, started)
    );

    let mut native = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let started = timer();
    for i in 0..READS * 5 {
        sqlx::query(sql)
            .bind(&ids[i % ids.len()])
            .fetch_one(&mut native)
            .await
            .unwrap();
    }
    println!(
        "SQLite      point read through native driver       {}",
        rate(READS * 5, started)
    );
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("hearth-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("Hearth storage benchmark: demo data set of 300 families\n");
    any_versus_native(&dir.join("any.db").to_string_lossy()).await;
    bench_backend("SQLite", &dir.join("bench.db").to_string_lossy()).await;
    let admin = std::env::var("HEARTH_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    sqlx::any::install_default_drivers();
    match sqlx::AnyConnection::connect(&admin).await {
        Ok(mut c) => {
            let name = format!("hearth_bench_{}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').unwrap().0;
            bench_backend("PostgreSQL", &format!("{base}/{name}")).await;
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut c)
                .await
                .ok();
        }
        Err(e) => println!("PostgreSQL  not measured: {e}"),
    }
    std::fs::remove_dir_all(&dir).ok();
}
