//! Secrets at rest: what the database holds must not reveal them without the key file.

use crate::common::*;
use hearth_store::{cases, users};

#[tokio::test]
async fn the_raw_database_does_not_contain_a_stored_secrets_plain_text() {
    let t = spawn_app().await;
    let w = t.world().await;
    let email = &w.staff["idva"].1;
    let secret = t.totp.lock().unwrap()[email].clone();
    let secret_hex = hex_encode(&secret);
    let secret_b32 = totp_rs::Secret::Raw(secret.clone())
        .to_encoded()
        .to_string();

    // Through the store, the secret is sealed and opens only with the organisation's key.
    let mut conn = t.app.store.conn().await.unwrap();
    let user = users::get(&mut conn, w.org, w.staff["idva"].0)
        .await
        .unwrap()
        .unwrap();
    let sealed = user.totp_secret.clone().unwrap();
    for plain in [secret_hex.as_bytes(), secret_b32.as_bytes(), &secret[..]] {
        assert!(!sealed.windows(plain.len()).any(|win| win == plain));
    }
    assert_eq!(
        users::totp_secret(&mut conn, &t.app.store, &user)
            .await
            .unwrap()
            .as_deref(),
        Some(secret_hex.as_str())
    );
    // Moved to another user's row, it will not open.
    let mut moved = user.clone();
    moved.id = w.staff["idva2"].0;
    assert!(users::totp_secret(&mut conn, &t.app.store, &moved)
        .await
        .is_err());
    drop(conn);

    // And the database file itself (with its write-ahead log) holds no trace of it.
    if let Some(path) = &t.sqlite_file {
        // Make sure a distinctive sealed value is written too, not only the TOTP secrets.
        let marker = "12 Refuge Lane, Northshire NS1 2AB";
        let mut tx = t.app.store.begin().await.unwrap();
        let c = t.app.store.cipher(&mut tx, w.org).await.unwrap();
        let sealed_marker = c.encrypt("test.marker:1", marker).unwrap();
        sqlx::query("INSERT INTO meta (key, value) VALUES ('sealed_test', $1)")
            .bind(hex_encode(&sealed_marker))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut raw = std::fs::read(path).unwrap();
        if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
            raw.extend(wal);
        }
        for plain in [
            secret_hex.as_bytes(),
            secret_b32.as_bytes(),
            &secret[..],
            marker.as_bytes(),
            b"Refuge Lane",
            // Names and dates of birth are sealed too: a stolen file names nobody.
            b"Quillfeather",
            b"1990-04-01",
        ] {
            assert!(
                !raw.windows(plain.len()).any(|win| win == plain),
                "plain text found in the database file"
            );
        }
        // Case references are not secret, and are there: the scan does read the data.
        assert!(raw.windows(7).any(|win| win == b"NS-0001"));
    }
    let _ = cases::count;
}
