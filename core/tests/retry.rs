//! Retry policy against a local server that fails on purpose.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use serde_json::json;
use signalr_rest::{Error, PayloadMessage, RetryPolicy, ServiceClient};

/// A server that answers `failure` to the first `failures` requests, then `success`.
struct Flaky {
    url: String,
    hits: Arc<AtomicUsize>,
}

async fn flaky(
    failures: usize,
    failure: StatusCode,
    retry_after: Option<&'static str>,
    delay: Duration,
) -> Flaky {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(any(move || {
        let counter = counter.clone();
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            if n < failures {
                let mut headers = HeaderMap::new();
                if let Some(wait) = retry_after {
                    headers.insert("retry-after", wait.parse().unwrap());
                }
                (failure, headers, "try later").into_response()
            } else {
                StatusCode::ACCEPTED.into_response()
            }
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Flaky { url, hits }
}

fn client(url: &str, policy: RetryPolicy, timeout: Duration) -> ServiceClient {
    ServiceClient::builder()
        .endpoint(url)
        .access_key("k")
        .retry(policy)
        .timeout(timeout)
        .build()
        .unwrap()
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(5),
    }
}

fn message() -> PayloadMessage {
    PayloadMessage::new("t", vec![json!(1)])
}

const NO_DELAY: Duration = Duration::ZERO;
const LONG: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_send_retries_503_until_it_succeeds() {
    let server = flaky(2, StatusCode::SERVICE_UNAVAILABLE, None, NO_DELAY).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    hub.send_to_all(&message(), &[]).await.unwrap();
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let server = flaky(1, StatusCode::TOO_MANY_REQUESTS, Some("1"), NO_DELAY).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let started = Instant::now();
    hub.send_to_user("u", &message()).await.unwrap();
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retries_stop_after_max_retries_with_the_last_error() {
    let server = flaky(100, StatusCode::SERVICE_UNAVAILABLE, None, NO_DELAY).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.send_to_all(&message(), &[]).await.unwrap_err();
    assert!(
        matches!(err, Error::Service { status: 503, ref body } if body == "try later"),
        "{err:?}"
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_400_is_never_retried() {
    let server = flaky(100, StatusCode::BAD_REQUEST, None, NO_DELAY).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.connection_exists("c").await.unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }), "{err:?}");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_send_is_not_retried_after_a_500_but_an_idempotent_call_is() {
    let server = flaky(1, StatusCode::INTERNAL_SERVER_ERROR, None, NO_DELAY).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.send_to_all(&message(), &[]).await.unwrap_err();
    assert!(matches!(err, Error::Service { status: 500, .. }), "{err:?}");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
    let server = flaky(1, StatusCode::INTERNAL_SERVER_ERROR, None, NO_DELAY).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    hub.add_user_to_group("g", "u", None).await.unwrap();
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_send_that_timed_out_is_not_retried() {
    let server = flaky(0, StatusCode::OK, None, Duration::from_millis(500)).await;
    let hub = client(&server.url, fast(), Duration::from_millis(100))
        .hub("chat")
        .unwrap();
    let err = hub.send_to_all(&message(), &[]).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout(d) if d == Duration::from_millis(100)),
        "{err:?}"
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_disabled_policy_makes_one_attempt() {
    let server = flaky(1, StatusCode::SERVICE_UNAVAILABLE, None, NO_DELAY).await;
    let hub = client(&server.url, RetryPolicy::none(), LONG)
        .hub("chat")
        .unwrap();
    assert!(hub.send_to_all(&message(), &[]).await.is_err());
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let hub = client(&url, fast(), LONG).hub("chat").unwrap();
    let err = hub.send_to_all(&message(), &[]).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport(ref m) if m.contains("onnect")),
        "{err:?}"
    );
}
