//! REST throughput on loopback: the client against the simulator at concurrency 1 and 64, a
//! load generator against the simulator and against a bare axum server that answers 202 without
//! work (the machine's limit for this request shape), and HS256 signing speed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use signalr_rest::auth::{AccessKey, DEFAULT_TOKEN_LIFETIME};
use signalr_rest::{PayloadMessage, ServiceClient};
use signalr_rest_bench::ServeProcess;

const RUN: Duration = Duration::from_secs(3);
const BODY: &str = r#"{"target":"bench","arguments":["hello",{"n":1}]}"#;

/// Runs `call` from `concurrency` tasks for [`RUN`]; returns completed calls per second.
async fn calls_per_second<F, Fut>(concurrency: usize, call: F) -> f64
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
                while started.elapsed() < RUN {
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
async fn load(url: String, token: String, concurrency: usize) -> f64 {
    let http = reqwest::Client::new();
    calls_per_second(concurrency, move || {
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

async fn bare_server() -> String {
    let app = Router::new().route(
        "/api/v1/hubs/{hub}/connections/{id}",
        post(|| async { StatusCode::ACCEPTED }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("bare server") });
    format!("http://{address}")
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

#[tokio::main]
async fn main() {
    let serve = ServeProcess::start().await;
    let client = ServiceClient::from_connection_string(&serve.connection_string).expect("client");
    let hub = client.hub("bench").expect("hub");
    let message = Arc::new(PayloadMessage::new(
        "bench",
        vec!["hello".into(), serde_json::json!({"n": 1})],
    ));
    let endpoint = client.endpoint().to_string();
    let key = AccessKey::new(
        serve
            .connection_string
            .split(';')
            .find_map(|p| p.strip_prefix("AccessKey="))
            .expect("key in connection string"),
    )
    .expect("key");
    let path = "/api/v1/hubs/bench/connections/c1";
    let bare = bare_server().await;

    println!(
        "REST send-to-connection on loopback, {} s per row, 2 shared cores",
        RUN.as_secs()
    );
    println!();
    println!("| workload | concurrency | calls/s |");
    println!("|---|---:|---:|");
    let mut rows = Vec::new();
    for concurrency in [1, 64] {
        let (hub, message) = (hub.clone(), message.clone());
        let rate = calls_per_second(concurrency, move || {
            let (hub, message) = (hub.clone(), message.clone());
            async move { hub.send_to_connection("c1", &message).await.is_ok() }
        })
        .await;
        println!("| signalr-rest client -> simulator | {concurrency} | {rate:.0} |");
        rows.push(rate);
    }
    let token = key
        .sign(
            &format!("{endpoint}{path}"),
            DEFAULT_TOKEN_LIFETIME,
            &Default::default(),
        )
        .expect("sign");
    let simulator = load(format!("{endpoint}{path}"), token.clone(), 64).await;
    println!("| load generator -> simulator | 64 | {simulator:.0} |");
    let bare_rate = load(format!("{bare}{path}"), token, 64).await;
    println!("| load generator -> bare axum 202 | 64 | {bare_rate:.0} |");
    println!();
    println!("simulator / bare server: {:.2}", simulator / bare_rate);
    println!(
        "client (64) / load generator on the simulator: {:.2}",
        rows[1] / simulator
    );
    println!("HS256 tokens signed per second (one core): {:.0}", signing_rate());
}
