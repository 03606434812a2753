//! Why a command failed, and the exit code that tells scripts which kind of failure it was.

use std::fmt;
use std::process::ExitCode;

use signalr_rest::Error;

/// A failed command: bad input (exit 2) or a failure of the service or the network (exit 1).
#[derive(Debug)]
pub enum Failure {
    /// The command line was wrong; retrying it unchanged cannot help.
    BadInput(String),
    /// The service refused or could not be reached; the message carries status and body.
    Service(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::BadInput(_) => ExitCode::from(2),
            Failure::Service(_) => ExitCode::from(1),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::BadInput(message) | Failure::Service(message) => f.write_str(message),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument { .. } => Failure::BadInput(error.to_string()),
            Error::Unauthorized {
                status: Some(status),
                message,
            } => Failure::Service(format!("HTTP {status} unauthorized: {message}")),
            Error::Unauthorized {
                status: None,
                message,
            } => Failure::Service(format!("no access token: {message}")),
            Error::NotFound { code, message } => {
                Failure::Service(format!("HTTP 404 not found ({code}): {message}"))
            }
            Error::BadRequest { message } => Failure::Service(format!("HTTP 400 bad request: {message}")),
            Error::Service { status, body } if body.trim().is_empty() => {
                Failure::Service(format!("HTTP {status} (empty body)"))
            }
            Error::Service { status, body } => Failure::Service(format!("HTTP {status}: {body}")),
            Error::Timeout(_) | Error::Transport(_) => Failure::Service(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages_carry_status_and_body() {
        let failure = Failure::from(Error::Unauthorized {
            status: Some(401),
            message: "bad signature".into(),
        });
        assert_eq!(failure.to_string(), "HTTP 401 unauthorized: bad signature");
        assert_eq!(failure.exit_code(), ExitCode::from(1));
        let failure = Failure::from(Error::Service {
            status: 503,
            body: "busy".into(),
        });
        assert_eq!(failure.to_string(), "HTTP 503: busy");
        let failure = Failure::from(Error::invalid("hub", "bad name"));
        assert_eq!(failure.exit_code(), ExitCode::from(2));
    }
}
