//! One HTTP call with auth, timeout, retries and the mapping of answers to errors.

use std::time::Duration;

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use url::Url;

use super::retry::{is_retryable, Outcome, RetryPolicy};
use crate::auth::Credential;
use crate::error::{Error, Result};

/// Header carrying the service's error code on 404s.
pub const ERROR_CODE_HEADER: &str = "x-ms-error-code";

/// A pooled HTTP client plus the credential and policies every call uses.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub http: reqwest::Client,
    pub credential: Credential,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

/// A successful or 404 answer: status and the error code header.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub error_code: Option<String>,
    pub body: String,
}

/// What one attempt produced: the retry view of it, a server-given wait, and the result.
struct Attempt {
    outcome: Outcome,
    retry_after: Option<Duration>,
    result: Result<Answer>,
}

impl Transport {
    /// Sends the request, retrying per policy; returns 2xx and 404 answers, errors otherwise.
    pub async fn call(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> Result<Answer> {
        let idempotent = method != Method::POST;
        let mut audience = url.clone();
        audience.set_query(None);
        let mut retry = 0;
        loop {
            // A hung token provider counts against the request timeout like the request itself.
            let token = tokio::time::timeout(self.timeout, self.credential.token(audience.as_str()))
                .await
                .map_err(|_| Error::Timeout(self.timeout))??;
            let attempt = self.attempt(&method, &url, &token, body.as_ref()).await;
            if attempt.result.is_ok()
                || retry >= self.retry.max_retries
                || !is_retryable(idempotent, attempt.outcome)
            {
                return attempt.result;
            }
            let wait = self.retry.delay(retry, attempt.retry_after);
            tracing::debug!(%method, url = %audience, outcome = ?attempt.outcome, ?wait, retry, "retrying");
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    async fn attempt(&self, method: &Method, url: &Url, token: &str, body: Option<&Vec<u8>>) -> Attempt {
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .timeout(self.timeout);
        if let Some(bytes) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let (outcome, err) = classify(&e, self.timeout);
                return Attempt {
                    outcome,
                    retry_after: None,
                    result: Err(err),
                };
            }
        };
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let error_code = header(ERROR_CODE_HEADER);
        let www_authenticate = header(WWW_AUTHENTICATE.as_str());
        let retry_after = retry_after(response.headers());
        let result = match response.text().await {
            Ok(text) => map_answer(
                Answer {
                    status,
                    error_code,
                    body: text,
                },
                www_authenticate,
            ),
            Err(e) => Err(classify(&e, self.timeout).1),
        };
        Attempt {
            outcome: Outcome::Status(status.as_u16()),
            retry_after,
            result,
        }
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn classify(e: &reqwest::Error, timeout: Duration) -> (Outcome, Error) {
    if e.is_timeout() {
        (Outcome::TimedOut, Error::Timeout(timeout))
    } else if e.is_connect() {
        (Outcome::ConnectFailed, Error::Transport(error_chain(e)))
    } else {
        (Outcome::Broken, Error::Transport(error_chain(e)))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn map_answer(answer: Answer, www_authenticate: Option<String>) -> Result<Answer> {
    let status = answer.status.as_u16();
    match status {
        200..=299 | 404 => Ok(answer),
        401 | 403 => Err(Error::Unauthorized {
            status: Some(status),
            message: www_authenticate
                .filter(|_| answer.body.is_empty())
                .unwrap_or_else(|| service_message(&answer.body)),
        }),
        400 => Err(Error::BadRequest {
            message: service_message(&answer.body),
        }),
        _ => Err(Error::Service {
            status,
            body: answer.body,
        }),
    }
}

/// The `message` of a JSON error body, else the body itself.
pub(crate) fn service_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}
