//! The runtime the language bindings run calls on.

use std::sync::OnceLock;

/// One multi-threaded tokio runtime for the whole process, started on first use; for callers
/// that have no runtime of their own (Python, Kotlin, Swift), so that concurrent calls' I/O is
/// spread over threads and pooled connections outlive any one call.
pub fn shared() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("signalr-rest")
            .build()
            .expect("cannot start the tokio runtime")
    })
}
