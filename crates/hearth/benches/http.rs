//! The request path under load, over HTTP, against the real server on generated data.
//!
//! `cargo bench --bench http` generates two data sets (or uses `HEARTH_BENCH_DATABASE` with
//! `HEARTH_BENCH_KEY`, for example one made by `hearth generate` at national scale), starts Hearth
//! in this process and drives it with its own client at 1, 16 and 64 connections. Each page is
//! measured next to the same bytes served as a static file by this same process in the same run,
//! so the ratio means something on a busy machine. It prints figures; it asserts nothing.

use hearth_app::generate::{self, Scale};
use hearth_app::App;
use hearth_domain::access::Action;
use hearth_domain::contact::ContactDetails;
use hearth_domain::SystemClock;
use hearth_store::access::Guard;
use hearth_store::{cases, contact, users, MasterKey, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)] // a benchmark measures wall time by definition
fn timer() -> Instant {
    Instant::now()
}

fn seconds() -> f64 {
    std::env::var("HEARTH_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0)
}

struct Stats {
    done: usize,
    failed: usize,
    rps: f64,
    p50: f64,
    p99: f64,
}

impl Stats {
    fn line(&self) -> String {
        format!(
            "{:>8.0} req/s  p50 {:>7.1} ms  p99 {:>7.1} ms{}",
            self.rps,
            self.p50,
            self.p99,
            if self.failed > 0 {
                format!("  ({} failed)", self.failed)
            } else {
                String::new()
            }
        )
    }
}

/// What one request needs: a client that keeps its connection, and the request to send.
type Send = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + std::marker::Send + Sync>;

/// `conns` clients, each sending one request after another for the run's length.
async fn load(conns: usize, send: Send) -> Stats {
    let secs = seconds();
    let started = timer();
    let deadline = started + Duration::from_secs_f64(secs);
    let workers: Vec<_> = (0..conns)
        .map(|_| {
            let send = send.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client");
                let (mut times, mut failed) = (Vec::new(), 0usize);
                while timer() < deadline {
                    let t = timer();
                    match send(&client).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            times.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                        _ => failed += 1,
                    }
                }
                (times, failed)
            })
        })
        .collect();
    let (mut times, mut failed) = (Vec::new(), 0);
    for w in workers {
        let (t, f) = w.await.expect("worker");
        times.extend(t);
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Stats {
        done: times.len(),
        failed,
        rps: times.len() as f64 / elapsed,
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// The generated set, opened: its app, and who to be.
struct Set {
    app: App,
    made: generate::Generated,
    label: String,
}

async fn open(url: &str, key: &std::path::Path) -> App {
    let key = if key.exists() {
        MasterKey::load(key).expect("key")
    } else {
        MasterKey::create_file(key).expect("key")
    };
    let store = Store::connect(url, key).await.expect("connect");
    store.migrate().await.expect("migrate");
    let app = App::new(store, Arc::new(SystemClock), Default::default());
    // As `hearth serve` does at start, for a data set made before these shipped.
    hearth_app::instruments::install_shipped_everywhere(&app)
        .await
        .expect("instruments");
    hearth_app::programmes::install_shipped_catalogue_everywhere(&app)
        .await
        .expect("programmes");
    app
}

async fn generated(dir: &std::path::Path, cases: usize) -> Set {
    let path = dir.join(format!("bench-{cases}.db"));
    let _ = std::fs::remove_file(&path);
    let app = open(path.to_str().expect("path"), &path.with_extension("key")).await;
    let scale = Scale {
        organisations: 1,
        cases,
        entries_per_case: 33,
        seed: 1,
    };
    let started = timer();
    let made = generate::generate(&app, &scale, |_| {})
        .await
        .expect("generate");
    println!(
        "generated {} cases, {} people, {} entries, {} audit entries in {:.0} s",
        made.cases,
        made.people,
        made.entries,
        made.audit_entries,
        started.elapsed().as_secs_f64()
    );
    Set {
        label: format!("{} people", made.people),
        app,
        made,
    }
}

/// Start Hearth on the set, and a static server for the same bytes beside it.
async fn serve(app: &App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = hearth_web::AppState {
        app: app.clone(),
        demo: false,
        secure_cookies: false,
    };
    tokio::spawn(hearth_web::serve(
        listener,
        state,
        hearth_web::ServeLimits::default(),
        std::future::pending(),
    ));
    base
}

async fn serve_static(bytes: bytes::Bytes) -> String {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let page = axum::Router::new().route(
        "/page",
        get(move || {
            let bytes = bytes.clone();
            async move { ([("content-type", "text/html; charset=utf-8")], bytes) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, page).await });
    base
}

/// Sign in (generated services need no second factor) and return the session cookie.
async fn cookie_for(base: &str, email: &str) -> String {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let b = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = b.get(format!("{base}/login")).send().await.expect("login");
    let html = login.text().await.expect("login page");
    let marker = "name=\"csrf_token\" value=\"";
    let csrf = html
        .split_once(marker)
        .and_then(|(_, rest)| rest.split('"').next())
        .expect("csrf")
        .to_string();
    let r = b
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", generate::PASSWORD),
        ])
        .send()
        .await
        .expect("sign in");
    assert!(
        r.status().is_redirection(),
        "sign-in as {email}: {}",
        r.status()
    );
    use reqwest::cookie::CookieStore;
    jar.cookies(&base.parse().expect("url"))
        .expect("a session cookie")
        .to_str()
        .expect("cookie")
        .to_string()
}

fn get(url: String, cookie: String) -> Send {
    Arc::new(move |c: &reqwest::Client| c.get(&url).header("cookie", &cookie))
}

/// An API token for a member of staff of the set, as a partner system would hold.
async fn token_for(set: &Set, email: &str) -> String {
    let mut conn = set.app.store.conn().await.expect("conn");
    let u = users::by_email(&mut conn, email)
        .await
        .expect("user")
        .expect("user");
    drop(conn);
    hearth_app::tokens::create(
        &set.app,
        hearth_app::users::By::Command { org_id: u.org_id },
        u.id,
        "bench",
    )
    .await
    .expect("token")
    .secret
}

fn get_api(url: String, token: String) -> Send {
    Arc::new(move |c: &reqwest::Client| c.get(&url).bearer_auth(&token))
}

/// A victim of the set as her service manager sees her: for pages and searches to ask about.
async fn a_victim(
    set: &Set,
) -> (
    uuid::Uuid,
    uuid::Uuid,
    String,
    String,
    String,
    ContactDetails,
) {
    let app = &set.app;
    let mut conn = app.store.conn().await.expect("conn");
    let idva = users::by_email(&mut conn, &set.made.idva_email)
        .await
        .expect("idva")
        .expect("idva")
        .actor();
    drop(conn);
    let mut w = app.store.view(app.now()).await.expect("view");
    let case = cases::caseload(&mut w, &idva)
        .await
        .expect("caseload")
        .cases[0]
        .id;
    let g = w
        .case(
            &idva,
            hearth_domain::ids::CaseId::from_uuid(case),
            Action::ViewCaseRecord,
        )
        .await
        .expect("guard");
    let record = cases::record(&mut w, &g).await.expect("record");
    let v = record.members[0].clone();
    let versions = contact::versions(&mut w, &g, v.person_id)
        .await
        .expect("contact");
    let details: ContactDetails = serde_json::from_str(
        &g.open(&versions[0].sealed)
            .expect("open")
            .shown()
            .expect("shown"),
    )
    .expect("details");
    w.rollback().await.expect("rollback");
    (
        case,
        v.person_id,
        v.given_name,
        v.family_name,
        v.date_of_birth.unwrap_or_default(),
        details,
    )
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn searches(set: &Set, base: &str) {
    let (_, _, given, family, dob, details) = a_victim(set).await;
    let cookie = cookie_for(base, &set.made.service_manager_email).await;
    let mut typo: Vec<char> = family.chars().collect();
    typo.remove(2);
    let typo: String = typo.into_iter().collect();
    let dob = time::Date::parse(
        &dob,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map(|d| format!("{}/{}/{}", d.day(), u8::from(d.month()), d.year()))
    .unwrap_or_default();
    for (what, q) in [
        ("name, one letter out", format!("{given} {typo}")),
        ("phone", details.phone.clone()),
        ("postcode", details.postcode.clone()),
        ("date of birth", dob),
    ] {
        let url = format!(
            "{base}/search?q={}",
            q.replace(' ', "+").replace('/', "%2F")
        );
        let s = load(1, get(url, cookie.clone())).await;
        println!(
            "  search by {what:<21} at {:<13} 1 conn  {}",
            set.label,
            s.line()
        );
    }
}

/// Referrals sent through the API by 32 partner systems at once, each saved durably before it
/// is answered. Run on a quiet server, before the page loads: a page left running by an earlier
/// figure would be counted against the writes.
async fn writes(large: &Set, base: &str, when: &str) {
    println!("\ndurable referral writes through the API, {when}:");
    let token = token_for(large, &large.made.referrer_email).await;
    let url = format!("{base}/api/v1/referrals");
    // Every key new: a key sent before is a replay, answered with the first referral and
    // nothing written, and would be counted as a write. The runs of one process share the
    // counter; the run's random part keeps another process's keys (on the same data) apart.
    static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run: u64 = rand::random();
    let send: Send = Arc::new(move |c: &reqwest::Client| {
        let k = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        c.post(&url).bearer_auth(&token).json(&serde_json::json!({
            "submission_key": format!("bench-referral-{run:016x}-{k:012}"),
            "referrer_name": "PC Bench", "referrer_agency": "police", "referrer_phone": "01632 960001",
            "given_name": "Bench", "family_name": format!("Family{k}"), "address": "1 Bench Road",
            "consent": "yes"
        }))
    });
    let before = referrals_in(large).await;
    let s = load(32, send).await;
    println!(
        "  32 clients  {} ({} answered, {} new referrals in the database)",
        s.line(),
        s.done,
        referrals_in(large).await - before
    );
}

/// The team manager's whole due list worked out case by case, as `GET /api/v1/due/team` answered
/// it before it was paged (2026-12-07), timed in this process for the figure before.
async fn whole_due_list(set: &Set) {
    let actor = {
        let mut conn = set.app.store.conn().await.expect("conn");
        users::by_email(&mut conn, &set.made.team_manager_email)
            .await
            .expect("manager")
            .expect("manager")
            .actor()
    };
    let runs = 5;
    let started = timer();
    let mut items = 0;
    for _ in 0..runs {
        items = hearth_app::due::team(&set.app, &actor)
            .await
            .expect("due list")
            .len();
    }
    println!(
        "\nthe team's whole due list worked out case by case, as the API answered it before it \
         was paged: {items} items, {:.0} ms each",
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    );
}

/// How many referrals the set holds: a write counted must be a row written.
async fn referrals_in(set: &Set) -> i64 {
    let mut conn = set.app.store.conn().await.expect("conn");
    sqlx::query_scalar("SELECT COUNT(*) FROM referrals")
        .fetch_one(&mut *conn)
        .await
        .expect("count")
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "machine: {cores} cores; each figure is {} s of load",
        seconds()
    );
    let dir = std::env::temp_dir().join("hearth-bench");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let small = generated(&dir, 100).await;
    let large = match std::env::var("HEARTH_BENCH_DATABASE") {
        Ok(url) => {
            let key = PathBuf::from(std::env::var("HEARTH_BENCH_KEY").expect("HEARTH_BENCH_KEY"));
            let app = open(&url, &key).await;
            // As a running server would have them: cases' next due worked out (a file made
            // before they were kept has none).
            let started = timer();
            let n = hearth_app::next_due::work_out_all(&app)
                .await
                .expect("next due");
            println!(
                "worked out {n} cases' next due in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            let made = generate::Generated {
                first_org: "gen-01".into(),
                idva_email: "idva1@gen-01.hearth.example".into(),
                team_manager_email: "idva.manager@gen-01.hearth.example".into(),
                service_manager_email: "service.manager@gen-01.hearth.example".into(),
                referrer_email: "referrer@gen-01.hearth.example".into(),
                ..Default::default()
            };
            Set {
                app,
                made,
                label: url,
            }
        }
        Err(_) => {
            let cases = std::env::var("HEARTH_BENCH_CASES")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(3_000);
            generated(&dir, cases).await
        }
    };

    println!("\nsearch (p99 should not grow with the organisation):");
    let small_base = serve(&small.app).await;
    searches(&small, &small_base).await;
    let base = serve(&large.app).await;
    searches(&large, &base).await;
    writes(&large, &base, "on a quiet server").await;

    let (case, ..) = a_victim(&large).await;
    let idva = cookie_for(&base, &large.made.idva_email).await;
    let manager = cookie_for(&base, &large.made.team_manager_email).await;
    let service = cookie_for(&base, &large.made.service_manager_email).await;
    let manager_token = token_for(&large, &large.made.team_manager_email).await;
    for (what, send) in [
        (
            "case page",
            get(format!("{base}/cases/{case}"), idva.clone()),
        ),
        ("Idva's home page", get(format!("{base}/"), idva.clone())),
        (
            "team's Caseloads page",
            get(format!("{base}/team"), manager),
        ),
        (
            "service manager's home page",
            get(format!("{base}/"), service),
        ),
        (
            "team's due list through the API, first page",
            get_api(format!("{base}/api/v1/due/team"), manager_token),
        ),
    ] {
        let bytes = send(&reqwest::Client::new())
            .send()
            .await
            .expect("page")
            .bytes()
            .await
            .expect("bytes");
        let size = bytes.len();
        let static_base = serve_static(bytes).await;
        println!(
            "\n{what} ({} KB), against the same bytes as a static file:",
            size / 1024
        );
        for conns in [1, 16, 64] {
            let page = load(conns, send.clone()).await;
            let file = load(conns, get(format!("{static_base}/page"), String::new())).await;
            println!(
                "  {conns:>2} conns  page {}\n            file {}  page/file {:.1}%",
                page.line(),
                file.line(),
                100.0 * page.rps / file.rps
            );
        }
    }
    whole_due_list(&large).await;

    writes(&large, &base, "after the page loads").await;
    println!(
        "\nresident memory of this process (server, client and both data sets): {:.0} MB",
        rss_mb()
    );
}
