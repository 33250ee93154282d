//! When every database connection stays taken for the whole wait, Hearth says it is busy (503,
//! with Retry-After) and changes nothing, rather than failing as a fault (500); and it answers
//! normally as soon as connections come free.

use crate::common::*;
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn a_request_that_cannot_get_a_connection_in_time_is_told_busy_and_the_next_is_served() {
    let t = spawn_app().await;
    let w = t.world().await;
    let token = t.token_for(w.org, w.staff["idva"].0).await;
    let b = t.signed_in(&w.staff["idva"].1).await;
    // Take every connection readers get, as a flood of heavy pages would.
    let mut held = Vec::new();
    while let Ok(Ok(c)) = tokio::time::timeout(Duration::from_millis(200), t.app.store.conn()).await
    {
        held.push(c);
    }
    assert!(!held.is_empty());

    let (api_path, page_path) = (
        format!("/api/v1/cases/{}", w.case),
        t.url(&format!("/cases/{}", w.case)),
    );
    let (api, shown) = tokio::join!(t.api_get(&token, &api_path), b.get(&page_path).send());
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.headers()["retry-after"], "5");
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");
    let shown = shown.unwrap();
    assert_eq!(shown.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(shown.headers()["retry-after"], "5");
    let html = shown.text().await.unwrap();
    assert!(html.contains("Hearth is very busy just now"), "{html}");
    assert!(html.contains("Nothing was changed"));

    drop(held);
    let r = t
        .api_get(&token, &format!("/api/v1/cases/{}", w.case))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = page(&b, &t, &format!("/cases/{}", w.case)).await;
    assert_eq!(status, StatusCode::OK);
}
