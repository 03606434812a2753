//! Names the service accepts (hub, group, user and connection ids) and the message body.

use serde::{Deserialize, Serialize};
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
    pub target: String,
    #[serde(default)]
    pub arguments: Vec<Value>,
}

impl PayloadMessage {
    /// A message invoking `target` with `arguments`.
    pub fn new(target: impl Into<String>, arguments: Vec<Value>) -> Self {
        PayloadMessage {
            target: target.into(),
            arguments,
        }
    }

    /// Checks that the target is not empty.
    pub fn validate(&self) -> Result<()> {
        if self.target.is_empty() {
            return Err(Error::invalid("target", "target must not be empty"));
        }
        Ok(())
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
    fn negative_ttl_is_refused_naming_the_value() {
        assert_eq!(ttl_from_secs(5).unwrap(), Duration::from_secs(5));
        let err = ttl_from_secs(-1).unwrap_err();
        assert!(err.to_string().contains("-1"), "{err}");
    }
}
