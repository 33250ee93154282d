//! Rotating an organisation's data key: every sealed value moves to the new key and none is
//! left under the old, search still finds people, sign-in still opens authenticator secrets, the
//! trail records it, and a server running meanwhile carries on without an error.

use crate::common::*;
use hearth_store::rekey::{self, KeyCheck};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn check(t: &TestApp, cipher: &hearth_store::FieldCipher) -> KeyCheck {
    let mut conn = t.app.store.conn().await.unwrap();
    rekey::check(&mut conn, cipher).await.unwrap()
}

fn columns(c: &KeyCheck) -> Vec<String> {
    c.failed
        .iter()
        .map(|(t, c, _)| format!("{t}.{c}"))
        .collect()
}

async fn found(t: &TestApp, token: &str, q: &str) -> Vec<String> {
    let r = t
        .api_get(
            token,
            &format!("/api/v1/search?q={}", q.replace(' ', "%20")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_key_rotated_from_the_command_line_reseals_everything_while_the_server_runs() {
    let t = spawn_app().await;
    let w = t.world().await;
    Records::make(&t, &w, "sensitive").await;
    let demo = hearth_app::demo::seed(&t.app, 12).await.unwrap();
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    // Signed in before the rotation, as a worker at her desk would be.
    let at_desk = t.signed_in(&w.staff["idva"].1).await;
    assert_eq!(found(&t, &idva, "Quillfeather").await.len(), 3);

    let (old, old_demo) = (
        t.cipher(w.org.uuid()).await,
        t.cipher(demo.org.id.uuid()).await,
    );
    let before = check(&t, &old).await;
    let before_demo = check(&t, &old_demo).await;
    assert!(before.failed.is_empty() && before_demo.failed.is_empty());
    assert!(
        before.opened > 10 && before_demo.opened > 100,
        "{before:?} {before_demo:?}"
    );

    for slug in ["northshire", demo.org.slug.as_str()] {
        let (ok, said) = hearth(&t, &["org", "rotate-key", "--org", slug]);
        assert!(ok, "{said}");
        assert!(said.contains("Rotated the data key of"), "{said}");
    }

    // Every value opens under the new key, and none under the old.
    let (new, new_demo) = (
        t.cipher(w.org.uuid()).await,
        t.cipher(demo.org.id.uuid()).await,
    );
    assert_eq!(check(&t, &new).await, before);
    assert_eq!(check(&t, &new_demo).await, before_demo);
    let under_old = check(&t, &old).await;
    assert_eq!(under_old.opened, 0, "{under_old:?}");
    let under_old_demo = check(&t, &old_demo).await;
    assert_eq!(under_old_demo.opened, 0, "{under_old_demo:?}");
    let moved: Vec<String> = columns(&under_old)
        .into_iter()
        .chain(columns(&under_old_demo))
        .collect();
    for column in [
        "users.totp_secret",
        "people.identity",
        "contact_versions.sealed",
        "timeline_versions.body",
        "referrals.details",
        "risk_assessments.sealed",
        "marac_referrals.sealed",
        "case_agencies.details",
    ] {
        assert!(moved.contains(&column.to_string()), "{column}: {moved:?}");
    }
    // The other organisation's values stay under its own key, untouched.
    let elsewhere = t.cipher(w.other_org.uuid()).await;
    assert!(check(&t, &elsewhere).await.failed.is_empty());

    // The server that ran throughout: the worker's page opens at once, with the family's names.
    let r = at_desk
        .get(t.url(&format!("/cases/{}", w.case)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Quillfeather"));
    // Search finds people through the index rebuilt under the new key, and only as before.
    assert_eq!(found(&t, &idva, "Quillfeather").await.len(), 3);
    assert_eq!(
        found(&t, &idva, "Quilfeather").await.len(),
        3,
        "one letter out"
    );
    // A colleague signs in: her authenticator secret opens under the new key.
    t.signed_in(&w.staff["idva2"].1).await;
    // What is written now is sealed under the new key.
    let entry = json!({"kind": "note", "sensitivity": "ordinary", "person_id": w.victim.to_string(),
                       "body": "Written after the key changed.", "submission_key": new_key()});
    let r = t
        .api_post(&idva, &format!("/api/v1/cases/{}/timeline", w.case), &entry)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let after = check(&t, &new).await;
    assert_eq!((after.opened, after.failed.len()), (before.opened + 1, 0));

    // The trail says who did it and how much, and still verifies.
    let mut conn = t.app.store.conn().await.unwrap();
    let rotations: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'organisation.key_rotate' ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(rotations.len(), 2);
    assert!(
        rotations[0].contains(&format!("values={}", before.opened)),
        "{rotations:?}"
    );
    drop(conn);
    let (ok, said) = hearth(&t, &["audit", "verify"]);
    assert!(ok, "{said}");
}

#[tokio::test]
async fn a_rotation_that_fails_part_way_leaves_the_old_key_and_every_value_under_it() {
    let t = spawn_app().await;
    let w = t.world().await;
    Records::make(&t, &w, "sensitive").await;
    let old = t.cipher(w.org.uuid()).await;
    let before = check(&t, &old).await;
    let mut conn = t.app.store.write_conn().await.unwrap();
    let key = "SELECT wrapped_key FROM organisations WHERE slug = 'northshire'";
    let wrapped: Vec<u8> = sqlx::query_scalar(key).fetch_one(&mut *conn).await.unwrap();
    // A value that will not open stops the rotation: here, one moved to another row.
    sqlx::query(
        "UPDATE people SET identity = (SELECT identity FROM people WHERE id = $1) WHERE id = $2",
    )
    .bind(w.perpetrator.to_string())
    .bind(w.child.to_string())
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    let (ok, said) = hearth(&t, &["org", "rotate-key", "--org", "northshire"]);
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!("people.identity:{}", w.child)),
        "names the value: {said}"
    );
    // Nothing changed: the same key, and every value but the moved one opens under it.
    let mut conn = t.app.store.conn().await.unwrap();
    let still: Vec<u8> = sqlx::query_scalar(key).fetch_one(&mut *conn).await.unwrap();
    assert_eq!(still, wrapped);
    drop(conn);
    let now = check(&t, &old).await;
    assert_eq!(now.opened, before.opened - 1);
    assert_eq!(columns(&now), ["people.identity"]);
    let idva = t.token_for(w.org, w.staff["idva"].0).await;
    assert_eq!(found(&t, &idva, "Darren").await.len(), 1);
}
