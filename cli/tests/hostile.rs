//! Hostile input against `signalr-rest serve` over real sockets (issue 15): generated requests
//! with odd paths, methods, headers, query strings, bodies and tokens, and WebSocket clients that
//! misbehave. Every answer must be a 4xx (or, where HTTP allows no answer, a closed connection),
//! never a 5xx, and the simulator must keep serving. Prints the count tried and the count by
//! status.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Map};
use signalr_rest::auth::AccessKey;
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "HostileSuiteKey000000000000000000000000000000";
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// `signalr-rest serve --port 0`, killed when dropped.
struct Server {
    child: Child,
    /// `127.0.0.1:port`.
    address: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_signalr-rest"))
            .args(["serve", "--port", "0", "--access-key", KEY])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let endpoint = line
            .split(';')
            .next()
            .and_then(|field| field.strip_prefix("Endpoint=http://"))
            .unwrap_or_else(|| panic!("no endpoint in {line:?}"))
            .to_string();
        Server {
            child,
            address: endpoint,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One raw HTTP request: the head without its blank line, then the body bytes; `truncate`
/// stops writing after that many body bytes and half-closes.
struct Case {
    label: String,
    head: String,
    body: Vec<u8>,
    truncate: Option<usize>,
}

fn case(label: impl Into<String>, head: impl Into<String>, body: impl Into<Vec<u8>>) -> Case {
    Case {
        label: label.into(),
        head: head.into(),
        body: body.into(),
        truncate: None,
    }
}

/// What came back: the status, or why there was none.
fn send(address: &str, case: &Case) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let mut bytes = case.head.clone().into_bytes();
    bytes.extend_from_slice(b"\r\n\r\n");
    let body = match case.truncate {
        Some(n) => &case.body[..n],
        None => &case.body[..],
    };
    bytes.extend_from_slice(body);
    // The server may answer (413, 431) and close before reading everything: not an error.
    let _ = stream.write_all(&bytes);
    if case.truncate.is_some() {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return "no answer in 10 s".into()
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&answer);
    match text.split(' ').nth(1) {
        Some(status) if text.starts_with("HTTP/1.1 ") => status.to_string(),
        _ if answer.is_empty() => "closed".into(),
        _ => format!("not HTTP: {text:?}"),
    }
}

fn token(audience: &str, lifetime: Duration, key: &str) -> String {
    AccessKey::new(key)
        .unwrap()
        .sign(audience, lifetime, &Map::new())
        .unwrap()
}

/// A token with any header, unsigned (`alg: none`) or with a bogus signature.
fn forged(header: serde_json::Value, audience: &str, signature: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let part = |value: serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!(
        "{}.{}.{signature}",
        part(header),
        part(json!({"aud": audience, "exp": exp}))
    )
}

fn http_cases(address: &str) -> Vec<Case> {
    let host = format!("Host: {address}");
    let url = |path: &str| format!("http://{address}{path}");
    let auth = |path: &str| {
        format!(
            "Authorization: Bearer {}",
            token(&url(path), Duration::from_secs(600), KEY)
        )
    };
    let mut cases = Vec::new();

    // Paths: odd segments where a hub, user, group or connection id goes.
    let segments = [
        "%00",
        "%2e%2e",
        "..",
        ".",
        "%2F",
        "a%ZZ",
        "%",
        "%C3%28",
        "%FF%FE",
        "é",
        "%E2%80%AE",
        "a%0Ab",
        "%0D%0AX-Injected:%201",
        "'%20OR%201=1",
        "<script>",
        "%7B%7D",
        "~",
        "a;b",
        "a,b",
        "::",
    ];
    let long = "x".repeat(5000);
    let templates = [
        "/api/v1/hubs/{}",
        "/api/v1/hubs/chat/users/{}",
        "/api/v1/hubs/chat/groups/{}",
        "/api/v1/hubs/chat/connections/{}",
        "/api/v1/hubs/chat/groups/{}/users/u",
        "/api/hubs/{}/:send?api-version=2022-06-01",
        "/api/hubs/chat/groups/{}/:addToGroup?api-version=2022-06-01",
        "/client/negotiate?hub={}",
    ];
    for template in templates {
        for segment in segments.iter().copied().chain([long.as_str()]) {
            let path = template.replace("{}", segment);
            for method in ["POST", "PUT", "GET", "DELETE"] {
                let body = r#"{"target":"t","arguments":[1]}"#;
                cases.push(case(
                    format!("{method} {template} with {:.20}", segment),
                    format!("{method} {path} HTTP/1.1\r\n{host}\r\n{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close", auth(&path), body.len()),
                    body,
                ));
            }
        }
    }

    // Methods, known and not, on every kind of route.
    for path in [
        "/api/v1/hubs/chat",
        "/api/v1/hubs/chat/users/u",
        "/api/v1/health",
        "/client/negotiate?hub=chat",
        "/dashboard/api/token",
        "/nowhere",
    ] {
        for method in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "FOO", "G\u{e9}T",
        ] {
            cases.push(case(
                format!("{method} {path}"),
                format!(
                    "{method} {path} HTTP/1.1\r\n{host}\r\n{}\r\nContent-Length: 0\r\nConnection: close",
                    auth(path)
                ),
                "",
            ));
        }
    }

    // Headers: duplicates, conflicts, oversized, missing, odd bytes.
    let send = "/api/v1/hubs/chat";
    let body = r#"{"target":"t","arguments":[]}"#;
    let with_headers = |label: &str, headers: String| {
        case(
            label,
            format!("POST {send} HTTP/1.1\r\n{headers}\r\nConnection: close"),
            body,
        )
    };
    let length = format!("Content-Length: {}", body.len());
    let authorization = auth(send);
    let many = (0..300)
        .map(|i| format!("X-H{i}: v"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let big = "b".repeat(100_000);
    let header_cases = [
        ("no Host", format!("{authorization}\r\n{length}")),
        (
            "two Hosts",
            format!("{host}\r\nHost: other\r\n{authorization}\r\n{length}"),
        ),
        (
            "two Authorizations",
            format!("{host}\r\n{authorization}\r\n{}\r\n{length}", auth("/other")),
        ),
        (
            "conflicting Content-Lengths",
            format!("{host}\r\n{authorization}\r\n{length}\r\nContent-Length: 3"),
        ),
        (
            "negative Content-Length",
            format!("{host}\r\n{authorization}\r\nContent-Length: -1"),
        ),
        (
            "chunked and Content-Length",
            format!("{host}\r\n{authorization}\r\n{length}\r\nTransfer-Encoding: chunked"),
        ),
        (
            "a 100 KB header",
            format!("{host}\r\n{authorization}\r\n{length}\r\nX-Big: {big}"),
        ),
        (
            "300 headers",
            format!("{host}\r\n{authorization}\r\n{length}\r\n{many}"),
        ),
        (
            "a header with no colon",
            format!("{host}\r\n{authorization}\r\n{length}\r\nbroken"),
        ),
        (
            "a header value with bytes >127",
            format!("{host}\r\n{authorization}\r\n{length}\r\nX-Odd: \u{e9}\u{1F600}"),
        ),
        (
            "Content-Type text/plain",
            format!("{host}\r\n{authorization}\r\n{length}\r\nContent-Type: text/plain"),
        ),
    ];
    for (label, headers) in header_cases {
        cases.push(with_headers(label, headers));
    }

    // Query strings.
    for query in [
        "ttl=-1",
        "ttl=abc",
        "ttl=99999999999999",
        "ttl=",
        "excluded=",
        "api-version=bogus",
        "%%%",
        "a=%ZZ",
        "hub=%00",
        &format!("q={}", "y".repeat(20_000)),
        &"excluded=c&".repeat(500),
    ] {
        let path = format!("/api/v1/hubs/chat/groups/g/users/u?{query}");
        cases.push(case(
            format!("PUT with query {:.30}", query),
            format!(
                "PUT {path} HTTP/1.1\r\n{host}\r\n{}\r\nContent-Length: 0\r\nConnection: close",
                auth(&path)
            ),
            "",
        ));
    }

    // Bodies: truncated, huge, deep, wrong types, not UTF-8, empty.
    let nested = format!(
        "{{\"target\":\"t\",\"arguments\":[{}{}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", b"".to_vec()),
        ("not JSON", b"hello".to_vec()),
        ("a JSON string", b"\"x\"".to_vec()),
        ("a JSON array", b"[]".to_vec()),
        ("target a number", br#"{"target":1,"arguments":[]}"#.to_vec()),
        (
            "arguments an object",
            br#"{"target":"t","arguments":{}}"#.to_vec(),
        ),
        ("no target", br#"{"arguments":[]}"#.to_vec()),
        ("empty target", br#"{"target":"","arguments":[]}"#.to_vec()),
        (
            "invalid UTF-8",
            b"{\"target\":\"\xff\xfe\",\"arguments\":[]}".to_vec(),
        ),
        (
            "a NUL in the target",
            b"{\"target\":\"a\\u0000b\",\"arguments\":[]}".to_vec(),
        ),
        ("100,000 levels deep", nested.into_bytes()),
        (
            "2 MB",
            format!("{{\"target\":\"t\",\"arguments\":[\"{}\"]}}", "z".repeat(2 << 20)).into_bytes(),
        ),
        (
            "duplicate keys",
            br#"{"target":"a","target":"b","arguments":[]}"#.to_vec(),
        ),
        (
            "trailing garbage",
            br#"{"target":"t","arguments":[]} tail"#.to_vec(),
        ),
    ];
    for path in [
        "/api/v1/hubs/chat",
        "/api/v1/hubs/chat/users/u",
        "/api/hubs/chat/:send?api-version=2022-06-01",
    ] {
        for (label, bytes) in &bodies {
            cases.push(case(
                format!("POST {path} body {label}"),
                format!("POST {path} HTTP/1.1\r\n{host}\r\n{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close", auth(path), bytes.len()),
                bytes.clone(),
            ));
        }
        let mut truncated = case(
            format!("POST {path} body cut short"),
            format!(
                "POST {path} HTTP/1.1\r\n{host}\r\n{}\r\nContent-Length: 100\r\nConnection: close",
                auth(path)
            ),
            vec![b'{'; 100],
        );
        truncated.truncate = Some(10);
        cases.push(truncated);
    }

    // Tokens: other audience, other key, expired, alg none, other algorithms, huge, garbage.
    let audience = url(send);
    let tokens = vec![
        (
            "another audience",
            token(&url("/api/v1/hubs/other"), Duration::from_secs(600), KEY),
        ),
        (
            "another key",
            token(&audience, Duration::from_secs(600), "another-key"),
        ),
        ("expired", token(&audience, Duration::ZERO, KEY)),
        (
            "alg none",
            forged(json!({"alg": "none", "typ": "JWT"}), &audience, ""),
        ),
        (
            "alg None with a signature",
            forged(json!({"alg": "None"}), &audience, "c2ln"),
        ),
        (
            "HS512 header, HS256 signature",
            forged(json!({"alg": "HS512", "typ": "JWT"}), &audience, "AAAA"),
        ),
        (
            "RS256 header",
            forged(json!({"alg": "RS256", "typ": "JWT"}), &audience, "AAAA"),
        ),
        ("no alg", forged(json!({"typ": "JWT"}), &audience, "AAAA")),
        (
            "a header that is not JSON",
            format!("{}.e30.AAAA", URL_SAFE_NO_PAD.encode("not json")),
        ),
        ("64 KB", "a".repeat(65_536)),
        ("garbage", "a.b.c".into()),
        ("two parts", "a.b".into()),
        ("empty", String::new()),
    ];
    for (label, bad) in &tokens {
        for scheme in ["Bearer", "bearer", "Basic"] {
            cases.push(with_headers(
                &format!("token {label} as {scheme}"),
                format!("{host}\r\nAuthorization: {scheme} {bad}\r\n{length}"),
            ));
        }
    }
    cases.push(with_headers("no Authorization", format!("{host}\r\n{length}")));
    cases
}

/// Misbehaving WebSocket clients; each outcome is the handshake status or how the socket ended.
async fn websocket_cases(address: &str) -> Vec<(String, String)> {
    let client_token = token(
        &format!("http://{address}/client/?hub=chat"),
        Duration::from_secs(600),
        KEY,
    );
    let ws = format!("ws://{address}/client/?hub=chat&access_token={client_token}");
    let mut outcomes = Vec::new();

    // Handshake requests that are not WebSocket upgrades.
    let upgrades = [
        ("no Upgrade header", "GET /client/?hub=chat HTTP/1.1\r\nHost: h\r\nConnection: close".to_string()),
        ("version 12", format!("GET /client/?hub=chat&access_token={client_token} HTTP/1.1\r\nHost: {address}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 12\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")),
        ("no key", format!("GET /client/?hub=chat&access_token={client_token} HTTP/1.1\r\nHost: {address}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13")),
        ("no token", format!("GET /client/?hub=chat HTTP/1.1\r\nHost: {address}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")),
        ("no hub", format!("GET /client/?access_token={client_token} HTTP/1.1\r\nHost: {address}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")),
    ];
    for (label, head) in upgrades {
        let outcome = send(address, &case(label, head, ""));
        outcomes.push((format!("WebSocket {label}"), outcome));
    }

    // Connected sockets that then send what no client should.
    let frames: Vec<(&str, Vec<Message>)> = vec![
        ("a handshake that is not JSON", vec![Message::text("{nope\u{1e}")]),
        (
            "an unknown protocol",
            vec![Message::text("{\"protocol\":\"xml\",\"version\":1}\u{1e}")],
        ),
        (
            "a 2 MB handshake",
            vec![Message::text(format!(
                "{{\"protocol\":\"json\",\"x\":\"{}\"}}\u{1e}",
                "p".repeat(2 << 20)
            ))],
        ),
        (
            "binary before the handshake",
            vec![Message::binary(vec![0xc1u8; 64])],
        ),
        (
            "invalid MessagePack after a messagepack handshake",
            vec![
                Message::text("{\"protocol\":\"messagepack\",\"version\":1}\u{1e}"),
                Message::binary(vec![0x05u8, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1]),
            ],
        ),
        (
            "a MessagePack length prefix past the end",
            vec![
                Message::text("{\"protocol\":\"messagepack\",\"version\":1}\u{1e}"),
                Message::binary(vec![0xffu8, 0xff, 0xff, 0xff, 0x0f, 0x90]),
            ],
        ),
        (
            "JSON that is not a message",
            vec![
                Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"),
                Message::text("[1,2,3]\u{1e}"),
            ],
        ),
        (
            "a 2 MB frame",
            vec![
                Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"),
                Message::text(format!("{{\"type\":6,\"x\":\"{}\"}}\u{1e}", "f".repeat(2 << 20))),
            ],
        ),
        (
            "a flood of 2,000 pings",
            std::iter::once(Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"))
                .chain((0..2000).map(|_| Message::text("{\"type\":6}\u{1e}")))
                .collect(),
        ),
    ];
    for (label, messages) in frames {
        let outcome = match tokio_tungstenite::connect_async(ws.as_str()).await {
            Err(e) => format!("handshake failed: {e}"),
            Ok((mut socket, _)) => {
                for message in messages {
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
                // Read until the server closes (the documented end for a bad client) or, for
                // clients it may keep, until it has had time to react.
                let mut ended = "open".to_string();
                while let Ok(next) = tokio::time::timeout(Duration::from_secs(2), socket.next()).await {
                    match next {
                        Some(Ok(Message::Close(_))) | None => {
                            ended = "closed".into();
                            break;
                        }
                        Some(Err(_)) => {
                            ended = "closed".into();
                            break;
                        }
                        Some(Ok(_)) => {}
                    }
                }
                ended
            }
        };
        outcomes.push((format!("WebSocket {label}"), outcome));
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_4xx_or_a_close_never_5xx_and_the_simulator_keeps_serving() {
    let server = Server::start();
    let address = server.address.clone();
    let cases = http_cases(&address);
    let http_address = address.clone();
    let mut outcomes: Vec<(String, String)> = tokio::task::spawn_blocking(move || {
        cases
            .iter()
            .map(|case| (case.label.clone(), send(&http_address, case)))
            .collect()
    })
    .await
    .unwrap();
    let websocket = websocket_cases(&address).await;
    for (label, outcome) in &websocket {
        println!("hostile: {label}: {outcome}");
    }
    outcomes.extend(websocket);

    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for (_, outcome) in &outcomes {
        *by_status.entry(outcome.clone()).or_default() += 1;
    }
    let server_errors: Vec<&(String, String)> = outcomes
        .iter()
        .filter(|(_, outcome)| {
            outcome.starts_with('5') || outcome.starts_with("not HTTP") || outcome.starts_with("no answer")
        })
        .collect();
    println!(
        "hostile: {} tried, {} 5xx; by outcome: {by_status:?}",
        outcomes.len(),
        server_errors.len()
    );
    assert!(outcomes.len() >= 500, "only {} cases", outcomes.len());
    assert!(server_errors.is_empty(), "{server_errors:#?}");

    // Still serving: health, and a valid send.
    let path = "/api/v1/hubs/chat";
    let body = r#"{"target":"t","arguments":[1]}"#;
    let status = send(
        &address,
        &case(
            "a valid send after all that",
            format!(
                "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close",
                token(&format!("http://{address}{path}"), Duration::from_secs(600), KEY),
                body.len()
            ),
            body,
        ),
    );
    assert_eq!(status, "202");
    drop(server);
}
