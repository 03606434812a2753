//! Feature `test-panic`, for test builds only (scripts/lib/test-uniffi): calls that panic, so the
//! Kotlin and Swift tests can show a Rust panic arriving as the package's error, not a crash.

use crate::error::SignalRError;

/// Panics with `message` in a synchronous call.
#[uniffi::export]
pub fn debug_panic(message: String) -> Result<(), SignalRError> {
    panic!("{message}")
}

/// Panics with `message` inside the future of an async call.
#[uniffi::export(async_runtime = "tokio")]
pub async fn debug_panic_async(message: String) -> Result<(), SignalRError> {
    panic!("{message}")
}
