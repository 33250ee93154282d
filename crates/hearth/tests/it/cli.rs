//! The `hearth` command as an operator uses it: organisations, accounts and tokens.

use crate::common::*;
use reqwest::StatusCode;
use std::process::Command;

#[tokio::test]
async fn an_operator_sets_up_a_service_from_the_command_line() {
    let t = spawn_app().await;
    let (ok, out) = hearth(
        &t,
        &[
            "org",
            "create",
            "--name",
            "Eastmoor Family Safety",
            "--slug",
            "eastmoor",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = hearth(
        &t,
        &["org", "add-team", "--org", "eastmoor", "--name", "Idva"],
    );
    assert!(ok, "{out}");
    let (ok, out) = hearth(
        &t,
        &[
            "user",
            "add",
            "--org",
            "eastmoor",
            "--email",
            "Ada@Eastmoor.example",
            "--name",
            "Ada Admin",
            "--role",
            "administrator",
        ],
    );
    assert!(ok, "{out}");
    let temp = out.lines().last().unwrap().trim().to_string();
    assert!(temp.len() >= 12, "{out}");

    // Bad input names the problem and changes nothing.
    let (ok, out) = hearth(
        &t,
        &[
            "user", "add", "--org", "eastmoor", "--email", "nope", "--name", "X", "--role",
            "wizard",
        ],
    );
    assert!(!ok);
    assert!(out.contains("email") && out.contains("role"), "{out}");
    let (ok, out) = hearth(
        &t,
        &[
            "user",
            "add",
            "--org",
            "eastmoor",
            "--email",
            "x@eastmoor.example",
            "--name",
            "X",
            "--role",
            "case_worker",
            "--team",
            "Nowhere",
        ],
    );
    assert!(!ok);
    assert!(out.contains("no team called Nowhere"), "{out}");

    let (ok, out) = hearth(&t, &["user", "list", "--org", "eastmoor"]);
    assert!(ok);
    assert!(
        out.contains("ada@eastmoor.example\tadministrator\tactive"),
        "{out}"
    );

    // The new administrator signs in with the temporary password and must enrol an authenticator.
    let b = browser();
    let r = t
        .submit(
            &b,
            "/login",
            "/login",
            &[("email", "ada@eastmoor.example"), ("password", &temp)],
        )
        .await;
    assert_eq!(location(&r), "/login/enrol");

    // A token made at the command line works on the API, and stops when revoked.
    let (ok, out) = hearth(
        &t,
        &[
            "token",
            "create",
            "--org",
            "eastmoor",
            "--email",
            "ada@eastmoor.example",
            "--name",
            "feed",
        ],
    );
    assert!(ok, "{out}");
    let token = out.lines().last().unwrap().trim().to_string();
    let id = out.split_whitespace().nth(1).unwrap().to_string();
    assert_eq!(
        t.api_get(&token, "/api/v1/me").await.status(),
        StatusCode::OK
    );
    let (ok, out) = hearth(&t, &["token", "revoke", "--org", "eastmoor", "--id", &id]);
    assert!(ok, "{out}");
    assert_eq!(
        t.api_get(&token, "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let (ok, out) = hearth(
        &t,
        &[
            "user",
            "reset-password",
            "--org",
            "eastmoor",
            "--email",
            "ada@eastmoor.example",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = hearth(
        &t,
        &[
            "user",
            "disable",
            "--org",
            "eastmoor",
            "--email",
            "ada@eastmoor.example",
        ],
    );
    assert!(ok, "{out}");
    let (_, out) = hearth(&t, &["user", "list", "--org", "eastmoor"]);
    assert!(
        out.contains("ada@eastmoor.example\tadministrator\tdisabled"),
        "{out}"
    );

    // Command-line actions are in the audit trail too, marked as such.
    let rows = t.audit_rows().await;
    for action in [
        "organisation.create",
        "user.add",
        "api_token.create",
        "api_token.revoke",
        "user.reset_password",
        "user.disable",
    ] {
        assert!(
            rows.iter()
                .any(|r| r.1 == action && r.3.contains("via=command_line")),
            "{action}"
        );
    }
    let (ok, out) = hearth(&t, &["audit", "verify"]);
    assert!(ok, "{out}");
}

#[tokio::test]
async fn a_database_is_refused_with_the_wrong_key_file() {
    let t = spawn_app().await;
    t.world().await;
    let other_key = std::env::temp_dir().join("hearth-tests").join(format!(
        "{}.key",
        uuid::Uuid::from_u128(rand::random()).simple()
    ));
    hearth_store::MasterKey::create_file(&other_key).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["audit", "verify"])
        .env("HEARTH_DATABASE_URL", &t.database_url)
        .env("HEARTH_KEY_FILE", &other_key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the key file does not match this database")
    );
}

#[tokio::test]
async fn an_operator_loads_an_instrument_and_a_bad_file_is_refused_by_line() {
    let t = spawn_app().await;
    t.world().await;
    // Beside the test's own key file, so each test has its own.
    let (_, shipped) = hearth_domain::instrument::SHIPPED[0];
    let bad = t.key_file.with_file_name("adult-risk-local.toml");
    std::fs::write(
        &bad,
        shipped
            .replace("version = 1", "version = 2")
            .replace("answers = \"yes_no_not_known\"", "answers = \"perhaps\""),
    )
    .unwrap();
    let (ok, out) = hearth(
        &t,
        &[
            "instrument",
            "load",
            "--org",
            "northshire",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!ok, "a bad file is refused");
    assert!(out.contains("adult-risk-local.toml, line "), "{out}");
    assert!(out.contains("perhaps"), "names the problem: {out}");
    let (ok, out) = hearth(&t, &["instrument", "list", "--org", "northshire"]);
    assert!(ok, "{out}");
    assert!(
        !out.contains("version 2"),
        "the version in use stays: {out}"
    );

    let good = t.key_file.with_file_name("adult-risk-2027.toml");
    std::fs::write(&good, shipped.replace("version = 1", "version = 2")).unwrap();
    let (ok, out) = hearth(
        &t,
        &[
            "instrument",
            "load",
            "--org",
            "northshire",
            good.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("Loaded adult-risk version 2"), "{out}");
    let (ok, out) = hearth(&t, &["instrument", "list", "--org", "northshire"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("adult-risk\tversion 2") && out.contains("adult-risk-2027.toml\tin use"),
        "{out}"
    );
}

#[tokio::test]
async fn an_operator_loads_a_programme_catalogue_and_a_bad_file_is_refused_by_line() {
    let t = spawn_app().await;
    t.world().await;
    let (_, shipped) = hearth_domain::programme::DEFAULT;
    let bad = t.key_file.with_file_name("programmes-bad.toml");
    std::fs::write(
        &bad,
        shipped.replace("delivery = \"group\"", "delivery = \"online\""),
    )
    .unwrap();
    let load = |file: &std::path::Path| {
        hearth(
            &t,
            &[
                "programmes",
                "load",
                "--org",
                "northshire",
                file.to_str().unwrap(),
            ],
        )
    };
    let (ok, out) = load(&bad);
    assert!(!ok, "a bad file is refused");
    assert!(out.contains("programmes-bad.toml, line "), "{out}");
    assert!(out.contains("online"), "names the problem: {out}");
    let (ok, out) = hearth(&t, &["programmes", "list", "--org", "northshire"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("In use: version 1"),
        "the version in use stays: {out}"
    );

    // Renamed: a new version of Engage, in a new version of the catalogue.
    let good = t.key_file.with_file_name("programmes-2027.toml");
    std::fs::write(
        &good,
        shipped.replace(
            "key = \"engage\"\nversion = 1\nname = \"Engage\"",
            "key = \"engage\"\nversion = 2\nname = \"Engage (behaviour change)\"",
        ),
    )
    .unwrap();
    let (ok, out) = load(&good);
    assert!(ok, "{out}");
    assert!(
        out.contains("Loaded programme catalogue version 2"),
        "{out}"
    );
    let (ok, out) = hearth(&t, &["programmes", "list", "--org", "northshire"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("In use: version 2")
            && out.contains("engage\tversion 2\tEngage (behaviour change)")
            && out.contains("programmes-2027.toml"),
        "{out}"
    );
    // The same file again changes nothing, so it is refused.
    assert!(!load(&good).0);
}

#[tokio::test]
async fn two_migrations_at_once_on_a_new_database_both_succeed() {
    for round in 0..3 {
        let (url, _) = fresh_database().await;
        let key = scratch_dir().join(format!(
            "migrate-{}.key",
            uuid::Uuid::from_u128(rand::random()).simple()
        ));
        hearth_store::MasterKey::create_file(&key).unwrap();
        let run = || {
            Command::new(env!("CARGO_BIN_EXE_hearth"))
                .arg("migrate")
                .env("HEARTH_DATABASE_URL", &url)
                .env("HEARTH_KEY_FILE", &key)
                .env("HEARTH_LOG", "warn")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run hearth")
        };
        let (a, b) = (run(), run());
        for (n, child) in [a, b].into_iter().enumerate() {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}, run {n} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[tokio::test]
async fn a_read_only_command_never_makes_a_key() {
    let t = spawn_app().await;
    let missing = scratch_dir().join(format!(
        "absent-{}.key",
        uuid::Uuid::from_u128(rand::random()).simple()
    ));
    for args in [
        &["audit", "verify"][..],
        &["org", "list"],
        &["user", "list"],
        &["instrument", "list"],
        &["programmes", "list"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
            .args(args)
            .env("HEARTH_DATABASE_URL", &t.database_url)
            .env("HEARTH_KEY_FILE", &missing)
            .env("HEARTH_LOG", "warn")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded without a key");
        assert!(
            err.contains(&missing.display().to_string()),
            "{args:?} names the file it looked for: {err}"
        );
        assert!(!missing.exists(), "{args:?} created a key file");
    }
    // `migrate` may make a key for a new database, but not keep one for this existing one.
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .arg("migrate")
        .env("HEARTH_DATABASE_URL", &t.database_url)
        .env("HEARTH_KEY_FILE", &missing)
        .env("HEARTH_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match"));
    assert!(!missing.exists(), "the key made for nothing is removed");
}

#[tokio::test]
async fn the_demo_runs_on_the_database_it_is_given_with_its_own_key_file() {
    let (url, _) = fresh_database().await;
    let key = scratch_dir().join(format!(
        "demo-{}.key",
        uuid::Uuid::from_u128(rand::random()).simple()
    ));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args([
            "demo",
            "--database",
            &url,
            "--key-file",
            &key.to_string_lossy(),
            "--families",
            "3",
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("HEARTH_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..120 {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await {
            up = r.status() == StatusCode::OK;
            if up {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let signin = reqwest::get(format!("http://127.0.0.1:{port}/login"))
        .await
        .map(|r| r.status());
    child.kill().unwrap();
    let _ = child.wait();
    assert!(up, "the demo did not start on {url}");
    assert_eq!(signin.unwrap(), StatusCode::OK);
    assert!(key.exists(), "the key is where it was asked for");
}
