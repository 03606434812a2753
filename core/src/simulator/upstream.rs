//! Serverless upstream, the simulator's side: for each client connection a worker POSTs
//! `connected`, every hub-method invocation and `disconnected` to the first matching template's
//! URL, in order, signed with every access key, and turns each answer into the client's
//! completion (`shared/spec/upstream.md`, sections 1-5).
//!
//! Decisions where the contract is silent: patterns match case-sensitively, as the emulator's;
//! no retries; an invocation no template matches, a stream invocation, or an answer that is not
//! a hub message gets an error completion instead of silence, so a client never waits forever;
//! a JSON completion without its trailing 0x1E gets one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use tokio::sync::mpsc;
use url::Url;

use super::activity::ActivityLog;
use crate::error::{Error, Result};
use crate::model::PayloadMessage;
use crate::protocol::{self, CompletionResult, Encoded, Protocol};
use crate::upstream::signature_header;

/// Default time an upstream call may take before the invocation fails.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest upstream answer read; larger ones fail the invocation (the emulator's limit).
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;
/// Upstream calls the inspection log keeps.
const CALL_LOG_LENGTH: usize = 1000;

/// One upstream template: a URL with `{hub}`, `{category}` and `{event}` placeholders, and the
/// hubs, categories and events it serves (`*`, a comma list, or one name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamTemplate {
    /// e.g. `http://127.0.0.1:7071/runtime/webhooks/signalr` or `http://host/{hub}/{category}/{event}`.
    pub url_template: String,
    /// Hubs served (default `*`).
    pub hub_pattern: String,
    /// `connections`, `messages` or both (default `*`).
    pub category_pattern: String,
    /// Events served: `connected`, `disconnected`, or hub-method names (default `*`).
    pub event_pattern: String,
}

impl UpstreamTemplate {
    /// A template serving every hub, category and event at `url_template`.
    pub fn new(url_template: impl Into<String>) -> Self {
        UpstreamTemplate {
            url_template: url_template.into(),
            hub_pattern: "*".into(),
            category_pattern: "*".into(),
            event_pattern: "*".into(),
        }
    }

    /// Reads `URL[;hub=PATTERN][;category=PATTERN][;event=PATTERN]` (the CLI's `--upstream`).
    pub fn parse(spec: &str) -> Result<Self> {
        let mut parts = spec.split(';');
        let url = parts.next().unwrap_or_default().trim();
        let mut template = UpstreamTemplate::new(url);
        template.check_url()?;
        for part in parts.map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                Error::invalid("upstream", format!("{part:?} in {spec:?} is not key=pattern"))
            })?;
            let value = value.trim().to_string();
            match key.trim().to_ascii_lowercase().as_str() {
                "hub" => template.hub_pattern = value,
                "category" => template.category_pattern = value,
                "event" => template.event_pattern = value,
                other => {
                    return Err(Error::invalid(
                        "upstream",
                        format!("{other:?} in {spec:?} is not hub, category or event"),
                    ))
                }
            }
        }
        Ok(template)
    }

    /// Checks that the template gives an absolute http(s) URL.
    pub fn check_url(&self) -> Result<()> {
        self.url("hub", "category", "event")
            .map(|_| ())
            .map_err(|why| Error::invalid("upstream", why))
    }

    fn matches(&self, hub: &str, category: &str, event: &str) -> bool {
        pattern_matches(&self.hub_pattern, hub)
            && pattern_matches(&self.category_pattern, category)
            && pattern_matches(&self.event_pattern, event)
    }

    /// The URL with each placeholder replaced by its percent-encoded value.
    fn url(&self, hub: &str, category: &str, event: &str) -> std::result::Result<Url, String> {
        let encode = |value: &str| {
            percent_encoding::utf8_percent_encode(value, crate::client::PATH_SEGMENT).to_string()
        };
        let text = self
            .url_template
            .replace("{hub}", &encode(hub))
            .replace("{category}", &encode(category))
            .replace("{event}", &encode(event));
        let url =
            Url::parse(&text).map_err(|e| format!("upstream URL {text:?} is not an absolute URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("upstream URL {text:?} must be http or https"));
        }
        Ok(url)
    }
}

/// `*`, a comma-separated list (items trimmed), or one exact name.
fn pattern_matches(pattern: &str, value: &str) -> bool {
    let pattern = pattern.trim();
    pattern.is_empty() || pattern == "*" || pattern.split(',').any(|item| item.trim() == value)
}

/// One upstream call the simulator made, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamCall {
    /// The client connection it was about.
    pub connection_id: String,
    /// `X-ASRS-Hub`.
    pub hub: String,
    /// `connections` or `messages`.
    pub category: String,
    /// `connected`, `disconnected` or the invoked method.
    pub event: String,
    /// Where it went.
    pub url: String,
    /// The answer's status; `None` when none came.
    pub status: Option<u16>,
    /// Why it failed, when it did (transport error, timeout).
    pub error: Option<String>,
}

/// What every connection's worker shares: templates, keys, the HTTP client and the call log.
#[derive(Debug)]
pub(crate) struct Upstream {
    templates: Vec<UpstreamTemplate>,
    keys: Vec<String>,
    timeout: Duration,
    http: reqwest::Client,
    calls: Mutex<VecDeque<UpstreamCall>>,
    activity: Arc<ActivityLog>,
}

/// Who a client connection is, as upstream requests tell it.
#[derive(Debug, Clone)]
pub(crate) struct ClientContext {
    pub connection_id: String,
    pub hub: String,
    pub user_id: Option<String>,
    /// `type: value` pairs joined by `, `; empty when the token had no claims.
    pub claims: String,
    /// The connect request's query with its leading `?`; it carries the access token, so it is
    /// sent but never logged.
    pub query: String,
    pub protocol: Protocol,
}

/// What a connection's worker is told, in the order it happened.
#[derive(Debug)]
enum Event {
    Invocation {
        invocation_id: Option<String>,
        message: PayloadMessage,
        stream: bool,
    },
    Disconnected(Option<String>),
}

/// A connection's handle on its worker.
#[derive(Debug)]
pub(crate) struct UpstreamQueue(mpsc::UnboundedSender<Event>);

impl UpstreamQueue {
    /// Forwards a client invocation; a completion comes back when `invocation_id` is given.
    pub fn invocation(&self, invocation_id: Option<String>, message: PayloadMessage, stream: bool) {
        let _ = self.0.send(Event::Invocation {
            invocation_id,
            message,
            stream,
        });
    }

    /// Posts `disconnected` after everything queued before it.
    pub fn disconnected(&self, error: Option<String>) {
        let _ = self.0.send(Event::Disconnected(error));
    }
}

impl Upstream {
    /// The upstream of a simulator whose activity log is `activity`.
    pub fn new(
        templates: Vec<UpstreamTemplate>,
        keys: Vec<String>,
        timeout: Duration,
        activity: Arc<ActivityLog>,
    ) -> Result<Self> {
        for template in &templates {
            template.check_url()?;
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Transport(format!("cannot build the upstream HTTP client: {e}")))?;
        Ok(Upstream {
            templates,
            keys,
            timeout,
            http,
            calls: Mutex::new(VecDeque::new()),
            activity,
        })
    }

    /// Whether any template is configured; without one, client invocations are refused.
    pub fn configured(&self) -> bool {
        !self.templates.is_empty()
    }

    /// The calls made so far, oldest first.
    pub fn calls(&self) -> Vec<UpstreamCall> {
        self.log().iter().cloned().collect()
    }

    fn log(&self) -> std::sync::MutexGuard<'_, VecDeque<UpstreamCall>> {
        self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts the connection's worker, which posts `connected` first; completions for the
    /// client go to `completions`.
    pub fn start(
        self: &Arc<Self>,
        client: ClientContext,
        completions: mpsc::UnboundedSender<Encoded>,
    ) -> UpstreamQueue {
        let (events, mut queued) = mpsc::unbounded_channel();
        let upstream = self.clone();
        tokio::spawn(async move {
            upstream
                .post(
                    &client,
                    "connections",
                    "connected",
                    b"{\"type\":10}".to_vec(),
                    false,
                )
                .await;
            while let Some(event) = queued.recv().await {
                match event {
                    Event::Invocation {
                        invocation_id,
                        message,
                        stream,
                    } => {
                        let completion = upstream
                            .invoke(&client, invocation_id.as_deref(), &message, stream)
                            .await;
                        if let (Some(id), Some(answer)) = (invocation_id, completion) {
                            let _ = completions.send(answer.unwrap_or_else(|error| {
                                protocol::encode_completion(
                                    client.protocol,
                                    &id,
                                    CompletionResult::Error(&error),
                                )
                            }));
                        }
                    }
                    Event::Disconnected(error) => {
                        let body = match error {
                            Some(e) => serde_json::json!({"type": 11, "error": e}).to_string(),
                            None => "{\"type\":11}".to_string(),
                        };
                        upstream
                            .post(&client, "connections", "disconnected", body.into_bytes(), false)
                            .await;
                        break;
                    }
                }
            }
        });
        UpstreamQueue(events)
    }

    /// Posts one invocation; the completion frame, or the error text to complete with, when the
    /// client waits (`None` for a send).
    async fn invoke(
        &self,
        client: &ClientContext,
        invocation_id: Option<&str>,
        message: &PayloadMessage,
        stream: bool,
    ) -> Option<std::result::Result<Encoded, String>> {
        if stream {
            return Some(Err(
                "Invocation failed, stream invocations are not forwarded to the upstream".into(),
            ));
        }
        let body = protocol::unframed_invocation(client.protocol, invocation_id, message);
        let answer = self
            .post(
                client,
                "messages",
                &message.target,
                body,
                client.protocol == Protocol::MessagePack,
            )
            .await;
        invocation_id?;
        Some(match answer {
            Answer::NoTemplate => Err(format!(
                "Invocation failed, no upstream template matches hub {:?} event {:?}",
                client.hub, message.target
            )),
            Answer::Failed => Err("Invocation failed, status code 500".into()),
            Answer::Status(200, body) if body.is_empty() => Ok(void(client.protocol, invocation_id)),
            Answer::Status(204, _) => Ok(void(client.protocol, invocation_id)),
            Answer::Status(200, body) => completion_frame(client.protocol, body),
            Answer::Status(status, _) => Err(format!("Invocation failed, status code {status}")),
        })
    }

    /// POSTs `body` for the event to the first matching template; logs the call.
    async fn post(
        &self,
        client: &ClientContext,
        category: &str,
        event: &str,
        body: Vec<u8>,
        msgpack: bool,
    ) -> Answer {
        let Some(template) = self
            .templates
            .iter()
            .find(|t| t.matches(&client.hub, category, event))
        else {
            return Answer::NoTemplate;
        };
        let url = match template.url(&client.hub, category, event) {
            Ok(url) => url,
            Err(why) => return self.record(client, category, event, String::new(), None, Some(why)),
        };
        let keys: Vec<&str> = self.keys.iter().map(String::as_str).collect();
        let mut request = self
            .http
            .post(url.clone())
            .header("X-ASRS-Connection-Id", &client.connection_id)
            .header("X-ASRS-Hub", &client.hub)
            .header("X-ASRS-Category", category)
            .header("X-ASRS-Event", event)
            .header("X-ASRS-Signature", signature_header(&keys, &client.connection_id))
            .header(
                CONTENT_TYPE,
                if msgpack {
                    "application/x-msgpack"
                } else {
                    "application/json"
                },
            )
            .body(body);
        if let Some(user) = &client.user_id {
            request = request.header("X-ASRS-User-Id", user);
        }
        if !client.claims.is_empty() {
            request = request.header("X-ASRS-User-Claims", &client.claims);
        }
        if !client.query.is_empty() {
            request = request.header("X-ASRS-Client-Query", &client.query);
        }
        let answer = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        }
        .await;
        match answer {
            Ok((status, bytes)) if bytes.len() > MAX_ANSWER_BYTES => {
                self.record(
                    client,
                    category,
                    event,
                    url.to_string(),
                    Some(status),
                    Some("answer too large".into()),
                );
                Answer::Failed
            }
            Ok((status, bytes)) => {
                self.record(client, category, event, url.to_string(), Some(status), None);
                Answer::Status(status, bytes.to_vec())
            }
            Err(e) => {
                let why = if e.is_timeout() {
                    format!("no answer within {:?}", self.timeout)
                } else {
                    e.to_string()
                };
                tracing::warn!(%url, category, event, error = %why, "upstream call failed");
                self.record(client, category, event, url.to_string(), None, Some(why))
            }
        }
    }

    fn record(
        &self,
        client: &ClientContext,
        category: &str,
        event: &str,
        url: String,
        status: Option<u16>,
        error: Option<String>,
    ) -> Answer {
        tracing::info!(hub = %client.hub, connection = %client.connection_id, category, event, %url, ?status, "upstream call");
        self.activity.record(&serde_json::json!({
            "kind": "upstream", "hub": client.hub, "connection": client.connection_id,
            "category": category, "event": event, "url": url, "status": status, "error": error,
        }));
        let mut log = self.log();
        if log.len() == CALL_LOG_LENGTH {
            log.pop_front();
        }
        log.push_back(UpstreamCall {
            connection_id: client.connection_id.clone(),
            hub: client.hub.clone(),
            category: category.into(),
            event: event.into(),
            url,
            status,
            error,
        });
        Answer::Failed
    }
}

/// What came back from the upstream.
#[derive(Debug)]
enum Answer {
    NoTemplate,
    Failed,
    Status(u16, Vec<u8>),
}

fn void(protocol: Protocol, invocation_id: Option<&str>) -> Encoded {
    protocol::encode_completion(
        protocol,
        invocation_id.unwrap_or_default(),
        CompletionResult::Void,
    )
}

/// The upstream's 200 body as the frame the client gets: it must already be a hub message in
/// the client's protocol (the service writes it through as it is).
fn completion_frame(protocol: Protocol, mut body: Vec<u8>) -> std::result::Result<Encoded, String> {
    let not_hub =
        |e: String| format!("Invocation failed, the upstream's answer is not a hub protocol message: {e}");
    match protocol {
        Protocol::Json => {
            if body.last() != Some(&(protocol::RECORD_SEPARATOR as u8)) {
                body.push(protocol::RECORD_SEPARATOR as u8);
            }
            let text = String::from_utf8(body).map_err(|_| not_hub("not UTF-8".into()))?;
            protocol::decode_json(&text).map_err(not_hub)?;
            Ok(Encoded::Text(text))
        }
        Protocol::MessagePack => {
            protocol::decode_msgpack(&body).map_err(not_hub)?;
            Ok(Encoded::Binary(body))
        }
    }
}
