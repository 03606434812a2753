//! What the simulator writes and accepts on a client WebSocket, byte for byte: the golden
//! vectors in `tests/vectors/hub-protocol.json` (worked out from ASP.NET Core's hub protocol
//! writers), handshake versions and limits, the client timeout and shutdown.

mod raw_ws;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use raw_ws::{
    client_token, connected, eventually, handshake, next_frame, raw_socket, setup, setup_with, WAIT,
};
use serde_json::value::RawValue;
use serde_json::Value;
use signalr_rest::protocol::{
    encode_close, encode_completion, encode_invocation, encode_ping, handshake_response, CompletionResult,
    Encoded, Protocol,
};
use signalr_rest::{PayloadMessage, SimulatorOptions};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/hub-protocol.json");
    let text = std::fs::read_to_string(path).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    file["vectors"].as_array().unwrap().clone()
}

/// The whole frame a vector describes: JSON text, or hex body behind its one-byte length prefix.
fn expected(vector: &Value) -> Encoded {
    if let Some(text) = vector["json"].as_str() {
        return Encoded::Text(text.to_string());
    }
    let hex: String = vector["hex_body"].as_str().unwrap().split_whitespace().collect();
    let body: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    assert!(body.len() < 128, "vectors keep to one-byte length prefixes");
    let mut frame = vec![body.len() as u8];
    frame.extend(body);
    Encoded::Binary(frame)
}

fn protocol_of(vector: &Value) -> Protocol {
    match vector["protocol"].as_str().unwrap() {
        "json" => Protocol::Json,
        "messagepack" => Protocol::MessagePack,
        other => panic!("unknown protocol {other}"),
    }
}

fn invocation_of(vector: &Value) -> PayloadMessage {
    PayloadMessage::from_json(
        vector["target"].as_str().unwrap(),
        vector["arguments"].as_str().unwrap(),
    )
    .unwrap()
}

#[test]
fn the_encoders_write_every_golden_vector_byte_for_byte() {
    let vectors = vectors();
    assert!(vectors.len() >= 19);
    for vector in &vectors {
        let protocol = protocol_of(vector);
        let written = match vector["kind"].as_str().unwrap() {
            "handshake" => Encoded::Text(handshake_response(None)),
            "invocation" => encode_invocation(protocol, &invocation_of(vector)),
            "ping" => encode_ping(protocol),
            "close" => encode_close(
                protocol,
                vector["error"].as_str(),
                vector["allow_reconnect"].as_bool().unwrap(),
            ),
            "completion" => {
                let id = vector["invocation_id"].as_str().unwrap();
                let raw = vector["result"]
                    .as_str()
                    .map(|r| RawValue::from_string(r.into()).unwrap());
                let result = match (&raw, vector["error"].as_str()) {
                    (Some(raw), _) => CompletionResult::Value(raw),
                    (None, Some(error)) => CompletionResult::Error(error),
                    (None, None) => CompletionResult::Void,
                };
                encode_completion(protocol, id, result)
            }
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(written, expected(vector), "{}", vector["name"]);
    }
}

#[tokio::test]
async fn the_simulator_sends_invocations_and_closes_exactly_as_asp_net_core() {
    let (sim, service) = setup().await;
    let hub = service.hub("chat").unwrap();
    for vector in vectors().iter().filter(|v| v["kind"] == "invocation") {
        let mut socket = connected(&sim, &service, Some("u1"), vector["protocol"].as_str().unwrap()).await;
        hub.send_to_user("u1", &invocation_of(vector)).await.unwrap();
        assert_eq!(
            next_frame(&mut socket).await,
            expected(vector),
            "{}",
            vector["name"]
        );
        socket.close(None).await.unwrap();
    }
    for vector in vectors()
        .iter()
        .filter(|v| v["kind"] == "close" && v["allow_reconnect"] == true)
    {
        let mut socket = connected(&sim, &service, Some("u1"), vector["protocol"].as_str().unwrap()).await;
        assert!(eventually(|| async { sim.connections("chat").len() == 1 }).await);
        let id = sim.connections("chat")[0].connection_id.clone();
        hub.close_connection(&id, vector["error"].as_str()).await.unwrap();
        assert_eq!(
            next_frame(&mut socket).await,
            expected(vector),
            "{}",
            vector["name"]
        );
        assert!(matches!(
            timeout(WAIT, socket.next()).await.unwrap(),
            Some(Ok(Message::Close(_)))
        ));
    }
}

#[tokio::test]
async fn pings_match_the_golden_vectors() {
    let options = SimulatorOptions {
        ping_interval: Duration::from_millis(100),
        ..SimulatorOptions::default()
    };
    let (sim, service) = setup_with(options).await;
    for vector in vectors().iter().filter(|v| v["kind"] == "ping") {
        let mut socket = connected(&sim, &service, Some("u1"), vector["protocol"].as_str().unwrap()).await;
        assert_eq!(
            next_frame(&mut socket).await,
            expected(vector),
            "{}",
            vector["name"]
        );
    }
}

#[tokio::test]
async fn handshake_versions_0_to_2_are_accepted_for_both_protocols_and_3_is_not() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    for protocol in ["json", "messagepack"] {
        for version in 0..=3 {
            let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
                .await
                .unwrap();
            let request = format!(r#"{{"protocol":"{protocol}","version":{version}}}"#);
            let reply = handshake(&mut socket, &request).await;
            if version <= 2 {
                assert_eq!(reply, "{}\u{1e}", "{request}");
            } else {
                assert!(reply.contains("\"error\"") && reply.contains('3'), "{reply}");
            }
        }
    }
}

#[tokio::test]
async fn bytes_after_a_binary_handshake_are_read_as_messagepack() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    // The handshake and an invocation of "x" in one binary frame; the invocation's bytes are
    // not UTF-8, so reading them as text would garble them.
    let mut frame = b"{\"protocol\":\"messagepack\",\"version\":1}\x1e".to_vec();
    frame.extend([0x07, 0x95, 0x01, 0x80, 0xc0, 0xa1, b'x', 0x90]);
    socket.send(Message::Binary(frame.into())).await.unwrap();
    assert_eq!(next_frame(&mut socket).await, Encoded::Text("{}\u{1e}".into()));
    let Encoded::Binary(close) = next_frame(&mut socket).await else {
        panic!("expected a MessagePack close")
    };
    let text = String::from_utf8_lossy(&close);
    assert!(text.contains("cannot invoke 'x'"), "{text}");
    assert_eq!(
        close.last(),
        Some(&0xc2),
        "no reconnect after a refused invocation"
    );
}

#[tokio::test]
async fn an_endless_handshake_is_refused_once_over_the_limit() {
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    let mut socket = raw_socket(&sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    let filler = " ".repeat(signalr_rest::simulator::MAX_HANDSHAKE_BYTES + 1);
    socket.send(Message::Text(filler.into())).await.unwrap();
    let Encoded::Text(reply) = next_frame(&mut socket).await else {
        panic!()
    };
    assert!(reply.contains("longer than"), "{reply}");
    assert!(sim.connections("chat").is_empty());
}

#[tokio::test]
async fn refused_client_messages_close_without_reconnect() {
    let (sim, service) = setup().await;
    let cases = [
        "not json\u{1e}".to_string(),
        "{\"type\":1,\"target\":\"Send\",\"arguments\":[]}\u{1e}".to_string(),
        format!(
            "{{\"type\":6,\"pad\":\"{}\"}}\u{1e}",
            "x".repeat(signalr_rest::simulator::MAX_CLIENT_MESSAGE_BYTES)
        ),
    ];
    for message in cases {
        let mut socket = connected(&sim, &service, Some("u1"), "json").await;
        socket.send(Message::Text(message.into())).await.unwrap();
        let Encoded::Text(close) = next_frame(&mut socket).await else {
            panic!()
        };
        let close: Value = serde_json::from_str(close.trim_end_matches('\u{1e}')).unwrap();
        assert_eq!(close["type"], 7);
        assert!(close["error"].is_string(), "{close}");
        assert!(close.get("allowReconnect").is_none(), "{close}");
    }
    assert!(eventually(|| async { sim.connections("chat").is_empty() }).await);
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_client_timeout_and_a_pinging_one_stays() {
    let options = SimulatorOptions {
        client_timeout: Duration::from_millis(500),
        ..SimulatorOptions::default()
    };
    let (sim, service) = setup_with(options).await;
    let mut silent = connected(&sim, &service, Some("u1"), "json").await;
    let mut pinging = connected(&sim, &service, Some("u1"), "json").await;
    assert_eq!(sim.connections("chat").len(), 2);
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        pinging
            .send(Message::Text("{\"type\":6}\u{1e}".into()))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        sim.connections("chat").len(),
        1,
        "only the pinging client is left"
    );
    let ended = timeout(WAIT, async {
        while let Some(Ok(frame)) = silent.next().await {
            if matches!(frame, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the silent client's socket was closed");
}

#[tokio::test]
async fn shutdown_sends_every_socket_a_close_and_can_be_called_twice() {
    let (sim, service) = setup().await;
    let mut json_client = connected(&sim, &service, Some("u1"), "json").await;
    let mut msgpack_client = connected(&sim, &service, Some("u1"), "messagepack").await;
    timeout(WAIT, sim.shutdown()).await.expect("shutdown ends");
    timeout(WAIT, sim.shutdown())
        .await
        .expect("a second shutdown returns");
    assert_eq!(
        next_frame(&mut json_client).await,
        Encoded::Text(
            "{\"type\":7,\"error\":\"the service is shutting down\",\"allowReconnect\":true}\u{1e}".into()
        )
    );
    let Encoded::Binary(close) = next_frame(&mut msgpack_client).await else {
        panic!()
    };
    assert_eq!(&close[1..3], &[0x93, 0x07]);
    assert!(sim.connections("chat").is_empty());
}

#[tokio::test]
async fn a_negotiation_whose_upgrade_is_dropped_leaves_nothing_behind() {
    use tokio::io::AsyncWriteExt;
    let (sim, service) = setup().await;
    let token = client_token(&service, None);
    let body = reqwest::Client::new()
        .post(format!(
            "{}/client/negotiate?hub=chat&negotiateVersion=1",
            sim.url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let negotiated: Value = serde_json::from_str(&body).unwrap();
    let id = negotiated["connectionToken"].as_str().unwrap().to_string();
    let mut tcp = tokio::net::TcpStream::connect(sim.local_addr()).await.unwrap();
    let upgrade = format!(
        "GET /client/?hub=chat&id={id}&access_token={token} HTTP/1.1\r\nHost: {}\r\n\
         Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        sim.local_addr()
    );
    tcp.write_all(upgrade.as_bytes()).await.unwrap();
    drop(tcp);
    let query = format!("hub=chat&id={id}&access_token={token}");
    assert!(
        eventually(|| async { raw_socket(&sim, &query, None).await.err() == Some(404) }).await,
        "the id is released, not held as attached"
    );
    assert!(sim.connections("chat").is_empty());
}
