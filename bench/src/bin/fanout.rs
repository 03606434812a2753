//! WebSocket fan-out and memory: N real SignalR clients (JSON or MessagePack) held by this load
//! client against a `signalr-rest serve` process on the same machine. For each size and
//! protocol: the simulator's memory per idle connection, then broadcasts and group sends with a
//! 100 B and a 64 KiB argument, each measured two ways:
//! - one at a time: the next send goes out when every client has the previous one; the figure is
//!   the time from the REST call until the last client has the message (p50 and p99);
//! - overlapped: the sends go back to back; the figure is deliveries per second.
//!
//! Group sends go to one group holding every client, and to 1,000 groups (each client in one,
//! the round being one send to each group, 64 at a time). 64 KiB rows use fewer sends: each
//! moves N × 64 KiB through loopback.
//!   fanout [--quick] [SIZE ...]   (sizes default to 1000 10000 50000; --quick: 1000, fewer sends)

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use signalr_rest::protocol::{encode_ping, Encoded, Protocol};
use signalr_rest::{ClientTokenOptions, HubClient, PayloadMessage, ServiceClient};
use signalr_rest_bench::{connect_client_from, ms, quantile, ServeProcess, Socket};
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;

/// Clients opened from one loopback source address (each has about 28,000 ephemeral ports).
const CLIENTS_PER_SOURCE: usize = 20_000;
/// Groups of the many-groups rows.
const GROUPS: usize = 1_000;
/// REST calls in flight while joining groups and sending to many groups.
const CONCURRENCY: usize = 64;
/// How often each client pings, so that a long run stays within the client timeout.
const CLIENT_PING: Duration = Duration::from_secs(10);

/// Sends per row.
struct Counts {
    small: usize,
    large: usize,
}

/// One received invocation: which send it was and when it arrived.
struct Receipt {
    sequence: u32,
    at: Instant,
}

/// The sequence number a message's target carries (`t00042`), read without decoding the rest:
/// decoding a 64 KiB argument in every client would measure this load client, not the simulator.
fn sequence_of(frame: &[u8]) -> Option<u32> {
    let head = &frame[..frame.len().min(96)];
    let marks: [&[u8]; 2] = [b"\"target\":\"t", &[0xa6, b't']];
    marks.iter().find_map(|mark| {
        let at = head.windows(mark.len()).position(|w| w == *mark)? + mark.len();
        std::str::from_utf8(head.get(at..at + 5)?).ok()?.parse().ok()
    })
}

/// The clients of one run and the receipts they report.
struct Fleet {
    n: usize,
    ids: Vec<String>,
    receipts: mpsc::UnboundedReceiver<Receipt>,
    next_sequence: u32,
}

impl Fleet {
    async fn open(n: usize, protocol: &'static str, client: &ServiceClient) -> Fleet {
        let token = client
            .client_access_token("fanout", &ClientTokenOptions::default())
            .expect("token");
        let client_url = client.client_url("fanout").expect("url");
        let http = reqwest::Client::new();
        let (tx, receipts) = mpsc::unbounded_channel();
        let gate = Arc::new(Semaphore::new(CONCURRENCY));
        let opening: Vec<_> = (0..n)
            .map(|i| {
                let (http, client_url, token, tx, gate) = (
                    http.clone(),
                    client_url.clone(),
                    token.clone(),
                    tx.clone(),
                    gate.clone(),
                );
                let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (i / CLIENTS_PER_SOURCE) as u8));
                tokio::spawn(async move {
                    let _permit = gate.acquire().await.expect("gate");
                    let (id, socket) =
                        connect_client_from(&http, &client_url, &token, protocol, Some(source))
                            .await
                            .unwrap_or_else(|e| panic!("client {i}: {e}"));
                    tokio::spawn(read_receipts(socket, protocol, tx));
                    id
                })
            })
            .collect();
        let mut ids = Vec::with_capacity(n);
        for task in opening {
            ids.push(task.await.expect("client opened"));
        }
        Fleet {
            n,
            ids,
            receipts,
            next_sequence: 0,
        }
    }

    /// Sends `sends` rounds one at a time; the p50 and p99 time until the last client had each.
    async fn one_at_a_time<F, Fut>(&mut self, sends: usize, send: F) -> (Duration, Duration)
    where
        F: Fn(u32) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut times = Vec::with_capacity(sends);
        for _ in 0..sends {
            let sequence = self.sequence();
            let started = Instant::now();
            send(sequence).await;
            let last = self.gather(sequence, self.n).await;
            times.push(last - started);
        }
        (quantile(&mut times, 0.5), quantile(&mut times, 0.99))
    }

    /// Sends `sends` rounds back to back; deliveries per second until the last one arrived.
    async fn overlapped<F, Fut>(&mut self, sends: usize, send: F) -> f64
    where
        F: Fn(u32) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let first = self.next_sequence;
        let started = Instant::now();
        for _ in 0..sends {
            let sequence = self.sequence();
            send(sequence).await;
        }
        let last = self.gather(first, self.n * sends).await;
        (self.n * sends) as f64 / (last - started).as_secs_f64()
    }

    fn sequence(&mut self) -> u32 {
        self.next_sequence += 1;
        self.next_sequence
    }

    /// Waits for `expected` receipts of sequences from `first` on; when the last one arrived.
    async fn gather(&mut self, first: u32, expected: usize) -> Instant {
        let mut seen = 0;
        let mut last = Instant::now();
        while seen < expected {
            let receipt = tokio::time::timeout(Duration::from_secs(120), self.receipts.recv())
                .await
                .unwrap_or_else(|_| panic!("only {seen} of {expected} deliveries within 120 s"))
                .expect("receipts open");
            if receipt.sequence >= first {
                seen += 1;
                last = receipt.at;
            }
        }
        last
    }
}

/// Reports each invocation the socket brings, and pings the simulator now and then.
async fn read_receipts(socket: Socket, protocol: &'static str, receipts: mpsc::UnboundedSender<Receipt>) {
    let (mut writer, mut reader) = socket.split();
    let ping = match encode_ping(if protocol == "json" {
        Protocol::Json
    } else {
        Protocol::MessagePack
    }) {
        Encoded::Text(text) => Message::Text(text.into()),
        Encoded::Binary(bytes) => Message::Binary(bytes.into()),
    };
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + CLIENT_PING, CLIENT_PING);
    loop {
        tokio::select! {
            frame = reader.next() => {
                let at = Instant::now();
                let sequence = match &frame {
                    Some(Ok(Message::Text(text))) => sequence_of(text.as_bytes()),
                    Some(Ok(Message::Binary(bytes))) => sequence_of(bytes),
                    Some(Ok(_)) => None,
                    _ => return,
                };
                if let Some(sequence) = sequence {
                    let _ = receipts.send(Receipt { sequence, at });
                }
            }
            _ = pings.tick() => {
                if writer.send(ping.clone()).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn message(sequence: u32, size: usize) -> PayloadMessage {
    PayloadMessage::new(format!("t{sequence:05}"), vec!["x".repeat(size).into()])
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

fn per_connection(before: u64, after: u64, n: usize) -> String {
    format!(
        "{:.1} KiB",
        after.saturating_sub(before) as f64 / n as f64 / 1024.0
    )
}

/// Joins every client to one group (`everyone`) and to one of [`GROUPS`] groups (`g{i}`).
async fn join_groups(hub: &HubClient, ids: &[String]) {
    let joins = futures_util::stream::iter(ids.iter().enumerate())
        .map(|(i, id)| async move {
            hub.add_connection_to_group("everyone", id)
                .await
                .expect("join everyone");
            hub.add_connection_to_group(&format!("g{}", i % GROUPS), id)
                .await
                .expect("join group");
        })
        .buffer_unordered(CONCURRENCY);
    joins.collect::<Vec<()>>().await;
}

/// Sends `message` once to each of the [`GROUPS`] groups, 64 at a time.
async fn send_to_every_group(hub: &HubClient, message: &PayloadMessage) {
    futures_util::stream::iter(0..GROUPS)
        .map(|g| async move {
            hub.send_to_group(&format!("g{g}"), message, &[])
                .await
                .expect("group send");
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// Measures one size and protocol: prints its fan-out rows, returns its memory row.
async fn run(n: usize, protocol: &'static str, counts: &Counts) -> String {
    let serve = ServeProcess::start().await;
    let client = ServiceClient::from_connection_string(&serve.connection_string).expect("client");
    let hub = client.hub("fanout").expect("hub");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = serve.rss_bytes();
    let mut fleet = Fleet::open(n, protocol, &client).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = serve.rss_bytes();
    join_groups(&hub, &fleet.ids).await;

    for (size, label, sends) in [(100, "100 B", counts.small), (64 * 1024, "64 KiB", counts.large)] {
        let kinds: [(&str, usize); 3] = [("broadcast", 1), ("group (1)", 1), ("groups (1,000)", GROUPS)];
        for (kind, calls) in kinds {
            let send = |sequence: u32| {
                let hub = hub.clone();
                async move {
                    let message = message(sequence, size);
                    match kind {
                        "broadcast" => hub.send_to_all(&message, &[]).await.expect("broadcast"),
                        "group (1)" => hub
                            .send_to_group("everyone", &message, &[])
                            .await
                            .expect("group send"),
                        _ => send_to_every_group(&hub, &message).await,
                    }
                }
            };
            let (p50, p99) = fleet.one_at_a_time(sends, send).await;
            let rate = fleet.overlapped(sends, send).await;
            println!(
                "| {n} | {protocol} | {kind} | {label} | {sends} × {calls} | {} | {} | {rate:.0} |",
                ms(p50),
                ms(p99)
            );
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = serve.rss_bytes();
    format!(
        "| {n} | {protocol} | {} | {} | {} | {} | {} |",
        mib(before),
        mib(idle),
        per_connection(before, idle, n),
        mib(after),
        per_connection(before, after, n)
    )
}

/// The soft limit on open descriptors of this process.
fn descriptor_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = match (quick, sizes.is_empty()) {
        (_, false) => sizes,
        (true, true) => vec![1_000],
        (false, true) => vec![1_000, 10_000, 50_000],
    };
    let counts = if quick {
        Counts { small: 10, large: 3 }
    } else {
        Counts { small: 20, large: 5 }
    };
    let limit = descriptor_limit();
    println!(
        "WebSocket fan-out against signalr-rest serve (default logging to /dev/null); load client \
         and simulator share the machine's {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!("| connections | protocol | send | argument | sends × REST calls | time to last client, p50 | p99 | overlapped deliveries/s |");
    println!("|---:|---|---|---|---|---:|---:|---:|");
    let mut memory = Vec::new();
    for n in sizes {
        // This process holds the clients; serve, the same number (the limit is inherited).
        if n + 1_000 > limit {
            println!(
                "| {n} | | not run: the descriptor limit is {limit} (raise it with ulimit -n) | | | | | |"
            );
            continue;
        }
        for protocol in ["json", "messagepack"] {
            memory.push(run(n, protocol, &counts).await);
        }
    }
    println!();
    println!("Simulator memory (RSS): before the clients, with them idle, and after the sends above");
    println!();
    println!("| connections | protocol | before | idle | per idle connection | after the sends | per connection after |");
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for row in memory {
        println!("{row}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_read_from_either_protocol() {
        let message = message(42, 10);
        for protocol in [Protocol::Json, Protocol::MessagePack] {
            let frame = match signalr_rest::protocol::encode_invocation(protocol, &message) {
                Encoded::Text(text) => text.into_bytes(),
                Encoded::Binary(bytes) => bytes,
            };
            assert_eq!(sequence_of(&frame), Some(42), "{protocol:?}");
        }
        assert_eq!(sequence_of(b"{\"type\":6}\x1e"), None);
    }
}
