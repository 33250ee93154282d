//! Refusing input no form could have typed, at the edge, the same way on every route and on both
//! databases: control characters (NUL above all, which PostgreSQL cannot store in text) in a
//! query parameter, a form field or anywhere in a JSON body. The answer is 422 naming the field,
//! before any use case runs, so nothing half-accepted can get stuck further in.
//! Bodies over the limit are refused here too, with 413, and a body that has not arrived within
//! the body read timeout with 408.

use crate::csrf::MAX_FORM_BYTES;
use crate::error::api_error;
use crate::views::ErrorPage;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hearth_domain::FieldError;
use std::time::Duration;

/// Tabs and line breaks are text; every other control character is not.
fn is_forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first field (dotted path for JSON) whose name or value holds a forbidden character.
fn bad_json_field(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.chars().any(is_forbidden) => Some(if path.is_empty() {
            "body".into()
        } else {
            path.into()
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.chars().any(is_forbidden) {
                Some(here)
            } else {
                bad_json_field(v, &here)
            }
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| bad_json_field(v, &format!("{path}[{i}]"))),
        _ => None,
    }
}

fn bad_pair(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .find(|(k, v)| k.chars().chain(v.chars()).any(is_forbidden))
        .map(|(k, _)| k.chars().filter(|c| !is_forbidden(*c)).collect())
}

fn refuse(api: bool, field: &str) -> Response {
    let message = format!(
        "{field} contains a control character, which cannot be accepted. Remove it and send again."
    );
    if api {
        api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            message.clone(),
            vec![FieldError::new(field, message)],
        )
    } else {
        ErrorPage::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Something in the form cannot be accepted",
            &message,
        )
        .into_response()
    }
}

fn too_large(api: bool) -> Response {
    let message = "The request is larger than Hearth accepts (2 MB). Shorten it and send again.";
    if api {
        api_error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message, vec![])
    } else {
        ErrorPage::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "That was too large to send",
            message,
        )
        .into_response()
    }
}

fn too_slow(api: bool) -> Response {
    let message = "The request took too long to arrive. Nothing was saved. Send it again.";
    if api {
        api_error(StatusCode::REQUEST_TIMEOUT, "timeout", message, vec![])
    } else {
        ErrorPage::new(
            StatusCode::REQUEST_TIMEOUT,
            "That took too long to arrive",
            message,
        )
        .into_response()
    }
}

pub async fn refuse_control_characters(
    State(body_read_timeout): State<Duration>,
    req: Request,
    next: Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    if let Some(q) = req.uri().query() {
        let pairs: Vec<(String, String)> = form_pairs(q.as_bytes());
        if let Some(field) = bad_pair(&pairs) {
            return refuse(api, &field);
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let json = content_type.starts_with("application/json");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    // A client that stalls half-way through its body is not waited for.
    let bytes = match tokio::time::timeout(body_read_timeout, to_bytes(body, MAX_FORM_BYTES)).await
    {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => return too_large(api),
        Err(_) => return too_slow(api),
    };
    let bad = if !json && !form {
        None
    } else if json {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| bad_json_field(&v, ""))
    } else {
        bad_pair(&form_pairs(&bytes))
    };
    match bad {
        Some(field) => refuse(api, &field),
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_found_by_field() {
        assert_eq!(bad_json_field(&json!({"a": "ok\nfine\t"}), ""), None);
        assert_eq!(
            bad_json_field(&json!({"given_name": "Zo\u{0}e"}), ""),
            Some("given_name".into())
        );
        assert_eq!(
            bad_json_field(&json!({"answers": {"injury": "y\u{7}es"}}), ""),
            Some("answers.injury".into())
        );
        assert_eq!(
            bad_json_field(&json!(["x", "\u{1b}"]), ""),
            Some("[1]".into())
        );
        assert_eq!(
            bad_pair(&[("area".into(), "North\u{0}".into())]),
            Some("area".into())
        );
        assert_eq!(bad_pair(&[("note".into(), "line\r\nbreak".into())]), None);
    }
}
