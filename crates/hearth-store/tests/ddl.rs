//! The two migration sets describe one schema. Normalised (comments and blank lines gone,
//! PostgreSQL's `BIGINT`/`BYTEA` read as SQLite's `INTEGER`/`BLOB`, SQLite's `WITHOUT ROWID`
//! and the audit trail's append-only trigger set aside because each engine writes those its
//! own way), they must be the same text, file for file. Any other difference is drift: a
//! column, an index or a constraint on one backend only.

use std::path::{Path, PathBuf};

fn dir(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
}

fn files(backend: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir(backend))
        .expect("the migrations directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

/// The statements of one migration, normalised, with the declared differences set aside.
fn statements(backend: &str, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir(backend).join(file)).expect("a migration");
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = line.split("--").next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let line = if backend == "postgres" {
            line.replace("BIGINT", "INTEGER").replace("BYTEA", "BLOB")
        } else {
            // How SQLite lays out a table keyed by its primary key is storage, not schema.
            line.replace(") WITHOUT ROWID;", ");")
        };
        lines.push(line);
    }
    // PostgreSQL numbers audit rows from a sequence; SQLite's INTEGER PRIMARY KEY does it itself.
    if backend == "postgres" {
        lines.retain(|l| {
            !(l.starts_with("CREATE SEQUENCE audit_log_seq")
                || l.starts_with("SELECT setval('audit_log_seq'")
                || l.starts_with("ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT"))
        });
    }
    // Triggers (and PostgreSQL's function behind one, made or replaced) are a declared
    // difference: set aside.
    let mut text = lines
        .join("\n")
        .replace("CREATE OR REPLACE FUNCTION", "CREATE FUNCTION");
    while let Some(start) = text.find("CREATE FUNCTION") {
        let end = start + text[start..].find("$$;").expect("a function ends") + 3;
        text.replace_range(start..end, "");
    }
    while let Some(start) = text.find("CREATE TRIGGER") {
        let rest = &text[start..];
        // SQLite's body holds statements of its own and ends with END; PostgreSQL's names a function.
        let end = match backend {
            "sqlite" => rest.find("END;").expect("a trigger ends") + 4,
            _ => rest.find(';').expect("a trigger ends") + 1,
        };
        text.replace_range(start..start + end, "");
    }
    text.split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = files("sqlite");
    assert!(sqlite.len() >= 11, "the migrations were found: {sqlite:?}");
    assert_eq!(sqlite, files("postgres"));
}

#[test]
fn migrations_differ_only_in_types_and_the_audit_trigger() {
    let mut drift = Vec::new();
    let mut compared = 0;
    for file in files("sqlite") {
        let (s, p) = (statements("sqlite", &file), statements("postgres", &file));
        compared += s.len();
        for (i, (a, b)) in s.iter().zip(&p).enumerate() {
            if a != b {
                drift.push(format!(
                    "{file} statement {}:\n  sqlite:   {a}\n  postgres: {b}",
                    i + 1
                ));
            }
        }
        if s.len() != p.len() {
            drift.push(format!(
                "{file}: {} statements on SQLite, {} on PostgreSQL",
                s.len(),
                p.len()
            ));
        }
    }
    assert!(compared > 50, "the statements were read: {compared}");
    assert!(
        drift.is_empty(),
        "the schemas have drifted:\n{}",
        drift.join("\n")
    );
}

#[test]
fn the_audit_trail_is_append_only_on_both() {
    for backend in ["sqlite", "postgres"] {
        let all: String = files(backend)
            .iter()
            .map(|f| std::fs::read_to_string(dir(backend).join(f)).unwrap())
            .collect();
        for trigger in [
            "audit_log_append_only_update",
            "audit_log_append_only_delete",
        ] {
            assert!(
                all.contains(&format!("CREATE TRIGGER {trigger}")),
                "{backend}: {trigger}"
            );
        }
    }
}
