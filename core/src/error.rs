//! The one error type of the crate; every binding maps it once to its own error types.

use std::time::Duration;

/// Everything that can go wrong when calling the service or driving the simulator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An argument broke a rule before anything was sent; `field` names it.
    #[error("invalid {field}: {message}")]
    InvalidArgument {
        /// The argument's name, in the core's snake_case.
        field: String,
        /// The rule it broke, naming the value.
        message: String,
    },
    /// The service refused the credentials (401/403), or no token could be obtained (`status` None).
    #[error("unauthorized{}: {message}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Unauthorized {
        /// 401 or 403; `None` when no request was sent.
        status: Option<u16>,
        /// Why, from `WWW-Authenticate` or the body.
        message: String,
    },
    /// The addressed connection, user or group does not exist (404); `code` is `x-ms-error-code`.
    #[error("not found ({code}): {message}")]
    NotFound {
        /// The service's `x-ms-error-code`.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The service rejected the request (400) with this message.
    #[error("bad request: {message}")]
    BadRequest {
        /// The service's message.
        message: String,
    },
    /// Any other non-success answer.
    #[error("service error {status}: {body}")]
    Service {
        /// The HTTP status.
        status: u16,
        /// The answer's body, or what the client could not make of it.
        body: String,
    },
    /// No answer within the request timeout.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The request could not be sent or the answer not read.
    #[error("transport error: {0}")]
    Transport(String),
}

impl Error {
    /// An [`Error::InvalidArgument`] naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A stable snake_case name of the error kind, for bindings and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::Unauthorized { .. } => "unauthorized",
            Error::NotFound { .. } => "not_found",
            Error::BadRequest { .. } => "bad_request",
            Error::Service { .. } => "service_error",
            Error::Timeout(_) => "timeout",
            Error::Transport(_) => "transport",
        }
    }
}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
