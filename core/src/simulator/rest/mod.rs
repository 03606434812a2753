//! The REST API over the state, in both versions the service serves: v1 under `/api/v1` and
//! 2022-06-01 under `/api` with `api-version`; one state, the same validation and auth, each
//! version with its own status codes.

mod v1;
mod v2022;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use serde_json::value::RawValue;

use super::errors::{bearer_token, unauthorized, ApiError};
use super::Shared;
use crate::model::{validate_group, validate_hub, Arguments, PayloadMessage};

/// Largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest `ttl` accepted, in seconds.
const MAX_TTL_SECS: i64 = i32::MAX as i64;

type Sim = AxumState<Arc<Shared>>;

/// Both versions' routes, with the body limit.
pub(crate) fn routes(shared: Arc<Shared>) -> Router {
    v1::routes(shared.clone())
        .merge(v2022::routes(shared.clone()))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

pub(crate) type ApiResult = Result<StatusCode, ApiError>;

/// Checks the bearer token against the access key and the request URL.
pub(crate) async fn authenticate(AxumState(shared): Sim, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    let verdict = match token {
        None => Err("no bearer token in the Authorization header".to_string()),
        Some(token) => {
            let audience = signed_url(request.headers(), request.uri());
            shared.accept_token(token, &audience)
        }
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(reason) => unauthorized(&reason),
    }
}

/// `http://{Host}{path}`: the URL the caller signed as audience.
pub(crate) fn request_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{path}")
}

/// The request URL as a caller signs it: `http://{Host}{path}`, plus the `application` and
/// `api-version` query parameters when present (the 2022-06-01 SDKs sign both; `excluded`,
/// `reason` and `ttl` are never part of the audience).
fn signed_url(headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    let mut url = request_url(headers, uri.path());
    let signed: Vec<(String, String)> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "application" || k == "api-version")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !signed.is_empty() {
        url.push('?');
        url.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(signed)
                .finish(),
        );
    }
    url
}

pub(crate) fn check_hub(hub: &str) -> Result<(), ApiError> {
    validate_hub(hub).map_err(|e| ApiError::bad_request("Error.InvalidHubName", e.to_string()))
}

pub(crate) fn check_hub_group(hub: &str, group: &str) -> Result<(), ApiError> {
    check_hub(hub)?;
    validate_group(group).map_err(|e| ApiError::bad_request("Error.InvalidGroupName", e.to_string()))
}

/// Reads `{"target", "arguments"}`, property names matched case-insensitively; the arguments
/// keep their JSON text.
pub(crate) fn parse_message(body: &[u8]) -> Result<PayloadMessage, ApiError> {
    let bad = |message: String| ApiError::bad_request("Error.InvalidRequestBody", message);
    if body.is_empty() {
        return Err(bad(
            "the request body is required: {\"target\": ..., \"arguments\": [...]}".into(),
        ));
    }
    // One pass: a JSON value of another type is a data error, anything else is not JSON.
    let object: Vec<(String, Box<RawValue>)> = match serde_json::from_slice::<indexed::Fields>(body) {
        Ok(fields) => fields.0,
        Err(e) if e.is_data() => return Err(bad("the request body must be a JSON object".into())),
        Err(e) => return Err(bad(format!("the request body is not JSON: {e}"))),
    };
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.get())
    };
    let target = match field("target") {
        None => return Err(bad("the request body has no target".into())),
        Some(raw) => match serde_json::from_str::<String>(raw) {
            Ok(t) if !t.is_empty() => t,
            Ok(_) => return Err(bad("target must not be empty".into())),
            Err(_) => return Err(bad(format!("target must be a string, got {raw}"))),
        },
    };
    let arguments = match field("arguments") {
        None | Some("null") => Arguments::default(),
        Some(raw) => {
            Arguments::from_json(raw).map_err(|_| bad(format!("arguments must be an array, got {raw}")))?
        }
    };
    Ok(PayloadMessage { target, arguments })
}

/// A JSON object read as its fields in order, each value kept as text.
mod indexed {
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde_json::value::RawValue;

    pub struct Fields(pub Vec<(String, Box<RawValue>)>);

    impl<'de> Deserialize<'de> for Fields {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct FieldsVisitor;
            impl<'de> Visitor<'de> for FieldsVisitor {
                type Value = Fields;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                    let mut fields = Vec::new();
                    while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                        fields.push(entry);
                    }
                    Ok(Fields(fields))
                }
            }
            deserializer.deserialize_map(FieldsVisitor)
        }
    }
}

/// The values of query parameter `name` as ASP.NET Core model binding reads them: the name
/// matched case-insensitively, repeated (`name=a&name=b`) or indexed (`name[0]=a`, `name[]=a`).
pub(crate) fn query_values(query: &Option<String>, name: &str) -> Vec<String> {
    let matches = |key: &str| {
        let base = key.split_once('[').map_or(key, |(base, _)| base);
        base.eq_ignore_ascii_case(name) && (base.len() == key.len() || key.ends_with(']'))
    };
    query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| matches(k))
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn parse_ttl(query: &Option<String>) -> Result<Option<Duration>, ApiError> {
    let Some(text) = query_values(query, "ttl").into_iter().next() else {
        return Ok(None);
    };
    match text.parse::<i64>() {
        Ok(secs) if (0..=MAX_TTL_SECS).contains(&secs) => Ok(Some(Duration::from_secs(secs as u64))),
        _ => Err(ApiError::bad_request(
            "Error.InvalidTtl",
            format!("ttl {text:?} must be a whole number of seconds from 0 to {MAX_TTL_SECS}"),
        )),
    }
}

/// A group and a user, read by name so the forward and reversed paths share handlers.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct GroupUser {
    pub hub: String,
    pub group: String,
    pub user: String,
}

/// A group and a connection, read by name so the forward and reversed paths share handlers.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct GroupConnection {
    pub hub: String,
    pub group: String,
    pub connection: String,
}
pub(crate) fn found(exists: bool, code: &'static str, what: String) -> ApiResult {
    if exists {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::not_found(code, what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_properties_match_case_insensitively() {
        let m = parse_message(br#"{"Target":"t","Arguments":[1,"a"]}"#).unwrap();
        assert_eq!(m.target, "t");
        assert_eq!(m.arguments.as_json(), r#"[1,"a"]"#);
        assert_eq!(
            parse_message(br#"{"target":"t"}"#).unwrap().arguments.as_json(),
            "[]"
        );
        let m =
            parse_message(br#"{"target":"t","arguments":[{"z":1,"a":2},123456789012345678901234567890]}"#)
                .unwrap();
        assert_eq!(
            m.arguments.as_json(),
            r#"[{"z":1,"a":2},123456789012345678901234567890]"#
        );
    }

    #[test]
    fn bad_bodies_are_named() {
        for (body, expected) in [
            (&b""[..], "required"),
            (b"{", "not JSON"),
            (b"[]", "object"),
            (b"null", "object"),
            (b"\"text\"", "object"),
            (br#"{"target":"t"} {}"#, "not JSON"),
            (br#"{"target":"t","#, "not JSON"),
            (br#"{"arguments":[]}"#, "no target"),
            (br#"{"target":""}"#, "empty"),
            (br#"{"target":"t","arguments":3}"#, "array"),
        ] {
            let err = parse_message(body).unwrap_err();
            assert!(err.message.contains(expected), "{}", err.message);
        }
    }

    #[test]
    fn ttl_must_be_a_non_negative_integer() {
        let q = |s: &str| Some(s.to_string());
        assert_eq!(parse_ttl(&q("ttl=5")).unwrap(), Some(Duration::from_secs(5)));
        assert_eq!(parse_ttl(&None).unwrap(), None);
        for bad in ["ttl=-1", "ttl=1.5", "ttl=abc", "ttl="] {
            assert!(parse_ttl(&q(bad)).is_err(), "{bad}");
        }
    }
}
