//! Command line grammar: every verb and option, parsed by clap.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::serve::DEV_ACCESS_KEY;

/// Largest `--ttl` the service accepts: it reads the value as a 32-bit signed integer.
const MAX_TTL_SECS: i64 = i32::MAX as i64;

/// Longest `listen` timeout accepted: a day.
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// Longest `--lifetime` accepted; also keeps `now + lifetime` far from overflowing.
const MAX_LIFETIME_SECS: u64 = 365 * 24 * 60 * 60;

/// Azure SignalR Service REST API (v1 and 2022-06-01) from the shell, and a local simulator of it.
#[derive(Debug, Parser)]
#[command(name = "signalr-rest", version, propagate_version = true)]
pub struct Cli {
    /// Connection string of the service or simulator, e.g.
    /// "Endpoint=http://127.0.0.1:8888;AccessKey=KEY;Version=1.0;".
    // Values stay hidden in --help because the string carries the access key.
    #[arg(
        long,
        global = true,
        env = "SIGNALR_CONNECTION_STRING",
        hide_env_values = true,
        value_name = "TEXT"
    )]
    pub connection_string: Option<String>,

    /// Prefixes every hub as {NAME}_{hub}, lower case, so applications can share one service.
    #[arg(
        long,
        global = true,
        env = "AZURE_SIGNALR_APPLICATION_NAME",
        value_name = "NAME"
    )]
    pub application_name: Option<String>,

    /// A bearer token sent with every request instead of one signed with the access key: for a
    /// service that allows Microsoft Entra ID only (connection string `AuthType=azure`), e.g.
    /// from `az account get-access-token --resource https://signalr.azure.com`.
    #[arg(
        long,
        global = true,
        env = "AZURE_SIGNALR_ACCESS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub access_token: Option<String>,

    /// REST API version to speak: "1.0" (default) or "2022-06-01". The close-many verbs,
    /// remove-connection-from-all-groups and `negotiate --from-service` always use the newer API.
    #[arg(long, global = true, value_name = "VERSION", value_parser = parse_api_version)]
    pub api_version: Option<signalr_rest::ApiVersion>,

    #[command(subcommand)]
    pub command: Command,
}

/// The top-level verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the local simulator until Ctrl-C or SIGTERM; prints its connection string first.
    Serve(ServeArgs),
    /// Drive a running simulator's fault injection through its control endpoint (the
    /// connection string names the simulator): rules that answer requests with errors, delays
    /// or resets, and dropping or pausing its clients.
    #[command(subcommand)]
    Faults(FaultsCommand),
    #[command(flatten)]
    Client(ClientCommand),
}

/// The `faults` verbs.
#[derive(Debug, Subcommand)]
pub enum FaultsCommand {
    /// Add a rule, `ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]`
    /// (see `serve --help`); prints its id.
    Add {
        /// The rule, e.g. "503;route=send;times=2".
        rule: String,
    },
    /// Print the rules in force and the faults injected so far, as JSON.
    List,
    /// Remove the rule with this id.
    Remove {
        /// The id `add` printed.
        id: String,
    },
    /// Remove every rule.
    Clear,
    /// Drop the hub's clients (or one) as a failing network would; prints the ids dropped.
    Drop {
        #[command(flatten)]
        hub: HubArg,
        /// Only this connection.
        #[arg(long = "connection", value_name = "ID")]
        connection_id: Option<String>,
        /// End the sockets without a SignalR Close message (clients see the connection lost).
        #[arg(long)]
        no_close: bool,
    },
    /// Stall the hub's WebSocket clients (or one) for a while; prints the ids paused.
    Pause {
        #[command(flatten)]
        hub: HubArg,
        /// Only this connection.
        #[arg(long = "connection", value_name = "ID")]
        connection_id: Option<String>,
        /// How long, in seconds (at most 3600).
        #[arg(long, value_name = "SECONDS")]
        seconds: f64,
    },
}

/// The verbs that call a service (or simulator) named by the connection string.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Send a message (a client-side method call) to connections of a hub.
    #[command(subcommand)]
    Send(SendCommand),
    /// Add users or connections to groups, or remove them.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Check whether a connection, user, group or user-group mapping exists; prints true or false.
    #[command(subcommand)]
    Exists(ExistsCommand),
    /// Close a connection.
    Close {
        /// Connection id.
        #[arg(value_name = "ID")]
        connection_id: String,
        /// Reason the client receives in its Close message.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        hub: HubArg,
    },
    /// Close every connection of the hub (API 2022-06-01).
    CloseAll {
        #[command(flatten)]
        close: CloseManyArgs,
    },
    /// Close every connection in a group (API 2022-06-01).
    CloseGroup {
        /// Group name.
        group: String,
        #[command(flatten)]
        close: CloseManyArgs,
    },
    /// Close every connection of a user (API 2022-06-01).
    CloseUser {
        /// User id.
        user: String,
        #[command(flatten)]
        close: CloseManyArgs,
    },
    /// Take a connection out of every group it is in (API 2022-06-01).
    RemoveConnectionFromAllGroups {
        /// Connection id.
        #[arg(value_name = "ID")]
        connection_id: String,
        #[command(flatten)]
        hub: HubArg,
    },
    /// Remove a user from every group of the hub.
    RemoveUserFromAllGroups {
        /// User id.
        user: String,
        #[command(flatten)]
        hub: HubArg,
    },
    /// Connect as a SignalR client and print each message received, one JSON line each,
    /// until Ctrl-C or the service closes the connection.
    Listen {
        #[command(flatten)]
        hub: HubArg,
        /// User id to connect as (so sends to this user reach the listener).
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        timeouts: ListenTimeouts,
    },
    /// Check that the service answers; exit 0 when healthy.
    Health,
    /// Print the URL a SignalR client of the hub connects to (the client endpoint).
    ClientUrl {
        #[command(flatten)]
        hub: HubArg,
    },
    /// Print the negotiate answer an app server gives a SignalR client: {"url","accessToken"}.
    Negotiate {
        #[command(flatten)]
        hub: HubArg,
        /// User id to put into the client token.
        #[arg(long)]
        user: Option<String>,
        /// Token lifetime in seconds (default 3600, at most one year).
        #[arg(long, value_name = "SECONDS", value_parser = parse_lifetime)]
        lifetime: Option<Duration>,
        /// Have the service generate the token (`:generateToken`, for keys held only by the
        /// service) instead of signing it locally.
        #[arg(long)]
        from_service: bool,
    },
}

/// Options shared by the close-many verbs.
#[derive(Debug, Args)]
pub struct CloseManyArgs {
    #[command(flatten)]
    pub hub: HubArg,
    /// Connection id to leave open; repeat for more.
    #[arg(long = "exclude", value_name = "ID")]
    pub excluded: Vec<String>,
    /// Reason each client receives in its Close message.
    #[arg(long)]
    pub reason: Option<String>,
}

fn parse_api_version(text: &str) -> Result<signalr_rest::ApiVersion, String> {
    signalr_rest::ApiVersion::parse(text).map_err(|e| e.to_string())
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; "localhost" means 127.0.0.1, 0.0.0.0 every IPv4 interface (as in
    /// a container).
    #[arg(long, env = "SIGNALR_REST_HOST", default_value = "127.0.0.1", value_parser = parse_host)]
    pub host: IpAddr,
    /// Port to listen on; 0 lets the OS choose (the connection string shows the real one).
    #[arg(long, env = "SIGNALR_REST_PORT", default_value_t = 8888)]
    pub port: u16,
    /// Access key REST tokens must be signed with; the default is a public dev key, so give
    /// your own whenever the port is reachable by others.
    // The default is shown in --help (it is public); a key from the environment is not.
    #[arg(
        long,
        env = "SIGNALR_REST_ACCESS_KEY",
        hide_env_values = true,
        value_name = "KEY",
        default_value = DEV_ACCESS_KEY
    )]
    pub access_key: String,
    /// The URL clients reach the simulator at, e.g. http://localhost:18888 when a container's
    /// port 8888 is published as 18888: the printed connection string names it instead of the
    /// listen address. The simulator itself answers on any address.
    #[arg(
        long,
        env = "SIGNALR_REST_ADVERTISE_URL",
        value_name = "URL",
        value_parser = parse_advertise_url
    )]
    pub advertise_url: Option<String>,
    /// Serve the live dashboard at /dashboard/ (true) or not (false); by default it is served
    /// only on a loopback host, since it has no login.
    #[arg(long, env = "SIGNALR_REST_DASHBOARD", value_name = "BOOL")]
    pub dashboard: Option<bool>,
    /// Silence after which a WebSocket client gets a ping, in seconds (default 15).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub ping_interval: Option<Duration>,
    /// Silence from a WebSocket client after which it is dropped, in seconds (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub client_timeout: Option<Duration>,
    /// A second valid access key (key rotation); upstream requests are signed with both.
    #[arg(long, value_name = "KEY")]
    pub secondary_access_key: Option<String>,
    /// Serverless upstream: `URL[;hub=PATTERN][;category=PATTERN][;event=PATTERN]`, the URL
    /// with {hub}, {category} and {event} placeholders; repeat for more, first match wins.
    #[arg(long, value_name = "TEMPLATE", value_parser = parse_upstream)]
    pub upstream: Vec<signalr_rest::simulator::UpstreamTemplate>,
    /// A settings file with upstream templates, in the emulator's settings.json shape:
    /// {"UpstreamSettings": {"Templates": [{"UrlTemplate": ..., "HubPattern": ...,
    /// "CategoryPattern": ..., "EventPattern": ...}]}}; its templates come after --upstream ones.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<std::path::PathBuf>,
    /// Time an upstream call may take, in seconds (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub upstream_timeout: Option<Duration>,
    /// A fault rule: `ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]`,
    /// ACTION a status (400-599), delay=DURATION (250ms, 2s) or reset; ROUTE one of rest, send,
    /// group, user, connection, token, health, negotiate, connect. Repeat for more; more can be
    /// added while serving with `signalr-rest faults add`.
    #[arg(long, value_name = "RULE", value_parser = parse_fault)]
    pub fault: Vec<signalr_rest::simulator::Fault>,
    /// Seed for the draws of faults with a fraction, so a run repeats; random by default.
    #[arg(long, value_name = "N")]
    pub fault_seed: Option<u64>,
}

fn parse_fault(text: &str) -> Result<signalr_rest::simulator::Fault, String> {
    text.parse::<signalr_rest::simulator::Fault>()
        .map_err(|e| e.to_string())
}

fn parse_upstream(text: &str) -> Result<signalr_rest::simulator::UpstreamTemplate, String> {
    signalr_rest::simulator::UpstreamTemplate::parse(text).map_err(|e| e.to_string())
}

/// How long each step of `listen` may take; seconds, fractions allowed.
#[derive(Debug, Args)]
pub struct ListenTimeouts {
    /// Longest wait for the negotiate answer (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub negotiate_timeout: Option<Duration>,
    /// Longest wait for the WebSocket to open (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub connect_timeout: Option<Duration>,
    /// Longest wait for the hub protocol handshake reply (default 15).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub handshake_timeout: Option<Duration>,
    /// Longest silence from the server before giving up; it pings every 15 s (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub server_timeout: Option<Duration>,
}

/// The hub a verb works on.
#[derive(Debug, Args)]
pub struct HubArg {
    /// Hub name (case-insensitive).
    #[arg(long = "hub", value_name = "HUB")]
    pub name: String,
}

/// What to invoke on the receiving clients.
#[derive(Debug, Args)]
pub struct MessageArgs {
    /// Client-side method to invoke.
    #[arg(long, value_name = "T")]
    pub target: String,
    /// Arguments, each one JSON value: '"text"', 42, '{"a":1}', null.
    // Negative numbers are values here, not options.
    #[arg(value_name = "ARG_JSON", allow_negative_numbers = true)]
    pub args: Vec<String>,
}

/// `send` recipients.
#[derive(Debug, Subcommand)]
pub enum SendCommand {
    /// Every connection of the hub.
    All {
        #[command(flatten)]
        hub: HubArg,
        /// Connection id to leave out; repeat for more.
        #[arg(long = "exclude", value_name = "ID")]
        excluded: Vec<String>,
        #[command(flatten)]
        message: MessageArgs,
    },
    /// Every connection of one user.
    User {
        /// User id.
        user: String,
        #[command(flatten)]
        hub: HubArg,
        #[command(flatten)]
        message: MessageArgs,
    },
    /// One connection.
    Connection {
        /// Connection id.
        #[arg(value_name = "ID")]
        connection_id: String,
        #[command(flatten)]
        hub: HubArg,
        #[command(flatten)]
        message: MessageArgs,
    },
    /// Every connection in a group.
    Group {
        /// Group name.
        group: String,
        #[command(flatten)]
        hub: HubArg,
        /// Connection id to leave out; repeat for more.
        #[arg(long = "exclude", value_name = "ID")]
        excluded: Vec<String>,
        #[command(flatten)]
        message: MessageArgs,
    },
}

/// `group` membership changes.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Map a user to a group: its current and future connections join.
    AddUser {
        /// Group name.
        group: String,
        /// User id.
        user: String,
        #[command(flatten)]
        hub: HubArg,
        /// How long the mapping lives, in whole seconds; 0 adds only current connections.
        // Negative numbers must reach the parser so the error names the rule, not clap syntax.
        #[arg(long, value_name = "SECONDS", value_parser = parse_ttl, allow_negative_numbers = true)]
        ttl: Option<Duration>,
    },
    /// Remove a user from a group, with its connections.
    RemoveUser {
        /// Group name.
        group: String,
        /// User id.
        user: String,
        #[command(flatten)]
        hub: HubArg,
    },
    /// Add a connection to a group until it closes.
    AddConnection {
        /// Group name.
        group: String,
        /// Connection id.
        #[arg(value_name = "ID")]
        connection_id: String,
        #[command(flatten)]
        hub: HubArg,
    },
    /// Remove a connection from a group.
    RemoveConnection {
        /// Group name.
        group: String,
        /// Connection id.
        #[arg(value_name = "ID")]
        connection_id: String,
        #[command(flatten)]
        hub: HubArg,
    },
}

/// `exists` checks.
#[derive(Debug, Subcommand)]
pub enum ExistsCommand {
    /// Whether the connection is connected.
    Connection {
        /// Connection id.
        #[arg(value_name = "ID")]
        connection_id: String,
        #[command(flatten)]
        hub: HubArg,
    },
    /// Whether the user has at least one connection.
    User {
        /// User id.
        user: String,
        #[command(flatten)]
        hub: HubArg,
    },
    /// Whether the group has at least one connection.
    Group {
        /// Group name.
        group: String,
        #[command(flatten)]
        hub: HubArg,
    },
    /// Whether the user is mapped to the group (whether or not it is connected).
    UserInGroup {
        /// Group name.
        group: String,
        /// User id.
        user: String,
        #[command(flatten)]
        hub: HubArg,
    },
}

fn parse_host(text: &str) -> Result<IpAddr, String> {
    match text {
        "localhost" => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        "ip6-localhost" => Ok(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        _ => text
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0)")),
    }
}

/// `http://host[:port]`, a trailing slash dropped. Only http: the simulator serves plain HTTP
/// and checks each token's audience against `http://{Host header}`, so a URL behind a TLS proxy
/// would hand out a connection string whose tokens are all refused.
fn parse_advertise_url(text: &str) -> Result<String, String> {
    let bad = |why: &str| format!("advertise URL {text:?} {why}, e.g. http://localhost:18888");
    let Some(authority) = text.strip_prefix("http://") else {
        return Err(bad("must start with http:// (the simulator serves plain HTTP)"));
    };
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.is_empty() {
        return Err(bad("has no host"));
    }
    // `;` would end the Endpoint field of the connection string.
    if let Some(c) = authority
        .chars()
        .find(|c| matches!(c, '/' | '?' | '#' | ';' | '@') || c.is_whitespace() || c.is_control())
    {
        return Err(bad(&format!("must be only scheme, host and port (it has {c:?})")));
    }
    Ok(format!("http://{authority}"))
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    let seconds: i64 = text
        .parse()
        .map_err(|_| format!("ttl must be a whole number of seconds, got {text:?}"))?;
    match u64::try_from(seconds) {
        Ok(secs) if seconds <= MAX_TTL_SECS => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "ttl must be from 0 to {MAX_TTL_SECS} seconds, got {seconds}"
        )),
    }
}

fn parse_lifetime(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(seconds) if (1..=MAX_LIFETIME_SECS).contains(&seconds) => Ok(Duration::from_secs(seconds)),
        _ => Err(format!(
            "lifetime must be a whole number of seconds from 1 to {MAX_LIFETIME_SECS}, got {text:?}"
        )),
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= MAX_TIMEOUT_SECS => Ok(Duration::from_secs_f64(seconds)),
        _ => Err(format!(
            "expected a number of seconds above 0 and at most {MAX_TIMEOUT_SECS}, got {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn positionals_follow_the_recipient() {
        let cli = Cli::try_parse_from([
            "signalr-rest",
            "send",
            "user",
            "alice",
            "--hub",
            "chat",
            "--target",
            "t",
            "-5",
            "\"x\"",
        ])
        .unwrap();
        let Command::Client(ClientCommand::Send(SendCommand::User { user, message, .. })) = cli.command
        else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(user, "alice");
        assert_eq!(message.args, ["-5", "\"x\""]);
    }

    #[test]
    fn ttl_and_lifetime_rules() {
        assert_eq!(parse_ttl("0"), Ok(Duration::ZERO));
        assert_eq!(parse_ttl("60"), Ok(Duration::from_secs(60)));
        for bad in ["-1", "1.5", "x", "2147483648"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
        assert!(parse_lifetime("0").is_err());
        assert!(parse_lifetime("18446744073709551615").is_err());
        assert_eq!(parse_lifetime("60"), Ok(Duration::from_secs(60)));
    }

    #[test]
    fn advertise_urls_are_http_scheme_host_and_port() {
        assert_eq!(
            parse_advertise_url("http://localhost:18888/"),
            Ok("http://localhost:18888".to_string())
        );
        assert_eq!(
            parse_advertise_url("http://[::1]:8888"),
            Ok("http://[::1]:8888".to_string())
        );
        for bad in [
            "localhost:8888",
            "https://example.com",
            "http://",
            "http://h/path",
            "http://h:1;AccessKey=x",
            "http://h?x=1",
            "http://u@h",
            "http://h 1",
        ] {
            let err = parse_advertise_url(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn timeouts_are_positive_seconds_with_fractions() {
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        for bad in ["0", "-1", "x", "NaN", "inf", "86401"] {
            let err = parse_seconds(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }
}
