//! `spawn_app` and a small world of two organisations to test against.

use hearth_app::{App, AuthSettings};
use hearth_domain::access::CaseRole;
use hearth_domain::clock::Clock;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use hearth_domain::{FixedClock, Role};
use hearth_store::users::{self, NewUser};
use hearth_store::{cases, orgs, MasterKey, Store};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use time::macros::datetime;
use time::Duration;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub clock: FixedClock,
    pub database_url: String,
    pub key_file: PathBuf,
    pub sqlite_file: Option<PathBuf>,
    /// Each user's authenticator secret, by email.
    pub totp: std::sync::Mutex<HashMap<String, Vec<u8>>>,
}

pub use hearth_store::testing::{backend, scratch_dir};

/// A fresh database: a new SQLite file, or a new PostgreSQL database on the local server.
pub async fn fresh_database() -> (String, Option<PathBuf>) {
    let name = format!("hearth_test_{}", Uuid::from_u128(rand::random()).simple());
    hearth_store::testing::fresh_database(&name).await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(AuthSettings::default()).await
}

pub async fn spawn_app_with(auth: AuthSettings) -> TestApp {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .try_init();
    let (database_url, sqlite_file) = fresh_database().await;
    let key_file = scratch_dir().join(format!("{}.key", Uuid::from_u128(rand::random()).simple()));
    let key = MasterKey::create_file(&key_file).expect("key file");
    let store = Store::connect(&database_url, key).await.expect("connect");
    assert_eq!(store.backend(), backend());
    store.migrate().await.expect("migrate");
    let clock = FixedClock::at(datetime!(2026-11-23 09:00 UTC));
    let app = App::new(store, Arc::new(clock.clone()), auth);
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
    TestApp {
        base,
        app,
        clock,
        database_url,
        key_file,
        sqlite_file,
        totp: Default::default(),
    }
}

/// A browser: its own cookie jar, and redirects are left for the test to see.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The value of the first hidden `csrf_token` field on a page.
/// A page as a signed-in browser gets it: its status and its HTML.
pub async fn page(b: &Client, t: &TestApp, path: &str) -> (StatusCode, String) {
    let r = b.get(t.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a csrf_token field");
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hearth_app::secrets::hash_password(PASSWORD))
}

/// Two organisations, with staff of every role and families allocated to them.
pub struct World {
    pub org: OrgId,
    pub other_org: OrgId,
    pub idva_team: hearth_domain::ids::TeamId,
    /// Email by role, for the first organisation; `idva2` is a second Idva in the same team.
    pub staff: HashMap<&'static str, (UserId, String)>,
    /// Case allocated to `idva` (victim), `children` (child) and `engage` (person causing harm).
    pub case: Uuid,
    pub victim: Uuid,
    pub perpetrator: Uuid,
    pub child: Uuid,
    /// Same team, allocated only to `idva2`.
    pub team_case: Uuid,
    /// The Engage team's case, allocated to nobody in the matrix.
    pub other_team_case: Uuid,
    pub other_org_case: Uuid,
    pub other_org_person: Uuid,
    pub other_org_user: UserId,
}

pub const ROLES: [(&str, Role); 11] = [
    ("admin", Role::Administrator),
    ("service_manager", Role::ServiceManager),
    ("team_manager", Role::TeamManager),
    ("idva", Role::CaseWorker),
    ("children", Role::ChildrensWorker),
    ("engage", Role::EngagePractitioner),
    ("groups", Role::GroupFacilitator),
    ("mentors", Role::PeerMentorCoordinator),
    ("training", Role::TrainingCoordinator),
    ("evaluator", Role::Evaluator),
    ("referrer", Role::ExternalReferrer),
];

impl TestApp {
    /// An organisation's cipher, for setting up people directly through the store.
    pub async fn cipher(&self, org_id: Uuid) -> hearth_store::FieldCipher {
        let mut conn = self.app.store.conn().await.unwrap();
        self.app
            .store
            .cipher(&mut conn, OrgId::from_uuid(org_id))
            .await
            .unwrap()
    }

    /// Many families written straight through the store, in one transaction, for tests that
    /// need more cases than the world holds. `family(n)`, for n from 1 to `count`, gives the
    /// nth case's reference and its people: given name, family name and role. Gives each case
    /// with its people, in that order.
    pub async fn families(
        &self,
        (org, team): (OrgId, hearth_domain::ids::TeamId),
        count: usize,
        family: impl Fn(usize) -> (String, Vec<(String, String, CaseRole)>),
    ) -> Vec<(Uuid, Vec<Uuid>)> {
        let now = self.now();
        let cipher = self.cipher(org.uuid()).await;
        let mut tx = self.app.store.begin().await.unwrap();
        let mut made = Vec::with_capacity(count);
        for n in 1..=count {
            let (reference, people) = family(n);
            let case = cases::insert_case(&mut tx, now, org, team, &reference)
                .await
                .unwrap();
            let mut ids = Vec::with_capacity(people.len());
            for (given, family_name, role) in people {
                let identity = hearth_domain::person::Identity::named(&given, &family_name, None);
                let p = cases::insert_person(&mut tx, &cipher, now, org, &identity)
                    .await
                    .unwrap();
                cases::add_member(&mut tx, now, org, case, p, role)
                    .await
                    .unwrap();
                ids.push(p.uuid());
            }
            made.push((case.uuid(), ids));
        }
        tx.commit().await.unwrap();
        made
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn now(&self) -> hearth_domain::Timestamp {
        self.clock.now()
    }

    async fn add_user(
        &self,
        org: OrgId,
        team: Option<hearth_domain::ids::TeamId>,
        email: &str,
        name: &str,
        role: Role,
    ) -> UserId {
        let now = self.now();
        let id = UserId::new(now);
        let mut tx = self.app.store.begin().await.unwrap();
        users::insert(
            &mut tx,
            now,
            NewUser {
                id,
                org_id: org,
                team_id: team,
                email,
                display_name: name,
                role,
                password_hash: password_hash(),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        // Every test user has an authenticator app already set up.
        let secret = hearth_app::secrets::new_totp_secret();
        let cipher = self.app.store.cipher(&mut tx, org).await.unwrap();
        let sealed = cipher
            .encrypt(&users::totp_place(id), &hex_encode(&secret))
            .unwrap();
        users::set_totp(&mut tx, now, id, Some(sealed))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        self.totp.lock().unwrap().insert(email.to_string(), secret);
        id
    }

    pub async fn world(&self) -> World {
        let now = self.now();
        let mut tx = self.app.store.begin().await.unwrap();
        let org = orgs::create(
            &self.app.store,
            &mut tx,
            now,
            "Northshire Family Safety",
            "northshire",
            false,
        )
        .await
        .unwrap();
        let other = orgs::create(
            &self.app.store,
            &mut tx,
            now,
            "Southvale Together",
            "southvale",
            false,
        )
        .await
        .unwrap();
        let idva_team = orgs::create_team(&mut tx, now, org.id, "Idva")
            .await
            .unwrap();
        let engage_team = orgs::create_team(&mut tx, now, org.id, "Engage")
            .await
            .unwrap();
        let other_team = orgs::create_team(&mut tx, now, other.id, "Southvale Idva")
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut staff = HashMap::new();
        for (key, role) in ROLES {
            let team = match role {
                Role::EngagePractitioner => Some(engage_team.id),
                Role::Administrator
                | Role::ServiceManager
                | Role::TrainingCoordinator
                | Role::Evaluator
                | Role::ExternalReferrer => None,
                _ => Some(idva_team.id),
            };
            let email = format!("{key}@northshire.example");
            let id = self
                .add_user(org.id, team, &email, &format!("Test {key}"), role)
                .await;
            staff.insert(key, (id, email));
        }
        let email = "idva2@northshire.example".to_string();
        let idva2 = self
            .add_user(
                org.id,
                Some(idva_team.id),
                &email,
                "Test idva2",
                Role::CaseWorker,
            )
            .await;
        staff.insert("idva2", (idva2, email));
        let other_org_user = self
            .add_user(
                other.id,
                Some(other_team.id),
                "admin@southvale.example",
                "Southvale admin",
                Role::Administrator,
            )
            .await;
        let email = "manager@southvale.example".to_string();
        let sv_manager = self
            .add_user(
                other.id,
                None,
                &email,
                "Southvale manager",
                Role::ServiceManager,
            )
            .await;
        staff.insert("other_org_manager", (sv_manager, email));

        let mut tx = self.app.store.begin().await.unwrap();
        let o = org.id;
        let case = cases::insert_case(&mut tx, now, o, idva_team.id, "NS-0001")
            .await
            .unwrap();
        let victim = cases::insert_person(
            &mut tx,
            &self.cipher(o.uuid()).await,
            now,
            o,
            &hearth_domain::person::Identity::named("Zoë", "Quillfeather", Some("1990-04-01")),
        )
        .await
        .unwrap();
        let perpetrator = cases::insert_person(
            &mut tx,
            &self.cipher(o.uuid()).await,
            now,
            o,
            &hearth_domain::person::Identity::named("Darren", "Quillfeather", Some("1988-02-11")),
        )
        .await
        .unwrap();
        let child = cases::insert_person(
            &mut tx,
            &self.cipher(o.uuid()).await,
            now,
            o,
            &hearth_domain::person::Identity::named("Alfie", "Quillfeather", Some("2017-09-30")),
        )
        .await
        .unwrap();
        cases::add_member(&mut tx, now, o, case, victim, CaseRole::VictimSurvivor)
            .await
            .unwrap();
        cases::add_member(
            &mut tx,
            now,
            o,
            case,
            perpetrator,
            CaseRole::PersonCausingHarm,
        )
        .await
        .unwrap();
        cases::add_member(&mut tx, now, o, case, child, CaseRole::ChildOrYoungPerson)
            .await
            .unwrap();
        cases::allocate(
            &mut tx,
            now,
            cases::NewAllocation {
                org_id: o,
                case_id: case,
                person_id: Some(victim),
                worker_id: staff["idva"].0,
                by: None,
            },
        )
        .await
        .unwrap();
        cases::allocate(
            &mut tx,
            now,
            cases::NewAllocation {
                org_id: o,
                case_id: case,
                person_id: Some(child),
                worker_id: staff["children"].0,
                by: None,
            },
        )
        .await
        .unwrap();
        cases::allocate(
            &mut tx,
            now,
            cases::NewAllocation {
                org_id: o,
                case_id: case,
                person_id: Some(perpetrator),
                worker_id: staff["engage"].0,
                by: None,
            },
        )
        .await
        .unwrap();

        let team_case = cases::insert_case(&mut tx, now, o, idva_team.id, "NS-0002")
            .await
            .unwrap();
        let p = cases::insert_person(
            &mut tx,
            &self.cipher(o.uuid()).await,
            now,
            o,
            &hearth_domain::person::Identity::named("Grace", "Marrowdene", None),
        )
        .await
        .unwrap();
        cases::add_member(&mut tx, now, o, team_case, p, CaseRole::VictimSurvivor)
            .await
            .unwrap();
        cases::allocate(
            &mut tx,
            now,
            cases::NewAllocation {
                org_id: o,
                case_id: team_case,
                person_id: Some(p),
                worker_id: idva2,
                by: None,
            },
        )
        .await
        .unwrap();

        let other_team_case = cases::insert_case(&mut tx, now, o, engage_team.id, "NS-0003")
            .await
            .unwrap();
        let p = cases::insert_person(
            &mut tx,
            &self.cipher(o.uuid()).await,
            now,
            o,
            &hearth_domain::person::Identity::named("Kyle", "Sallowmere", None),
        )
        .await
        .unwrap();
        cases::add_member(
            &mut tx,
            now,
            o,
            other_team_case,
            p,
            CaseRole::PersonCausingHarm,
        )
        .await
        .unwrap();

        let other_org_case = cases::insert_case(&mut tx, now, other.id, other_team.id, "SV-0001")
            .await
            .unwrap();
        let other_org_person = cases::insert_person(
            &mut tx,
            &self.cipher(other.id.uuid()).await,
            now,
            other.id,
            &hearth_domain::person::Identity::named("Amira", "Nettlewick", None),
        )
        .await
        .unwrap();
        cases::add_member(
            &mut tx,
            now,
            other.id,
            other_org_case,
            other_org_person,
            CaseRole::VictimSurvivor,
        )
        .await
        .unwrap();
        cases::allocate(
            &mut tx,
            now,
            cases::NewAllocation {
                org_id: other.id,
                case_id: other_org_case,
                person_id: Some(other_org_person),
                worker_id: other_org_user,
                by: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        World {
            org: org.id,
            other_org: other.id,
            idva_team: idva_team.id,
            staff,
            case: case.uuid(),
            victim: victim.uuid(),
            perpetrator: perpetrator.uuid(),
            child: child.uuid(),
            team_case: team_case.uuid(),
            other_team_case: other_team_case.uuid(),
            other_org_case: other_org_case.uuid(),
            other_org_person: other_org_person.uuid(),
            other_org_user,
        }
    }

    /// The current authenticator code for a user. Moves the clock on one step first, because a
    /// code once accepted is never accepted again.
    pub fn code_for(&self, email: &str) -> String {
        self.clock.advance(Duration::seconds(30));
        let secret = self.totp.lock().unwrap()[email].clone();
        let t = hearth_app::secrets::totp(&secret, "test", email);
        t.generate(u64::try_from(self.now().unix_timestamp()).unwrap())
    }

    /// Submit a form the way a browser would: fetch the page, take its CSRF token, post.
    pub async fn submit(
        &self,
        b: &Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let html = b
            .get(self.url(page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_in(&html);
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
        form.extend_from_slice(fields);
        b.post(self.url(action)).form(&form).send().await.unwrap()
    }

    /// Sign in fully (password, then code) in a new browser.
    pub async fn signed_in(&self, email: &str) -> Client {
        let b = browser();
        let r = self
            .submit(
                &b,
                "/login",
                "/login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "password step for {email}"
        );
        assert_eq!(location(&r), "/login/code");
        let code = self.code_for(email);
        let r = self
            .submit(&b, "/login/code", "/login/code", &[("code", &code)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "code step for {email}");
        assert_eq!(location(&r), "/");
        b
    }

    /// An API token acting as this user.
    pub async fn token_for(&self, org: OrgId, user: UserId) -> String {
        hearth_app::tokens::create(
            &self.app,
            hearth_app::users::By::Command { org_id: org },
            user,
            "test",
        )
        .await
        .unwrap()
        .secret
    }

    pub async fn api_get(&self, token: &str, path: &str) -> Response {
        Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Every item of a paged API list, walked page by page until one comes back empty. Each page
    /// holds 50 at most and gives the same `X-Total-Count`, and the pages hold that many in
    /// all; asking with no page gives the first, and page 0 is refused with a 400.
    pub async fn api_pages(&self, token: &str, path: &str) -> Vec<serde_json::Value> {
        let join = if path.contains('?') { '&' } else { '?' };
        let mut items: Vec<serde_json::Value> = Vec::new();
        let mut in_all = None;
        for n in 1.. {
            let r = self.api_get(token, &format!("{path}{join}page={n}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}, page {n}");
            let total: usize = r.headers()["x-total-count"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                *in_all.get_or_insert(total),
                total,
                "{path}: the total holds from page to page"
            );
            let page: Vec<serde_json::Value> = r.json().await.unwrap();
            assert!(page.len() <= 50, "{path}: page {n} holds {}", page.len());
            if page.is_empty() {
                break;
            }
            items.extend(page);
        }
        assert_eq!(Some(items.len()), in_all, "{path}: every item is on a page");
        let first: Vec<serde_json::Value> = self.api_get(token, path).await.json().await.unwrap();
        assert_eq!(
            first[..],
            items[..items.len().min(50)],
            "{path}: no page asked for is the first"
        );
        let r = self.api_get(token, &format!("{path}{join}page=0")).await;
        assert_eq!(
            r.status(),
            StatusCode::BAD_REQUEST,
            "{path}: page 0 is refused"
        );
        items
    }

    pub async fn api_post(&self, token: &str, path: &str, body: &serde_json::Value) -> Response {
        Client::new()
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn api_put(&self, token: &str, path: &str, body: &serde_json::Value) -> Response {
        Client::new()
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Every audit entry's text, for checks on what the trail holds.
    pub async fn audit_rows(
        &self,
    ) -> Vec<(i64, String, String, String, Option<String>, Option<String>)> {
        let mut conn = self.app.store.conn().await.unwrap();
        sqlx::query_as::<_, (i64, String, String, String, Option<String>, Option<String>)>(
            "SELECT seq, action, entity_type, detail, entity_id, actor_id FROM audit_log ORDER BY seq",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap()
    }
}

pub fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A fresh submission key, as a form carries.
pub fn new_key() -> String {
    hearth_app::secrets::new_token()
}

/// The shipped adult checklist's question ids, in order.
pub fn adult_questions() -> Vec<String> {
    let (file, src) = hearth_domain::instrument::SHIPPED[0];
    hearth_domain::instrument::parse(file, src)
        .unwrap()
        .questions
        .into_iter()
        .map(|q| q.id)
        .collect()
}

/// Checklist answers for the API: `yes` to the first `yes` questions, `no` to the rest.
pub fn answers(yes: usize) -> serde_json::Value {
    serde_json::Value::Object(
        adult_questions()
            .into_iter()
            .enumerate()
            .map(|(n, id)| (id, serde_json::json!(if n < yes { "yes" } else { "no" })))
            .collect(),
    )
}

/// Send the case's timeline form as a browser would: fields not given keep what the form
/// preselected (the person it opens on), as a browser sends a select's chosen option.
pub async fn add_entry(
    t: &TestApp,
    who: &Client,
    case: uuid::Uuid,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = format!("/cases/{case}/entries/new");
    let html = who
        .get(t.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let submission = html
        .split("name=\"submission_key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let csrf = csrf_in(&html);
    let preselected = html
        .split("id=\"person_id\"")
        .nth(1)
        .and_then(|s| s.split("</select>").next())
        .and_then(|s| {
            s.split("\" selected>")
                .next()
                .filter(|_| s.contains("\" selected>"))
        })
        .and_then(|s| s.rsplit("value=\"").next())
        .unwrap_or("")
        .to_string();
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("submission_key", &submission)];
    if !fields.iter().any(|(k, _)| *k == "person_id") {
        form.push(("person_id", &preselected));
    }
    form.extend_from_slice(fields);
    who.post(t.url(&format!("/cases/{case}/entries")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Records below a case that several tests open: one of each, made through the API as a
/// partner system or a worker would.
pub struct Records {
    /// A timeline entry on the world's case, about the victim (sensitive if asked).
    pub entry: String,
    /// A referral to the service, waiting for triage.
    pub referral: String,
    /// A MARAC meeting to come.
    pub meeting: String,
    /// The victim's referral to MARAC.
    pub marac_referral: String,
}

impl Records {
    pub async fn make(t: &TestApp, w: &World, entry_sensitivity: &str) -> Records {
        let idva = t.token_for(w.org, w.staff["idva"].0).await;
        let manager = t.token_for(w.org, w.staff["team_manager"].0).await;
        let referrer = t.token_for(w.org, w.staff["referrer"].0).await;
        let made = |r: Response| async move {
            let v: serde_json::Value = r.json().await.unwrap();
            v["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a record was made: {v}"))
                .to_string()
        };
        let entry = json!({"kind": "note", "sensitivity": entry_sensitivity, "person_id": w.victim.to_string(),
                           "body": "Spoke about school.", "submission_key": new_key()});
        let entry = made(
            t.api_post(&idva, &format!("/api/v1/cases/{}/timeline", w.case), &entry)
                .await,
        )
        .await;
        let referral = json!({"submission_key": new_key(), "given_name": "Ada", "family_name": "Fenwick", "consent": "yes",
                              "referrer_name": "PC Hale", "referrer_agency": "police", "referrer_phone": "01632 960001",
                              "phone": "07700 900111", "safe_to_phone": "safe"});
        let referral = made(t.api_post(&referrer, "/api/v1/referrals", &referral).await).await;
        let meeting = json!({"held_on": "2027-01-15", "area": "Northshire"});
        let meeting = made(
            t.api_post(&manager, "/api/v1/marac/meetings", &meeting)
                .await,
        )
        .await;
        let marac = format!("/api/v1/people/{}/marac", w.victim);
        let mut proposal: serde_json::Value = t.api_get(&idva, &marac).await.json().await.unwrap();
        let mut form = proposal["referral"].take();
        form["victim_knows"] = json!("yes");
        form["victim_consented"] = json!("yes");
        form["criteria"] = json!(["professional_judgement"]);
        form["source_agency"] = json!("idva");
        form["details"]["summary"] = json!("Threats after separation.");
        form["submission_key"] = json!(new_key());
        let marac_referral = made(t.api_post(&idva, &marac, &form).await).await;
        Records {
            entry,
            referral,
            meeting,
            marac_referral,
        }
    }
}

/// Run the `hearth` command against the test database, as an operator would: whether it
/// succeeded, and what it printed on either stream.
pub fn hearth(t: &TestApp, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .env("HEARTH_DATABASE_URL", &t.database_url)
        .env("HEARTH_KEY_FILE", &t.key_file)
        .env("HEARTH_LOG", "warn")
        .output()
        .expect("run hearth");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
