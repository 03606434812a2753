//! Shared pieces of the benchmarks: a `signalr-rest serve` child process, its memory, and
//! latency summaries.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A `signalr-rest serve --port 0` child process, killed when dropped.
pub struct ServeProcess {
    child: Child,
    /// The connection string it printed.
    pub connection_string: String,
}

impl ServeProcess {
    /// Starts the release CLI next to this binary (build it first with `cargo build --release`)
    /// as users run it: default logging (info), written to /dev/null so
    /// the figures do not depend on a terminal.
    pub async fn start() -> ServeProcess {
        Self::start_logging(None).await
    }

    /// The same with logging at warnings only: for the soak, whose memory bounds are about the
    /// clients and messages, not the allocations of 10,000 connection log lines.
    pub async fn start_quiet() -> ServeProcess {
        Self::start_logging(Some("warn")).await
    }

    async fn start_logging(level: Option<&str>) -> ServeProcess {
        let exe = std::env::current_exe().expect("own path");
        let bin: PathBuf = exe.with_file_name("signalr-rest");
        let mut command = Command::new(&bin);
        match level {
            Some(level) => command.env("RUST_LOG", level),
            None => command.env_remove("RUST_LOG"),
        };
        let mut child = command
            .args(["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("stdout piped");
        let mut lines = BufReader::new(stdout).lines();
        let connection_string = lines
            .next_line()
            .await
            .expect("read")
            .expect("a connection string line");
        ServeProcess {
            child,
            connection_string,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Open file descriptors of the process, counted in /proc/<pid>/fd.
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("/proc fd")
            .count()
    }

    /// Resident memory of the process in bytes, from /proc.
    pub fn rss_bytes(&self) -> u64 {
        let pid = self.pid();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS")
            * 1024
    }
}

/// The value at quantile `q` (0..=1) of `samples`, which get sorted.
pub fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let index = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[index]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A client's WebSocket to the simulator.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Negotiates at `client_url` with `token`, opens the WebSocket and completes the hub handshake
/// for `protocol` (`json` or `messagepack`); returns the connection id and the socket.
pub async fn connect_client(
    http: &reqwest::Client,
    client_url: &str,
    token: &str,
    protocol: &str,
) -> Result<(String, Socket), String> {
    connect_client_from(http, client_url, token, protocol, None).await
}

/// [`connect_client`] with the WebSocket's TCP connection made from `source` (a loopback
/// address: each has its own ~28,000 ephemeral ports, so 50,000 clients need two) and with
/// 4 KiB client buffers instead of tungstenite's 128 KiB, so many clients fit in memory.
pub async fn connect_client_from(
    http: &reqwest::Client,
    client_url: &str,
    token: &str,
    protocol: &str,
    source: Option<std::net::IpAddr>,
) -> Result<(String, Socket), String> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let negotiate_url = client_url.replacen("/client/?", "/client/negotiate?", 1) + "&negotiateVersion=1";
    let body = http
        .post(negotiate_url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("negotiate: {e}"))?
        .text()
        .await
        .map_err(|e| format!("negotiate body: {e}"))?;
    let answer: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("negotiate JSON: {e}"))?;
    let connection_id = answer["connectionId"]
        .as_str()
        .ok_or("negotiate gave no connectionId")?
        .to_string();
    let url = format!(
        "{}&id={}&access_token={token}",
        client_url.replacen("http", "ws", 1),
        answer["connectionToken"]
            .as_str()
            .ok_or("negotiate gave no connectionToken")?
    );
    let parsed = reqwest::Url::parse(&url).map_err(|e| format!("client URL: {e}"))?;
    let server = parsed
        .socket_addrs(|| None)
        .map_err(|e| format!("client URL: {e}"))?
        .into_iter()
        .next()
        .ok_or("the client URL has no address")?;
    let tcp = match server {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .map_err(|e| format!("socket: {e}"))?;
    if let Some(source) = source {
        tcp.bind(std::net::SocketAddr::new(source, 0))
            .map_err(|e| format!("bind {source}: {e}"))?;
    }
    let stream = tcp
        .connect(server)
        .await
        .map_err(|e| format!("connect {server}: {e}"))?;
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut socket, _) = tokio_tungstenite::client_async_with_config(
        url,
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
        Some(config),
    )
    .await
    .map_err(|e| format!("connect: {e}"))?;
    socket
        .send(Message::Text(
            format!("{{\"protocol\":\"{protocol}\",\"version\":1}}\u{1e}").into(),
        ))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    match socket.next().await {
        Some(Ok(Message::Text(reply))) if reply.as_str() == "{}\u{1e}" => Ok((connection_id, socket)),
        other => Err(format!("handshake reply: {other:?}")),
    }
}

/// CPU time (user and system) process `pid` has used so far, from /proc/<pid>/stat; `None`
/// where there is no /proc.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_second > 0).then(|| Duration::from_secs_f64(ticks as f64 / per_second as f64))
}
