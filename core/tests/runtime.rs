//! The runtimes calls run on: blocking calls (`runtime::Blocking`, what Python's sync API runs
//! on) and call threads (`runtime::spawn`, what the async APIs run on), against a local HTTP
//! server that behaves like a service closing idle keep-alive connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use signalr_rest::runtime::{self, Blocking};
use signalr_rest::{Error, HubClient, PayloadMessage, ServiceClient};

/// Lanes and call threads are shared by the process: tests that count connections run one at a
/// time, so that another test's calls do not take the thread a test expects to reuse.
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

/// Waits until `count` is above zero; fails with `failure` after `at_most`.
fn wait_for(count: &AtomicUsize, at_most: Duration, failure: &str) {
    let started = Instant::now();
    while count.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < at_most, "{failure}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the server sees a client close a connection whose request it has not answered.
fn wait_until_abandoned(seen: &Seen) {
    let failure = "the server still waits to answer a request whose caller gave up";
    wait_for(&seen.abandoned, Duration::from_secs(3), failure);
}

/// One send to everyone, the call each test makes.
async fn send_to_all(hub: HubClient) -> Result<(), Error> {
    hub.send_to_all(&PayloadMessage::new("t", vec![json!(1)]), &[])
        .await
}

/// One send to everyone, run as a blocking caller runs it: in turns of 50 ms.
fn send_blocking(hub: &HubClient) -> Result<(), Error> {
    let mut call = Blocking::start(send_to_all(hub.clone()))?;
    loop {
        if let Some(result) = call.wait(Duration::from_millis(50)) {
            return result;
        }
    }
}

/// Three sends, each after the server has closed the previous one's idle connection: none may
/// go out on a closed connection.
fn check_no_reuse_of_a_connection_closed_while_idle(send: fn(&HubClient) -> Result<(), Error>) {
    let _alone = one_at_a_time();
    let (url, seen) = server(Duration::ZERO, Duration::from_millis(100));
    let hub = hub(&url);
    for round in 0..3 {
        send(&hub).unwrap_or_else(|e| panic!("send {round}: {e}"));
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

/// Twenty sends one after another: all on one connection.
fn check_one_connection_for_calls_one_at_a_time(send: fn(&HubClient) -> Result<(), Error>) {
    let _alone = one_at_a_time();
    let (url, seen) = server(Duration::ZERO, Duration::from_secs(30));
    let hub = hub(&url);
    for _ in 0..20 {
        send(&hub).unwrap();
    }
    assert_eq!(seen.requests.load(Ordering::SeqCst), 20);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn a_blocking_call_does_not_reuse_a_connection_the_server_closed_while_idle() {
    check_no_reuse_of_a_connection_closed_while_idle(send_blocking);
}

#[test]
fn blocking_calls_reuse_their_connection_while_it_is_open() {
    check_one_connection_for_calls_one_at_a_time(send_blocking);
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
    let mut call = Blocking::start(send_to_all(hub)).unwrap();
    while seen.requests.load(Ordering::SeqCst) == 0 {
        assert!(call.wait(Duration::from_millis(20)).is_none());
    }
    drop(call);
    wait_until_abandoned(&seen);
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

/// Waits, on this thread, for a task of another runtime.
fn wait<T>(task: tokio::task::JoinHandle<T>) -> Result<T, tokio::task::JoinError> {
    let waiter = tokio::runtime::Builder::new_current_thread().build().unwrap();
    waiter.block_on(task)
}

/// One send to everyone, run as an async binding runs it: on a call thread, waited for from a
/// thread outside any runtime.
fn send_on_call_thread(hub: &HubClient) -> Result<(), Error> {
    let task = runtime::spawn(send_to_all(hub.clone()));
    wait(task).unwrap()
}

#[test]
fn calls_made_one_at_a_time_on_call_threads_reuse_one_connection() {
    check_one_connection_for_calls_one_at_a_time(send_on_call_thread);
}

#[test]
fn a_call_thread_does_not_reuse_a_connection_the_server_closed_while_idle() {
    check_no_reuse_of_a_connection_closed_while_idle(send_on_call_thread);
}

#[test]
fn many_calls_at_once_on_call_threads_all_finish_once() {
    let _alone = one_at_a_time();
    let (url, seen) = server(Duration::from_millis(20), Duration::from_secs(30));
    let hub = hub(&url);
    let tasks: Vec<_> = (0..200)
        .map(|_| runtime::spawn(send_to_all(hub.clone())))
        .collect();
    for task in tasks {
        wait(task).unwrap().unwrap();
    }
    assert_eq!(seen.requests.load(Ordering::SeqCst), 200);
}

#[test]
fn aborting_a_call_on_a_call_thread_closes_its_request() {
    let _alone = one_at_a_time();
    let (url, seen) = server(Duration::from_secs(5), Duration::from_secs(30));
    let hub = hub(&url);
    let task = runtime::spawn(send_to_all(hub));
    wait_for(
        &seen.requests,
        Duration::from_secs(10),
        "the request never arrived",
    );
    task.abort();
    wait_until_abandoned(&seen);
    let ended = wait(task);
    assert!(ended.is_err_and(|e| e.is_cancelled()));
}

#[test]
fn a_panic_in_a_blocking_call_past_the_lanes_resumes_in_its_waiter() {
    let _alone = one_at_a_time();
    // Each unfinished blocking call holds its lane, so the next one runs on a call thread.
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let holding: Vec<_> = (0..cores)
        .map(|_| Blocking::start(std::future::pending::<()>()).unwrap())
        .collect();
    let mut call = Blocking::start(async { panic!("boom on a call thread") }).unwrap();
    let waited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loop {
        if call.wait(Duration::from_millis(50)).is_some() {
            return;
        }
    }));
    let panic = waited.expect_err("the panic reaches the waiter");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"boom on a call thread"));
    drop(holding);
}
