//! Runs the built `signalr-rest` binary: against a `serve` process of its own, and against an
//! in-process simulator whose virtual clients show what was delivered.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use signalr_rest::{Arguments, Simulator, SimulatorOptions};

const BIN: &str = env!("CARGO_BIN_EXE_signalr-rest");

/// The CLI's documented default access key.
const DEV_KEY: &str = "SignalRRestDevKey0000000000000000000000000000";

/// A connection string nothing listens on: verbs that must fail before any request use it,
/// so a request that did go out would show up as exit 1 instead of 2.
const UNREACHABLE: &str = "Endpoint=http://127.0.0.1:9;AccessKey=key;Version=1.0;";

/// The environment variables `serve` reads its settings from.
const SERVE_ENV: [&str; 4] = [
    "SIGNALR_REST_HOST",
    "SIGNALR_REST_PORT",
    "SIGNALR_REST_ACCESS_KEY",
    "SIGNALR_REST_ADVERTISE_URL",
];

/// A `serve` child process, killed when dropped so no test leaks one.
struct Serve {
    child: Child,
    first_line: String,
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        Serve::spawn(&[&["--port", "0"], extra].concat(), &[])
    }

    /// `serve` with `args`, the serve settings from the environment only as `env` gives them.
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut command = Command::new(BIN);
        command.arg("serve").args(args);
        for name in SERVE_ENV {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        let mut child = command
            .env_remove("SIGNALR_CONNECTION_STRING")
            .env("RUST_LOG", "info,signalr_rest::requests=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let first = lines_of(child.stdout.take().expect("stdout piped"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut pipe = child.stderr.take().expect("stderr piped");
        // Drained continuously so a chatty log can never fill the pipe and stall the server.
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut serve = Serve {
            child,
            first_line: String::new(),
            stderr,
        };
        serve.first_line = first
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("serve printed no line; stderr: {}", serve.stderr()));
        serve
    }

    fn connection_string(&self) -> &str {
        &self.first_line
    }

    fn port(&self) -> u16 {
        let after = self
            .first_line
            .split("Endpoint=http://127.0.0.1:")
            .nth(1)
            .expect("endpoint on 127.0.0.1");
        after[..after.find(';').expect(";")]
            .parse()
            .expect("numeric port")
    }

    /// The port the log says the simulator bound, whatever endpoint the first line names.
    fn bound_port(&self) -> u16 {
        self.wait_for_log("simulator listening");
        let log = self.stderr();
        let after = log
            .split("simulator listening address=127.0.0.1:")
            .nth(1)
            .unwrap_or_else(|| panic!("no bound address in the log: {log}"));
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().expect("numeric port")
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the serve log contains `text`.
    fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.stderr().contains(text) {
            assert!(
                Instant::now() < deadline,
                "log never showed {text:?}: {}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the CLI with `connection_string` and `args`, isolated from the caller's environment.
fn cli(connection_string: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--connection-string")
        .arg(connection_string)
        .args(args)
        .env_remove("SIGNALR_CONNECTION_STRING")
        .env_remove("AZURE_SIGNALR_APPLICATION_NAME")
        .env_remove("AZURE_SIGNALR_ACCESS_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run signalr-rest")
}

/// [`cli`] from async tests, off the runtime threads so the in-process simulator keeps serving.
async fn cli_async(connection_string: &str, args: &[&str]) -> Output {
    let connection_string = connection_string.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&connection_string, &args)
    })
    .await
    .expect("cli task")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

#[test]
fn serve_prints_the_connection_string_with_the_bound_port_first() {
    let serve = Serve::start(&["--access-key", "my-key"]);
    let port = serve.port();
    assert_ne!(port, 0);
    assert_eq!(
        serve.connection_string(),
        format!("Endpoint=http://127.0.0.1:{port};AccessKey=my-key;Version=1.0;")
    );
}

#[test]
fn serve_defaults_to_the_documented_dev_key() {
    let serve = Serve::start(&[]);
    assert!(
        serve
            .connection_string()
            .contains(&format!(";AccessKey={DEV_KEY};")),
        "{}",
        serve.connection_string()
    );
    let output = cli(serve.connection_string(), &["health"]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "");
}

#[test]
fn serve_takes_host_port_key_and_advertised_url_from_the_environment() {
    let serve = Serve::spawn(
        &[],
        &[
            ("SIGNALR_REST_HOST", "127.0.0.1"),
            ("SIGNALR_REST_PORT", "0"),
            ("SIGNALR_REST_ACCESS_KEY", "env-key"),
            ("SIGNALR_REST_ADVERTISE_URL", "http://localhost:1/"),
        ],
    );
    assert_eq!(
        serve.connection_string(),
        "Endpoint=http://localhost:1;AccessKey=env-key;Version=1.0;"
    );
    assert!(
        !serve.stderr().contains("env-key"),
        "the key stays out of the log"
    );
    // Reached by another name than the bound 127.0.0.1 (as a container is through a published
    // port), the simulator still accepts the tokens: it checks them against the Host header.
    let port = serve.bound_port();
    let outside = format!("Endpoint=http://localhost:{port};AccessKey=env-key;Version=1.0;");
    let sent = cli(&outside, &["send", "all", "--hub", "chat", "--target", "t", "1"]);
    assert_exit(&sent, 0);
    assert_exit(&cli(&outside, &["health"]), 0);
}

#[test]
fn advertise_url_option_wins_over_the_environment_and_bad_ones_exit_2() {
    let serve = Serve::spawn(
        &["--port", "0", "--advertise-url", "http://sim.test:8888"],
        &[("SIGNALR_REST_ADVERTISE_URL", "http://localhost:1")],
    );
    assert!(
        serve
            .connection_string()
            .starts_with("Endpoint=http://sim.test:8888;AccessKey="),
        "{}",
        serve.connection_string()
    );
    for bad in ["https://sim.test", "sim.test:8888", "http://sim.test/path"] {
        let output = Command::new(BIN)
            .args(["serve", "--port", "0", "--advertise-url", bad])
            .stdin(Stdio::null())
            .output()
            .expect("run");
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(bad), "{}", stderr(&output));
    }
}

#[test]
fn send_all_then_exists_for_an_unknown_connection_prints_false() {
    let serve = Serve::start(&[]);
    let cs = serve.connection_string();
    let sent = cli(
        cs,
        &["send", "all", "--hub", "chat", "--target", "news", "\"hi\"", "42"],
    );
    assert_exit(&sent, 0);
    assert_eq!(stdout(&sent), "", "mutating verbs keep stdout empty");
    serve.wait_for_log("path=/api/v1/hubs/chat status=202");

    let exists = cli(cs, &["exists", "connection", "nobody", "--hub", "chat"]);
    assert_exit(&exists, 0);
    assert_eq!(stdout(&exists), "false\n");
}

#[test]
fn an_argument_that_is_not_json_exits_2_naming_it() {
    let output = cli(
        UNREACHABLE,
        &["send", "all", "--hub", "chat", "--target", "t", "\"ok\"", "hello"],
    );
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("argument 2 (hello)"), "{err}");
    assert!(err.contains("'\"hello\"'"), "suggests quoting: {err}");
}

#[test]
fn a_wrong_access_key_exits_1_mentioning_401() {
    let serve = Serve::start(&[]);
    let wrong = serve.connection_string().replace(DEV_KEY, "not-the-right-key");
    let output = cli(&wrong, &["send", "all", "--hub", "chat", "--target", "t"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
}

#[test]
fn negotiate_prints_url_and_access_token_as_json() {
    let output = cli(
        "Endpoint=http://localhost:8888;AccessKey=key;Version=1.0;",
        &[
            "negotiate",
            "--hub",
            "Chat",
            "--user",
            "alice",
            "--lifetime",
            "60",
        ],
    );
    assert_exit(&output, 0);
    let answer: Value = serde_json::from_str(&stdout(&output)).expect("stdout is JSON");
    assert_eq!(answer["url"], "http://localhost:8888/client/?hub=chat");
    let token = answer["accessToken"].as_str().expect("accessToken string");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
}

#[test]
fn a_negative_ttl_exits_2() {
    let output = cli(
        UNREACHABLE,
        &["group", "add-user", "g", "u", "--hub", "chat", "--ttl", "-1"],
    );
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("ttl"), "{}", stderr(&output));
}

#[test]
fn bad_connection_strings_exit_2() {
    let output = cli("not a connection string", &["health"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("connection string"));

    let missing = Command::new(BIN)
        .arg("health")
        .env_remove("SIGNALR_CONNECTION_STRING")
        .output()
        .expect("run");
    assert_exit(&missing, 2);
    assert!(stderr(&missing).contains("SIGNALR_CONNECTION_STRING"));
}

#[test]
fn the_connection_string_can_come_from_the_environment() {
    let serve = Serve::start(&[]);
    let output = Command::new(BIN)
        .args(["exists", "group", "g", "--hub", "chat"])
        .env("SIGNALR_CONNECTION_STRING", serve.connection_string())
        .output()
        .expect("run");
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "false\n");
}

#[test]
fn a_busy_port_exits_1_with_a_clear_message() {
    let first = Serve::start(&[]);
    let port = first.port().to_string();
    let output = Command::new(BIN)
        .args(["serve", "--port", &port])
        .output()
        .expect("run");
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.contains(&port) && err.contains("--port"), "{err}");
    assert_eq!(
        stdout(&output),
        "",
        "no connection string for a server that never ran"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_serve_cleanly() {
    let mut serve = Serve::start(&[]);
    let killed = Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = serve.child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "serve ignored SIGTERM");
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    serve.wait_for_log("shutting down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_deliver_target_and_json_arguments() {
    let sim = Simulator::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let cs = sim.connection_string();
    let alice = sim.connect("chat", Some("alice")).expect("connect");
    let bob = sim.connect("chat", Some("bob")).expect("connect");

    let output = cli_async(
        &cs,
        &[
            "send",
            "user",
            "alice",
            "--hub",
            "Chat",
            "--target",
            "newMessage",
            "\"hello\"",
            "-5",
            "{\"a\":1}",
            "null",
        ],
    )
    .await;
    assert_exit(&output, 0);
    let message = alice
        .wait_for("newMessage", Duration::from_secs(5))
        .await
        .expect("alice got it");
    assert_eq!(
        message.arguments,
        Arguments::from_values(&[json!("hello"), json!(-5), json!({"a": 1}), Value::Null])
    );
    assert!(bob.received().is_empty(), "only alice: {:?}", bob.received());

    let output = cli_async(
        &cs,
        &[
            "send",
            "all",
            "--hub",
            "chat",
            "--exclude",
            alice.connection_id(),
            "--target",
            "everyone",
        ],
    )
    .await;
    assert_exit(&output, 0);
    let message = bob
        .wait_for("everyone", Duration::from_secs(5))
        .await
        .expect("bob got it");
    assert_eq!(message.arguments.as_json(), "[]");
    assert_eq!(alice.received().len(), 1, "alice was excluded");

    let output = cli_async(
        &cs,
        &[
            "send",
            "connection",
            bob.connection_id(),
            "--hub",
            "chat",
            "--target",
            "direct",
            "[1,2]",
        ],
    )
    .await;
    assert_exit(&output, 0);
    let message = bob
        .wait_for("direct", Duration::from_secs(5))
        .await
        .expect("bob got the direct one");
    assert_eq!(message.arguments.to_values(), vec![json!([1, 2])]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_verbs_change_membership_and_exists_reports_it() {
    let sim = Simulator::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let cs = sim.connection_string();
    let alice = sim.connect("chat", Some("alice")).expect("connect");
    let carol = sim.connect("chat", None).expect("connect");
    let check = |args: &'static [&'static str]| {
        let cs = cs.clone();
        async move {
            let output = cli_async(&cs, args).await;
            assert_exit(&output, 0);
            stdout(&output)
        }
    };

    let added = cli_async(
        &cs,
        &[
            "group", "add-user", "room", "alice", "--hub", "chat", "--ttl", "60",
        ],
    )
    .await;
    assert_exit(&added, 0);
    assert_eq!(stdout(&added), "");
    assert_eq!(
        check(&["exists", "user-in-group", "room", "alice", "--hub", "chat"]).await,
        "true\n"
    );
    assert_eq!(
        check(&["exists", "user", "alice", "--hub", "chat"]).await,
        "true\n"
    );

    let joined = cli_async(
        &cs,
        &[
            "group",
            "add-connection",
            "room",
            carol.connection_id(),
            "--hub",
            "chat",
        ],
    )
    .await;
    assert_exit(&joined, 0);
    let output = cli_async(
        &cs,
        &[
            "send",
            "group",
            "room",
            "--hub",
            "chat",
            "--exclude",
            carol.connection_id(),
            "--target",
            "inRoom",
            "1",
        ],
    )
    .await;
    assert_exit(&output, 0);
    alice
        .wait_for("inRoom", Duration::from_secs(5))
        .await
        .expect("alice is in the room through her user");
    assert!(carol.received().is_empty(), "carol was excluded");

    let left = cli_async(
        &cs,
        &[
            "group",
            "remove-connection",
            "room",
            carol.connection_id(),
            "--hub",
            "chat",
        ],
    )
    .await;
    assert_exit(&left, 0);
    let again = cli_async(
        &cs,
        &[
            "group",
            "remove-connection",
            "room",
            carol.connection_id(),
            "--hub",
            "chat",
        ],
    )
    .await;
    assert_exit(&again, 1);
    assert!(stderr(&again).contains("404"), "{}", stderr(&again));

    let removed = cli_async(&cs, &["group", "remove-user", "room", "alice", "--hub", "chat"]).await;
    assert_exit(&removed, 0);
    assert_eq!(
        check(&["exists", "user-in-group", "room", "alice", "--hub", "chat"]).await,
        "false\n"
    );
    assert_eq!(
        check(&["exists", "group", "room", "--hub", "chat"]).await,
        "false\n"
    );

    let added = cli_async(&cs, &["group", "add-user", "lobby", "alice", "--hub", "chat"]).await;
    assert_exit(&added, 0);
    let cleared = cli_async(&cs, &["remove-user-from-all-groups", "alice", "--hub", "chat"]).await;
    assert_exit(&cleared, 0);
    assert_eq!(
        check(&["exists", "user-in-group", "lobby", "alice", "--hub", "chat"]).await,
        "false\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_sends_the_reason_to_the_client() {
    let sim = Simulator::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let cs = sim.connection_string();
    let client = sim.connect("chat", None).expect("connect");
    let id = client.connection_id().to_string();

    assert_eq!(
        stdout(&cli_async(&cs, &["exists", "connection", &id, "--hub", "chat"]).await),
        "true\n"
    );
    let output = cli_async(&cs, &["close", &id, "--hub", "chat", "--reason", "bye"]).await;
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "");
    assert!(client.is_closed());
    assert_eq!(client.close_reason().as_deref(), Some("bye"));
    assert_eq!(
        stdout(&cli_async(&cs, &["exists", "connection", &id, "--hub", "chat"]).await),
        "false\n"
    );
}

#[tokio::test]
async fn the_2022_verbs_close_many_and_leave_all_groups() {
    let sim = Simulator::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let cs = sim.connection_string();
    let ann = sim.connect("chat", Some("ann")).unwrap();
    let kept = sim.connect("chat", Some("ann")).unwrap();
    let member = sim.connect("chat", None).unwrap();
    let other = sim.connect("chat", None).unwrap();
    let id = |c: &signalr_rest::VirtualClient| c.connection_id().to_string();
    for group in ["g", "h"] {
        let output = cli_async(
            &cs,
            &["group", "add-connection", group, &id(&other), "--hub", "chat"],
        )
        .await;
        assert_exit(&output, 0);
    }
    let output = cli_async(
        &cs,
        &["remove-connection-from-all-groups", &id(&other), "--hub", "chat"],
    )
    .await;
    assert_exit(&output, 0);
    assert!(sim.groups("chat").is_empty());
    let output = cli_async(
        &cs,
        &[
            "close-user",
            "ann",
            "--hub",
            "chat",
            "--exclude",
            &id(&kept),
            "--reason",
            "bye ann",
        ],
    )
    .await;
    assert_exit(&output, 0);
    assert_eq!(ann.close_reason().as_deref(), Some("bye ann"));
    assert!(!kept.is_closed());
    cli_async(
        &cs,
        &["group", "add-connection", "g", &id(&member), "--hub", "chat"],
    )
    .await;
    assert_exit(&cli_async(&cs, &["close-group", "g", "--hub", "chat"]).await, 0);
    assert!(member.is_closed());
    let output = cli_async(
        &cs,
        &[
            "close-all",
            "--hub",
            "chat",
            "--reason",
            "all",
            "--exclude",
            &id(&other),
        ],
    )
    .await;
    assert_exit(&output, 0);
    assert_eq!(kept.close_reason().as_deref(), Some("all"));
    assert!(!other.is_closed());
}

#[tokio::test]
async fn api_version_2022_sends_and_negotiate_from_service_work() {
    let sim = Simulator::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let cs = sim.connection_string();
    let alice = sim.connect("chat", Some("alice")).unwrap();
    let output = cli_async(
        &cs,
        &[
            "--api-version",
            "2022-06-01",
            "send",
            "user",
            "alice",
            "--hub",
            "chat",
            "--target",
            "t",
            "1",
        ],
    )
    .await;
    assert_exit(&output, 0);
    assert_eq!(alice.received().len(), 1);
    let output = cli_async(
        &cs,
        &["negotiate", "--hub", "chat", "--user", "alice", "--from-service"],
    )
    .await;
    assert_exit(&output, 0);
    let answer: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(answer["accessToken"].as_str().unwrap().len() > 20);
    let output = cli_async(&cs, &["--api-version", "2023", "health"]).await;
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("2023"), "{}", stderr(&output));
}

#[tokio::test]
async fn application_name_prefixes_hubs_and_client_url_names_the_prefixed_hub() {
    let sim = Simulator::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let cs = sim.connection_string();
    let prefixed = sim.connect("shop_chat", None).unwrap();
    let bare = sim.connect("chat", None).unwrap();
    let send = ["send", "all", "--hub", "chat", "--target", "t", "1"];
    let output = cli_async(&cs, &[&["--application-name", "Shop"], &send[..]].concat()).await;
    assert_exit(&output, 0);
    assert_eq!((prefixed.received().len(), bare.received().len()), (1, 0));
    let output = cli_async(
        &cs,
        &["--application-name", "Shop", "client-url", "--hub", "Chat"],
    )
    .await;
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output).trim(),
        format!("{}/client/?hub=shop_chat", sim.url())
    );
    let output = cli_async(&cs, &["client-url", "--hub", "chat"]).await;
    assert_eq!(stdout(&output).trim(), format!("{}/client/?hub=chat", sim.url()));
}

#[tokio::test]
async fn access_token_calls_a_keyless_service_with_the_given_bearer_token() {
    let sim = Simulator::start(SimulatorOptions::default())
        .await
        .expect("simulator");
    let keyless = format!("Endpoint={};AuthType=azure;Version=1.0;", sim.url());
    let alice = sim.connect("chat", Some("alice")).unwrap();
    let audience = format!("{}/api/v1/hubs/chat/users/alice", sim.url());
    let token = sim.access_token(&audience, Duration::from_secs(600)).unwrap();
    let send = ["send", "user", "alice", "--hub", "chat", "--target", "t", "1"];
    let output = cli_async(
        &keyless,
        &[&["--access-token", token.as_str()], &send[..]].concat(),
    )
    .await;
    assert_exit(&output, 0);
    assert_eq!(alice.received().len(), 1);
    // Without a token a key-less connection string cannot sign anything: bad input, nothing sent.
    let output = cli_async(&keyless, &send).await;
    assert_exit(&output, 2);
    // A token the service refuses (signed for another URL) is a 401.
    let other = sim.access_token(&sim.url(), Duration::from_secs(600)).unwrap();
    let output = cli_async(
        &keyless,
        &[&["--access-token", other.as_str()], &send[..]].concat(),
    )
    .await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
    assert_eq!(alice.received().len(), 1);
}

#[test]
fn the_connection_string_can_come_from_azure_signalr_connection_string() {
    let output = Command::new(BIN)
        .args(["send", "all", "--hub", "chat", "--target", "t"])
        .env_remove("SIGNALR_CONNECTION_STRING")
        .env("AZURE_SIGNALR_CONNECTION_STRING", UNREACHABLE)
        .output()
        .expect("run");
    assert_exit(&output, 1);
    assert!(
        !stderr(&output).contains("no connection string"),
        "{}",
        stderr(&output)
    );
}

/// The lines a child writes to `pipe`, read on a thread so a test can wait with a timeout.
fn lines_of(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (lines, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The next line from `lines`, failing the test (instead of hanging it) after 10 s.
fn next_line(lines: &mpsc::Receiver<String>, what: &str) -> String {
    lines
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("no {what} line within 10 s"))
}

/// A `listen` child process, killed when dropped.
struct Listen(Child);

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn listen_prints_what_a_rest_send_delivered_and_the_close_reason() {
    let serve = Serve::start(&[]);
    let mut listen = Listen(
        Command::new(BIN)
            .args(["listen", "--hub", "chat", "--user", "alice"])
            .env("SIGNALR_CONNECTION_STRING", serve.connection_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn listen"),
    );
    let stderr = lines_of(listen.0.stderr.take().unwrap());
    let stdout = lines_of(listen.0.stdout.take().unwrap());
    let banner = next_line(&stderr, "banner");
    assert!(
        banner.starts_with("listening on hub chat as connection "),
        "{banner}"
    );
    let connection_id = banner
        .trim_end()
        .rsplit(' ')
        .nth(2)
        .unwrap()
        .trim_end_matches(';')
        .to_string();

    let sent = cli(
        serve.connection_string(),
        &[
            "send",
            "user",
            "alice",
            "--hub",
            "chat",
            "--target",
            "greet",
            "\"hi\"",
            "{\"n\":1}",
        ],
    );
    assert!(sent.status.success(), "{sent:?}");
    let line = next_line(&stdout, "message");
    let received: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        received,
        json!({"target": "greet", "arguments": ["hi", {"n": 1}]})
    );

    let closed = cli(
        serve.connection_string(),
        &["close", &connection_id, "--hub", "chat", "--reason", "done"],
    );
    assert!(closed.status.success(), "{closed:?}");
    let rest = next_line(&stderr, "close");
    assert!(rest.contains("closed the connection: done"), "{rest}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = listen.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "listen did not exit after the close");
        thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
}

#[test]
fn listen_exits_1_naming_the_negotiate_timeout_when_negotiate_gets_no_answer() {
    // Accepts connections and never answers them.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    thread::spawn(move || {
        let held: Vec<_> = server.incoming().collect();
        drop(held);
    });
    let cs = format!("Endpoint=http://127.0.0.1:{port};AccessKey=key;Version=1.0;");
    let output = cli(&cs, &["listen", "--hub", "chat", "--negotiate-timeout", "0.3"]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("negotiate timeout fired after 300ms"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn listen_exits_1_naming_the_server_timeout_when_the_server_is_silent() {
    // The simulator pings only every 15 s: silence longer than the 0.5 s asked for.
    let serve = Serve::start(&[]);
    let output = cli(
        serve.connection_string(),
        &["listen", "--hub", "chat", "--server-timeout", "0.5"],
    );
    assert_exit(&output, 1);
    let text = stderr(&output);
    assert!(text.starts_with("listening on hub chat"), "{text}");
    assert!(
        text.contains("server silence timeout fired after 500ms"),
        "{text}"
    );
}

#[test]
fn a_listen_timeout_that_is_not_positive_exits_2_naming_it() {
    let output = cli(
        UNREACHABLE,
        &["listen", "--hub", "chat", "--handshake-timeout", "0"],
    );
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("--handshake-timeout"),
        "{}",
        stderr(&output)
    );
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket client of hub `chat` on `serve`, after its JSON handshake, that reads nothing.
async fn socket_client(serve: &Serve, user: Option<&str>) -> Socket {
    use futures_util::SinkExt;
    let service = signalr_rest::ServiceClient::from_connection_string(serve.connection_string()).unwrap();
    let options = signalr_rest::ClientTokenOptions {
        user_id: user.map(str::to_string),
        ..Default::default()
    };
    let token = service.client_access_token("chat", &options).unwrap();
    let url = format!(
        "ws://127.0.0.1:{}/client/?hub=chat&access_token={token}",
        serve.port()
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let handshake = "{\"protocol\":\"json\",\"version\":1}\u{1e}";
    socket
        .send(tokio_tungstenite::tungstenite::Message::Text(handshake.into()))
        .await
        .unwrap();
    serve.wait_for_log("client connected");
    socket
}

/// Resident memory of process `pid`, in MiB.
fn rss_mib(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

#[tokio::test]
async fn a_stalled_client_receiving_1_mb_messages_leaves_serve_rss_bounded() {
    let serve = Serve::start(&[]);
    // From here on the client never reads: its socket buffers fill and the server's queue grows.
    let stalled = socket_client(&serve, Some("stalled")).await;
    let service = signalr_rest::ServiceClient::from_connection_string(serve.connection_string()).unwrap();
    let hub = service.hub("chat").unwrap();
    let message = signalr_rest::PayloadMessage::new("big", vec![json!("x".repeat(1000 * 1000))]);
    let pid = serve.child.id();
    let before = rss_mib(pid);
    let mut peak = before;
    let sends = 128;
    for _ in 0..sends {
        hub.send_to_user("stalled", &message).await.unwrap();
        peak = peak.max(rss_mib(pid));
    }
    serve.wait_for_log("closing a connection whose queue is full");
    let grown = peak - before;
    println!("{sends} MB sent to a stalled client: serve RSS {before} MiB -> peak {peak} MiB (+{grown})");
    // Without a byte bound the queue would hold all 128 frames; with it, at most 16 MiB plus
    // what is in flight.
    assert!(
        grown < sends / 2,
        "serve RSS grew {grown} MiB for {sends} MB sent"
    );
    drop(stalled);
}

#[tokio::test]
async fn serve_drops_a_silent_client_after_client_timeout() {
    let serve = Serve::start(&["--client-timeout", "0.3", "--ping-interval", "0.1"]);
    let _silent = socket_client(&serve, None).await;
    serve.wait_for_log("ending=TimedOut");
}

#[test]
fn serve_refuses_an_upstream_template_that_is_not_a_url() {
    let output = Command::new(BIN)
        .args([
            "serve",
            "--port",
            "0",
            "--upstream",
            "localhost:7071/api;hub=chat",
        ])
        .output()
        .expect("run");
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("localhost:7071/api"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn serve_reads_upstream_templates_from_an_emulator_settings_file() {
    let dir = std::env::temp_dir().join(format!("signalr-rest-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("settings.json");
    std::fs::write(
        &good,
        r#"{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://127.0.0.1:7071/runtime/webhooks/signalr","HubPattern":"*","EventPattern":"*","CategoryPattern":"*"}]}}"#,
    )
    .unwrap();
    let serve = Serve::start(&["--settings", good.to_str().unwrap()]);
    assert!(serve
        .connection_string()
        .starts_with("Endpoint=http://127.0.0.1:"));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"UpstreamSettings":{"Templates":[{"HubPattern":"*"}]}}"#).unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--port", "0", "--settings", bad.to_str().unwrap()])
        .output()
        .expect("run");
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("no UrlTemplate"), "{}", stderr(&output));
}

#[test]
fn serve_fault_rules_and_the_faults_verbs_drive_a_running_simulator() {
    let serve = Serve::start(&["--fault", "500;route=send;times=1", "--fault-seed", "7"]);
    let cs = serve.connection_string();
    // The CLI retries sends only where nothing can have been delivered: a 500 is not retried.
    let refused = cli(cs, &["send", "all", "--hub", "chat", "--target", "t"]);
    assert_exit(&refused, 1);
    assert!(stderr(&refused).contains("500"), "{}", stderr(&refused));
    assert!(cli(cs, &["send", "all", "--hub", "chat", "--target", "t"])
        .status
        .success());

    let added = cli(cs, &["faults", "add", "400;hub=chat;route=group"]);
    assert!(added.status.success(), "{added:?}");
    let id = stdout(&added).trim().to_string();
    assert!(id.starts_with('f'), "{id}");
    let exists = cli(cs, &["exists", "group", "g", "--hub", "chat"]);
    assert_exit(&exists, 1);
    let listed: Value = serde_json::from_str(&stdout(&cli(cs, &["faults", "list"]))).unwrap();
    assert_eq!(listed["faults"][0]["id"], json!(id));
    assert_eq!(listed["faults"][0]["injected"], json!(1));
    let injected: Vec<&str> = listed["injected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fault"].as_str().unwrap())
        .collect();
    assert_eq!(injected, ["500;route=send;times=1", "400;hub=chat;route=group"]);
    assert!(cli(cs, &["faults", "remove", &id]).status.success());
    assert_exit(&cli(cs, &["faults", "remove", &id]), 1);
    assert!(cli(cs, &["exists", "group", "g", "--hub", "chat"])
        .status
        .success());

    let bad = cli(cs, &["faults", "add", "503;route=sends"]);
    assert_exit(&bad, 2);
    assert!(stderr(&bad).contains("route \"sends\""), "{}", stderr(&bad));
    let bad = cli(cs, &["faults", "pause", "--hub", "chat", "--seconds", "-1"]);
    assert_exit(&bad, 2);
    assert!(stderr(&bad).contains("-1"), "{}", stderr(&bad));
    let dropped = cli(cs, &["faults", "drop", "--hub", "chat", "--no-close"]);
    assert!(dropped.status.success(), "{dropped:?}");
    assert_eq!(stdout(&dropped), "");
    assert!(cli(cs, &["faults", "clear"]).status.success());

    let wrong_key = cs.replace("AccessKey=", "AccessKey=x");
    assert_exit(&cli(&wrong_key, &["faults", "list"]), 1);
}

#[test]
fn a_bad_fault_rule_for_serve_exits_2_naming_it() {
    let output = Command::new(BIN)
        .args(["serve", "--port", "0", "--fault", "200"])
        .output()
        .unwrap();
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("\"200\" is not an action"),
        "{}",
        stderr(&output)
    );
}
