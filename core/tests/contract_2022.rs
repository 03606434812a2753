//! Raw HTTP against the simulator's 2022-06-01 API, every row of the contract's table
//! (`shared/spec/rest-api-2022-06-01.md`, section 2), signed as the .NET SDK signs: audience
//! `{scheme}://{host}/api/hubs/{hub}{path}?application={app}&api-version=2022-06-01` without the
//! port, `excluded`, `reason` and `ttl` left out.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use signalr_rest::{Simulator, SimulatorOptions, VirtualClient};

const VERSION: &str = "2022-06-01";
const BODY: &str = r#"{"target":"t","arguments":[1]}"#;

struct Raw {
    sim: Simulator,
    http: reqwest::Client,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

impl Raw {
    async fn new() -> Raw {
        Raw {
            sim: Simulator::start(SimulatorOptions::default()).await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    /// The audience the .NET SDK signs for `path` (after `/api/hubs/chat`): no port, the
    /// application and api-version in its query.
    fn audience(&self, path: &str, application: Option<&str>) -> String {
        let app = application
            .map(|a| format!("application={a}&"))
            .unwrap_or_default();
        format!("http://127.0.0.1/api/hubs/chat{path}?{app}api-version={VERSION}")
    }

    fn token(&self, audience: &str) -> String {
        let claims = json!({"aud": audience, "exp": now() + 3600, "iat": now()});
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(self.sim.access_key().as_bytes()),
        )
        .unwrap()
    }

    /// `method /api/hubs/chat{path}?api-version=...{extra}`, signed as the SDK signs.
    async fn call(&self, method: Method, path: &str, extra: &str, body: Option<&str>) -> reqwest::Response {
        self.call_as(method, path, None, extra, body).await
    }

    async fn call_as(
        &self,
        method: Method,
        path: &str,
        application: Option<&str>,
        extra: &str,
        body: Option<&str>,
    ) -> reqwest::Response {
        let app = application
            .map(|a| format!("application={a}&"))
            .unwrap_or_default();
        let url = format!(
            "{}/api/hubs/chat{path}?{app}api-version={VERSION}{extra}",
            self.sim.url()
        );
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(self.token(&self.audience(path, application)));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        request.send().await.unwrap()
    }
}

/// Checks status, `x-ms-error-code` and body shape: none on HEAD and 204, ErrorDetail JSON on
/// non-HEAD errors.
async fn check(response: reqwest::Response, method: &Method, status: u16, code: Option<&str>, row: &str) {
    assert_eq!(response.status().as_u16(), status, "{row}");
    let header = response
        .headers()
        .get("x-ms-error-code")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header.as_deref(), code, "{row}");
    let body = response.text().await.unwrap();
    if *method == Method::HEAD || status == 204 {
        assert!(body.is_empty(), "{row}: {body}");
    } else if status >= 400 {
        let detail: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{row}: {body}"));
        assert_eq!(detail["code"].as_str(), code, "{row}");
        assert!(detail["message"].is_string(), "{row}");
    }
}

/// (method, path after `/api/hubs/chat`, extra query, body, status, `x-ms-error-code`)
type Row = (
    Method,
    String,
    &'static str,
    Option<&'static str>,
    u16,
    Option<&'static str>,
);

#[tokio::test]
async fn every_row_of_the_2022_06_01_table_answers_its_code() {
    let raw = Raw::new().await;
    let alice: VirtualClient = raw.sim.connect("chat", Some("alice")).unwrap();
    let cid = alice.connection_id().to_string();
    let rows: Vec<Row> = vec![
        (
            Method::POST,
            "/:send".into(),
            "&excluded=a&excluded=b",
            Some(BODY),
            202,
            None,
        ),
        (
            Method::POST,
            format!("/connections/{cid}/:send"),
            "",
            Some(BODY),
            202,
            None,
        ),
        (
            Method::POST,
            "/connections/unknown/:send".into(),
            "",
            Some(BODY),
            202,
            None,
        ),
        (Method::HEAD, format!("/connections/{cid}"), "", None, 200, None),
        (
            Method::HEAD,
            "/connections/unknown".into(),
            "",
            None,
            404,
            Some("Warning.Connection.NotExisted"),
        ),
        (
            Method::GET,
            "/connections/unknown".into(),
            "",
            None,
            404,
            Some("Warning.Connection.NotExisted"),
        ),
        (
            Method::PUT,
            format!("/groups/room/connections/{cid}"),
            "",
            None,
            200,
            None,
        ),
        (
            Method::PUT,
            "/groups/room/connections/unknown".into(),
            "",
            None,
            404,
            Some("Error.Connection.NotExisted"),
        ),
        (Method::HEAD, "/groups/room".into(), "", None, 200, None),
        (
            Method::HEAD,
            "/groups/empty".into(),
            "",
            None,
            404,
            Some("Warning.Group.NotExisted"),
        ),
        (
            Method::POST,
            "/groups/room/:send".into(),
            "&excluded=x",
            Some(BODY),
            202,
            None,
        ),
        (
            Method::DELETE,
            format!("/groups/room/connections/{cid}"),
            "",
            None,
            200,
            None,
        ),
        (
            Method::DELETE,
            "/groups/room/connections/unknown".into(),
            "",
            None,
            200,
            None,
        ),
        (Method::HEAD, "/users/alice".into(), "", None, 200, None),
        (
            Method::HEAD,
            "/users/bob".into(),
            "",
            None,
            404,
            Some("Warning.User.NotExisted"),
        ),
        (
            Method::POST,
            "/users/alice/:send".into(),
            "",
            Some(BODY),
            202,
            None,
        ),
        (
            Method::PUT,
            "/users/alice/groups/room".into(),
            "&ttl=60",
            None,
            200,
            None,
        ),
        (
            Method::HEAD,
            "/users/alice/groups/room".into(),
            "",
            None,
            200,
            None,
        ),
        (
            Method::GET,
            "/users/alice/groups/room".into(),
            "",
            None,
            200,
            None,
        ),
        (
            Method::GET,
            "/users/alice/groups/other".into(),
            "",
            None,
            404,
            Some("Info.User.NotInGroup"),
        ),
        (
            Method::DELETE,
            "/users/alice/groups/room".into(),
            "",
            None,
            204,
            None,
        ),
        (Method::PUT, "/users/alice/groups/a".into(), "", None, 200, None),
        (Method::DELETE, "/users/alice/groups".into(), "", None, 204, None),
        (
            Method::DELETE,
            format!("/connections/{cid}/groups"),
            "",
            None,
            200,
            None,
        ),
        (
            Method::DELETE,
            "/connections/unknown/groups".into(),
            "",
            None,
            200,
            None,
        ),
        (
            Method::POST,
            "/groups/room/:closeConnections".into(),
            "&reason=r",
            None,
            204,
            None,
        ),
        (
            Method::POST,
            "/users/nobody/:closeConnections".into(),
            "&excluded=x&reason=r",
            None,
            204,
            None,
        ),
        (
            Method::DELETE,
            "/connections/unknown".into(),
            "&reason=r",
            None,
            404,
            Some("Warning.Connection.NotExisted"),
        ),
        (
            Method::DELETE,
            format!("/connections/{cid}"),
            "&reason=bye",
            None,
            200,
            None,
        ),
        (
            Method::POST,
            "/:closeConnections".into(),
            "&reason=all",
            None,
            204,
            None,
        ),
        (
            Method::POST,
            "/:send".into(),
            "",
            Some("{}"),
            400,
            Some("Error.InvalidRequestBody"),
        ),
        (
            Method::POST,
            "/:nothing".into(),
            "",
            None,
            404,
            Some("Error.RouteNotFound"),
        ),
        (
            Method::HEAD,
            "/groups/%20".into(),
            "",
            None,
            400,
            Some("Error.InvalidGroupName"),
        ),
    ];
    for (method, path, extra, body, status, code) in rows {
        let row = format!("{method} {path}{extra}");
        let response = raw.call(method.clone(), &path, extra, body).await;
        check(response, &method, status, code, &row).await;
    }
    assert_eq!(alice.close_reason().as_deref(), Some("bye"));
    let health = format!("{}/api/health", raw.sim.url());
    assert_eq!(
        raw.http.head(&health).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        raw.http.get(&health).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn api_version_is_required_and_must_be_2022_06_01_or_later() {
    let raw = Raw::new().await;
    let url = format!("{}/api/hubs/chat/users/alice", raw.sim.url());
    let token = raw.token("http://127.0.0.1/api/hubs/chat/users/alice");
    for (query, code) in [
        ("", "Error.MissingApiVersion"),
        ("?api-version=1.0", "Error.InvalidApiVersion"),
        ("?api-version=2021-01-01", "Error.InvalidApiVersion"),
    ] {
        let response = raw
            .http
            .get(format!("{url}{query}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        check(response, &Method::GET, 400, Some(code), query).await;
    }
    for later in ["2022-11-01", "2024-01-01"] {
        let url = format!("{url}?api-version={later}");
        let token = raw.token(&format!(
            "http://127.0.0.1/api/hubs/chat/users/alice?api-version={later}"
        ));
        let response = raw.http.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{later} is served");
    }
}

#[tokio::test]
async fn the_audience_must_name_the_same_application_and_api_version_when_it_names_them() {
    let raw = Raw::new().await;
    let client = raw.sim.connect("app_chat", None).unwrap();
    let response = raw
        .call_as(Method::POST, "/:send", Some("App"), "", Some(BODY))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        client.received().len(),
        1,
        "?application=App reaches hub app_chat"
    );
    let url = format!(
        "{}/api/hubs/chat/:send?application=app&api-version={VERSION}",
        raw.sim.url()
    );
    for (audience, accepted) in [
        ("http://127.0.0.1/api/hubs/chat/:send".to_string(), true),
        (raw.audience("/:send", Some("other")), false),
        (
            "http://127.0.0.1/api/hubs/chat/:send?application=app&api-version=2024-01-01".into(),
            false,
        ),
    ] {
        let response = raw
            .http
            .post(&url)
            .bearer_auth(raw.token(&audience))
            .header("content-type", "application/json")
            .body(BODY)
            .send()
            .await
            .unwrap();
        if accepted {
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{audience}");
        } else {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{audience}");
            let why = response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(why.contains("audience"), "{why}");
        }
    }
}

#[tokio::test]
async fn close_connections_at_each_scope_keeps_the_excluded_and_sends_the_reason() {
    let raw = Raw::new().await;
    let a = raw.sim.connect("chat", Some("ann")).unwrap();
    let b = raw.sim.connect("chat", Some("ann")).unwrap();
    let c = raw.sim.connect("chat", Some("cy")).unwrap();
    raw.call(
        Method::PUT,
        &format!("/groups/g/connections/{}", c.connection_id()),
        "",
        None,
    )
    .await;
    let extra = format!("&excluded={}&reason=user%20closed", b.connection_id());
    let response = raw
        .call(Method::POST, "/users/ann/:closeConnections", &extra, None)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(a.close_reason().as_deref(), Some("user closed"));
    assert!(!b.is_closed() && !c.is_closed());
    raw.call(Method::POST, "/groups/g/:closeConnections", "&reason=group", None)
        .await;
    assert_eq!(c.close_reason().as_deref(), Some("group"));
    assert!(!b.is_closed());
    raw.call(Method::POST, "/:closeConnections", "&reason=hub", None)
        .await;
    assert_eq!(b.close_reason().as_deref(), Some("hub"));
    assert!(raw.sim.connections("chat").is_empty());
}

#[tokio::test]
async fn generated_tokens_are_accepted_by_the_client_endpoint() {
    let raw = Raw::new().await;
    let response = raw
        .call(
            Method::POST,
            "/:generateToken",
            "&userId=alice&minutesToExpire=5",
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let token = body["token"].as_str().unwrap();
    let negotiated = raw
        .http
        .post(format!("{}/client/negotiate?hub=chat", raw.sim.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(negotiated.status(), StatusCode::OK);
    let response = raw
        .call(Method::POST, "/:generateToken", "&minutesToExpire=0", None)
        .await;
    check(
        response,
        &Method::POST,
        400,
        Some("Error.InvalidMinutesToExpire"),
        "minutes 0",
    )
    .await;
}
