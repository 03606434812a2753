//! WebSocket fan-out: N real SignalR connections (JSON protocol) held by this load client
//! against a `signalr-rest serve` process; broadcast and group sends; deliveries per second,
//! latency from the REST call to receipt, and the simulator's memory per idle connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use signalr_rest::protocol::{decode_json, HubMessage};
use signalr_rest::{ClientTokenOptions, PayloadMessage, ServiceClient};
use signalr_rest_bench::{ms, quantile, ServeProcess};
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;

const MESSAGES: usize = 20;

/// One received invocation: which send it was and when it arrived.
struct Receipt {
    sequence: u64,
    at: Instant,
}

/// Negotiates, opens the WebSocket, handshakes, and forwards receipts; returns the connection id.
async fn open_client(
    http: reqwest::Client,
    client_url: String,
    token: String,
    receipts: mpsc::UnboundedSender<Receipt>,
) -> String {
    let negotiate_url = client_url.replacen("/client/?", "/client/negotiate?", 1) + "&negotiateVersion=1";
    let answer: serde_json::Value = serde_json::from_str(
        &http
            .post(negotiate_url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("negotiate")
            .text()
            .await
            .expect("body"),
    )
    .expect("negotiate JSON");
    let url = format!(
        "{}&id={}&access_token={token}",
        client_url.replacen("http", "ws", 1),
        answer["connectionToken"].as_str().expect("connectionToken")
    );
    let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let (mut writer, mut reader) = socket.split();
    writer
        .send(Message::Text(
            "{\"protocol\":\"json\",\"version\":1}\u{1e}".into(),
        ))
        .await
        .expect("handshake");
    let _ack = reader
        .next()
        .await
        .expect("handshake reply")
        .expect("handshake reply");
    let connection_id = answer["connectionId"].as_str().expect("connectionId").to_string();
    tokio::spawn(async move {
        let _writer = writer;
        while let Some(Ok(Message::Text(text))) = reader.next().await {
            let at = Instant::now();
            for message in decode_json(text.as_str()).unwrap_or_default() {
                if let HubMessage::Invocation(m) = message {
                    let sequence = m
                        .arguments
                        .to_values()
                        .first()
                        .and_then(|v| v.as_u64())
                        .unwrap_or(0);
                    let _ = receipts.send(Receipt { sequence, at });
                }
            }
        }
    });
    connection_id
}

/// Sends [`MESSAGES`] through `send`, then gathers `expected` receipts; prints a table row.
async fn measure<F, Fut>(label: &str, n: usize, receipts: &mut mpsc::UnboundedReceiver<Receipt>, send: F)
where
    F: Fn(PayloadMessage) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut sent_at = Vec::with_capacity(MESSAGES);
    let started = Instant::now();
    for sequence in 0..MESSAGES {
        sent_at.push(Instant::now());
        send(PayloadMessage::new(
            "tick",
            vec![(sequence as u64).into(), "payload".into()],
        ))
        .await;
    }
    let expected = n * MESSAGES;
    let mut latencies = Vec::with_capacity(expected);
    let mut last = started;
    while latencies.len() < expected {
        let receipt = tokio::time::timeout(Duration::from_secs(60), receipts.recv())
            .await
            .expect("all deliveries within 60 s")
            .expect("receipts open");
        latencies.push(receipt.at - sent_at[receipt.sequence as usize]);
        last = last.max(receipt.at);
    }
    let rate = expected as f64 / (last - started).as_secs_f64();
    let (p50, p99) = (quantile(&mut latencies, 0.5), quantile(&mut latencies, 0.99));
    println!(
        "| {label} | {n} | {expected} | {rate:.0} | {} | {} |",
        ms(p50),
        ms(p99)
    );
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    println!("WebSocket fan-out, {MESSAGES} sends per row, load client and simulator on the same 2 cores");
    println!();
    println!("| send | connections | deliveries | deliveries/s | p50 latency | p99 latency |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut memory = Vec::new();
    for n in sizes {
        let serve = ServeProcess::start().await;
        let client = ServiceClient::from_connection_string(&serve.connection_string).expect("client");
        let hub = client.hub("fanout").expect("hub");
        let token = client
            .client_access_token("fanout", &ClientTokenOptions::default())
            .expect("token");
        let client_url = client.client_url("fanout").expect("url");
        let http = reqwest::Client::new();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let idle_before = serve.rss_bytes();

        let (tx, mut receipts) = mpsc::unbounded_channel();
        let gate = Arc::new(Semaphore::new(64));
        let opening: Vec<_> = (0..n)
            .map(|_| {
                let (http, client_url, token, tx, gate) = (
                    http.clone(),
                    client_url.clone(),
                    token.clone(),
                    tx.clone(),
                    gate.clone(),
                );
                tokio::spawn(async move {
                    let _permit = gate.acquire().await.expect("gate");
                    open_client(http, client_url, token, tx).await
                })
            })
            .collect();
        let mut ids = Vec::with_capacity(n);
        for task in opening {
            ids.push(task.await.expect("client opened"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle_after = serve.rss_bytes();
        memory.push((n, idle_before, idle_after));

        measure("broadcast", n, &mut receipts, |m| {
            let hub = hub.clone();
            async move { hub.send_to_all(&m, &[]).await.expect("broadcast") }
        })
        .await;

        let gate = Arc::new(Semaphore::new(64));
        let joins: Vec<_> = ids
            .into_iter()
            .map(|id| {
                let (hub, gate) = (hub.clone(), gate.clone());
                tokio::spawn(async move {
                    let _permit = gate.acquire().await.expect("gate");
                    hub.add_connection_to_group("everyone", &id).await.expect("join");
                })
            })
            .collect();
        for join in joins {
            join.await.expect("joined");
        }
        measure("group", n, &mut receipts, |m| {
            let hub = hub.clone();
            async move { hub.send_to_group("everyone", &m, &[]).await.expect("group send") }
        })
        .await;
    }
    println!();
    println!("| connections | simulator RSS before | after | per idle connection |");
    println!("|---:|---:|---:|---:|");
    for (n, before, after) in memory {
        println!(
            "| {n} | {:.1} MiB | {:.1} MiB | {:.1} KiB |",
            before as f64 / 1048576.0,
            after as f64 / 1048576.0,
            after.saturating_sub(before) as f64 / n as f64 / 1024.0
        );
    }
}
