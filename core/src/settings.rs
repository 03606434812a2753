//! Options as the language bindings receive them (strings and plain numbers), checked and turned
//! into the core's types here, once: every language refuses a bad value with the same words, and
//! adding an option is one field here plus one line per binding.

#[cfg(feature = "simulator")]
use std::net::IpAddr;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::auth::ClientTokenOptions;
use crate::client::{ApiVersion, RetryPolicy, ServiceClientBuilder};
use crate::error::{Error, Result};
#[cfg(feature = "simulator")]
use crate::simulator::{SimulatorOptions, UpstreamTemplate};

/// How a binding's users write option names and lengths of time, so errors name the option as
/// they wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Convention {
    /// Option names in lowerCamelCase (`upstreamTimeout`) rather than snake_case.
    pub camel_case: bool,
    /// Lengths of time in milliseconds, named with an `Ms` suffix (`timeoutMs`), rather than
    /// in seconds.
    pub millis: bool,
}

impl Convention {
    /// snake_case names, seconds (Python).
    pub const SNAKE_SECONDS: Convention = Convention {
        camel_case: false,
        millis: false,
    };
    /// lowerCamelCase names, milliseconds (JavaScript).
    pub const CAMEL_MILLIS: Convention = Convention {
        camel_case: true,
        millis: true,
    };
    /// lowerCamelCase names, seconds (Kotlin, Swift).
    pub const CAMEL_SECONDS: Convention = Convention {
        camel_case: true,
        millis: false,
    };

    /// The option `snake` (the core's name; dots separate nested options) as users write it.
    pub fn name(self, snake: &str) -> String {
        if !self.camel_case {
            return snake.to_string();
        }
        let mut out = String::with_capacity(snake.len());
        let mut upper = false;
        for c in snake.chars() {
            match c {
                '_' => upper = true,
                _ if upper => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// The length-of-time option `snake` as users write it (`timeoutMs` in milliseconds).
    pub fn duration_name(self, snake: &str) -> String {
        let name = self.name(snake);
        if self.millis {
            format!("{name}Ms")
        } else {
            name
        }
    }

    /// `value` (in this convention's unit) as a `Duration`; negative, NaN, infinite and
    /// too-large values are an `InvalidArgument` naming the option and the value.
    pub fn duration(self, snake: &str, value: f64) -> Result<Duration> {
        let (per_second, unit) = if self.millis {
            (1000.0, "milliseconds")
        } else {
            (1.0, "seconds")
        };
        Duration::try_from_secs_f64(value / per_second).map_err(|_| {
            let field = self.duration_name(snake);
            // Display writes 1e300 out in full; exponent form keeps the message readable.
            let shown = if value.abs() < 1e15 {
                value.to_string()
            } else {
                format!("{value:e}")
            };
            Error::invalid(
                &field,
                format!("{field} must be a finite number of {unit}, 0 or more; got {shown}"),
            )
        })
    }

    fn optional_duration(self, snake: &str, value: Option<f64>) -> Result<Option<Duration>> {
        value.map(|v| self.duration(snake, v)).transpose()
    }
}

/// A `ServiceClient`'s options as a binding receives them; lengths of time in the binding's
/// unit. The token provider and SDK name are set on the returned builder by the binding.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    /// `Endpoint=...;AccessKey=...;Version=1.0;`.
    pub connection_string: Option<String>,
    /// The REST endpoint, with `access_key` or a token provider.
    pub endpoint: Option<String>,
    /// The key tokens are signed with.
    pub access_key: Option<String>,
    /// The endpoint SignalR clients are sent to, when it differs from the REST one.
    pub client_endpoint: Option<String>,
    /// Time one HTTP request may take.
    pub timeout: Option<f64>,
    /// Retries after the first attempt (0 turns retries off).
    pub max_retries: Option<i64>,
    /// Delay before the first retry.
    pub retry_initial_delay: Option<f64>,
    /// Longest delay between retries.
    pub retry_max_delay: Option<f64>,
    /// Prefixes hub names as `{name}_{hub}`.
    pub application_name: Option<String>,
    /// `1.0` or `2022-06-01`.
    pub api_version: Option<String>,
    /// Lifetime of the tokens signed for each request.
    pub token_lifetime: Option<f64>,
}

impl ClientSettings {
    /// A builder with every given option applied, or the first option that breaks a rule.
    pub fn builder(&self, convention: Convention) -> Result<ServiceClientBuilder> {
        let mut builder = ServiceClientBuilder::default();
        if let Some(text) = &self.connection_string {
            builder = builder.connection_string(text.clone());
        }
        if let Some(url) = &self.endpoint {
            builder = builder.endpoint(url.clone());
        }
        if let Some(key) = &self.access_key {
            builder = builder.access_key(key.clone());
        }
        if let Some(url) = &self.client_endpoint {
            builder = builder.client_endpoint(url.clone());
        }
        if let Some(timeout) = convention.optional_duration("timeout", self.timeout)? {
            builder = builder.timeout(timeout);
        }
        builder = builder.retry(self.retry(convention)?);
        if let Some(name) = &self.application_name {
            builder = builder.application_name(name.clone());
        }
        if let Some(text) = &self.api_version {
            builder = builder.api_version(ApiVersion::parse(text)?);
        }
        if let Some(lifetime) = convention.optional_duration("token_lifetime", self.token_lifetime)? {
            builder = builder.token_lifetime(lifetime);
        }
        Ok(builder)
    }

    fn retry(&self, convention: Convention) -> Result<RetryPolicy> {
        let mut policy = RetryPolicy::default();
        if let Some(count) = self.max_retries {
            policy.max_retries = u32::try_from(count).map_err(|_| {
                let field = convention.name("retry.max_retries");
                Error::invalid(
                    &field,
                    format!("{field} must be from 0 to {}, got {count}", u32::MAX),
                )
            })?;
        }
        if let Some(delay) = convention.optional_duration("retry.initial_delay", self.retry_initial_delay)? {
            policy.initial_delay = delay;
        }
        if let Some(delay) = convention.optional_duration("retry.max_delay", self.retry_max_delay)? {
            policy.max_delay = delay;
        }
        Ok(policy)
    }
}

/// A client token's options (`negotiate`, `generate_client_token`) as a binding receives them.
#[derive(Debug, Clone, Default)]
pub struct TokenSettings {
    /// The user the token is for.
    pub user_id: Option<String>,
    /// How long the token is valid, in seconds whatever the convention (tokens count seconds).
    pub lifetime_seconds: Option<f64>,
    /// Extra claims as the text of a JSON object.
    pub claims_json: Option<String>,
}

impl TokenSettings {
    /// The token options, or the first option that breaks a rule (`lifetime` named as
    /// `lifetime_seconds` / `lifetimeSeconds`).
    pub fn options(&self, convention: Convention) -> Result<ClientTokenOptions> {
        let mut options = ClientTokenOptions {
            user_id: self.user_id.clone(),
            ..ClientTokenOptions::default()
        };
        if let Some(lifetime) = self.lifetime_seconds {
            let seconds = Convention {
                millis: false,
                ..convention
            };
            options.lifetime = seconds.duration("lifetime_seconds", lifetime)?;
        }
        if let Some(text) = &self.claims_json {
            options.claims = serde_json::from_str::<Map<String, Value>>(text).map_err(|e| {
                Error::invalid("claims", format!("claims {text:?} must be a JSON object: {e}"))
            })?;
        }
        Ok(options)
    }
}

/// A `Simulator`'s options as a binding receives them; lengths of time in the binding's unit.
#[cfg(feature = "simulator")]
#[derive(Debug, Clone, Default)]
pub struct SimulatorSettings {
    /// IP address to listen on (default 127.0.0.1).
    pub host: Option<String>,
    /// Port to listen on, 0 to 65535; 0 (default) lets the OS choose.
    pub port: Option<i64>,
    /// The key tokens must be signed with; random when absent.
    pub access_key: Option<String>,
    /// Silence after which a WebSocket client gets a ping.
    pub ping_interval: Option<f64>,
    /// A second valid key; upstream requests are signed with both.
    pub secondary_access_key: Option<String>,
    /// Upstream templates in the CLI's form (`URL;hub=..;category=..;event=..`).
    pub upstreams: Vec<String>,
    /// Time an upstream call may take.
    pub upstream_timeout: Option<f64>,
    /// Serve the live dashboard; absent means only on a loopback host.
    pub dashboard: Option<bool>,
    /// Fault rules in their text form (`503;route=send;times=2`), in force from the start.
    pub faults: Vec<String>,
    /// Seed for the draws of faults with a `fraction`; random when absent.
    pub fault_seed: Option<u64>,
}

#[cfg(feature = "simulator")]
impl SimulatorSettings {
    /// The simulator options, or the first option that breaks a rule.
    pub fn options(&self, convention: Convention) -> Result<SimulatorOptions> {
        let mut options = SimulatorOptions {
            access_key: self.access_key.clone(),
            secondary_access_key: self.secondary_access_key.clone(),
            dashboard: self.dashboard,
            fault_seed: self.fault_seed,
            ..SimulatorOptions::default()
        };
        options.faults = self
            .faults
            .iter()
            .map(|spec| spec.parse())
            .collect::<Result<_>>()?;
        if let Some(text) = &self.host {
            options.host = text
                .parse::<IpAddr>()
                .map_err(|_| Error::invalid("host", format!("host {text:?} is not an IP address")))?;
        }
        if let Some(number) = self.port {
            options.port = u16::try_from(number)
                .map_err(|_| Error::invalid("port", format!("port {number} must be from 0 to 65535")))?;
        }
        if let Some(interval) = convention.optional_duration("ping_interval", self.ping_interval)? {
            options.ping_interval = interval;
        }
        options.upstreams = self
            .upstreams
            .iter()
            .map(|spec| UpstreamTemplate::parse(spec))
            .collect::<Result<_>>()?;
        if let Some(timeout) = convention.optional_duration("upstream_timeout", self.upstream_timeout)? {
            options.upstream_timeout = timeout;
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_convention() {
        assert_eq!(
            Convention::SNAKE_SECONDS.duration_name("upstream_timeout"),
            "upstream_timeout"
        );
        assert_eq!(
            Convention::CAMEL_MILLIS.duration_name("upstream_timeout"),
            "upstreamTimeoutMs"
        );
        assert_eq!(
            Convention::CAMEL_SECONDS.name("retry.max_delay"),
            "retry.maxDelay"
        );
    }

    #[test]
    fn a_bad_duration_names_the_option_as_written() {
        let err = Convention::CAMEL_MILLIS.duration("timeout", -5.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid timeoutMs: timeoutMs must be a finite number of milliseconds, 0 or more; got -5"
        );
        assert_eq!(
            Convention::CAMEL_MILLIS.duration("timeout", 1500.0).unwrap(),
            Duration::from_millis(1500)
        );
        assert!(Convention::SNAKE_SECONDS.duration("timeout", f64::NAN).is_err());
    }

    #[test]
    fn token_settings_count_seconds_and_read_claims() {
        let options = TokenSettings {
            user_id: Some("alice".into()),
            lifetime_seconds: Some(90.0),
            claims_json: Some(r#"{"role":"admin"}"#.into()),
        }
        .options(Convention::CAMEL_MILLIS)
        .unwrap();
        assert_eq!(options.lifetime, Duration::from_secs(90));
        assert_eq!(options.claims["role"], "admin");
        let bad = TokenSettings {
            claims_json: Some("[1]".into()),
            ..Default::default()
        };
        let err = bad.options(Convention::SNAKE_SECONDS).unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"), "{err}");
        let negative = TokenSettings {
            lifetime_seconds: Some(-1.0),
            ..Default::default()
        };
        let err = negative.options(Convention::CAMEL_MILLIS).unwrap_err();
        assert!(err.to_string().starts_with("invalid lifetimeSeconds:"), "{err}");
    }

    #[cfg(feature = "simulator")]
    #[test]
    fn simulator_settings_check_every_field() {
        let bad_port = SimulatorSettings {
            port: Some(70000),
            ..Default::default()
        };
        assert!(bad_port
            .options(Convention::SNAKE_SECONDS)
            .unwrap_err()
            .to_string()
            .contains("70000"));
        let options = SimulatorSettings {
            host: Some("0.0.0.0".into()),
            ping_interval: Some(250.0),
            upstreams: vec!["http://127.0.0.1:1/{hub};hub=chat".into()],
            ..Default::default()
        }
        .options(Convention::CAMEL_MILLIS)
        .unwrap();
        assert_eq!(options.ping_interval, Duration::from_millis(250));
        assert_eq!(options.upstreams.len(), 1);
        assert!(options.host.is_unspecified());
    }
}
