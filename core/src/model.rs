//! Names the service accepts (hub, group, user and connection ids) and the message body.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::time::Duration;

use crate::error::{Error, Result};

/// Longest hub name the service accepts.
pub const MAX_HUB_LEN: usize = 128;
/// Longest group name the service accepts.
pub const MAX_GROUP_LEN: usize = 1024;

/// A hub invocation: the client-side method `target` called with `arguments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayloadMessage {
    /// The client method to invoke.
    pub target: String,
    /// Its arguments, kept as JSON text.
    #[serde(default)]
    pub arguments: Arguments,
}

impl PayloadMessage {
    /// A message invoking `target` with `arguments`.
    pub fn new(target: impl Into<String>, arguments: Vec<Value>) -> Self {
        PayloadMessage {
            target: target.into(),
            arguments: Arguments::from_values(&arguments),
        }
    }

    /// A message invoking `target` with the JSON array text `arguments_json`, kept as it is.
    pub fn from_json(target: impl Into<String>, arguments_json: &str) -> Result<Self> {
        Ok(PayloadMessage {
            target: target.into(),
            arguments: Arguments::from_json(arguments_json)?,
        })
    }

    /// Checks that the target is not empty.
    pub fn validate(&self) -> Result<()> {
        if self.target.is_empty() {
            return Err(Error::invalid("target", "target must not be empty"));
        }
        Ok(())
    }
}

/// The arguments of an invocation: a JSON array kept as the text it was given in.
///
/// The service passes arguments through as JSON, so object key order and the digits of every
/// number (integers beyond 64 bits, long decimals) reach JSON clients exactly as sent. Two
/// values are equal when they hold the same JSON, whatever their spacing.
#[derive(Clone)]
pub struct Arguments(Box<RawValue>);

impl Arguments {
    /// Reads JSON array text, refusing anything else with an error naming `arguments`.
    pub fn from_json(text: &str) -> Result<Self> {
        let invalid =
            |why: String| Error::invalid("arguments", format!("arguments must be a JSON array: {why}"));
        let raw = RawValue::from_string(text.trim().to_string()).map_err(|e| invalid(e.to_string()))?;
        if !raw.get().starts_with('[') {
            return Err(invalid(format!("got {}", abbreviate(raw.get()))));
        }
        Ok(Arguments(raw))
    }

    /// The JSON array of `values`.
    pub fn from_values(values: &[Value]) -> Self {
        let text = serde_json::to_string(values).expect("a JSON value always serializes");
        Arguments(RawValue::from_string(text).expect("serde_json writes valid JSON"))
    }

    /// The JSON array text.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// The arguments as values; integers beyond 64 bits become floats here.
    pub fn to_values(&self) -> Vec<Value> {
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }
}

impl Default for Arguments {
    fn default() -> Self {
        Arguments(RawValue::from_string("[]".into()).expect("[] is JSON"))
    }
}

impl PartialEq for Arguments {
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json() || self.to_values() == other.to_values()
    }
}

impl std::fmt::Debug for Arguments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_json())
    }
}

impl Serialize for Arguments {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Arguments {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Arguments::from_json(raw.get()).map_err(serde::de::Error::custom)
    }
}

/// The first 40 characters of `text`, for error messages.
fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

/// Checks a hub name: 1-128 characters, a letter first, then letters, digits and `` _`,.[] ``.
pub fn validate_hub(hub: &str) -> Result<()> {
    let mut chars = hub.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok {
        return Err(Error::invalid(
            "hub",
            format!("hub name {hub:?} must start with an ASCII letter"),
        ));
    }
    if hub.len() > MAX_HUB_LEN {
        return Err(Error::invalid(
            "hub",
            format!(
                "hub name {hub:?} is {} characters, at most {MAX_HUB_LEN} allowed",
                hub.len()
            ),
        ));
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || "_`,.[]".contains(*c))) {
        return Err(Error::invalid(
            "hub",
            format!("hub name {hub:?} contains {bad:?}; allowed are letters, digits and _`,.[]"),
        ));
    }
    Ok(())
}

/// Checks a group name: 1-1024 characters and not whitespace only.
pub fn validate_group(group: &str) -> Result<()> {
    let len = group.chars().count();
    if len == 0 || len > MAX_GROUP_LEN {
        return Err(Error::invalid(
            "group",
            format!("group name must be 1 to {MAX_GROUP_LEN} characters, got {len}"),
        ));
    }
    if group.trim().is_empty() {
        return Err(Error::invalid(
            "group",
            format!("group name {group:?} must not be whitespace only"),
        ));
    }
    reject_dot_segment("group", group)
}

/// Checks a user or connection id (`field` names which): not empty, not `.` or `..`.
pub fn validate_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid(field, format!("{field} must not be empty")));
    }
    reject_dot_segment(field, id)
}

/// URLs resolve `.` and `..` path segments (even percent-encoded), so such names cannot be
/// addressed in a request path.
fn reject_dot_segment(field: &str, value: &str) -> Result<()> {
    if matches!(value, "." | "..") {
        return Err(Error::invalid(
            field,
            format!("{field} {value:?} cannot be used: URLs resolve it as a path step"),
        ));
    }
    Ok(())
}

/// Converts a TTL given in seconds by a caller into a `Duration`, refusing negatives.
pub fn ttl_from_secs(seconds: i64) -> Result<Duration> {
    u64::try_from(seconds)
        .map(Duration::from_secs)
        .map_err(|_| Error::invalid("ttl", format!("ttl must be 0 or more seconds, got {seconds}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_names_follow_the_service_pattern() {
        for ok in ["a", "chat", "A_b.c`[x]", "h,1", &"h".repeat(128)] {
            assert!(validate_hub(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1abc", "_a", "a-b", "a b", "é", &"h".repeat(129)] {
            let err = validate_hub(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { ref field, .. } if field == "hub"));
        }
    }

    #[test]
    fn group_names_are_1_to_1024_and_not_blank() {
        assert!(validate_group("g").is_ok());
        assert!(validate_group(&"g".repeat(1024)).is_ok());
        assert!(validate_group(&"é".repeat(1024)).is_ok());
        assert!(validate_group("").is_err());
        assert!(validate_group(&"g".repeat(1025)).is_err());
        assert!(validate_group(" \t ").is_err());
        assert!(validate_group("..").is_err());
        assert!(validate_id("user_id", ".").is_err());
        assert!(validate_id("user_id", "...").is_ok());
    }

    #[test]
    fn arguments_keep_key_order_and_digits() {
        let text = r#"[{"é":1,"n":2},12345678901234567890123,0.1000000000000000055511151231257827]"#;
        let message = PayloadMessage::from_json("t", text).unwrap();
        assert_eq!(message.arguments.as_json(), text);
        let body = serde_json::to_string(&message).unwrap();
        assert_eq!(body, format!(r#"{{"target":"t","arguments":{text}}}"#));
        let back: PayloadMessage = serde_json::from_str(&body).unwrap();
        assert_eq!(back.arguments.as_json(), text);
    }

    #[test]
    fn arguments_must_be_a_json_array() {
        for bad in ["{}", "1", "\"a\"", "[1", ""] {
            let err = Arguments::from_json(bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { ref field, .. } if field == "arguments"),
                "{bad}"
            );
        }
        assert_eq!(
            Arguments::from_json(" [1, 2] ").unwrap(),
            Arguments::from_values(&[1.into(), 2.into()])
        );
    }

    #[test]
    fn negative_ttl_is_refused_naming_the_value() {
        assert_eq!(ttl_from_secs(5).unwrap(), Duration::from_secs(5));
        let err = ttl_from_secs(-1).unwrap_err();
        assert!(err.to_string().contains("-1"), "{err}");
    }
}
