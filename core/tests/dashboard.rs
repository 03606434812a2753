//! The simulator's dashboard over real sockets: its page, snapshot and event stream, and the
//! option that turns it off. tests/dashboard drives the page itself in Chromium.

mod raw_ws;

use std::time::Duration;

use serde_json::{json, Value};
use signalr_rest::simulator::{UpstreamTemplate, DASHBOARD_PATH};
use signalr_rest::{HubClient, PayloadMessage, ServiceClient, Simulator, SimulatorOptions};

async fn simulator(dashboard: Option<bool>) -> Simulator {
    Simulator::start(SimulatorOptions {
        dashboard,
        ..SimulatorOptions::default()
    })
    .await
    .unwrap()
}

/// The REST client of hub `chat` (an intended 404 is not retried by the default policy).
fn chat(sim: &Simulator) -> HubClient {
    ServiceClient::from_connection_string(&sim.connection_string())
        .and_then(|client| client.hub("chat"))
        .unwrap()
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_policy_on_loopback_by_default() {
    let sim = simulator(None).await;
    let url = sim.dashboard_url().expect("served on loopback by default");
    assert_eq!(url, format!("{}{DASHBOARD_PATH}", sim.url()));
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["content-security-policy"],
        "default-src 'self'; frame-ancestors 'none'"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script src="app.js" defer></script>"#), "{html}");
    assert!(!html.contains(sim.access_key()));
    for asset in ["app.js", "style.css"] {
        let answer = reqwest::get(format!("{url}{asset}")).await.unwrap();
        assert_eq!(answer.status(), 200, "{asset}");
    }
    let root = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(sim.url())
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), 307);
    assert_eq!(root.headers()["location"], DASHBOARD_PATH);
    sim.shutdown().await;
}

#[tokio::test]
async fn turned_off_there_is_no_page_and_no_token_endpoint() {
    let sim = simulator(Some(false)).await;
    assert_eq!(sim.dashboard_url(), None);
    for path in ["/", "/dashboard/", "/dashboard/api/snapshot"] {
        let answer = reqwest::get(format!("{}{path}", sim.url())).await.unwrap();
        assert_eq!(answer.status(), 404, "{path}");
    }
    let token = reqwest::Client::new()
        .post(format!("{}/dashboard/api/token", sim.url()))
        .header("content-type", "application/json")
        .body(json!({"path": "/api/v1/hubs/chat"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_snapshot_shows_connections_groups_and_mappings() {
    let sim = simulator(None).await;
    let alice = sim.connect("Chat", Some("alice")).unwrap();
    let _anonymous = sim.connect("chat", None).unwrap();
    let hub = chat(&sim);
    hub.add_connection_to_group("room", alice.connection_id())
        .await
        .unwrap();
    hub.add_user_to_group("vip", "alice", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    let snapshot: Value = reqwest::get(format!("{}/dashboard/api/snapshot", sim.url()))
        .await
        .unwrap()
        .text()
        .await
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap();
    let now = snapshot["now"].as_u64().unwrap();
    let chat = &snapshot["hubs"][0];
    assert_eq!(chat["name"], "chat");
    assert_eq!(chat["connectionCount"], 2);
    let listed = chat["connections"].as_array().unwrap();
    let row = listed.iter().find(|c| c["id"] == alice.connection_id()).unwrap();
    assert_eq!(row["user"], "alice");
    assert_eq!(row["protocol"], "virtual");
    assert_eq!(row["queuedBytes"], 0);
    assert_eq!(row["groups"], json!(["room", "vip"]));
    assert!(row["connectedAt"].as_u64().unwrap() <= now);
    assert_eq!(
        chat["groups"],
        json!([
            {"name": "room", "connections": [alice.connection_id()]},
            {"name": "vip", "connections": [alice.connection_id()]},
        ])
    );
    let mapping = &chat["userGroups"][0];
    assert_eq!(
        (&mapping["user"], &mapping["group"]),
        (&json!("alice"), &json!("vip"))
    );
    let expires = mapping["expiresAt"].as_u64().unwrap();
    assert!(
        (now + 59_000..=now + 60_000).contains(&expires),
        "{expires} vs {now}"
    );
    sim.shutdown().await;
}

/// Reads the event stream until `wanted` (a fragment of an event's text) shows up.
async fn read_events_until(response: &mut reqwest::Response, wanted: &[&str]) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !wanted.iter().all(|w| seen.contains(w)) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {wanted:?} in the event stream: {seen}"))
            .unwrap()
            .expect("the stream ended");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

#[tokio::test]
async fn the_event_stream_carries_requests_deliveries_connections_and_snapshots() {
    let sim = simulator(None).await;
    let bob = sim.connect("chat", Some("bob")).unwrap();
    let mut events = reqwest::get(format!("{}/dashboard/api/events", sim.url()))
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    // History first: bob connected before the page opened.
    read_events_until(&mut events, &[r#""kind":"connected""#, r#""user":"bob""#]).await;
    chat(&sim)
        .send_to_user("bob", &PayloadMessage::new("news", vec![json!(1)]))
        .await
        .unwrap();
    let seen = read_events_until(
        &mut events,
        &[
            r#""kind":"delivery","hub":"chat","to":"user","name":"bob","target":"news","recipients":1"#,
            r#""method":"POST","path":"/api/v1/hubs/chat/users/bob","hub":null,"status":202"#,
            "event: snapshot",
        ],
    )
    .await;
    assert!(seen.contains("event: activity"), "{seen}");
    let missing = chat(&sim).add_connection_to_group("room", "nobody").await;
    assert!(missing.is_err());
    read_events_until(
        &mut events,
        &[r#""status":404"#, r#""errorCode":"Error.Connection.NotExisted""#],
    )
    .await;
    drop(bob);
    read_events_until(&mut events, &[r#""kind":"disconnected""#]).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn upstream_calls_show_in_the_event_stream_failed_ones_with_the_reason() {
    // Port 1 on loopback refuses: the call fails, and the page says why.
    let (sim, service) = raw_ws::setup_with(SimulatorOptions {
        upstreams: vec![UpstreamTemplate::new(
            "http://127.0.0.1:1/{hub}/{category}/{event}",
        )],
        upstream_timeout: Duration::from_secs(5),
        ..SimulatorOptions::default()
    })
    .await;
    let mut events = reqwest::get(format!("{}/dashboard/api/events", sim.url()))
        .await
        .unwrap();
    let _socket = raw_ws::connected(&sim, &service, Some("carol"), "json").await;
    read_events_until(
        &mut events,
        &[
            r#""kind":"upstream","hub":"chat""#,
            r#""category":"connections","event":"connected","url":"http://127.0.0.1:1/chat/connections/connected","status":null"#,
        ],
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_faults_show_in_the_event_stream() {
    let sim = Simulator::start(SimulatorOptions {
        faults: vec!["502;route=send;times=1".parse().unwrap()],
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let mut events = reqwest::get(format!("{}/dashboard/api/events", sim.url()))
        .await
        .unwrap();
    let error = chat(&sim)
        .send_to_all(&PayloadMessage::new("t", vec![json!(1)]), &[])
        .await
        .unwrap_err();
    assert!(error.to_string().contains("502"), "{error}");
    read_events_until(
        &mut events,
        &[
            r#""kind":"fault","fault":"502;route=send;times=1""#,
            r#""status":502,"errorCode":"Error.Simulator.InjectedFault""#,
            r#""fault":"502;route=send;times=1","at""#,
        ],
    )
    .await;
    sim.shutdown().await;
}
