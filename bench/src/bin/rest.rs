//! REST throughput on loopback: the client against the simulator at concurrency 1 and 64, a
//! load generator against the simulator and against a bare axum server that answers 202 without
//! work (the machine's limit for this request shape), and HS256 signing speed.
//!
//! Modes:
//! - `rest`: all of the above against a `signalr-rest serve` child and a `rest bare` child.
//! - `rest` with `BENCH_CONNECTION_STRING` set: the client only, against that simulator
//!   (sending to `BENCH_CONNECTION_ID`, default `bench-connection`); prints `RESULT rust <c> <rate>`,
//!   and `RESULT rust-spawned <c> <rate>` for the same client called as the async bindings call
//!   it (from `c` plain threads through `runtime::spawn`).
//! - `rest load`: the load generator against the simulator (`BENCH_CONNECTION_STRING`, or a
//!   `serve` child) and against a `rest bare` child, in alternating slices; prints
//!   `RESULT simulator-load 64 <rate>` and `RESULT bare-load 64 <rate>`, and each server's CPU
//!   time per call (`simulator-cpu-us`, `bare-cpu-us`) when its process can be read (the
//!   simulator's pid from `BENCH_SERVE_PID` when it is not a child).
//! - `rest bare`: the bare server alone; prints its URL and serves until killed.
//!
//! `BENCH_SECONDS` sets the measuring time of each row (default 3).

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use signalr_rest::auth::{AccessKey, DEFAULT_TOKEN_LIFETIME};
use signalr_rest::{PayloadMessage, ServiceClient};
use signalr_rest_bench::ServeProcess;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BODY: &str = r#"{"target":"bench","arguments":["hello",{"n":1}]}"#;
const HUB: &str = "bench";

/// The measuring time of each row: `BENCH_SECONDS`, default 3.
fn run_time() -> Duration {
    let seconds = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(3.0);
    Duration::from_secs_f64(seconds)
}

/// Runs `call` from `concurrency` tasks for `run`; returns completed calls per second.
async fn calls_per_second<F, Fut>(concurrency: usize, run: Duration, call: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, done) = (call.clone(), done.clone());
            tokio::spawn(async move {
                while started.elapsed() < run {
                    assert!(call().await, "a benchmark call failed");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// A load generator: pre-signed token, raw POSTs with a pooled reqwest client.
struct Load {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Load {
    fn new(url: String, token: String) -> Load {
        Load {
            http: reqwest::Client::new(),
            url,
            token,
        }
    }

    /// Calls per second at `concurrency` for `run`.
    async fn rate(&self, concurrency: usize, run: Duration) -> f64 {
        let (http, url, token) = (self.http.clone(), self.url.clone(), self.token.clone());
        calls_per_second(concurrency, run, move || {
            let request = http
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(BODY);
            async move {
                request
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::ACCEPTED)
            }
        })
        .await
    }
}

/// What the load generator measured of one server: calls/s, and the server's CPU time per
/// call when its process can be read.
struct Served {
    rate: f64,
    cpu_per_call: Option<Duration>,
}

/// Measures `targets` (each a load and its server's pid) in alternating slices, so that a
/// shared machine's slow and fast moments fall on every target alike; a warm-up slice of each
/// first.
async fn interleaved(targets: &[(&Load, Option<u32>)], concurrency: usize, run: Duration) -> Vec<Served> {
    const SLICE: Duration = Duration::from_millis(250);
    let rounds = (run.as_secs_f64() / SLICE.as_secs_f64()).ceil().max(4.0) as usize;
    let slice = run / rounds as u32;
    for (load, _) in targets {
        load.rate(concurrency, slice).await;
    }
    let mut calls = vec![0.0; targets.len()];
    let mut cpu = vec![Some(Duration::ZERO); targets.len()];
    let mut elapsed = vec![Duration::ZERO; targets.len()];
    for _ in 0..rounds {
        for (n, (load, pid)) in targets.iter().enumerate() {
            let cpu_before = pid.and_then(signalr_rest_bench::cpu_time);
            let started = Instant::now();
            let rate = load.rate(concurrency, slice).await;
            let took = started.elapsed();
            let used = cpu_before
                .zip(pid.and_then(signalr_rest_bench::cpu_time))
                .map(|(before, after)| after.saturating_sub(before));
            calls[n] += rate * took.as_secs_f64();
            elapsed[n] += took;
            cpu[n] = cpu[n].zip(used).map(|(sum, used)| sum + used);
        }
    }
    (0..targets.len())
        .map(|n| Served {
            rate: calls[n] / elapsed[n].as_secs_f64(),
            cpu_per_call: cpu[n].map(|cpu| cpu.div_f64(calls[n].max(1.0))),
        })
        .collect()
}

/// `rest bare`: an axum server answering 202 to send-to-connection without any work. Prints
/// its URL on stdout, then serves until killed.
async fn bare_server() {
    let app = Router::new().route(
        "/api/v1/hubs/{hub}/connections/{id}",
        post(|| async { StatusCode::ACCEPTED }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    println!("http://{address}");
    axum::serve(listener, app).await.expect("bare server");
}

/// The bare server as a child process (`rest bare`), as the simulator is one; killed when dropped.
struct BareProcess {
    _child: Child,
    url: String,
    pid: Option<u32>,
}

impl BareProcess {
    async fn start() -> BareProcess {
        let exe = std::env::current_exe().expect("own path");
        let mut child = Command::new(&exe)
            .arg("bare")
            .env_remove("BENCH_CONNECTION_STRING")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} bare: {e}", exe.display()));
        let stdout = child.stdout.take().expect("stdout piped");
        let url = BufReader::new(stdout)
            .lines()
            .next_line()
            .await
            .expect("read")
            .expect("a URL line");
        BareProcess {
            pid: child.id(),
            _child: child,
            url,
        }
    }
}

/// What the benchmarks need of a simulator's connection string.
struct Target {
    client: ServiceClient,
    endpoint: String,
    key: AccessKey,
}

impl Target {
    fn new(connection_string: &str) -> Target {
        let client = ServiceClient::from_connection_string(connection_string).expect("client");
        let endpoint = client.endpoint().to_string().trim_end_matches('/').to_string();
        let key = AccessKey::new(
            connection_string
                .split(';')
                .find_map(|p| p.trim().strip_prefix("AccessKey="))
                .expect("key in connection string"),
        )
        .expect("key");
        Target {
            client,
            endpoint,
            key,
        }
    }

    /// The client's calls/s at `concurrency`, sending to `connection_id`.
    async fn client_rate(&self, connection_id: &str, concurrency: usize, run: Duration) -> f64 {
        let hub = self.client.hub(HUB).expect("hub");
        let message = Arc::new(PayloadMessage::new(
            "bench",
            vec!["hello".into(), serde_json::json!({"n": 1})],
        ));
        let id: Arc<str> = connection_id.into();
        calls_per_second(concurrency, run, move || {
            let (hub, message, id) = (hub.clone(), message.clone(), id.clone());
            async move { hub.send_to_connection(&id, &message).await.is_ok() }
        })
        .await
    }

    /// The load generator against this simulator (process `pid` when known) and against a
    /// bare server child, interleaved.
    async fn load_rates(&self, pid: Option<u32>, run: Duration) -> (Served, Served) {
        let path = format!("/api/v1/hubs/{HUB}/connections/c1");
        let token = self
            .key
            .sign(
                &format!("{}{path}", self.endpoint),
                DEFAULT_TOKEN_LIFETIME,
                &Default::default(),
            )
            .expect("sign");
        let bare = BareProcess::start().await;
        let simulator = Load::new(format!("{}{path}", self.endpoint), token.clone());
        let bare_load = Load::new(format!("{}{path}", bare.url), token);
        let mut served = interleaved(&[(&simulator, pid), (&bare_load, bare.pid)], 64, run).await;
        let bare_served = served.pop().expect("two targets");
        (served.pop().expect("two targets"), bare_served)
    }
}

/// `µs` of CPU per call, or `-` when unknown.
fn micros(cpu: Option<Duration>) -> String {
    cpu.map_or("-".into(), |cpu| format!("{:.1}", cpu.as_secs_f64() * 1e6))
}

fn signing_rate() -> f64 {
    let key = AccessKey::new("bench-key-0123456789").expect("key");
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(1) {
        key.sign(
            "https://x.service.signalr.net/api/v1/hubs/chat/connections/c1",
            DEFAULT_TOKEN_LIFETIME,
            &Default::default(),
        )
        .expect("sign");
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Calls/s of the client called as the async bindings call it: `threads` plain threads each
/// hand a call to `runtime::spawn` and wait for it, back to back, for `run`.
fn spawned_rate(hub: signalr_rest::HubClient, id: &str, threads: usize, run: Duration) -> f64 {
    let message = Arc::new(PayloadMessage::new(
        "bench",
        vec!["hello".into(), serde_json::json!({"n": 1})],
    ));
    let id: Arc<str> = id.into();
    let done = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                // Parks this thread while it waits, as a binding's caller does.
                let waiter = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("runtime");
                while started.elapsed() < run {
                    let (hub, message, id) = (hub.clone(), message.clone(), id.clone());
                    let task =
                        signalr_rest::runtime::spawn(
                            async move { hub.send_to_connection(&id, &message).await },
                        );
                    let sent = waiter.block_on(task).expect("the call ran");
                    assert!(sent.is_ok(), "a benchmark call failed");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// The round trip of waking another thread and being woken back (two threads passing a
/// message to and fro over std channels, which park on a futex): what a binding pays at least
/// once per call that the Rust client, running on the runtime's own threads, does not.
fn handoff_round_trip() -> Duration {
    let (to_peer, from_main) = std::sync::mpsc::channel::<()>();
    let (to_main, from_peer) = std::sync::mpsc::channel::<()>();
    let peer = std::thread::spawn(move || {
        for () in from_main {
            if to_main.send(()).is_err() {
                break;
            }
        }
    });
    let round = || {
        to_peer.send(()).expect("peer running");
        from_peer.recv().expect("peer running");
    };
    (0..200).for_each(|_| round());
    const ROUNDS: u32 = 5000;
    let started = Instant::now();
    (0..ROUNDS).for_each(|_| round());
    let took = started.elapsed() / ROUNDS;
    drop(to_peer);
    peer.join().expect("peer");
    took
}

/// `rest` with `BENCH_CONNECTION_STRING`: the client only, against that simulator.
async fn client_only(connection_string: &str, run: Duration) {
    let target = Target::new(connection_string);
    let id = std::env::var("BENCH_CONNECTION_ID").unwrap_or_else(|_| "bench-connection".into());
    println!("| workload | concurrency | calls/s |");
    println!("|---|---:|---:|");
    let mut results = Vec::new();
    for concurrency in [1, 64] {
        let rate = target.client_rate(&id, concurrency, run).await;
        println!("| signalr-rest client (Rust) -> simulator | {concurrency} | {rate:.0} |");
        results.push((concurrency, rate));
    }
    let mut from_threads = Vec::new();
    for concurrency in [1, 64] {
        let client = ServiceClient::from_connection_string(connection_string).expect("client");
        let (hub, id) = (client.hub(HUB).expect("hub"), id.clone());
        let rate = tokio::task::spawn_blocking(move || spawned_rate(hub, &id, concurrency, run))
            .await
            .expect("plain threads");
        println!("| the same, called from {concurrency} plain thread(s) via runtime::spawn | {concurrency} | {rate:.0} |");
        from_threads.push((concurrency, rate));
    }
    let handoff = handoff_round_trip();
    println!(
        "thread hand-off round trip on this machine: {:.1} µs (a Rust call at concurrency 1: {:.1} µs)",
        handoff.as_secs_f64() * 1e6,
        1e6 / results[0].1
    );
    for (concurrency, rate) in results {
        println!("RESULT rust {concurrency} {rate:.1}");
    }
    for (concurrency, rate) in from_threads {
        println!("RESULT rust-spawned {concurrency} {rate:.1}");
    }
    println!("RESULT handoff-us 1 {:.2}", handoff.as_secs_f64() * 1e6);
}

/// `rest load`: the load generator against the simulator and against the bare server.
async fn load_only(run: Duration) {
    let serve;
    let (connection_string, pid) = match std::env::var("BENCH_CONNECTION_STRING") {
        Ok(s) => (
            s,
            std::env::var("BENCH_SERVE_PID").ok().and_then(|p| p.parse().ok()),
        ),
        Err(_) => {
            serve = ServeProcess::start().await;
            (serve.connection_string.clone(), Some(serve.pid()))
        }
    };
    let (simulator, bare) = Target::new(&connection_string).load_rates(pid, run).await;
    print_load(&simulator, &bare);
    println!("RESULT simulator-load 64 {:.1}", simulator.rate);
    println!("RESULT bare-load 64 {:.1}", bare.rate);
    if let (Some(simulator), Some(bare)) = (simulator.cpu_per_call, bare.cpu_per_call) {
        println!("RESULT simulator-cpu-us 64 {:.2}", simulator.as_secs_f64() * 1e6);
        println!("RESULT bare-cpu-us 64 {:.2}", bare.as_secs_f64() * 1e6);
    }
}

fn print_load(simulator: &Served, bare: &Served) {
    println!("| workload | concurrency | calls/s | server CPU per call (µs) |");
    println!("|---|---:|---:|---:|");
    println!(
        "| load generator -> simulator | 64 | {:.0} | {} |",
        simulator.rate,
        micros(simulator.cpu_per_call)
    );
    println!(
        "| load generator -> bare axum 202 (own process) | 64 | {:.0} | {} |",
        bare.rate,
        micros(bare.cpu_per_call)
    );
    println!("(the two measured in alternating slices of the same run)");
}

/// `rest` alone: everything, against a `serve` child of its own.
async fn everything(run: Duration) {
    let serve = ServeProcess::start().await;
    let target = Target::new(&serve.connection_string);
    println!(
        "REST send-to-connection on loopback, {} s per row, 2 shared cores",
        run.as_secs_f64()
    );
    println!();
    println!("| workload | concurrency | calls/s |");
    println!("|---|---:|---:|");
    let mut rows = Vec::new();
    for concurrency in [1, 64] {
        let rate = target.client_rate("c1", concurrency, run).await;
        println!("| signalr-rest client -> simulator | {concurrency} | {rate:.0} |");
        rows.push(rate);
    }
    let (simulator, bare) = target.load_rates(Some(serve.pid()), run).await;
    println!();
    print_load(&simulator, &bare);
    println!();
    println!("simulator / bare server: {:.2}", simulator.rate / bare.rate);
    println!(
        "client (64) / load generator on the simulator: {:.2}",
        rows[1] / simulator.rate
    );
    println!("HS256 tokens signed per second (one core): {:.0}", signing_rate());
}

#[tokio::main]
async fn main() {
    let run = run_time();
    match std::env::args().nth(1).as_deref() {
        Some("bare") => bare_server().await,
        Some("load") => load_only(run).await,
        Some(other) => panic!("unknown mode {other:?}: expected bare or load"),
        None => match std::env::var("BENCH_CONNECTION_STRING") {
            Ok(connection_string) => client_only(&connection_string, run).await,
            Err(_) => everything(run).await,
        },
    }
}
