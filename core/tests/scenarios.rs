//! Replays the shared scenarios in `tests/scenarios/` (format: its README.md) through the Rust
//! API, one test per file and API version (`broadcast::v1`, `broadcast::v2022_06_01`), so a
//! failure names its scenario and the version.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, StatusCode};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use signalr_rest::auth::TokenFuture;
use signalr_rest::simulator::Fault;
use signalr_rest::{
    model, ApiVersion, ClientTokenOptions, PayloadMessage, RetryPolicy, ServiceClient, Simulator,
    SimulatorOptions, TokenProvider, VirtualClient,
};

/// The API versions in the files' spelling, in the order the runners replay them.
const API_VERSIONS: [&str; 2] = ["v1", "2022-06-01"];

/// A module per scenario file with one `#[tokio::test]` per API version it runs under (both,
/// or the one `only` names, which must match the file's `api_versions`), and the list the
/// directory is checked against.
macro_rules! scenarios {
    ($($test:ident => $file:literal $(only $only:ident)?,)*) => {
        $(
            mod $test {
                versions!($file $(, $only)?);
            }
        )*
        const LISTED: &[(&str, &[&str])] = &[$(($file, versions!(names $(, $only)?))),*];
    };
}

/// The tests of one file (`versions!(file)`, `versions!(file, v1)`) or the version names
/// they run (`versions!(names)`, `versions!(names, v1)`).
macro_rules! versions {
    (names) => {
        &API_VERSIONS
    };
    (names, v1) => {
        &["v1"]
    };
    (names, v2022_06_01) => {
        &["2022-06-01"]
    };
    ($file:literal) => {
        versions!($file, v1);
        versions!($file, v2022_06_01);
    };
    ($file:literal, v1) => {
        #[tokio::test]
        async fn v1() {
            super::replay($file, signalr_rest::ApiVersion::V1).await;
        }
    };
    ($file:literal, v2022_06_01) => {
        #[tokio::test]
        async fn v2022_06_01() {
            super::replay($file, signalr_rest::ApiVersion::V2022_06_01).await;
        }
    };
}

scenarios! {
    application_name => "application_name.json",
    argument_fidelity => "argument_fidelity.json",
    broadcast => "broadcast.json",
    client_url => "client_url.json",
    close_all_connections => "close_all_connections.json",
    close_group_connections => "close_group_connections.json",
    close_user_connections => "close_user_connections.json",
    connection_groups => "connection_groups.json",
    endpoint_closed_port => "endpoint_closed_port.json",
    endpoint_stalls => "endpoint_stalls.json",
    exists_and_close => "exists_and_close.json",
    fault_429_retry_after => "fault_429_retry_after.json",
    fault_4xx_not_retried => "fault_4xx_not_retried.json",
    fault_500_send_not_retried => "fault_500_send_not_retried.json",
    fault_503_send_retried => "fault_503_send_retried.json",
    fault_drop_clients => "fault_drop_clients.json",
    fault_reset => "fault_reset.json",
    fault_rules_refused => "fault_rules_refused.json",
    hub_names => "hub_names.json",
    invalid_arguments => "invalid_arguments.json",
    negotiate => "negotiate.json",
    negotiate_with_service => "negotiate_with_service.json",
    odd_ids => "odd_ids.json",
    remove_connection_from_all_groups => "remove_connection_from_all_groups.json",
    remove_non_member_2022 => "remove_non_member_2022.json" only v2022_06_01,
    remove_non_member_v1 => "remove_non_member_v1.json" only v1,
    send_to_connection => "send_to_connection.json",
    send_to_user => "send_to_user.json",
    server_answers_400 => "server_answers_400.json",
    server_answers_404 => "server_answers_404.json",
    server_answers_500 => "server_answers_500.json",
    shut_down_simulator => "shut_down_simulator.json",
    token_provider => "token_provider.json",
    token_provider_fails => "token_provider_fails.json",
    ttl_less_mapping_cap => "ttl_less_mapping_cap.json",
    unauthorized => "unauthorized.json",
    user_group_ttl => "user_group_ttl.json",
    user_groups => "user_groups.json",
}

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios")
}

#[test]
fn every_scenario_file_has_a_test_per_api_version() {
    // Each file with the versions it declares (both unless `api_versions` pins it).
    let on_disk: BTreeMap<String, Vec<String>> = std::fs::read_dir(scenario_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // surface.json beside them is the surface manifest (core/tests/surface.rs), not a scenario.
        .filter(|name| name.ends_with(".json") && name != "surface.json")
        .map(|name| {
            let text = std::fs::read_to_string(scenario_dir().join(&name)).unwrap();
            let scenario = Scenario::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
            (name, scenario.api_versions)
        })
        .collect();
    let listed: BTreeMap<String, Vec<String>> = LISTED
        .iter()
        .map(|(file, versions)| (file.to_string(), versions.iter().map(|v| v.to_string()).collect()))
        .collect();
    assert_eq!(
        on_disk, listed,
        "add each tests/scenarios/*.json to the scenarios! list in core/tests/scenarios.rs, \
         with `only v1` or `only v2022_06_01` where its api_versions names one version"
    );
}

#[test]
fn malformed_scenarios_are_refused_naming_the_file_step_and_field() {
    let path = scenario_dir().join("malformed/cases.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() >= 10);
    for (i, case) in cases.iter().enumerate() {
        let label = format!("cases.json[{i}]");
        let expected = format!("{label}: {}", case["error"].as_str().unwrap());
        let text = serde_json::to_string(&case["scenario"]).unwrap();
        match Scenario::parse(&label, &text) {
            Ok(_) => panic!("{label} was accepted; expected {expected}"),
            Err(message) => assert_eq!(message, expected),
        }
    }
}

// ---- the format, checked strictly before anything runs ----

const STEP_KINDS: [&str; 15] = [
    "connect",
    "disconnect",
    "call",
    "received",
    "closed",
    "open",
    "advance_clock",
    "groups",
    "hubs",
    "client_url",
    "shutdown",
    "fault",
    "clear_faults",
    "injected",
    "drop_clients",
];
const ERROR_KINDS: [&str; 7] = [
    "invalid_argument",
    "unauthorized",
    "not_found",
    "bad_request",
    "service_error",
    "timeout",
    "transport",
];
const ENDPOINTS: [&str; 4] = ["simulator", "closed_port", "stalls", "fails"];
const AUTHS: [&str; 3] = ["access_key", "token_provider", "failing_token_provider"];

/// What a field must hold.
#[derive(Clone, Copy)]
enum Type {
    Str,
    Int,
    PositiveInt,
    NonNegativeInt,
    Array,
    Object,
    StrOrNull,
    Strings,
    Expect,
    GroupMembers,
    Endpoint,
    Auth,
    ErrorExpect,
    True,
    Bool,
    Status,
    ApiVersions,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Str => "a string",
            Type::Int => "an integer",
            Type::PositiveInt => "a positive integer",
            Type::NonNegativeInt => "a non-negative integer",
            Type::Array => "an array",
            Type::Object => "an object",
            Type::StrOrNull => "a string or null",
            Type::Strings => "an array of strings",
            Type::Expect => r#""ok", true, false or {"error": kind}"#,
            Type::GroupMembers => "an object of arrays of strings",
            Type::Endpoint => "one of simulator, closed_port, stalls, fails",
            Type::Auth => "one of access_key, token_provider, failing_token_provider",
            Type::ErrorExpect => r#"{"error": kind}"#,
            Type::True => "true",
            Type::Bool => "a boolean",
            Type::Status => "an integer from 400 to 599",
            Type::ApiVersions => r#"a non-empty array of distinct "v1", "2022-06-01""#,
        }
    }

    /// Integers are JSON integers: `60.0` is not one.
    fn accepts(self, v: &Value) -> bool {
        let strings = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        match self {
            Type::Str => v.is_string(),
            Type::Int => v.is_i64() || v.is_u64(),
            Type::PositiveInt => v.as_u64().is_some_and(|n| n > 0),
            Type::NonNegativeInt => v.is_u64(),
            Type::Array => v.is_array(),
            Type::Object => v.is_object(),
            Type::StrOrNull => v.is_string() || v.is_null(),
            Type::Strings => strings(v),
            Type::Expect => match v {
                Value::String(s) => s == "ok",
                Value::Bool(_) => true,
                Value::Object(o) => {
                    o.len() == 1
                        && o.get("error")
                            .and_then(Value::as_str)
                            .is_some_and(|k| ERROR_KINDS.contains(&k))
                }
                _ => false,
            },
            Type::GroupMembers => v.as_object().is_some_and(|o| o.values().all(strings)),
            Type::Endpoint => v.as_str().is_some_and(|e| ENDPOINTS.contains(&e)),
            Type::Auth => v.as_str().is_some_and(|a| AUTHS.contains(&a)),
            Type::ErrorExpect => v.is_object() && Type::Expect.accepts(v),
            Type::True => v == &Value::Bool(true),
            Type::Bool => v.is_boolean(),
            Type::Status => v.as_u64().is_some_and(|n| (400..=599).contains(&n)),
            Type::ApiVersions => v.as_array().is_some_and(|a| {
                !a.is_empty()
                    && a.iter()
                        .all(|v| v.as_str().is_some_and(|v| API_VERSIONS.contains(&v)))
                    && a.iter().filter_map(Value::as_str).collect::<BTreeSet<_>>().len() == a.len()
            }),
        }
    }
}

type Fields = &'static [(&'static str, Type)];

/// The required and optional fields (besides `call`, `hub` and `expect`) of each operation.
fn operation_fields(op: &str) -> Option<(Fields, Fields)> {
    use Type::*;
    const SEND: Fields = &[("arguments", Array)];
    const SEND_EXCLUDING: Fields = &[("arguments", Array), ("excluded", Strings)];
    const CLOSE_MANY: Fields = &[("excluded", Strings), ("reason", Str)];
    Some(match op {
        "send_to_all" => (&[("target", Str)], SEND_EXCLUDING),
        "send_to_user" => (&[("user", Str), ("target", Str)], SEND),
        "send_to_connection" => (&[("connection", Str), ("target", Str)], SEND),
        "send_to_group" => (&[("group", Str), ("target", Str)], SEND_EXCLUDING),
        "connection_exists" => (&[("connection", Str)], &[]),
        "close_connection" => (&[("connection", Str)], &[("reason", Str)]),
        "group_exists" => (&[("group", Str)], &[]),
        "user_exists" => (&[("user", Str)], &[]),
        "add_connection_to_group" | "remove_connection_from_group" => {
            (&[("group", Str), ("connection", Str)], &[])
        }
        "user_in_group" | "remove_user_from_group" => (&[("group", Str), ("user", Str)], &[]),
        "add_user_to_group" => (&[("group", Str), ("user", Str)], &[("ttl", Int)]),
        "remove_user_from_all_groups" => (&[("user", Str)], &[]),
        "close_all_connections" => (&[], CLOSE_MANY),
        "close_group_connections" => (&[("group", Str)], CLOSE_MANY),
        "close_user_connections" => (&[("user", Str)], CLOSE_MANY),
        "remove_connection_from_all_groups" => (&[("connection", Str)], &[]),
        "negotiate" | "negotiate_with_service" => (&[], &[("user", Str)]),
        _ => return None,
    })
}

/// Unknown fields first (in the object's order), then missing ones, then types.
fn check_fields(
    at: &str,
    value: &Value,
    required: &[(&str, Type)],
    optional: &[(&str, Type)],
) -> Result<(), String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("{at}: must be an object"))?;
    let known = || required.iter().chain(optional);
    if let Some(unknown) = object.keys().find(|k| !known().any(|(name, _)| name == k)) {
        return Err(format!("{at}: unknown field \"{unknown}\""));
    }
    if let Some((missing, _)) = required.iter().find(|(name, _)| !object.contains_key(*name)) {
        return Err(format!("{at}: missing field \"{missing}\""));
    }
    for (name, kind) in known() {
        if object.get(*name).is_some_and(|v| !kind.accepts(v)) {
            return Err(format!("{at}: field \"{name}\" must be {}", kind.name()));
        }
    }
    Ok(())
}

fn check_step(at: &str, step: &Value) -> Result<(), String> {
    use Type::*;
    let object = step
        .as_object()
        .ok_or_else(|| format!("{at}: must be an object"))?;
    let kinds: Vec<&str> = STEP_KINDS
        .into_iter()
        .filter(|k| object.contains_key(*k))
        .collect();
    let [kind] = kinds[..] else {
        return Err(format!(
            "{at}: a step needs exactly one of {}",
            STEP_KINDS.join(", ")
        ));
    };
    match kind {
        "connect" => check_fields(
            at,
            step,
            &[("connect", Str), ("hub", Str)],
            &[("user", Str), ("expect", ErrorExpect)],
        ),
        "disconnect" => check_fields(at, step, &[("disconnect", Str)], &[]),
        "call" => {
            let op = step["call"]
                .as_str()
                .ok_or_else(|| format!("{at}: field \"call\" must be a string"))?;
            let (op_required, optional) =
                operation_fields(op).ok_or_else(|| format!("{at}: unknown operation \"{op}\""))?;
            let mut required = vec![("call", Str), ("hub", Str)];
            required.extend_from_slice(op_required);
            required.push(("expect", Expect));
            check_fields(at, step, &required, optional)
        }
        "received" => {
            check_fields(at, step, &[("received", Str), ("messages", Array)], &[])?;
            for (j, message) in step["messages"].as_array().unwrap().iter().enumerate() {
                check_fields(
                    &format!("{at}.messages[{j}]"),
                    message,
                    &[("target", Str), ("arguments", Array)],
                    &[],
                )?;
            }
            Ok(())
        }
        "closed" => check_fields(at, step, &[("closed", Str), ("reason", StrOrNull)], &[]),
        "open" => check_fields(at, step, &[("open", Str)], &[]),
        "advance_clock" => check_fields(at, step, &[("advance_clock", NonNegativeInt)], &[]),
        "groups" => check_fields(at, step, &[("groups", Str), ("expect", GroupMembers)], &[]),
        "hubs" => check_fields(at, step, &[("hubs", Strings)], &[]),
        "client_url" => check_fields(at, step, &[("client_url", Str), ("expect", Str)], &[]),
        "shutdown" => check_fields(at, step, &[("shutdown", True)], &[]),
        "fault" => check_fields(at, step, &[("fault", Str)], &[("expect", ErrorExpect)]),
        "clear_faults" => check_fields(at, step, &[("clear_faults", True)], &[]),
        "injected" => check_fields(at, step, &[("injected", Strings)], &[]),
        "drop_clients" => check_fields(
            at,
            step,
            &[("drop_clients", Str), ("close", Bool)],
            &[("connection", Str)],
        ),
        _ => unreachable!(),
    }
}

/// A checked scenario: its JSON, and each step's raw text (arguments keep their digits).
struct Scenario {
    file: String,
    /// The versions it runs under: `api_versions`, else both.
    api_versions: Vec<String>,
    client: Value,
    steps: Vec<Value>,
    raw_steps: Vec<HashMap<String, Box<RawValue>>>,
}

impl Scenario {
    fn parse(file: &str, text: &str) -> Result<Scenario, String> {
        use Type::*;
        let fail = |e: String| format!("{file}: {e}");
        let value: Value = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
        check_fields(
            "scenario",
            &value,
            &[("name", Str), ("steps", Array)],
            &[("client", Object), ("api_versions", ApiVersions)],
        )
        .map_err(fail)?;
        let api_versions = match value.get("api_versions") {
            Some(listed) => {
                let listed: Vec<&str> = listed
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                // In the runners' order, whatever the file's.
                API_VERSIONS
                    .iter()
                    .filter(|v| listed.contains(v))
                    .map(|v| v.to_string())
                    .collect()
            }
            None => API_VERSIONS.iter().map(|v| v.to_string()).collect(),
        };
        let client = value.get("client").cloned().unwrap_or_else(|| json!({}));
        check_fields(
            "client",
            &client,
            &[],
            &[
                ("access_key", Str),
                ("endpoint", Endpoint),
                ("status", Status),
                ("timeout_ms", PositiveInt),
                ("application", Str),
                ("auth", Auth),
                ("retries", NonNegativeInt),
            ],
        )
        .map_err(fail)?;
        let fails = client.get("endpoint").is_some_and(|e| e == "fails");
        match (fails, client.get("status").is_some()) {
            (true, false) => return Err(fail(r#"client: missing field "status""#.into())),
            (false, true) => {
                return Err(fail(
                    r#"client: field "status" is only for "endpoint": "fails""#.into(),
                ))
            }
            _ => {}
        }
        let steps = value["steps"].as_array().unwrap().clone();
        for (i, step) in steps.iter().enumerate() {
            check_step(&format!("steps[{i}]"), step).map_err(fail)?;
        }
        #[derive(serde::Deserialize)]
        struct Raw {
            steps: Vec<HashMap<String, Box<RawValue>>>,
        }
        let raw: Raw = serde_json::from_str(text).map_err(|e| fail(e.to_string()))?;
        Ok(Scenario {
            file: file.to_string(),
            api_versions,
            client,
            steps,
            raw_steps: raw.steps,
        })
    }
}

/// JSON text without the whitespace between tokens, to compare texts.
fn minified(text: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::with_capacity(text.len()), false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !c.is_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

// ---- what the client talks to ----

/// Servers a scenario's client may be pointed at instead of the simulator; dropped with the run.
#[derive(Default)]
struct Endpoints {
    _stalling: Option<std::net::TcpListener>,
    failing: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Endpoints {
    fn drop(&mut self) {
        if let Some(server) = &self.failing {
            server.abort();
        }
    }
}

impl Endpoints {
    /// The URL for `client.endpoint`, starting the server it names.
    async fn url(&mut self, client: &Value, sim: &Simulator) -> String {
        let local = |port: u16| format!("http://127.0.0.1:{port}");
        match client
            .get("endpoint")
            .and_then(Value::as_str)
            .unwrap_or("simulator")
        {
            "simulator" => sim.url(),
            "closed_port" => {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                local(listener.local_addr().unwrap().port()) // closed when dropped here
            }
            "stalls" => {
                // Listening but never accepting: the kernel completes the TCP handshake, nobody answers.
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let url = local(listener.local_addr().unwrap().port());
                self._stalling = Some(listener);
                url
            }
            "fails" => {
                let status = StatusCode::from_u16(client["status"].as_u64().unwrap() as u16).unwrap();
                let body = json!({
                    "code": format!("Error.Scenario.Status{}", status.as_u16()),
                    "message": format!("the scenario's server answers every request with {}", status.as_u16()),
                })
                .to_string();
                let app = axum::Router::new().fallback(move || {
                    let body = body.clone();
                    async move { (status, [(header::CONTENT_TYPE, "application/json")], body) }
                });
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = local(listener.local_addr().unwrap().port());
                self.failing = Some(tokio::spawn(async move {
                    axum::serve(listener, app).await.unwrap();
                }));
                url
            }
            other => unreachable!("endpoint {other} passed the format check"),
        }
    }
}

// ---- replaying ----

async fn replay(file: &str, version: ApiVersion) {
    let text = std::fs::read_to_string(scenario_dir().join(file)).unwrap();
    let scenario = Scenario::parse(file, &text).unwrap_or_else(|e| panic!("{e}"));
    let version_name = match version {
        ApiVersion::V1 => "v1",
        ApiVersion::V2022_06_01 => "2022-06-01",
    };
    assert!(
        scenario.api_versions.iter().any(|v| v == version_name),
        "{file}: its api_versions {:?} do not include {version_name}",
        scenario.api_versions
    );
    let sim = Arc::new(Simulator::start(SimulatorOptions::default()).await.unwrap());
    let mut endpoints = Endpoints::default();
    let url = endpoints.url(&scenario.client, &sim).await;
    let key = scenario
        .client
        .get("access_key")
        .and_then(Value::as_str)
        .unwrap_or(sim.access_key())
        .to_string();
    // No retries unless asked: an intermittent 5xx must fail the scenario, not be retried away.
    let retries = scenario
        .client
        .get("retries")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let retry = RetryPolicy {
        max_retries: retries as u32,
        ..RetryPolicy::default()
    };
    let mut builder = ServiceClient::builder().retry(retry).api_version(version);
    builder = match scenario.client.get("auth").and_then(Value::as_str) {
        None | Some("access_key") => {
            builder.connection_string(format!("Endpoint={url};AccessKey={key};Version=1.0;"))
        }
        Some(auth) => builder.endpoint(url).token_provider(Arc::new(ScenarioTokens {
            simulator: sim.clone(),
            fails: auth == "failing_token_provider",
        })),
    };
    if let Some(ms) = scenario.client.get("timeout_ms").and_then(Value::as_u64) {
        builder = builder.timeout(Duration::from_millis(ms));
    }
    if let Some(app) = scenario.client.get("application").and_then(Value::as_str) {
        builder = builder.application_name(app);
    }
    let mut run = Run {
        sim,
        service: builder.build().unwrap(),
        clients: HashMap::new(),
    };
    for (i, step) in scenario.steps.iter().enumerate() {
        let at = format!("{} (API {version_name}): steps[{i}]", scenario.file);
        run.step(&at, step, &scenario.raw_steps[i]).await;
    }
    run.sim.shutdown().await;
    drop(endpoints);
}

/// The token provider of `"auth": "token_provider"` (the simulator signs each token, as Entra
/// ID would issue it) and of `"failing_token_provider"` (refuses, as a provider without a
/// credential).
struct ScenarioTokens {
    simulator: Arc<Simulator>,
    fails: bool,
}

impl TokenProvider for ScenarioTokens {
    fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a> {
        Box::pin(async move {
            if self.fails {
                return Err(signalr_rest::Error::Unauthorized {
                    status: None,
                    message: "the scenario's token provider has no credential".into(),
                });
            }
            self.simulator.access_token(audience, Duration::from_secs(3600))
        })
    }
}

/// `"ok"` when the simulator's `/client/negotiate` for the answer's URL accepts the token (200)
/// and the token carries `user` (as the simulator reads it: `asrs.s.uid`, else `nameid`, else
/// `sub`); otherwise what went wrong, which fails the step's `"ok"`.
async fn token_accepted(url: &str, token: &str, user: Option<&str>) -> Value {
    let Some(negotiate) = url.find("/client/?").map(|at| {
        format!(
            "{}/client/negotiate?{}",
            &url[..at],
            &url[at + "/client/?".len()..]
        )
    }) else {
        return json!({"url without /client/?": url});
    };
    let answer = reqwest::Client::new()
        .post(&negotiate)
        .bearer_auth(token)
        .send()
        .await;
    let status = match answer {
        Ok(answer) if answer.status() == reqwest::StatusCode::OK => answer.status(),
        Ok(answer) => {
            let status = answer.status().as_u16();
            let body = answer.text().await.unwrap_or_default();
            return json!({"token refused": {"url": negotiate, "status": status, "body": body}});
        }
        Err(e) => return json!({"token not checked": {"url": negotiate, "error": e.to_string()}}),
    };
    let claims: Value = match jsonwebtoken::dangerous::insecure_decode_claims(token) {
        Ok(claims) => claims,
        Err(e) => return json!({"token is no JWT": e.to_string(), "status": status.as_u16()}),
    };
    let carried = ["asrs.s.uid", "nameid", "sub"]
        .iter()
        .find_map(|claim| claims.get(*claim).and_then(Value::as_str));
    if carried == user {
        json!("ok")
    } else {
        json!({"token's user": carried, "expected": user})
    }
}

struct Run {
    sim: Arc<Simulator>,
    service: ServiceClient,
    clients: HashMap<String, VirtualClient>,
}

impl Run {
    fn client(&self, at: &str, name: &str) -> &VirtualClient {
        self.clients
            .get(name)
            .unwrap_or_else(|| panic!("{at}: no client named {name:?} connected"))
    }

    /// A connection id: `"$a"` stands for client `a`'s.
    fn id(&self, at: &str, value: &Value) -> String {
        let text = value.as_str().unwrap();
        match text.strip_prefix('$') {
            Some(name) => self.client(at, name).connection_id().to_string(),
            None => text.to_string(),
        }
    }

    async fn call(
        &self,
        at: &str,
        step: &Value,
        raw: &HashMap<String, Box<RawValue>>,
    ) -> Result<Value, signalr_rest::Error> {
        let hub = self.service.hub(step["hub"].as_str().unwrap())?;
        let text = |name: &str| step[name].as_str().unwrap();
        let message = || {
            let arguments = raw.get("arguments").map_or("[]", |a| a.get());
            PayloadMessage::from_json(step["target"].as_str().unwrap(), arguments)
        };
        let excluded: Vec<String> = step
            .get("excluded")
            .map(|ids| ids.as_array().unwrap().iter().map(|v| self.id(at, v)).collect())
            .unwrap_or_default();
        let connection = || self.id(at, &step["connection"]);
        let reason = step.get("reason").and_then(Value::as_str);
        let ok = |_: ()| json!("ok");
        match text("call") {
            "send_to_all" => hub.send_to_all(&message()?, &excluded).await.map(ok),
            "send_to_user" => hub.send_to_user(text("user"), &message()?).await.map(ok),
            "send_to_connection" => hub.send_to_connection(&connection(), &message()?).await.map(ok),
            "send_to_group" => hub
                .send_to_group(text("group"), &message()?, &excluded)
                .await
                .map(ok),
            "connection_exists" => hub.connection_exists(&connection()).await.map(Value::from),
            "close_connection" => hub
                .close_connection(&connection(), step.get("reason").and_then(Value::as_str))
                .await
                .map(ok),
            "group_exists" => hub.group_exists(text("group")).await.map(Value::from),
            "user_exists" => hub.user_exists(text("user")).await.map(Value::from),
            "add_connection_to_group" => hub
                .add_connection_to_group(text("group"), &connection())
                .await
                .map(ok),
            "remove_connection_from_group" => hub
                .remove_connection_from_group(text("group"), &connection())
                .await
                .map(ok),
            "user_in_group" => hub
                .user_in_group(text("group"), text("user"))
                .await
                .map(Value::from),
            "add_user_to_group" => {
                let ttl = step
                    .get("ttl")
                    .map(|t| model::ttl_from_secs(t.as_i64().unwrap()))
                    .transpose()?;
                hub.add_user_to_group(text("group"), text("user"), ttl)
                    .await
                    .map(ok)
            }
            "remove_user_from_group" => hub
                .remove_user_from_group(text("group"), text("user"))
                .await
                .map(ok),
            "remove_user_from_all_groups" => hub.remove_user_from_all_groups(text("user")).await.map(ok),
            "close_all_connections" => hub.close_all_connections(&excluded, reason).await.map(ok),
            "close_group_connections" => hub
                .close_group_connections(text("group"), &excluded, reason)
                .await
                .map(ok),
            "close_user_connections" => hub
                .close_user_connections(text("user"), &excluded, reason)
                .await
                .map(ok),
            "remove_connection_from_all_groups" => {
                hub.remove_connection_from_all_groups(&connection()).await.map(ok)
            }
            "negotiate" | "negotiate_with_service" => {
                let user = step.get("user").and_then(Value::as_str);
                let options = ClientTokenOptions {
                    user_id: user.map(str::to_string),
                    ..ClientTokenOptions::default()
                };
                let answer = if text("call") == "negotiate" {
                    self.service.negotiate(text("hub"), &options)?
                } else {
                    self.service.negotiate_with_service(text("hub"), &options).await?
                };
                Ok(token_accepted(&answer.url, &answer.access_token, user).await)
            }
            other => unreachable!("operation {other} passed the format check"),
        }
    }

    async fn step(&mut self, at: &str, step: &Value, raw: &HashMap<String, Box<RawValue>>) {
        let object: &Map<String, Value> = step.as_object().unwrap();
        let kind = STEP_KINDS.into_iter().find(|k| object.contains_key(*k)).unwrap();
        let name = || step[kind].as_str().unwrap();
        match kind {
            "connect" => {
                let outcome = self.sim.connect(
                    step["hub"].as_str().unwrap(),
                    step.get("user").and_then(Value::as_str),
                );
                match (outcome, step.get("expect")) {
                    (Ok(client), None) => {
                        self.clients.insert(name().to_string(), client);
                    }
                    (Err(e), Some(expect)) => {
                        assert_eq!(&json!({"error": e.kind()}), expect, "{at}: {step}\ngot {e}")
                    }
                    (Ok(_), Some(expect)) => panic!("{at}: connected; expected {expect}"),
                    (Err(e), None) => panic!("{at}: connect failed: {e}"),
                }
            }
            "disconnect" => self.client(at, name()).disconnect(),
            "call" => {
                let outcome = match self.call(at, step, raw).await {
                    Ok(value) => value,
                    Err(e) => json!({"error": e.kind(), "message": e.to_string()}),
                };
                // An error compares by kind; a refused generated token is an object without one.
                let kind_only = match outcome.get("error") {
                    Some(kind) => json!({"error": kind}),
                    None => outcome.clone(),
                };
                assert_eq!(kind_only, step["expect"], "{at}: {step}\ngot {outcome}");
            }
            "received" => {
                // Targets and argument texts: key order and number digits must match, not only values.
                let actual: Vec<(String, String)> = self
                    .client(at, name())
                    .received()
                    .into_iter()
                    .map(|m| (m.target, minified(m.arguments.as_json())))
                    .collect();
                #[derive(serde::Deserialize)]
                struct Message<'a> {
                    target: String,
                    #[serde(borrow)]
                    arguments: &'a RawValue,
                }
                let expected: Vec<Message> = serde_json::from_str(raw["messages"].get()).unwrap();
                let expected: Vec<(String, String)> = expected
                    .into_iter()
                    .map(|m| (m.target, minified(m.arguments.get())))
                    .collect();
                assert_eq!(actual, expected, "{at}: {step}");
            }
            "closed" => {
                let client = self.client(at, name());
                assert!(client.is_closed(), "{at}: client {} is not closed", name());
                let reason = client.close_reason().map(Value::from).unwrap_or(Value::Null);
                assert_eq!(reason, step["reason"], "{at}: {step}");
            }
            "open" => {
                let client = self.client(at, name());
                assert!(
                    !client.is_closed(),
                    "{at}: client {} was closed (reason {:?})",
                    name(),
                    client.close_reason()
                );
            }
            "advance_clock" => self
                .sim
                .advance_clock(Duration::from_secs(step[kind].as_u64().unwrap())),
            "groups" => {
                let actual: BTreeMap<String, BTreeSet<String>> = self
                    .sim
                    .groups(name())
                    .into_iter()
                    .map(|g| (g.name, g.connection_ids.into_iter().collect()))
                    .collect();
                let expected: BTreeMap<String, BTreeSet<String>> = step["expect"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(g, ids)| {
                        (
                            g.clone(),
                            ids.as_array().unwrap().iter().map(|v| self.id(at, v)).collect(),
                        )
                    })
                    .collect();
                assert_eq!(actual, expected, "{at}: {step}");
            }
            "hubs" => {
                let expected: Vec<&str> = step["hubs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap())
                    .collect();
                assert_eq!(self.sim.hubs(), expected, "{at}: {step}");
            }
            "client_url" => {
                let url = self.service.client_url(name());
                let expected = format!("{}{}", self.sim.url(), step["expect"].as_str().unwrap());
                assert_eq!(
                    url.as_deref().map_err(ToString::to_string),
                    Ok(expected.as_str()),
                    "{at}: {step}"
                );
            }
            "shutdown" => self.sim.shutdown().await,
            "fault" => match (name().parse::<Fault>(), step.get("expect")) {
                (Ok(fault), None) => {
                    self.sim.add_fault(fault);
                }
                (Err(e), Some(expect)) => {
                    assert_eq!(&json!({"error": e.kind()}), expect, "{at}: {step}\ngot {e}")
                }
                (Ok(_), Some(expect)) => panic!("{at}: the rule was accepted; expected {expect}"),
                (Err(e), None) => panic!("{at}: the rule was refused: {e}"),
            },
            "clear_faults" => self.sim.clear_faults(),
            "injected" => {
                let actual: Vec<String> = self.sim.injected_faults().into_iter().map(|i| i.fault).collect();
                assert_eq!(json!(actual), step["injected"], "{at}: {step}");
            }
            "drop_clients" => {
                let connection = step.get("connection").map(|v| self.id(at, v));
                self.sim
                    .drop_clients(name(), connection.as_deref(), step["close"].as_bool().unwrap())
                    .unwrap_or_else(|e| panic!("{at}: {e}"));
            }
            other => unreachable!("step kind {other} passed the format check"),
        }
    }
}
