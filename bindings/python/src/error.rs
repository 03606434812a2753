//! The one mapping of core errors (and Rust panics) to the exceptions of `signalr_rest.errors`.

use std::any::Any;

use pyo3::PyErr;
use signalr_rest::Error;

pyo3::import_exception!(signalr_rest.errors, SignalRError);
pyo3::import_exception!(signalr_rest.errors, InvalidArgumentError);
pyo3::import_exception!(signalr_rest.errors, UnauthorizedError);
pyo3::import_exception!(signalr_rest.errors, NotFoundError);
pyo3::import_exception!(signalr_rest.errors, BadRequestError);
pyo3::import_exception!(signalr_rest.errors, ServiceError);
pyo3::import_exception!(signalr_rest.errors, RequestTimeoutError);
pyo3::import_exception!(signalr_rest.errors, TransportError);

/// The Python exception for a core error; its message is the core's, which names the bad
/// value or the HTTP status.
pub fn to_py_err(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::InvalidArgument { field, .. } => InvalidArgumentError::new_err((message, field)),
        Error::Unauthorized { status, .. } => UnauthorizedError::new_err((message, status)),
        Error::NotFound { code, .. } => NotFoundError::new_err((message, code)),
        Error::BadRequest { message: body } => BadRequestError::new_err((message, 400, body)),
        Error::Service { status, body } => ServiceError::new_err((message, status, body)),
        Error::Timeout(after) => RequestTimeoutError::new_err((message, after.as_secs_f64())),
        Error::Transport(_) => TransportError::new_err(message),
    }
}

/// An [`InvalidArgumentError`] raised by a conversion in this binding.
pub fn invalid(field: &str, message: String) -> PyErr {
    to_py_err(Error::invalid(field, message))
}

/// A `SignalRError` for a panic caught at the boundary: a bug, reported instead of a crash.
pub fn from_panic(payload: Box<dyn Any + Send>) -> PyErr {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    SignalRError::new_err(format!("internal error in signalr-rest (please report): {text}"))
}
