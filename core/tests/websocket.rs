//! Real SignalR connections to the simulator: negotiate, WebSocket, JSON and MessagePack.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use signalr_rest::protocol::{decode_json, decode_msgpack, HubMessage};
use signalr_rest::{
    ClientTokenOptions, HubListener, ListenerEvent, PayloadMessage, Simulator, SimulatorOptions,
};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

mod raw_ws;

use raw_ws::{client_token, eventually, handshake, raw_socket, setup, WAIT};

fn as_user(user: &str) -> ClientTokenOptions {
    ClientTokenOptions {
        user_id: Some(user.into()),
        ..Default::default()
    }
}

fn msg(target: &str, args: Value) -> PayloadMessage {
    PayloadMessage::new(target, args.as_array().cloned().unwrap_or_default())
}

async fn next_invocation(listener: &mut HubListener) -> PayloadMessage {
    match timeout(WAIT, listener.next())
        .await
        .expect("no message in time")
        .unwrap()
    {
        Some(ListenerEvent::Invocation(m)) => m,
        other => panic!("expected an invocation, got {other:?}"),
    }
}

#[tokio::test]
async fn a_negotiated_client_receives_every_kind_of_send() {
    let (_sim, service) = setup().await;
    let hub = service.hub("chat").unwrap();
    let mut alice = HubListener::connect(&service, "chat", &as_user("alice"))
        .await
        .unwrap();
    let id = alice.connection_id().to_string();
    assert!(hub.connection_exists(&id).await.unwrap());
    assert!(hub.user_exists("alice").await.unwrap());

    hub.send_to_all(&msg("all", json!([1, {"a": [true, null]}])), &[])
        .await
        .unwrap();
    assert_eq!(
        next_invocation(&mut alice).await,
        msg("all", json!([1, {"a": [true, null]}]))
    );
    hub.send_to_user("alice", &msg("user", json!(["é🙂"])))
        .await
        .unwrap();
    assert_eq!(next_invocation(&mut alice).await, msg("user", json!(["é🙂"])));
    hub.send_to_connection(&id, &msg("conn", json!([])))
        .await
        .unwrap();
    assert_eq!(next_invocation(&mut alice).await.target, "conn");
    hub.add_user_to_group("room", "alice", None).await.unwrap();
    hub.send_to_group("room", &msg("group", json!([])), &[])
        .await
        .unwrap();
    assert_eq!(next_invocation(&mut alice).await.target, "group");

    hub.send_to_all(&msg("skipped", json!([])), std::slice::from_ref(&id))
        .await
        .unwrap();
    hub.send_to_user("bob", &msg("skipped", json!([]))).await.unwrap();
    hub.remove_user_from_group("room", "alice").await.unwrap();
    hub.send_to_group("room", &msg("skipped", json!([])), &[])
        .await
        .unwrap();
    hub.send_to_connection(&id, &msg("control", json!([])))
        .await
        .unwrap();
    assert_eq!(
        next_invocation(&mut alice).await.target,
        "control",
        "nothing else came first"
    );

    alice.close().await.unwrap();
    assert!(eventually(|| async { !hub.connection_exists(&id).await.unwrap() }).await);
}

#[tokio::test]
async fn connecting_joins_the_groups_the_user_is_mapped_to() {
    let (sim, service) = setup().await;
    let hub = service.hub("chat").unwrap();
    hub.add_user_to_group("room", "alice", None).await.unwrap();
    let mut alice = HubListener::connect(&service, "chat", &as_user("alice"))
        .await
        .unwrap();
    assert_eq!(
        sim.groups("chat")[0].connection_ids,
        vec![alice.connection_id().to_string()]
    );
    hub.send_to_group("room", &msg("hi", json!([])), &[])
        .await
        .unwrap();
    assert_eq!(next_invocation(&mut alice).await.target, "hi");
}

#[tokio::test]
async fn a_user_with_two_connections_gets_both_copies() {
    let (_sim, service) = setup().await;
    let mut first = HubListener::connect(&service, "chat", &as_user("alice"))
        .await
        .unwrap();
    let mut second = HubListener::connect(&service, "chat", &as_user("alice"))
        .await
        .unwrap();
    let hub = service.hub("chat").unwrap();
    hub.send_to_user("alice", &msg("both", json!([2]))).await.unwrap();
    assert_eq!(next_invocation(&mut first).await.target, "both");
    assert_eq!(next_invocation(&mut second).await.target, "both");
}

#[tokio::test]
async fn rest_close_sends_the_reason_then_closes_normally() {
    let (_sim, service) = setup().await;
    let hub = service.hub("chat").unwrap();
    let mut client = HubListener::connect(&service, "chat", &Default::default())
        .await
        .unwrap();
    hub.close_connection(client.connection_id(), Some("go away"))
        .await
        .unwrap();
    let event = timeout(WAIT, client.next()).await.unwrap().unwrap();
    assert_eq!(
        event,
        Some(ListenerEvent::Closed {
            error: Some("go away".into())
        })
    );
    assert_eq!(timeout(WAIT, client.next()).await.unwrap().unwrap(), None);
    assert!(!hub.connection_exists(client.connection_id()).await.unwrap());
}

/// A raw WebSocket to `/client/` with the query and bearer given.
async fn negotiate(sim: &Simulator, token: &str, version: Option<u32>) -> reqwest::Response {
    let mut url = format!("{}/client/negotiate?hub=chat", sim.url());
    if let Some(v) = version {
        url.push_str(&format!("&negotiateVersion={v}"));
    }
    reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn negotiate_answers_version_1_with_a_token_and_version_0_without() {
    let (sim, service) = setup().await;
    let token = client_token(&service, Some("alice"));
    let v1: Value =
        serde_json::from_str(&negotiate(&sim, &token, Some(1)).await.text().await.unwrap()).unwrap();
    assert_eq!(v1["negotiateVersion"], 1);
    assert!(v1["connectionToken"].is_string() && v1["connectionId"].is_string());
    assert_eq!(
        v1["availableTransports"],
        json!([{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}])
    );
    let v0: Value = serde_json::from_str(&negotiate(&sim, &token, None).await.text().await.unwrap()).unwrap();
    assert_eq!(v0["negotiateVersion"], 0);
    assert!(v0.get("connectionToken").is_none());
    assert!(
        v0.as_object().unwrap().values().all(|v| !v.is_null()),
        "no null fields: {v0}"
    );
}

#[tokio::test]
async fn negotiate_refuses_bad_client_tokens_with_a_reason() {
    let (sim, service) = setup().await;
    let other = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let foreign = raw_ws::client_of(&other);
    let cases = [
        (client_token(&foreign, None), "signature"),
        (
            service.client_access_token("other", &Default::default()).unwrap(),
            "audience",
        ),
        ("garbage".to_string(), "malformed"),
    ];
    for (token, why) in cases {
        let response = negotiate(&sim, &token, Some(1)).await;
        assert_eq!(response.status(), 401, "{why}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(challenge.contains(why), "{challenge}");
    }
}

#[tokio::test]
async fn cors_preflight_echoes_the_origin_with_credentials_and_allows_the_headers_asked_for() {
    let (sim, _service) = setup().await;
    let response = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/client/negotiate?hub=chat", sim.url()),
        )
        .header("origin", "http://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,x-signalr-user-agent,x-requested-with,x-ms-signalr-user-id",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "http://app.example");
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in [
        "authorization",
        "x-signalr-user-agent",
        "x-requested-with",
        "x-ms-signalr-user-id",
    ] {
        assert!(allowed.contains(header), "{allowed}");
    }
}

#[tokio::test]
async fn unknown_ids_get_404_and_a_second_socket_gets_409() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    assert_eq!(
        raw_socket(&sim, "hub=chat&id=nope", Some(&token))
            .await
            .unwrap_err(),
        404
    );
    let v1: Value =
        serde_json::from_str(&negotiate(&sim, &token, Some(1)).await.text().await.unwrap()).unwrap();
    let query = format!("hub=chat&id={}", v1["connectionToken"].as_str().unwrap());
    let _first = raw_socket(&sim, &query, Some(&token)).await.unwrap();
    assert_eq!(raw_socket(&sim, &query, Some(&token)).await.unwrap_err(), 409);
    assert_eq!(raw_socket(&sim, "hub=chat", None).await.unwrap_err(), 401);
}

#[tokio::test]
async fn skip_negotiation_with_a_query_token_and_messagepack_receives_binary_invocations() {
    let (sim, service) = setup().await;
    let token = client_token(&service, Some("bob"));
    let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    assert_eq!(
        handshake(&mut socket, r#"{"protocol":"messagepack","version":1}"#).await,
        "{}\u{1e}"
    );
    let hub = service.hub("chat").unwrap();
    assert!(eventually(|| async { hub.user_exists("bob").await.unwrap() }).await);
    hub.send_to_user("bob", &msg("packed", json!([1, "x", {"k": 2.5}])))
        .await
        .unwrap();
    let Message::Binary(bytes) = timeout(WAIT, socket.next()).await.unwrap().unwrap().unwrap() else {
        panic!("expected a binary frame")
    };
    assert_eq!(
        decode_msgpack(&bytes).unwrap(),
        vec![HubMessage::Invocation(msg("packed", json!([1, "x", {"k": 2.5}])))]
    );
}

#[tokio::test]
async fn an_unknown_protocol_gets_an_error_handshake() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    let reply = handshake(&mut socket, r#"{"protocol":"xml","version":1}"#).await;
    assert!(reply.contains("error") && reply.contains("xml"), "{reply}");
    assert!(sim.connections("chat").is_empty());
}

#[tokio::test]
async fn a_client_invocation_is_answered_with_a_close_error() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    handshake(&mut socket, r#"{"protocol":"json","version":1}"#).await;
    let call = r#"{"type":1,"invocationId":"1","target":"SendMessage","arguments":[]}"#;
    socket
        .send(Message::Text(format!("{call}\u{1e}").into()))
        .await
        .unwrap();
    let Message::Text(text) = timeout(WAIT, socket.next()).await.unwrap().unwrap().unwrap() else {
        panic!()
    };
    match &decode_json(&text).unwrap()[0] {
        HubMessage::Close {
            error: Some(e),
            allow_reconnect: false,
        } => assert!(e.contains("SendMessage"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(eventually(|| async { sim.connections("chat").is_empty() }).await);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_without_blocking_others() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    let mut stalled = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    handshake(&mut stalled, r#"{"protocol":"json","version":1}"#).await;
    let mut reader = HubListener::connect(&service, "chat", &Default::default())
        .await
        .unwrap();
    let hub = service.hub("chat").unwrap();
    let payload = json!(["x".repeat(16 * 1024)]);
    // Enough to overflow the byte bound twice over, and the frame bound on its own.
    let total = (2 * signalr_rest::simulator::QUEUE_CAPACITY_BYTES / (16 * 1024))
        .max(signalr_rest::simulator::QUEUE_CAPACITY + 100);
    let received = tokio::spawn(async move {
        for _ in 0..total {
            next_invocation(&mut reader).await;
        }
        reader
    });
    for _ in 0..total {
        hub.send_to_all(&msg("bulk", payload.clone()), &[]).await.unwrap();
    }
    timeout(Duration::from_secs(60), received)
        .await
        .expect("the reading client got everything")
        .unwrap();
    assert_eq!(sim.connections("chat").len(), 1, "the stalled client was closed");
    drop(stalled);
}

#[tokio::test]
async fn a_silent_connection_gets_pings_at_the_ping_interval() {
    let sim = Simulator::start(SimulatorOptions {
        ping_interval: Duration::from_millis(200),
        ..Default::default()
    })
    .await
    .unwrap();
    let service = raw_ws::client_of(&sim);
    let token = client_token(&service, Some("u"));
    let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    handshake(&mut socket, r#"{"protocol":"json","version":1}"#).await;
    // The interval runs from the server's last send, which happens after this instant; so the
    // ping cannot arrive sooner than one interval after it, however loaded the machine is.
    let sent = tokio::time::Instant::now();
    let hub = service.hub("chat").unwrap();
    hub.send_to_user("u", &msg("marker", json!([]))).await.unwrap();
    assert!(matches!(&next_text(&mut socket).await[..], [HubMessage::Invocation(m)] if m.target == "marker"));
    assert_eq!(next_text(&mut socket).await, vec![HubMessage::Ping]);
    assert!(
        sent.elapsed() >= Duration::from_millis(200),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(
        next_text(&mut socket).await,
        vec![HubMessage::Ping],
        "and again while silence lasts"
    );
}

/// The hub messages of the next text frame.
async fn next_text(socket: &mut raw_ws::Socket) -> Vec<HubMessage> {
    let Message::Text(text) = timeout(WAIT, socket.next()).await.unwrap().unwrap().unwrap() else {
        panic!("expected a text frame")
    };
    decode_json(&text).unwrap()
}

#[tokio::test]
async fn a_client_that_closes_gets_a_close_frame_back() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    handshake(&mut socket, r#"{"protocol":"json","version":1}"#).await;
    socket
        .send(Message::Text("{\"type\":7}\u{1e}".into()))
        .await
        .unwrap();
    let reply = timeout(WAIT, socket.next()).await.unwrap();
    match reply {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1000),
        other => panic!("expected a close frame, got {other:?}"),
    }
    assert!(eventually(|| async { sim.connections("chat").is_empty() }).await);
}

#[tokio::test]
async fn messages_longer_than_a_frame_arrive_whole_in_both_protocols() {
    let (sim, service) = setup().await;
    let hub = service.hub("chat").unwrap();
    // Larger than the simulator's largest frame, and not a multiple of it; multi-byte characters
    // straddle fragment boundaries in the JSON text.
    let big = "é🙂x".repeat(30_001);
    for (protocol, user) in [("json", "text"), ("messagepack", "binary")] {
        let token = client_token(&service, Some(user));
        let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
            .await
            .unwrap();
        let request = format!(r#"{{"protocol":"{protocol}","version":1}}"#);
        assert_eq!(handshake(&mut socket, &request).await, "{}\u{1e}");
        assert!(eventually(|| async { hub.user_exists(user).await.unwrap() }).await);
        hub.send_to_user(user, &msg("big", json!([big, 1])))
            .await
            .unwrap();
        let received = match timeout(WAIT, socket.next()).await.unwrap().unwrap().unwrap() {
            Message::Text(text) => decode_json(text.as_str()).unwrap(),
            Message::Binary(bytes) => decode_msgpack(&bytes).unwrap(),
            other => panic!("{protocol}: expected a data frame, got {other:?}"),
        };
        assert_eq!(
            received,
            vec![HubMessage::Invocation(msg("big", json!([big, 1])))],
            "{protocol}"
        );
    }
}

#[tokio::test]
async fn a_plain_get_of_the_client_endpoint_is_refused_naming_what_is_missing() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    let answer = reqwest::get(format!("{}/client/?hub=chat&access_token={token}", sim.url()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body = answer.text().await.unwrap();
    assert!(
        body.contains("only accepts WebSocket connections") && body.contains("Connection header"),
        "{body}"
    );
}
