//! The core error as one uniffi error enum; the Swift and Kotlin packages map it to their own
//! error types. Every variant carries `detail`, the core's full message.

use signalr_rest::Error;
use uniffi::UnexpectedUniFFICallbackError;

/// Everything a call can fail with; the variants are the core's error kinds plus `Cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SignalRError {
    /// An argument broke a rule before anything was sent; `field` names it.
    #[error("{detail}")]
    InvalidArgument { field: String, detail: String },
    /// The service refused the credentials, or no token could be obtained (`status` absent).
    #[error("{detail}")]
    Unauthorized { status: Option<u16>, detail: String },
    /// The connection, user or group does not exist; `code` is the service's error code.
    #[error("{detail}")]
    NotFound { code: String, detail: String },
    /// The service rejected the request as malformed.
    #[error("{detail}")]
    BadRequest { detail: String },
    /// Any other non-success answer, with its status and body.
    #[error("{detail}")]
    Service {
        status: u16,
        body: String,
        detail: String,
    },
    /// No answer within the request timeout.
    #[error("{detail}")]
    Timeout { after_ms: u64, detail: String },
    /// The request could not be sent or the answer not read.
    #[error("{detail}")]
    Transport { detail: String },
    /// The call's `Cancellation` fired before it finished.
    #[error("{detail}")]
    Cancelled { detail: String },
}

impl From<Error> for SignalRError {
    fn from(error: Error) -> Self {
        let detail = error.to_string();
        match error {
            Error::InvalidArgument { field, .. } => SignalRError::InvalidArgument { field, detail },
            Error::Unauthorized { status, .. } => SignalRError::Unauthorized { status, detail },
            Error::NotFound { code, .. } => SignalRError::NotFound { code, detail },
            Error::BadRequest { .. } => SignalRError::BadRequest { detail },
            Error::Service { status, body } => SignalRError::Service { status, body, detail },
            Error::Timeout(after) => SignalRError::Timeout {
                after_ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                detail,
            },
            Error::Transport(_) => SignalRError::Transport { detail },
        }
    }
}

/// A Swift or Kotlin token provider threw something other than `SignalRError`, or could not be
/// called: it supplied no token. `reason` is what it threw, as text.
impl From<UnexpectedUniFFICallbackError> for SignalRError {
    fn from(error: UnexpectedUniFFICallbackError) -> Self {
        SignalRError::Unauthorized {
            status: None,
            detail: error.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_core_error_keeps_its_fields_and_full_message() {
        let mapped = SignalRError::from(Error::Service {
            status: 503,
            body: "busy".into(),
        });
        assert_eq!(
            mapped,
            SignalRError::Service {
                status: 503,
                body: "busy".into(),
                detail: "service error 503: busy".into()
            }
        );
        let mapped = SignalRError::from(Error::Timeout(Duration::from_millis(1500)));
        assert!(matches!(mapped, SignalRError::Timeout { after_ms: 1500, .. }));
        let mapped = SignalRError::from(Error::NotFound {
            code: "Error.Connection.NotExisted".into(),
            message: "gone".into(),
        });
        assert!(
            matches!(mapped, SignalRError::NotFound { ref code, .. } if code == "Error.Connection.NotExisted")
        );
    }

    #[test]
    fn a_foreign_failure_is_unauthorized_without_status() {
        let mapped = SignalRError::from(UnexpectedUniFFICallbackError::new("backend said no"));
        assert_eq!(
            mapped,
            SignalRError::Unauthorized {
                status: None,
                detail: "backend said no".into()
            }
        );
    }
}
