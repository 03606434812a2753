//! A loopback HTTP server that answers each request as a test scripts it, and records what
//! it saw; shared by the test files that need a server failing on purpose.

// Each test file uses its own share of these helpers.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::json;

/// Answer at once.
pub const NO_DELAY: Duration = Duration::ZERO;

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct Hit {
    pub at: SystemTime,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
}

/// A loopback server answering request number `n` (0-based) with `script(n)`: a delay, then
/// a response.
pub struct Server {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Server {
    pub async fn start<F>(script: F) -> Server
    where
        F: Fn(usize) -> (Duration, Response) + Clone + Send + Sync + 'static,
    {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let seen = hits.clone();
        let app = Router::new().fallback(any(move |headers: HeaderMap| {
            let (seen, script) = (seen.clone(), script.clone());
            async move {
                let n = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(Hit {
                        at: SystemTime::now(),
                        authorization: headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string),
                        user_agent: headers
                            .get("user-agent")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string),
                    });
                    seen.len() - 1
                };
                let (delay, response) = script(n);
                tokio::time::sleep(delay).await;
                response
            }
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, hits }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

/// The service's 404 for `code`, as the service sends it.
pub fn service_404(code: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("x-ms-error-code", code.parse().unwrap());
    (
        StatusCode::NOT_FOUND,
        headers,
        json!({"code": code, "message": "not there"}).to_string(),
    )
        .into_response()
}
