//! Soak run (issue 15): N WebSocket clients (JSON and MessagePack alternating) on a
//! `signalr-rest serve` process while REST senders broadcast, send to groups, users and single
//! connections for S seconds. Every message carries (stream, sequence); each client counts what
//! it got per stream against what the senders had acknowledged with 202 for it, and checks the
//! sequence only ever rises. One extra client stops reading its socket and is sent large
//! messages until the simulator closes it for overflowing its queue. The simulator's RSS and
//! open descriptors are read before, at the peak and after the clients leave.
//!
//! `soak [--clients N] [--seconds S]`; exits non-zero when anything was lost, reordered or left
//! behind.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_rest::protocol::{self, decode_json, decode_msgpack, Encoded, HubMessage, Protocol};
use signalr_rest::simulator::{OVERFLOW_REASON, QUEUE_CAPACITY_BYTES};
use signalr_rest::{ClientTokenOptions, HubClient, PayloadMessage, ServiceClient};
use signalr_rest_bench::{connect_client, ServeProcess, Socket};
use tokio::sync::{watch, Semaphore};
use tokio::time::{interval, sleep, timeout, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

const HUB: &str = "soak";
/// Sender streams per kind other than broadcast (each sends sequentially, waiting for its 202).
const STREAMS_PER_KIND: usize = 4;
/// Connections per group and per user.
const GROUP_SIZE: usize = 100;
const CONNECTIONS_PER_USER: usize = 5;
/// Sends per second, summed over a kind's streams.
const GROUP_RATE: f64 = 100.0;
const USER_RATE: f64 = 200.0;
const CONNECTION_RATE: f64 = 200.0;
/// Broadcast deliveries per second aimed at (the broadcast rate is this over the client count).
const BROADCAST_DELIVERIES: f64 = 40_000.0;
/// Size of each message sent to the slow consumer.
const SLOW_MESSAGE_BYTES: usize = 64 * 1024;
/// Clients ping this often; the simulator drops one silent for 30 s.
const PING_EVERY: Duration = Duration::from_secs(10);
const MIB: f64 = 1024.0 * 1024.0;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Broadcast,
    Group,
    User,
    Connection,
}

/// One sender: a kind, the targets it cycles through, and its pace.
struct Stream {
    kind: Kind,
    targets: Vec<String>,
    every: Duration,
}

/// What a sender got acknowledged: 202s per target, and failures.
#[derive(Default)]
struct Sent {
    acked: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    last: Vec<Option<u64>>,
    count: Vec<u64>,
    out_of_order: u64,
    undecodable: u64,
    /// Set when the connection ended before the run did.
    ended_early: Option<String>,
}

impl Tally {
    fn new(streams: usize) -> Tally {
        Tally {
            last: vec![None; streams],
            count: vec![0; streams],
            ..Tally::default()
        }
    }

    /// Counts one invocation; false when it was not one of ours.
    fn record(&mut self, message: &PayloadMessage) -> bool {
        let values = message.arguments.to_values();
        let (Some(stream), Some(seq)) = (
            values.first().and_then(|v| v.as_u64()),
            values.get(1).and_then(|v| v.as_u64()),
        ) else {
            self.undecodable += 1;
            return false;
        };
        let Some(last) = self.last.get_mut(stream as usize) else {
            self.undecodable += 1;
            return false;
        };
        if last.is_some_and(|l| seq <= l) {
            self.out_of_order += 1;
        }
        *last = Some(seq);
        self.count[stream as usize] += 1;
        true
    }
}

fn ws(encoded: Encoded) -> Message {
    match encoded {
        Encoded::Text(text) => Message::Text(text.into()),
        Encoded::Binary(bytes) => Message::Binary(bytes.into()),
    }
}

fn decode(message: &Message) -> Option<Result<Vec<HubMessage>, String>> {
    match message {
        Message::Text(text) => Some(decode_json(text.as_str())),
        Message::Binary(bytes) => Some(decode_msgpack(bytes)),
        _ => None,
    }
}

/// Reads a client's socket until told to stop; pings so the simulator keeps it.
async fn run_client(
    socket: Socket,
    protocol: Protocol,
    streams: usize,
    mut stop: watch::Receiver<bool>,
    received: Arc<AtomicU64>,
) -> Tally {
    let mut tally = Tally::new(streams);
    let (mut writer, mut reader) = socket.split();
    let mut ping = interval(PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = ping.tick() => {
                if writer.send(ws(protocol::encode_ping(protocol))).await.is_err() {
                    tally.ended_early.get_or_insert("ping failed".into());
                    break;
                }
            }
            incoming = reader.next() => {
                let Some(Ok(message)) = incoming else {
                    tally.ended_early.get_or_insert(format!("socket ended: {incoming:?}"));
                    break;
                };
                match decode(&message) {
                    Some(Ok(messages)) => {
                        for m in messages {
                            match m {
                                HubMessage::Invocation(m) => {
                                    let ours = tally.record(&m);
                                    received.fetch_add(u64::from(ours), Ordering::Relaxed);
                                }
                                HubMessage::Close { error, .. } => {
                                    tally.ended_early.get_or_insert(format!("closed by the simulator: {error:?}"));
                                }
                                _ => {}
                            }
                        }
                    }
                    Some(Err(_)) => tally.undecodable += 1,
                    None => {}
                }
                if tally.ended_early.is_some() {
                    break;
                }
            }
        }
    }
    // Leave cleanly: a close frame, then read until the simulator's close completes the handshake.
    let _ = timeout(Duration::from_secs(5), writer.send(Message::Close(None))).await;
    let _ = timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = reader.next().await {}
    })
    .await;
    tally
}

/// The slow consumer: connected, pinging, but reading nothing until `drain` fires; then reads
/// what was queued for it and returns the Close message's error, if one came.
async fn run_slow(socket: Socket, mut drain: watch::Receiver<bool>) -> Result<Option<String>, String> {
    let (mut writer, mut reader) = socket.split();
    let mut ping = interval(PING_EVERY);
    loop {
        tokio::select! {
            _ = drain.changed() => break,
            _ = ping.tick() => {
                let _ = writer.send(ws(protocol::encode_ping(Protocol::Json))).await;
            }
        }
    }
    let read = async {
        while let Some(Ok(message)) = reader.next().await {
            if let Some(Ok(messages)) = decode(&message) {
                for m in messages {
                    if let HubMessage::Close { error, .. } = m {
                        return Ok(error);
                    }
                }
            }
        }
        Ok(None)
    };
    let result = timeout(Duration::from_secs(30), read)
        .await
        .unwrap_or(Err("still open 30 s after it resumed reading".into()));
    let _ = timeout(Duration::from_secs(5), writer.send(Message::Close(None))).await;
    result
}

async fn send(hub: &HubClient, kind: Kind, target: &str, message: &PayloadMessage) -> Result<(), String> {
    let result = match kind {
        Kind::Broadcast => hub.send_to_all(message, &[]).await,
        Kind::Group => hub.send_to_group(target, message, &[]).await,
        Kind::User => hub.send_to_user(target, message).await,
        Kind::Connection => hub.send_to_connection(target, message).await,
    };
    result.map_err(|e| e.to_string())
}

/// Sends until `deadline`, one message at a time, cycling through the stream's targets.
async fn run_stream(hub: HubClient, id: usize, stream: Arc<Stream>, deadline: Instant) -> Sent {
    let mut sent = Sent {
        acked: vec![0; stream.targets.len()],
        ..Sent::default()
    };
    let mut tick = interval(stream.every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut seq: u64 = 0;
    while Instant::now() < deadline {
        tick.tick().await;
        let index = seq as usize % stream.targets.len();
        let message = PayloadMessage::new("soak", vec![id.into(), seq.into(), "payload".into()]);
        match send(&hub, stream.kind, &stream.targets[index], &message).await {
            Ok(()) => sent.acked[index] += 1,
            Err(e) => {
                sent.errors += 1;
                sent.first_error.get_or_insert(e);
            }
        }
        seq += 1;
    }
    sent
}

/// Sends large messages to the slow consumer until the simulator no longer knows it.
async fn run_slow_sender(hub: HubClient, id: usize, connection: String) -> (u64, bool, Duration) {
    let started = Instant::now();
    let padding = "x".repeat(SLOW_MESSAGE_BYTES);
    // Enough to overflow the byte bound several times over, kernel socket buffers included.
    let most = (8 * QUEUE_CAPACITY_BYTES / SLOW_MESSAGE_BYTES) as u64;
    let mut seq = 0;
    while seq < most {
        let message = PayloadMessage::new("soak", vec![id.into(), seq.into(), padding.as_str().into()]);
        let _ = hub.send_to_connection(&connection, &message).await;
        seq += 1;
        if seq % 16 == 0 && !hub.connection_exists(&connection).await.unwrap_or(true) {
            return (seq, true, started.elapsed());
        }
    }
    let gone = !hub.connection_exists(&connection).await.unwrap_or(true);
    (seq, gone, started.elapsed())
}

#[derive(Clone, Copy, Default)]
struct Usage {
    rss: u64,
    fds: usize,
}

fn usage(serve: &ServeProcess) -> Usage {
    Usage {
        rss: serve.rss_bytes(),
        fds: serve.fd_count(),
    }
}

fn parse_args() -> (usize, u64) {
    let mut clients = 10_000;
    let mut seconds = 60;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (arg.as_str(), value) {
            ("--clients", Some(n)) if n >= 2 => clients = n as usize,
            ("--seconds", Some(s)) if s >= 1 => seconds = s,
            _ => {
                eprintln!("usage: soak [--clients N (2 or more)] [--seconds S]");
                std::process::exit(2);
            }
        }
    }
    (clients, seconds)
}

#[tokio::main]
async fn main() {
    let (n, seconds) = parse_args();
    let started = Instant::now();
    let serve = ServeProcess::start_quiet().await;
    let service = ServiceClient::from_connection_string(&serve.connection_string).expect("client");
    let hub = service.hub(HUB).expect("hub");
    let client_url = service.client_url(HUB).expect("url");
    let http = reqwest::Client::new();
    sleep(Duration::from_millis(500)).await;
    let baseline = usage(&serve);
    eprintln!(
        "soak: simulator pid {} baseline RSS {:.1} MiB, {} fds",
        serve.pid(),
        baseline.rss as f64 / MIB,
        baseline.fds
    );

    // Who gets what: client i is in group i / GROUP_SIZE and is user i % users.
    let groups = n.div_ceil(GROUP_SIZE);
    let users = (n / CONNECTIONS_PER_USER).max(1);
    let group_streams = STREAMS_PER_KIND.min(groups);
    let user_streams = STREAMS_PER_KIND.min(users);
    let connection_streams = STREAMS_PER_KIND.min(n);

    // Connect the clients, 64 at a time.
    let (stop_tx, stop_rx) = watch::channel(false);
    let received = Arc::new(AtomicU64::new(0));
    let stream_count = 1 + group_streams + user_streams + connection_streams + 1;
    let gate = Arc::new(Semaphore::new(64));
    let opening: Vec<_> = (0..n)
        .map(|i| {
            let (http, client_url, gate) = (http.clone(), client_url.clone(), gate.clone());
            let token = service
                .client_access_token(
                    HUB,
                    &ClientTokenOptions {
                        user_id: Some(format!("user-{}", i % users)),
                        ..ClientTokenOptions::default()
                    },
                )
                .expect("token");
            tokio::spawn(async move {
                let _permit = gate.acquire().await.expect("gate");
                let protocol = if i % 2 == 0 { "json" } else { "messagepack" };
                let mut last_error = String::new();
                for _ in 0..3 {
                    match connect_client(&http, &client_url, &token, protocol).await {
                        Ok(opened) => return opened,
                        Err(e) => last_error = e,
                    }
                    sleep(Duration::from_millis(200)).await;
                }
                panic!("client {i} could not connect: {last_error}");
            })
        })
        .collect();
    let mut ids = Vec::with_capacity(n);
    let mut clients = Vec::with_capacity(n);
    for (i, task) in opening.into_iter().enumerate() {
        let (id, socket) = task.await.expect("client opened");
        ids.push(id);
        let protocol = if i % 2 == 0 {
            Protocol::Json
        } else {
            Protocol::MessagePack
        };
        clients.push(tokio::spawn(run_client(
            socket,
            protocol,
            stream_count,
            stop_rx.clone(),
            received.clone(),
        )));
    }
    eprintln!(
        "soak: {n} clients connected in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let gate = Arc::new(Semaphore::new(64));
    let joins: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (hub, gate, id) = (hub.clone(), gate.clone(), id.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire().await.expect("gate");
                hub.add_connection_to_group(&format!("group-{}", i / GROUP_SIZE), &id)
                    .await
                    .expect("join");
            })
        })
        .collect();
    for join in joins {
        join.await.expect("joined");
    }

    // The slow consumer: connected last, so it is not silent for long before the run.
    let slow_token = service
        .client_access_token(HUB, &ClientTokenOptions::default())
        .expect("token");
    let (slow_id, slow_socket) = connect_client(&http, &client_url, &slow_token, "json")
        .await
        .expect("slow consumer connects");
    let (drain_tx, drain_rx) = watch::channel(false);
    let slow_client = tokio::spawn(run_slow(slow_socket, drain_rx));

    // The streams: 0 broadcast, then group, user and connection streams, then the slow one.
    let broadcast_rate = (BROADCAST_DELIVERIES / n as f64).clamp(1.0, 40.0);
    let mut streams = vec![Stream {
        kind: Kind::Broadcast,
        targets: vec!["all".into()],
        every: Duration::from_secs_f64(1.0 / broadcast_rate),
    }];
    let split = |count: usize, k: usize, per: usize, name: &dyn Fn(usize) -> String| -> Vec<String> {
        (0..count).filter(|t| t % per == k).map(name).collect()
    };
    for k in 0..group_streams {
        streams.push(Stream {
            kind: Kind::Group,
            targets: split(groups, k, group_streams, &|g| format!("group-{g}")),
            every: Duration::from_secs_f64(group_streams as f64 / GROUP_RATE),
        });
    }
    for k in 0..user_streams {
        streams.push(Stream {
            kind: Kind::User,
            targets: split(users, k, user_streams, &|u| format!("user-{u}")),
            every: Duration::from_secs_f64(user_streams as f64 / USER_RATE),
        });
    }
    for k in 0..connection_streams {
        streams.push(Stream {
            kind: Kind::Connection,
            targets: split(n, k, connection_streams, &|i| ids[i].clone()),
            every: Duration::from_secs_f64(connection_streams as f64 / CONNECTION_RATE),
        });
    }
    let slow_stream = streams.len();
    assert_eq!(slow_stream + 1, stream_count);
    let streams: Vec<Arc<Stream>> = streams.into_iter().map(Arc::new).collect();

    // Resource sampler: the peak while clients are connected.
    let peak = Arc::new(std::sync::Mutex::new(usage(&serve)));
    let pid = serve.pid();
    let sampler = {
        let peak = peak.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut tick = interval(Duration::from_millis(250));
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tick.tick() => {
                        let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
                            .ok()
                            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmRSS:")).map(str::to_string))
                            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                            .unwrap_or(0) * 1024;
                        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
                        let mut peak = peak.lock().expect("peak");
                        peak.rss = peak.rss.max(rss);
                        peak.fds = peak.fds.max(fds);
                    }
                }
            }
        })
    };

    let run_started = Instant::now();
    let deadline = run_started + Duration::from_secs(seconds);
    eprintln!("soak: sending for {seconds} s ({broadcast_rate:.1} broadcasts/s)");
    let senders: Vec<_> = streams
        .iter()
        .enumerate()
        .map(|(id, stream)| tokio::spawn(run_stream(hub.clone(), id, stream.clone(), deadline)))
        .collect();
    // The slow consumer is overflowed a little into the run, while the others are busy.
    sleep(Duration::from_secs(seconds.min(2))).await;
    let (slow_sends, slow_gone, slow_took) = run_slow_sender(hub.clone(), slow_stream, slow_id.clone()).await;
    let _ = drain_tx.send(true);
    let slow_reason = slow_client.await.expect("slow consumer task");
    eprintln!(
        "soak: slow consumer gone={slow_gone} after {slow_sends} sends of {} KiB in {:.1} s, close: {slow_reason:?}",
        SLOW_MESSAGE_BYTES / 1024,
        slow_took.as_secs_f64()
    );

    let mut sent = Vec::with_capacity(senders.len());
    for sender in senders {
        sent.push(sender.await.expect("sender"));
    }
    let send_seconds = run_started.elapsed().as_secs_f64();

    // Expected per client, per stream.
    let expected_for = |i: usize| -> Vec<u64> {
        let mut expected = vec![0; stream_count];
        expected[0] = sent[0].acked[0];
        let g = i / GROUP_SIZE;
        let s = 1 + g % group_streams;
        expected[s] = sent[s].acked[g / group_streams];
        let u = i % users;
        let s = 1 + group_streams + u % user_streams;
        expected[s] = sent[s].acked[u / user_streams];
        let s = 1 + group_streams + user_streams + i % connection_streams;
        expected[s] = sent[s].acked[i / connection_streams];
        expected
    };
    let total_expected: u64 = (0..n).map(|i| expected_for(i).iter().sum::<u64>()).sum();

    // Let in-flight deliveries land: until all arrived, or nothing arrived for 15 s.
    let mut last = received.load(Ordering::Relaxed);
    let mut last_progress = Instant::now();
    while last < total_expected && last_progress.elapsed() < Duration::from_secs(15) {
        sleep(Duration::from_millis(100)).await;
        let now = received.load(Ordering::Relaxed);
        if now != last {
            last = now;
            last_progress = Instant::now();
        }
    }
    let connected = hub.connection_exists(&ids[0]).await.unwrap_or(false);
    let peak = *peak.lock().expect("peak");

    let _ = stop_tx.send(true);
    let _ = sampler.await;
    let mut lost = 0u64;
    let mut extra = 0u64;
    let mut out_of_order = 0u64;
    let mut undecodable = 0u64;
    let mut received_total = 0u64;
    let mut ended_early = Vec::new();
    let mut lossy_clients = 0usize;
    for (i, client) in clients.into_iter().enumerate() {
        let tally = client.await.expect("client task");
        let expected = expected_for(i);
        let mut client_lost = 0;
        for (s, &want) in expected.iter().enumerate() {
            let got = tally.count[s];
            received_total += got;
            client_lost += want.saturating_sub(got);
            extra += got.saturating_sub(want);
        }
        if client_lost > 0 {
            lossy_clients += 1;
        }
        lost += client_lost;
        out_of_order += tally.out_of_order;
        undecodable += tally.undecodable;
        if let Some(reason) = tally.ended_early {
            ended_early.push((i, reason));
        }
    }

    // The load side's idle keep-alive connections would count against the simulator's fds.
    drop((hub, service, http));
    // Clients have left: wait for the simulator to give back memory and descriptors.
    let rss_bound = (baseline.rss + 20 * 1024 * 1024).max(baseline.rss + baseline.rss / 4);
    let fd_bound = baseline.fds + 10;
    let settle_started = Instant::now();
    let mut after = usage(&serve);
    while (after.rss > rss_bound || after.fds > fd_bound)
        && settle_started.elapsed() < Duration::from_secs(30)
    {
        sleep(Duration::from_millis(500)).await;
        after = usage(&serve);
    }
    let settled_in = settle_started.elapsed().as_secs_f64();

    let kinds = [Kind::Broadcast, Kind::Group, Kind::User, Kind::Connection];
    let sends_of = |kind: Kind| -> (u64, u64) {
        streams
            .iter()
            .zip(&sent)
            .filter(|(s, _)| s.kind == kind)
            .fold((0, 0), |(a, e), (_, r)| {
                (a + r.acked.iter().sum::<u64>(), e + r.errors)
            })
    };
    let send_errors: u64 = sent.iter().map(|s| s.errors).sum();
    let slow_closed = slow_gone && matches!(&slow_reason, Ok(Some(r)) if r == OVERFLOW_REASON);
    let others_ok = ended_early.is_empty() && connected;
    let rss_back = after.rss <= rss_bound;
    let fds_back = after.fds <= fd_bound;

    println!();
    println!(
        "Soak: {n} clients ({} JSON, {} MessagePack) + 1 slow consumer, {seconds} s of sends, simulator and load on the same machine",
        n.div_ceil(2),
        n / 2
    );
    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| clients | {n} + 1 slow |");
    println!("| protocols | JSON {} / MessagePack {} |", n.div_ceil(2), n / 2);
    println!("| seconds of sends | {seconds} (took {send_seconds:.1}) |");
    println!("| groups / users | {groups} of {GROUP_SIZE} / {users} of {CONNECTIONS_PER_USER} connections |");
    for kind in kinds {
        let (acked, errors) = sends_of(kind);
        println!(
            "| {} sends (202 / failed) | {acked} / {errors} |",
            format!("{kind:?}").to_lowercase()
        );
    }
    println!("| deliveries expected | {total_expected} |");
    println!("| deliveries received | {received_total} |");
    println!("| lost | {lost} (on {lossy_clients} clients) |");
    println!("| extra (unexpected or duplicate) | {extra} |");
    println!("| out of order | {out_of_order} |");
    println!("| undecodable | {undecodable} |");
    println!("| others closed early | {} |", ended_early.len());
    println!(
        "| slow consumer closed | {} ({slow_sends} sends of {} KiB, {:.1} s; close reason: {}) |",
        if slow_closed { "yes" } else { "no" },
        SLOW_MESSAGE_BYTES / 1024,
        slow_took.as_secs_f64(),
        match &slow_reason {
            Ok(Some(r)) if r == OVERFLOW_REASON => "OVERFLOW_REASON".to_string(),
            other => format!("{other:?}"),
        }
    );
    println!(
        "| simulator RSS baseline / peak / after | {:.1} / {:.1} / {:.1} MiB (bound {:.1}) |",
        baseline.rss as f64 / MIB,
        peak.rss as f64 / MIB,
        after.rss as f64 / MIB,
        rss_bound as f64 / MIB
    );
    println!(
        "| simulator fds baseline / peak / after | {} / {} / {} (bound {fd_bound}) |",
        baseline.fds, peak.fds, after.fds
    );
    println!("| settle wait after clients left | {settled_in:.1} s |");
    println!("| wall time | {:.1} s |", started.elapsed().as_secs_f64());

    let mut failures = Vec::new();
    if send_errors > 0 {
        failures.push(format!(
            "{send_errors} sends failed, first: {}",
            sent.iter()
                .find_map(|s| s.first_error.clone())
                .unwrap_or_default()
        ));
    }
    if lost > 0 {
        failures.push(format!("{lost} messages lost"));
    }
    if extra > 0 {
        failures.push(format!("{extra} unexpected or duplicate messages"));
    }
    if out_of_order > 0 {
        failures.push(format!("{out_of_order} messages out of order"));
    }
    if undecodable > 0 {
        failures.push(format!("{undecodable} frames not understood"));
    }
    if !others_ok {
        failures.push(format!(
            "{} other clients closed early (first: {:?}), first client still connected: {connected}",
            ended_early.len(),
            ended_early.first()
        ));
    }
    if !slow_closed {
        failures.push(format!(
            "the slow consumer was not closed with the overflow reason (gone: {slow_gone}, close: {slow_reason:?})"
        ));
    }
    if !rss_back {
        failures.push(format!(
            "simulator RSS not back to baseline: {:.1} MiB after {settled_in:.0} s, bound {:.1} MiB (baseline {:.1})",
            after.rss as f64 / MIB,
            rss_bound as f64 / MIB,
            baseline.rss as f64 / MIB
        ));
    }
    if !fds_back {
        failures.push(format!(
            "simulator file descriptors not back to baseline: {} after {settled_in:.0} s, bound {fd_bound}",
            after.fds
        ));
    }
    drop(serve);
    println!();
    if failures.is_empty() {
        println!("soak: passed");
    } else {
        for failure in &failures {
            eprintln!("soak: FAILED: {failure}");
        }
        std::process::exit(1);
    }
}
