//! Fault injection over real sockets: what clients see of injected statuses, delays, resets,
//! dropped and paused WebSocket clients; the control endpoint; the activity feed.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use signalr_rest::listener::{HubListener, ListenerEvent};
use signalr_rest::simulator::{Fault, FaultAction, FaultRoute};
use signalr_rest::{
    ClientTokenOptions, Error, HubClient, PayloadMessage, RetryPolicy, ServiceClient, Simulator,
    SimulatorOptions,
};

async fn simulator(faults: &[&str]) -> Simulator {
    Simulator::start(SimulatorOptions {
        faults: faults.iter().map(|f| f.parse().unwrap()).collect(),
        ..SimulatorOptions::default()
    })
    .await
    .unwrap()
}

fn service(sim: &Simulator, retries: u32) -> ServiceClient {
    ServiceClient::builder()
        .connection_string(sim.connection_string())
        .retry(RetryPolicy {
            max_retries: retries,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn chat(sim: &Simulator, retries: u32) -> HubClient {
    service(sim, retries).hub("chat").unwrap()
}

fn message(n: i64) -> PayloadMessage {
    PayloadMessage::new("t", vec![json!(n)])
}

async fn listener(sim: &Simulator) -> HubListener {
    HubListener::connect(&service(sim, 0), "chat", &ClientTokenOptions::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn retry_after_is_waited_before_the_send_is_retried_and_delivered_once() {
    let sim = simulator(&["429;route=send;times=1;retry-after=1"]).await;
    let client = sim.connect("chat", None).unwrap();
    let started = Instant::now();
    chat(&sim, 1).send_to_all(&message(1), &[]).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.received().len(), 1);
    let injected = sim.injected_faults();
    assert_eq!(injected.len(), 1);
    assert_eq!(injected[0].target, "POST /api/v1/hubs/chat");
    assert_eq!(injected[0].hub.as_deref(), Some("chat"));
    assert!(sim.faults().is_empty(), "the rule ran out");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_delay_holds_the_request_and_then_lets_it_through() {
    let sim = simulator(&[]).await;
    sim.add_fault("delay=300ms;route=group".parse().unwrap());
    let hub = chat(&sim, 0);
    let started = Instant::now();
    assert!(!hub.group_exists("g").await.unwrap());
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(sim.faults()[0].injected, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_reset_ends_the_tcp_connection_without_an_answer() {
    let sim = simulator(&["reset;route=health"]).await;
    let error = reqwest::get(format!("{}/api/v1/health", sim.url()))
        .await
        .unwrap_err();
    assert!(!error.is_status() && !error.is_timeout(), "{error:?}");
    // Other requests, on new connections, are served.
    let ok = reqwest::get(format!("{}/api/v1/hubs/chat/groups/g", sim.url()))
        .await
        .unwrap();
    assert_eq!(ok.status(), 401, "unauthenticated, but answered");
    sim.shutdown().await;
}

#[tokio::test]
async fn negotiate_can_be_refused_and_a_fraction_with_a_seed_repeats() {
    let sim = simulator(&["503;route=negotiate;hub=chat"]).await;
    let refused = HubListener::connect(&service(&sim, 0), "chat", &ClientTokenOptions::default()).await;
    assert!(refused.is_err());
    HubListener::connect(&service(&sim, 0), "other", &ClientTokenOptions::default())
        .await
        .unwrap();
    sim.shutdown().await;

    let pattern = |seed| async move {
        let sim = Simulator::start(SimulatorOptions {
            faults: vec!["500;route=send;fraction=0.5".parse().unwrap()],
            fault_seed: Some(seed),
            ..SimulatorOptions::default()
        })
        .await
        .unwrap();
        let hub = chat(&sim, 0);
        let mut hits = Vec::new();
        for n in 0..32 {
            hits.push(hub.send_to_all(&message(n), &[]).await.is_err());
        }
        sim.shutdown().await;
        hits
    };
    let first = pattern(11).await;
    assert_eq!(first, pattern(11).await);
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
}

#[tokio::test]
async fn a_paused_socket_client_gets_what_was_sent_during_the_pause_afterwards() {
    let sim = simulator(&[]).await;
    let mut client = listener(&sim).await;
    let virtual_client = sim.connect("chat", None).unwrap();
    let paused = sim
        .pause_clients("chat", None, Duration::from_millis(500))
        .unwrap();
    assert_eq!(
        paused,
        [client.connection_id().to_string()],
        "the virtual client has no socket"
    );
    let sent = Instant::now();
    chat(&sim, 0).send_to_all(&message(7), &[]).await.unwrap();
    assert_eq!(virtual_client.received().len(), 1);
    let event = client.next().await.unwrap();
    assert_eq!(event, Some(ListenerEvent::Invocation(message(7))));
    assert!(
        sent.elapsed() >= Duration::from_millis(400),
        "{:?}",
        sent.elapsed()
    );
    assert!(sim
        .pause_clients("chat", None, Duration::from_secs(7200))
        .is_err());
    let injected = sim.injected_faults();
    assert_eq!(injected[0].fault, "pause=500ms");
    sim.shutdown().await;
}

#[tokio::test]
async fn dropped_socket_clients_see_a_close_or_a_lost_connection() {
    let sim = simulator(&[]).await;
    let mut closed = listener(&sim).await;
    let id = closed.connection_id().to_string();
    assert_eq!(sim.drop_clients("chat", Some(&id), true).unwrap(), [id]);
    assert_eq!(
        closed.next().await.unwrap(),
        Some(ListenerEvent::Closed {
            error: Some("the simulator dropped the connection (fault injection)".into())
        })
    );
    let mut lost = listener(&sim).await;
    sim.drop_clients("chat", None, false).unwrap();
    // No Close message: the socket just ends.
    match lost.next().await {
        Ok(None) | Err(Error::Transport(_)) => {}
        other => panic!("expected the connection to end without a Close, got {other:?}"),
    }
    assert!(sim.connections("chat").is_empty());
    assert!(sim.drop_clients("bad hub!", None, true).is_err());
    sim.shutdown().await;
}

async fn body(response: reqwest::Response) -> Value {
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

#[tokio::test]
async fn the_control_endpoint_needs_a_token_and_drives_the_same_rules() {
    let sim = simulator(&[]).await;
    let http = reqwest::Client::new();
    let url = format!("{}/simulator/faults", sim.url());
    let token = |url: &str| sim.access_token(url, Duration::from_secs(60)).unwrap();
    let anonymous = http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let added = http
        .post(&url)
        .bearer_auth(token(&url))
        .body(json!({"fault": "503;route=send;times=1"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let id = body(added).await["id"].as_str().unwrap().to_string();
    assert_eq!(sim.faults()[0].id, id);
    assert_eq!(
        sim.faults()[0].fault,
        Fault {
            route: Some(FaultRoute::Send),
            times: Some(1),
            ..Fault::new(FaultAction::Status {
                status: 503,
                retry_after: None
            })
        }
    );
    let bad = http
        .post(&url)
        .bearer_auth(token(&url))
        .body(json!({"fault": "503;times=-1"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("times \\\"-1\\\""));
    // Faults never apply to the control endpoint itself.
    sim.add_fault("500".parse().unwrap());
    let listed = body(http.get(&url).bearer_auth(token(&url)).send().await.unwrap()).await;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 2);
    let drop_url = format!("{}/simulator/hubs/chat/dropClients", sim.url());
    let virtual_client = sim.connect("chat", None).unwrap();
    let dropped = http
        .post(&drop_url)
        .bearer_auth(token(&drop_url))
        .body(json!({"close": false}).to_string())
        .send()
        .await
        .unwrap();
    let dropped = body(dropped).await;
    assert_eq!(dropped, json!({"connections": [virtual_client.connection_id()]}));
    assert!(virtual_client.is_closed());
    let cleared = http.delete(&url).bearer_auth(token(&url)).send().await.unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(sim.faults().is_empty());
    sim.shutdown().await;
}

/// The README's fault-injection example, word for word.
#[tokio::test]
async fn readme_example() -> signalr_rest::Result<()> {
    let sim = Simulator::start(SimulatorOptions {
        faults: vec!["503;route=send;times=1".parse()?],
        fault_seed: Some(42),
        ..SimulatorOptions::default()
    })
    .await?;
    let browser = sim.connect("chat", None)?;
    let hub = ServiceClient::from_connection_string(&sim.connection_string())?.hub("chat")?;
    // The empty 503 is retried (nothing was delivered), so the message arrives once.
    hub.send_to_all(&PayloadMessage::new("news", vec![json!("hi")]), &[])
        .await?;
    assert_eq!(browser.received().len(), 1);
    assert_eq!(sim.injected_faults()[0].fault, "503;route=send;times=1");

    sim.add_fault("429;hub=chat;retry-after=1;times=1".parse()?);
    sim.drop_clients("chat", None, false)?; // the socket ends without a Close
    sim.shutdown().await;
    Ok(())
}
