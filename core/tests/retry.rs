//! Retry policy against a local server that fails on purpose.

mod loopback;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use loopback::{service_404, Server, NO_DELAY};
use serde_json::json;
use signalr_rest::auth::{AccessKey, TokenFuture, TokenProvider};
use signalr_rest::{Error, PayloadMessage, RetryPolicy, ServiceClient};

/// A server answering `failure` (with `body` and an optional `Retry-After`) to the first
/// `failures` requests, then 202.
async fn flaky(
    failures: usize,
    failure: StatusCode,
    body: &'static str,
    retry_after: Option<String>,
) -> Server {
    Server::start(move |n| {
        if n >= failures {
            return (NO_DELAY, StatusCode::ACCEPTED.into_response());
        }
        let mut headers = HeaderMap::new();
        if let Some(wait) = &retry_after {
            headers.insert("retry-after", wait.parse().unwrap());
        }
        (NO_DELAY, (failure, headers, body).into_response())
    })
    .await
}

const KEY: &str = "retry-test-key";

fn client(url: &str, policy: RetryPolicy, timeout: Duration) -> ServiceClient {
    ServiceClient::builder()
        .endpoint(url)
        .access_key(KEY)
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

const LONG: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_send_retries_an_empty_503_until_it_succeeds() {
    let server = flaky(2, StatusCode::SERVICE_UNAVAILABLE, "", None).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    hub.send_to_all(&message(), &[]).await.unwrap();
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn a_send_is_not_retried_after_a_503_with_a_body() {
    let server = flaky(1, StatusCode::SERVICE_UNAVAILABLE, "handler failed", None).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.send_to_all(&message(), &[]).await.unwrap_err();
    assert!(matches!(err, Error::Service { status: 503, .. }), "{err:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_send_is_not_retried_after_a_500_502_or_504_but_an_idempotent_call_is() {
    // Gateways answer 502 and 504 after forwarding: the message may have been delivered.
    for status in [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::GATEWAY_TIMEOUT,
    ] {
        let server = flaky(1, status, "", None).await;
        let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
        let err = hub.send_to_group("g", &message(), &[]).await.unwrap_err();
        assert!(
            matches!(err, Error::Service { status: s, .. } if s == status.as_u16()),
            "{err:?}"
        );
        assert_eq!(server.count(), 1, "{status}");

        let server = flaky(1, status, "", None).await;
        let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
        hub.add_user_to_group("g", "u", None).await.unwrap();
        assert_eq!(server.count(), 2, "{status}");
    }
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured_on_429() {
    let server = flaky(1, StatusCode::TOO_MANY_REQUESTS, "", Some("1".into())).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let started = Instant::now();
    hub.send_to_user("u", &message()).await.unwrap();
    assert_eq!(server.count(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_until_that_time() {
    // Whole seconds, as HTTP dates have them, at least one second ahead.
    let asked_for = SystemTime::now() + Duration::from_secs(2);
    let date = httpdate::fmt_http_date(asked_for);
    let not_before = httpdate::parse_http_date(&date).unwrap();
    let server = flaky(1, StatusCode::TOO_MANY_REQUESTS, "", Some(date)).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    hub.send_to_connection("c", &message()).await.unwrap();
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    assert!(
        hits[1].at >= not_before,
        "retried at {:?}, asked for {not_before:?}",
        hits[1].at
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_max_delay_ends_the_retries_saying_so() {
    for asked in [
        "120".to_string(),
        httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(600)),
    ] {
        let server = flaky(1, StatusCode::SERVICE_UNAVAILABLE, "", Some(asked.clone())).await;
        let policy = RetryPolicy {
            max_delay: Duration::from_secs(30),
            ..fast()
        };
        let hub = client(&server.url, policy, LONG).hub("chat").unwrap();
        let err = hub.user_exists("u").await.unwrap_err();
        let Error::Service { status: 503, body } = &err else {
            panic!("{asked}: {err:?}");
        };
        assert!(body.contains("the service asked to retry after "), "{body}");
        assert!(
            body.contains("longer than the retry policy's max_delay of 30 s"),
            "{body}"
        );
        assert_eq!(server.count(), 1, "{asked}");
    }
    let server = flaky(1, StatusCode::TOO_MANY_REQUESTS, "", Some("120".into())).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.send_to_all(&message(), &[]).await.unwrap_err();
    assert!(err.to_string().contains("after 120 s, longer than"), "{err}");
}

#[tokio::test]
async fn retries_stop_after_max_retries_with_the_last_error() {
    let server = flaky(100, StatusCode::SERVICE_UNAVAILABLE, "try later", None).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.add_user_to_group("g", "u", None).await.unwrap_err();
    assert!(
        matches!(err, Error::Service { status: 503, ref body } if body == "try later"),
        "{err:?}"
    );
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn a_400_is_never_retried() {
    let server = flaky(100, StatusCode::BAD_REQUEST, "bad", None).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.connection_exists("c").await.unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }), "{err:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_send_that_timed_out_is_not_retried() {
    let server = Server::start(|_| (Duration::from_millis(500), StatusCode::ACCEPTED.into_response())).await;
    let hub = client(&server.url, fast(), Duration::from_millis(100))
        .hub("chat")
        .unwrap();
    let err = hub.send_to_all(&message(), &[]).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout(d) if d == Duration::from_millis(100)),
        "{err:?}"
    );
    assert_eq!(server.count(), 1);
}

/// First DELETE answered only after the client gave up; the retry finds the thing gone.
async fn slow_then_gone(code: &'static str) -> Server {
    Server::start(move |n| match n {
        0 => (Duration::from_millis(600), StatusCode::OK.into_response()),
        _ => (NO_DELAY, service_404(code)),
    })
    .await
}

#[tokio::test]
async fn a_retried_delete_that_finds_the_thing_gone_succeeds() {
    let timeout = Duration::from_millis(200);
    let server = slow_then_gone("Warning.Connection.NotInGroup").await;
    let hub = client(&server.url, fast(), timeout).hub("chat").unwrap();
    hub.remove_connection_from_group("g", "c").await.unwrap();
    assert_eq!(server.count(), 2);

    let server = slow_then_gone("Error.Connection.NotExisted").await;
    let hub = client(&server.url, fast(), timeout).hub("chat").unwrap();
    hub.close_connection("c", Some("bye")).await.unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_delete_answered_404_at_once_is_not_found() {
    let server = Server::start(|_| (NO_DELAY, service_404("Warning.Connection.NotInGroup"))).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.remove_connection_from_group("g", "c").await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref code, .. } if code == "Warning.Connection.NotInGroup"),
        "{err:?}"
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_delete_retried_after_a_429_and_then_answered_404_is_not_found() {
    // A 429 is a refusal: the first attempt did nothing, so the 404 is the truth.
    let server = Server::start(|n| match n {
        0 => (NO_DELAY, StatusCode::TOO_MANY_REQUESTS.into_response()),
        _ => (NO_DELAY, service_404("Warning.Connection.NotInGroup")),
    })
    .await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    let err = hub.remove_connection_from_group("g", "c").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn every_retry_carries_a_valid_freshly_signed_token() {
    // Retry-After: 1 puts the attempts in different seconds, so a fresh token has a later `iat`.
    let server = flaky(2, StatusCode::SERVICE_UNAVAILABLE, "", Some("1".into())).await;
    let hub = client(&server.url, fast(), LONG).hub("chat").unwrap();
    hub.send_to_user("alice", &message()).await.unwrap();
    let audience = format!("{}/api/v1/hubs/chat/users/alice", server.url);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[&audience]);
    let secret = jsonwebtoken::DecodingKey::from_secret(KEY.as_bytes());
    let issued: Vec<u64> = server
        .hits()
        .iter()
        .map(|hit| {
            let header = hit.authorization.as_deref().expect("an Authorization header");
            let token = header.strip_prefix("Bearer ").expect("a bearer token");
            let claims = jsonwebtoken::decode::<serde_json::Value>(token, &secret, &validation)
                .unwrap_or_else(|why| panic!("{why}"))
                .claims;
            claims["iat"].as_u64().expect("iat")
        })
        .collect();
    assert_eq!(issued.len(), 3);
    assert!(
        issued.windows(2).all(|pair| pair[1] > pair[0]),
        "tokens issued at {issued:?}"
    );
}

/// Signs with [`KEY`] and counts how often it was asked.
struct CountingProvider(AtomicUsize);

impl TokenProvider for CountingProvider {
    fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(
            async move { AccessKey::new(KEY)?.sign(audience, Duration::from_secs(60), &Default::default()) },
        )
    }
}

#[tokio::test]
async fn a_token_provider_is_asked_again_for_every_retry() {
    let server = flaky(2, StatusCode::SERVICE_UNAVAILABLE, "", None).await;
    let provider = Arc::new(CountingProvider(AtomicUsize::new(0)));
    let hub = ServiceClient::builder()
        .endpoint(&server.url)
        .token_provider(provider.clone())
        .retry(fast())
        .build()
        .unwrap()
        .hub("chat")
        .unwrap();
    hub.user_exists("alice").await.unwrap();
    assert_eq!(server.count(), 3);
    assert_eq!(provider.0.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_disabled_policy_makes_one_attempt() {
    let server = flaky(1, StatusCode::SERVICE_UNAVAILABLE, "", None).await;
    let hub = client(&server.url, RetryPolicy::none(), LONG)
        .hub("chat")
        .unwrap();
    assert!(hub.send_to_all(&message(), &[]).await.is_err());
    assert_eq!(server.count(), 1);
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

#[tokio::test]
async fn requests_carry_the_sdk_user_agent_with_the_application_first() {
    let server = Server::start(|_| (NO_DELAY, axum::http::StatusCode::ACCEPTED.into_response())).await;
    let hub = ServiceClient::builder()
        .endpoint(&server.url)
        .access_key("k")
        .application_name("Shop")
        .sdk("node", "node v20.20.2")
        .build()
        .unwrap()
        .hub("chat")
        .unwrap();
    hub.send_to_all(&PayloadMessage::new("t", vec![]), &[])
        .await
        .unwrap();
    let agent = server.hits()[0].user_agent.clone().unwrap();
    assert!(agent.starts_with("Shop signalr-rest-node/"), "{agent}");
    assert!(agent.contains("(node v20.20.2; "), "{agent}");
}
