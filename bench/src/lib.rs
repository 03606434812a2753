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
    /// Starts the release CLI next to this binary (build it first with `cargo build --release`).
    pub async fn start() -> ServeProcess {
        let exe = std::env::current_exe().expect("own path");
        let bin: PathBuf = exe.with_file_name("signalr-rest");
        let mut child = Command::new(&bin)
            .args(["serve", "--port", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
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

    /// Resident memory of the process in bytes, from /proc.
    pub fn rss_bytes(&self) -> u64 {
        let pid = self.child.id().expect("running");
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
