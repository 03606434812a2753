//! Serverless upstream: the simulator POSTs connected, invocations and disconnected to an app
//! server run by the test, and the receiver helper verifies and reads what arrives.

mod raw_ws;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use raw_ws::{connected, next_frame, setup_with, Socket, WAIT};
use serde_json::Value;
use signalr_rest::protocol::{decode_json, decode_msgpack, Encoded, HubMessage, Protocol};
use signalr_rest::simulator::UpstreamTemplate;
use signalr_rest::upstream::{
    completion_body, parse_upstream_request, signature, signature_is_valid, UpstreamEvent,
};
use signalr_rest::{Error, SimulatorOptions};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const SECONDARY: &str = "second-key-for-rotation";

/// What the app server received: headers (lower-case names) and body, in arrival order.
type Received = Arc<Mutex<Vec<(HashMap<String, String>, Vec<u8>)>>>;

/// An app server at `/{hub}/{category}/{event}` that records each request and answers
/// invocations by their target: `echo` returns its first argument, `fail` answers 404,
/// `nothing` 204, `slow` waits 1.5 s then echoes.
async fn app_server() -> (String, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let app = Router::new().route(
        "/{hub}/{category}/{event}",
        post(
            move |Path((_, category, event)): Path<(String, String, String)>,
                  headers: HeaderMap,
                  body: Bytes| {
                let seen = seen.clone();
                async move {
                    let headers: HashMap<String, String> = headers
                        .iter()
                        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
                        .collect();
                    seen.lock().unwrap().push((headers.clone(), body.to_vec()));
                    answer(&category, &event, &headers, &body).await
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn answer(category: &str, event: &str, headers: &HashMap<String, String>, body: &[u8]) -> Response {
    if category != "messages" {
        return StatusCode::OK.into_response();
    }
    let header = |name: &str| headers.get(name).map(String::as_str);
    let Ok(UpstreamEvent::Invocation {
        invocation_id,
        message,
        protocol,
        ..
    }) = parse_upstream_request(header, body, &["unused", SECONDARY])
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match event {
        "fail" => return StatusCode::NOT_FOUND.into_response(),
        "nothing" => return StatusCode::NO_CONTENT.into_response(),
        "slow" => tokio::time::sleep(Duration::from_millis(1500)).await,
        _ => {}
    }
    let Some(id) = invocation_id else {
        return StatusCode::OK.into_response();
    };
    let first = message
        .arguments
        .to_values()
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    let body = completion_body(protocol, &id, Ok(Some(&first.to_string()))).unwrap();
    (StatusCode::OK, body).into_response()
}

async fn simulator_with_upstream(url: &str) -> (signalr_rest::Simulator, signalr_rest::ServiceClient) {
    setup_with(SimulatorOptions {
        secondary_access_key: Some(SECONDARY.into()),
        upstreams: vec![
            UpstreamTemplate::parse(&format!("{url}/{{hub}}/{{category}}/{{event}};hub=other")).unwrap(),
            UpstreamTemplate::new(format!("{url}/{{hub}}/{{category}}/{{event}}")),
        ],
        upstream_timeout: Duration::from_secs(5),
        ..SimulatorOptions::default()
    })
    .await
}

async fn invoke_json(socket: &mut Socket, id: Option<&str>, target: &str, args: &str) {
    let id = id
        .map(|id| format!(r#""invocationId":"{id}","#))
        .unwrap_or_default();
    let frame = format!(r#"{{"type":1,{id}"target":"{target}","arguments":{args}}}"#) + "\u{1e}";
    socket.send(Message::Text(frame.into())).await.unwrap();
}

async fn next_text(socket: &mut Socket) -> Value {
    loop {
        let Encoded::Text(text) = next_frame(socket).await else {
            panic!("expected a text frame")
        };
        let value: Value = serde_json::from_str(text.trim_end_matches('\u{1e}')).unwrap();
        if value["type"] != 6 {
            return value;
        }
    }
}

#[tokio::test]
async fn invocations_reach_the_upstream_and_its_answers_complete_them() {
    let (url, received) = app_server().await;
    let (sim, service) = simulator_with_upstream(&url).await;
    let mut socket = connected(&sim, &service, Some("alice"), "json").await;
    invoke_json(
        &mut socket,
        Some("1"),
        "echo",
        r#"[{"z":1,"a":12345678901234567890123}]"#,
    )
    .await;
    let completion = next_text(&mut socket).await;
    assert_eq!(completion["type"], 3);
    assert_eq!(completion["invocationId"], "1");
    assert_eq!(completion["result"]["z"], 1);
    invoke_json(&mut socket, Some("2"), "fail", "[]").await;
    assert_eq!(
        next_text(&mut socket).await,
        serde_json::json!({"type": 3, "invocationId": "2", "error": "Invocation failed, status code 404"})
    );
    invoke_json(&mut socket, Some("3"), "nothing", "[]").await;
    assert_eq!(
        next_text(&mut socket).await,
        serde_json::json!({"type": 3, "invocationId": "3"})
    );
    invoke_json(&mut socket, None, "echo", r#"["fire and forget"]"#).await;
    invoke_json(&mut socket, Some("4"), "echo", r#"["after"]"#).await;
    assert_eq!(
        next_text(&mut socket).await["invocationId"],
        "4",
        "a send gets no completion"
    );
    socket.close(None).await.unwrap();
    let done = timeout(WAIT, async {
        while !received
            .lock()
            .unwrap()
            .iter()
            .any(|(h, _)| h["x-asrs-event"] == "disconnected")
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(done.is_ok(), "disconnected reached the upstream");

    let requests = received.lock().unwrap().clone();
    let events: Vec<&str> = requests.iter().map(|(h, _)| h["x-asrs-event"].as_str()).collect();
    assert_eq!(
        events,
        [
            "connected",
            "echo",
            "fail",
            "nothing",
            "echo",
            "echo",
            "disconnected"
        ]
    );
    let (headers, body) = &requests[1];
    let connection = &headers["x-asrs-connection-id"];
    assert_eq!(headers["x-asrs-hub"], "chat");
    assert_eq!(headers["x-asrs-category"], "messages");
    assert_eq!(headers["x-asrs-user-id"], "alice");
    assert!(
        headers["x-asrs-user-claims"].contains("nameid: alice"),
        "{headers:?}"
    );
    assert!(headers["x-asrs-client-query"].starts_with("?hub=chat&access_token="));
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        headers["x-asrs-signature"],
        format!(
            "{},{}",
            signature(sim.access_key(), connection),
            signature(SECONDARY, connection)
        )
    );
    assert_eq!(
        std::str::from_utf8(body).unwrap(),
        r#"{"type":1,"invocationId":"1","target":"echo","arguments":[{"z":1,"a":12345678901234567890123}]}"#,
        "unframed, arguments as the client sent them"
    );
    assert_eq!(requests[0].1, br#"{"type":10}"#);
    assert_eq!(requests[6].1, br#"{"type":11}"#, "a clean close has no error");
    let calls = sim.upstream_calls();
    assert_eq!(calls.len(), 7);
    assert_eq!(calls[2].status, Some(404));
    assert!(calls[1].url.ends_with("/chat/messages/echo"), "{}", calls[1].url);
}

#[tokio::test]
async fn messagepack_clients_invoke_with_unframed_messagepack_bodies() {
    let (url, received) = app_server().await;
    let (sim, service) = simulator_with_upstream(&url).await;
    let mut socket = connected(&sim, &service, Some("alice"), "messagepack").await;
    // [1, {}, "7", "echo", ["hi"]] behind its length prefix.
    let call = [
        0x0e, 0x95, 0x01, 0x80, 0xa1, b'7', 0xa4, b'e', b'c', b'h', b'o', 0x91, 0xa2, b'h', b'i',
    ];
    socket.send(Message::Binary(call.to_vec().into())).await.unwrap();
    let frame = loop {
        match timeout(WAIT, socket.next()).await.unwrap() {
            Some(Ok(Message::Binary(bytes))) => break bytes.to_vec(),
            Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    };
    // [3, {}, "7", 3, "hi"]: a completion with a result.
    assert_eq!(
        frame,
        [0x09, 0x95, 0x03, 0x80, 0xa1, b'7', 0x03, 0xa2, b'h', b'i']
    );
    assert!(matches!(
        &decode_msgpack(&frame).unwrap()[..],
        [HubMessage::Other(3)]
    ));
    let requests = received.lock().unwrap().clone();
    let (headers, body) = &requests[1];
    assert_eq!(headers["content-type"], "application/x-msgpack");
    assert_eq!(body[..], call[1..], "the invocation without its length prefix");
}

#[tokio::test]
async fn a_slow_upstream_delays_only_its_own_connection_and_order_is_kept() {
    let (url, _received) = app_server().await;
    let (sim, service) = simulator_with_upstream(&url).await;
    let mut slow = connected(&sim, &service, Some("alice"), "json").await;
    let mut quick = connected(&sim, &service, Some("alice"), "json").await;
    invoke_json(&mut slow, Some("1"), "slow", r#"["first"]"#).await;
    invoke_json(&mut slow, Some("2"), "echo", r#"["second"]"#).await;
    invoke_json(&mut quick, Some("9"), "echo", r#"["quick"]"#).await;
    let started = std::time::Instant::now();
    assert_eq!(next_text(&mut quick).await["result"], "quick");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "not behind the slow call"
    );
    assert_eq!(next_text(&mut slow).await["result"], "first");
    assert_eq!(
        next_text(&mut slow).await["result"],
        "second",
        "per-connection order"
    );
}

#[test]
fn the_receiver_replays_the_shared_signature_and_parsing_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/upstream.json");
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for v in vectors["signatures"].as_array().unwrap() {
        let (key, id) = (
            v["access_key"].as_str().unwrap(),
            v["connection_id"].as_str().unwrap(),
        );
        assert_eq!(signature(key, id), v["signature"]);
    }
    for v in vectors["signature_headers"].as_array().unwrap() {
        let keys: Vec<&str> = v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let valid = signature_is_valid(
            v["header"].as_str().unwrap(),
            v["connection_id"].as_str().unwrap(),
            &keys,
        );
        assert_eq!(valid, v["valid"].as_bool().unwrap(), "{v}");
    }
    let key = "k";
    for (field, list) in [
        ("claims", "x-asrs-user-claims"),
        ("queries", "x-asrs-client-query"),
    ] {
        for v in vectors[field].as_array().unwrap() {
            let sig = signature(key, "c1");
            let headers = HashMap::from([
                ("x-asrs-connection-id", "c1"),
                ("x-asrs-hub", "chat"),
                ("x-asrs-category", "connections"),
                ("x-asrs-event", "connected"),
                ("x-asrs-signature", sig.as_str()),
                (list, v["header"].as_str().unwrap()),
            ]);
            let event =
                parse_upstream_request(|name| headers.get(name).copied(), b"{\"type\":10}", &[key]).unwrap();
            let UpstreamEvent::Connected(context) = event else {
                panic!()
            };
            let parsed = if field == "claims" {
                context.claims
            } else {
                context.query
            };
            let expected: Vec<(String, String)> = serde_json::from_value(v["parsed"].clone()).unwrap();
            assert_eq!(parsed, expected, "{v}");
        }
    }
}

#[test]
fn the_receiver_refuses_bad_signatures_and_unknown_events_with_typed_errors() {
    let sig = signature("k", "c1");
    let request = |event: &'static str, category: &'static str, signature: &str| {
        let signature = signature.to_string();
        move |name: &str| -> Option<String> {
            match name {
                "x-asrs-connection-id" => Some("c1".into()),
                "x-asrs-hub" => Some("chat".into()),
                "x-asrs-category" => Some(category.into()),
                "x-asrs-event" => Some(event.into()),
                "x-asrs-signature" => Some(signature.clone()),
                _ => None,
            }
        }
    };
    let parse = |lookup: &dyn Fn(&str) -> Option<String>, body: &[u8], keys: &[&str]| {
        let owned: HashMap<&str, String> = [
            "x-asrs-connection-id",
            "x-asrs-hub",
            "x-asrs-category",
            "x-asrs-event",
            "x-asrs-signature",
        ]
        .into_iter()
        .filter_map(|n| lookup(n).map(|v| (n, v)))
        .collect();
        parse_upstream_request(|n| owned.get(n).map(String::as_str), body, keys)
    };
    let err = parse(&request("connected", "connections", &sig), b"", &["other"]).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    let err = parse(&request("connect", "connections", &sig), b"", &["k"]).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let err = parse(&request("echo", "messages", &sig), b"not a message", &["k"]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { ref field, .. } if field == "body"),
        "{err:?}"
    );
    let body = br#"{"type":1,"target":"other","arguments":[]}"#;
    let err = parse(&request("echo", "messages", &sig), body, &["k"]).unwrap_err();
    assert!(err.to_string().contains("X-ASRS-Event"), "{err}");
    let disconnected = parse(
        &request("disconnected", "connections", &sig),
        br#"{"Type":11,"Error":"gone"}"#,
        &["k"],
    )
    .unwrap();
    assert!(matches!(disconnected, UpstreamEvent::Disconnected { error: Some(ref e), .. } if e == "gone"));
    let body = completion_body(Protocol::Json, "5", Err("boom")).unwrap();
    assert_eq!(
        decode_json(std::str::from_utf8(&body).unwrap()).unwrap(),
        vec![HubMessage::Other(3)]
    );
}

#[test]
fn templates_parse_and_match_first_wins() {
    let t = UpstreamTemplate::parse("http://h/{hub}/{event};hub=chat, news;event=connected").unwrap();
    assert_eq!(t.hub_pattern, "chat, news");
    assert_eq!(t.event_pattern, "connected");
    assert_eq!(t.category_pattern, "*");
    for bad in ["not a url", "ftp://h/x", "http://h;color=red", "http://h;hub"] {
        assert!(UpstreamTemplate::parse(bad).is_err(), "{bad}");
    }
}
