//! Blocking calls (`runtime::Blocking`, what Python's sync API runs on) against a local HTTP
//! server that behaves like a service closing idle keep-alive connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use signalr_rest::runtime::Blocking;
use signalr_rest::{Error, HubClient, PayloadMessage, ServiceClient};

/// Lanes are shared by the process: tests that count connections run one at a time, so that
/// another test's thread does not take the lane a test expects to reuse.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the server saw, and how it answers.
#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    connections: AtomicUsize,
    /// Connections whose client closed them while a request waited for its answer.
    abandoned: AtomicUsize,
}

/// A raw HTTP/1.1 server (raw, because it misbehaves on purpose): it answers 202 with
/// keep-alive after `delay`, then closes the connection once it has been idle for `idle`,
/// as services and proxies do with idle timeouts.
fn server(delay: Duration, idle: Duration) -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let seen = counts.clone();
            seen.connections.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || answer(stream, &seen, delay, idle));
        }
    });
    (url, seen)
}

fn answer(stream: TcpStream, seen: &Seen, delay: Duration, idle: Duration) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        writer.set_read_timeout(Some(idle)).unwrap();
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap();
                    }
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        seen.requests.fetch_add(1, Ordering::SeqCst);
        if !delay.is_zero() {
            // A client that gives up closes the socket while the answer is pending.
            reader.get_ref().set_read_timeout(Some(delay)).unwrap();
            if matches!(reader.get_mut().read(&mut [0; 1]), Ok(0)) {
                seen.abandoned.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
        let reply = "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n";
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn hub(url: &str) -> HubClient {
    ServiceClient::builder()
        .endpoint(url)
        .access_key("blocking-test-key")
        .build()
        .unwrap()
        .hub("chat")
        .unwrap()
}

/// One send to everyone, run as a blocking caller runs it: in turns of 50 ms.
fn send_blocking(hub: &HubClient) -> Result<(), Error> {
    let hub = hub.clone();
    let mut call = Blocking::start(async move {
        hub.send_to_all(&PayloadMessage::new("t", vec![json!(1)]), &[])
            .await
    })?;
    loop {
        if let Some(result) = call.wait(Duration::from_millis(50)) {
            return result;
        }
    }
}

#[test]
fn a_blocking_call_does_not_reuse_a_connection_the_server_closed_while_idle() {
    let _alone = one_at_a_time();
    let (url, seen) = server(Duration::ZERO, Duration::from_millis(100));
    let hub = hub(&url);
    for round in 0..3 {
        send_blocking(&hub).unwrap_or_else(|e| panic!("send {round}: {e}"));
        // Well past the server's idle timeout (also on a loaded machine): it has closed the
        // pooled connection.
        thread::sleep(Duration::from_millis(600));
    }
    assert_eq!(
        seen.requests.load(Ordering::SeqCst),
        3,
        "each send reached the server once"
    );
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        3,
        "each send needed a new connection"
    );
}

#[test]
fn blocking_calls_reuse_their_connection_while_it_is_open() {
    let _alone = one_at_a_time();
    let (url, seen) = server(Duration::ZERO, Duration::from_secs(30));
    let hub = hub(&url);
    for _ in 0..20 {
        send_blocking(&hub).unwrap();
    }
    assert_eq!(seen.requests.load(Ordering::SeqCst), 20);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn blocking_calls_from_more_threads_than_cores_all_finish_once() {
    let _alone = one_at_a_time();
    // No idle closes here: a server closing a connection just as a request goes out on it is a
    // race of HTTP keep-alive itself, whichever thread drives the connection.
    let (url, seen) = server(Duration::ZERO, Duration::from_secs(30));
    let hub = hub(&url);
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let hub = hub.clone();
            thread::spawn(move || {
                for _ in 0..25 {
                    send_blocking(&hub).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(seen.requests.load(Ordering::SeqCst), 16 * 25);
}

#[test]
fn dropping_an_unfinished_blocking_call_closes_its_request() {
    let _alone = one_at_a_time();
    let (url, seen) = server(Duration::from_secs(5), Duration::from_secs(30));
    let hub = hub(&url);
    let mut call = Blocking::start(async move {
        hub.send_to_all(&PayloadMessage::new("t", vec![json!(1)]), &[])
            .await
    })
    .unwrap();
    while seen.requests.load(Ordering::SeqCst) == 0 {
        assert!(call.wait(Duration::from_millis(20)).is_none());
    }
    drop(call);
    let dropped = Instant::now();
    while seen.abandoned.load(Ordering::SeqCst) == 0 {
        assert!(
            dropped.elapsed() < Duration::from_secs(3),
            "the server still waits to answer a request whose caller gave up"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_blocking_call_is_refused_on_a_runtime_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let refused = runtime.block_on(async { Blocking::start(async {}).err() });
    match refused {
        Some(Error::InvalidArgument { field, .. }) => assert_eq!(field, "thread"),
        other => panic!("expected an invalid-argument error, got {other:?}"),
    }
}
