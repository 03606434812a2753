//! Raw HTTP against the simulator, tokens signed by hand as NOTES describes: the service's
//! status codes, error codes, validation and auth, independent of this crate's client.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use signalr_rest::{Simulator, SimulatorOptions};

struct Raw {
    sim: Simulator,
    http: reqwest::Client,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn sign(key: &str, aud: &str, exp: i64) -> String {
    let claims = json!({"aud": aud, "exp": exp, "iat": now()});
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

impl Raw {
    async fn new() -> Raw {
        let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
        Raw {
            sim,
            http: reqwest::Client::new(),
        }
    }

    /// Sends `method path` with a valid token for the path's URL.
    async fn call(&self, method: Method, path_and_query: &str, body: Option<&str>) -> reqwest::Response {
        let url = format!("{}{}", self.sim.url(), path_and_query);
        let aud = url.split('?').next().unwrap().to_string();
        let token = sign(self.sim.access_key(), &aud, now() + 3600);
        self.send(method, &url, Some(token), body).await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<String>,
        body: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        request.send().await.unwrap()
    }

    async fn status(&self, method: Method, path: &str, body: Option<&str>) -> StatusCode {
        self.call(method, path, body).await.status()
    }
}

const BODY: Option<&str> = Some(r#"{"target":"t","arguments":[1]}"#);

#[tokio::test]
async fn every_operation_answers_the_documented_success_code() {
    let raw = Raw::new().await;
    let client = raw.sim.connect("chat", Some("alice")).unwrap();
    let cid = client.connection_id().to_string();
    let h = "/api/v1/hubs/chat";
    let cases: Vec<(Method, String, Option<&str>, u16)> = vec![
        (Method::POST, h.to_string(), BODY, 202),
        (Method::POST, format!("{h}?excluded=a&excluded=b"), BODY, 202),
        (Method::POST, format!("{h}/users/alice"), BODY, 202),
        (Method::POST, format!("{h}/connections/{cid}"), BODY, 202),
        (Method::GET, format!("{h}/connections/{cid}"), None, 200),
        (Method::HEAD, format!("{h}/connections/{cid}"), None, 200),
        (
            Method::PUT,
            format!("{h}/groups/room/connections/{cid}"),
            None,
            200,
        ),
        (Method::POST, format!("{h}/groups/room"), BODY, 202),
        (Method::GET, format!("{h}/groups/room"), None, 200),
        (Method::HEAD, format!("{h}/groups/room"), None, 200),
        (Method::GET, format!("{h}/users/alice"), None, 200),
        (
            Method::DELETE,
            format!("{h}/groups/room/connections/{cid}"),
            None,
            200,
        ),
        (
            Method::PUT,
            format!("{h}/groups/room/users/alice?ttl=60"),
            None,
            202,
        ),
        (Method::GET, format!("{h}/groups/room/users/alice"), None, 200),
        (Method::HEAD, format!("{h}/groups/room/users/alice"), None, 200),
        (Method::DELETE, format!("{h}/groups/room/users/alice"), None, 202),
        (Method::DELETE, format!("{h}/users/alice/groups"), None, 200),
        (
            Method::DELETE,
            format!("{h}/connections/{cid}?reason=done"),
            None,
            202,
        ),
    ];
    for (method, path, body, expected) in cases {
        let status = raw.status(method.clone(), &path, body).await;
        assert_eq!(status.as_u16(), expected, "{method} {path}");
    }
    assert_eq!(client.close_reason().as_deref(), Some("done"));
}

#[tokio::test]
async fn missing_things_answer_404_with_the_service_error_code() {
    let raw = Raw::new().await;
    let h = "/api/v1/hubs/chat";
    let cases = [
        (
            Method::GET,
            format!("{h}/connections/nope"),
            "Warning.Connection.NotExisted",
        ),
        (
            Method::DELETE,
            format!("{h}/connections/nope"),
            "Warning.Connection.NotExisted",
        ),
        (
            Method::GET,
            format!("{h}/users/nobody"),
            "Warning.User.NotExisted",
        ),
        (
            Method::GET,
            format!("{h}/groups/empty"),
            "Warning.Group.NotExisted",
        ),
        (
            Method::GET,
            format!("{h}/groups/g/users/u"),
            "Info.User.NotInGroup",
        ),
        (
            Method::PUT,
            format!("{h}/groups/g/connections/nope"),
            "Error.Connection.NotExisted",
        ),
        (
            Method::DELETE,
            format!("{h}/groups/g/connections/nope"),
            "Error.Connection.NotExisted",
        ),
    ];
    for (method, path, code) in cases {
        let response = raw.call(method.clone(), &path, None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(response.headers()["x-ms-error-code"], code, "{method} {path}");
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(body["code"], code);
        assert!(
            body["message"].as_str().unwrap().contains('"'),
            "message names the value: {body}"
        );
    }
}

#[tokio::test]
async fn invalid_names_bodies_and_ttls_answer_400_naming_the_value() {
    let raw = Raw::new().await;
    let long_hub = "h".repeat(129);
    let long_group = "g".repeat(1025);
    let cases: Vec<(Method, String, Option<&str>, &str)> = vec![
        (Method::POST, "/api/v1/hubs/1abc".into(), BODY, "1abc"),
        (Method::POST, "/api/v1/hubs/a-b".into(), BODY, "a-b"),
        (Method::POST, format!("/api/v1/hubs/{long_hub}"), BODY, "129"),
        (
            Method::POST,
            format!("/api/v1/hubs/chat/groups/{long_group}"),
            BODY,
            "1025",
        ),
        (
            Method::POST,
            "/api/v1/hubs/chat/groups/%20%20".into(),
            BODY,
            "whitespace",
        ),
        (
            Method::PUT,
            "/api/v1/hubs/chat/groups/g/users/u?ttl=-1".into(),
            None,
            "-1",
        ),
        (
            Method::PUT,
            "/api/v1/hubs/chat/groups/g/users/u?ttl=1.5".into(),
            None,
            "1.5",
        ),
        (
            Method::POST,
            "/api/v1/hubs/chat".into(),
            Some(r#"{"arguments":[]}"#),
            "target",
        ),
        (Method::POST, "/api/v1/hubs/chat".into(), Some("not json"), "JSON"),
        (Method::POST, "/api/v1/hubs/chat".into(), None, "required"),
    ];
    for (method, path, body, named) in cases {
        let response = raw.call(method.clone(), &path, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{method} {path}");
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert!(
            body["message"].as_str().unwrap().contains(named),
            "{path}: {body}"
        );
    }
    for ok in [
        "/api/v1/hubs/A_b.c%60%5Bx%5D",
        &format!("/api/v1/hubs/chat/groups/{}", "g".repeat(1024)),
    ] {
        assert_eq!(
            raw.status(Method::POST, ok, BODY).await,
            StatusCode::ACCEPTED,
            "{ok}"
        );
    }
    let properties_in_any_case = Some(r#"{"Target":"t","Arguments":[]}"#);
    assert_eq!(
        raw.status(Method::POST, "/api/v1/hubs/chat", properties_in_any_case)
            .await,
        StatusCode::ACCEPTED
    );
}

/// Checks an error answer: its status, the JSON `{code, message}` body and the
/// `x-ms-error-code` header carrying the same code; returns the message.
async fn assert_json_error(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    let header = response
        .headers()
        .get("x-ms-error-code")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header.as_deref(), Some(code));
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["code"], code, "{body}");
    let message = body["message"].as_str().unwrap().to_string();
    assert!(!message.is_empty());
    message
}

#[tokio::test]
async fn bodies_over_one_megabyte_answer_413() {
    let raw = Raw::new().await;
    let big = format!(r#"{{"target":"t","arguments":["{}"]}}"#, "x".repeat(1024 * 1024));
    let response = raw.call(Method::POST, "/api/v1/hubs/chat", Some(&big)).await;
    let message = assert_json_error(response, 413, "Error.PayloadTooLarge").await;
    assert!(message.contains("1048576"), "{message}");
    let fits = format!(r#"{{"target":"t","arguments":["{}"]}}"#, "x".repeat(1000 * 1000));
    assert_eq!(
        raw.status(Method::POST, "/api/v1/hubs/chat", Some(&fits)).await,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn each_auth_failure_answers_401_saying_why() {
    let raw = Raw::new().await;
    let url = format!("{}/api/v1/hubs/chat", raw.sim.url());
    let key = raw.sim.access_key().to_string();
    let cases = [
        (Some(sign("wrong-key", &url, now() + 60)), "signature"),
        (Some(sign(&key, &url, now() - 600)), "expired"),
        (
            Some(sign(&key, &format!("{url}/users/u"), now() + 60)),
            "audience",
        ),
        (
            Some(sign(&key, &url.replace("http:", "https:"), now() + 60)),
            "audience",
        ),
        (None, "no bearer token"),
        (Some("garbage".to_string()), "malformed"),
        (Some("a".repeat(5000)), "4096"),
    ];
    for (token, why) in cases {
        let response = raw.send(Method::POST, &url, token, BODY).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{why}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains(why), "{why}: {challenge}");
    }
    let other_port = url.replace(&raw.sim.local_addr().port().to_string(), "1");
    let response = raw
        .send(
            Method::POST,
            &url,
            Some(sign(&key, &other_port, now() + 60)),
            BODY,
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::ACCEPTED,
        "the port is not compared"
    );
}

#[tokio::test]
async fn health_needs_no_token() {
    let raw = Raw::new().await;
    let url = format!("{}/api/v1/health", raw.sim.url());
    assert_eq!(
        raw.send(Method::GET, &url, None, None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        raw.send(Method::HEAD, &url, None, None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn headers_over_16_kb_answer_431_with_a_json_body() {
    let raw = Raw::new().await;
    let url = format!("{}/api/v1/hubs/chat", raw.sim.url());
    let response = raw
        .http
        .post(&url)
        .header("x-padding", "p".repeat(17 * 1024))
        .body(BODY.unwrap())
        .send()
        .await
        .unwrap();
    let message = assert_json_error(response, 431, "Error.RequestHeaderFieldsTooLarge").await;
    assert!(message.contains("16384"), "{message}");
    let fits = raw
        .http
        .get(format!("{}/api/v1/health", raw.sim.url()))
        .header("x-padding", "p".repeat(15 * 1024));
    assert_eq!(fits.send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn framework_rejections_answer_the_same_json_shape() {
    let raw = Raw::new().await;
    let response = raw.call(Method::GET, "/api/v1/nothing/here", None).await;
    let message = assert_json_error(response, 404, "Error.RouteNotFound").await;
    assert!(message.contains("/api/v1/nothing/here"), "{message}");
    let response = raw.call(Method::PATCH, "/api/v1/hubs/chat", None).await;
    let message = assert_json_error(response, 405, "Error.MethodNotAllowed").await;
    assert!(message.contains("PATCH"), "{message}");
    let response = raw
        .call(Method::POST, "/api/v1/hubs/chat/users/%FF%FE", BODY)
        .await;
    assert_json_error(response, 400, "Error.BadRequest").await;
    let response = raw
        .call(Method::PUT, "/api/v1/hubs/chat/groups/g/users/u?ttl=soon", None)
        .await;
    assert_json_error(response, 400, "Error.InvalidTtl").await;
    let response = raw
        .send(
            Method::POST,
            &format!("{}/api/v1/hubs/chat", raw.sim.url()),
            None,
            BODY,
        )
        .await;
    assert_json_error(response, 401, "Error.Unauthorized").await;
    let response = raw
        .call(Method::HEAD, "/api/v1/hubs/chat/users/nobody", None)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.text().await.unwrap().is_empty(),
        "HEAD answers carry no body"
    );
}

#[tokio::test]
async fn the_bearer_scheme_and_query_keys_match_case_insensitively() {
    let raw = Raw::new().await;
    let url = format!("{}/api/v1/hubs/chat", raw.sim.url());
    let token = sign(raw.sim.access_key(), &url, now() + 3600);
    for scheme in ["BEARER", "bearer", "Bearer"] {
        let response = raw
            .http
            .post(&url)
            .header("authorization", format!("{scheme} {token}"))
            .header("content-type", "application/json")
            .body(BODY.unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{scheme}");
    }
    let a = raw.sim.connect("chat", None).unwrap();
    let b = raw.sim.connect("chat", None).unwrap();
    let c = raw.sim.connect("chat", None).unwrap();
    let query = format!(
        "?Excluded={}&excluded[1]={}",
        a.connection_id(),
        b.connection_id()
    );
    let status = raw
        .status(Method::POST, &format!("/api/v1/hubs/chat{query}"), BODY)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(a.received().is_empty(), "excluded as `Excluded`");
    assert!(b.received().is_empty(), "excluded as `excluded[1]`");
    assert_eq!(c.received().len(), 1);
    raw.status(Method::PUT, "/api/v1/hubs/chat/groups/g/users/u?TTL=0", None)
        .await;
    assert!(raw.sim.user_groups("chat").is_empty(), "TTL=0 maps nothing");
}

#[tokio::test]
async fn the_reversed_v1_group_paths_mean_the_same_as_the_forward_ones() {
    let raw = Raw::new().await;
    let alice = raw.sim.connect("chat", Some("alice")).unwrap();
    let cid = alice.connection_id().to_string();
    let h = "/api/v1/hubs/chat";
    let cases: Vec<(Method, String, u16)> = vec![
        (Method::GET, format!("{h}/users/alice/groups/room"), 404),
        (Method::PUT, format!("{h}/users/alice/groups/room"), 202),
        (Method::GET, format!("{h}/users/alice/groups/room"), 200),
        (Method::GET, format!("{h}/groups/room/users/alice"), 200),
        (Method::DELETE, format!("{h}/users/alice/groups/room"), 202),
        (Method::GET, format!("{h}/groups/room/users/alice"), 404),
        (Method::PUT, format!("{h}/connections/{cid}/groups/lobby"), 200),
        (Method::GET, format!("{h}/groups/lobby"), 200),
        (Method::DELETE, format!("{h}/connections/{cid}/groups/lobby"), 200),
        (Method::GET, format!("{h}/groups/lobby"), 404),
        (Method::PUT, format!("{h}/connections/nobody/groups/lobby"), 404),
    ];
    for (method, path, expected) in cases {
        let status = raw.status(method.clone(), &path, None).await;
        assert_eq!(status.as_u16(), expected, "{method} {path}");
    }
}

#[tokio::test]
async fn shutdown_is_graceful_and_frees_the_port() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let address = sim.local_addr();
    sim.shutdown().await;
    assert!(reqwest::get(format!("http://{address}/api/v1/health"))
        .await
        .is_err());
    let again = Simulator::start(SimulatorOptions {
        port: address.port(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(again.local_addr(), address);
}

#[tokio::test]
async fn a_dropped_handle_keeps_serving_until_the_runtime_ends() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let health = format!("{}/api/v1/health", sim.url());
    let client = sim.connect("chat", None).unwrap();
    drop(sim);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let answer = reqwest::get(&health).await.expect("still serving");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(!client.is_closed());
}
