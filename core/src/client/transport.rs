//! One HTTP call with auth, timeout, retries and the mapping of answers to errors.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use url::Url;

use super::pool::HttpPools;
use super::retry::{not_found_means_done, Outcome, RetryPolicy, Step};
use crate::auth::Credential;
use crate::error::{Error, Result};

/// Header carrying the service's error code on 404s.
pub const ERROR_CODE_HEADER: &str = "x-ms-error-code";

/// The `x-ms-error-code` values with which the service says a connection, user, group or
/// membership does not exist. A 404 with one of them is an answer ("absent"); any other 404
/// (a wrong path, a proxy, an unknown route) is an error naming the URL.
const ABSENT_CODES: [&str; 6] = [
    "Warning.Connection.NotExisted",
    "Warning.User.NotExisted",
    "Warning.Group.NotExisted",
    "Warning.Connection.NotInGroup",
    "Info.User.NotInGroup",
    "Error.Connection.NotExisted",
];

/// Pooled HTTP clients plus the credential and policies every call uses.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub http: Arc<HttpPools>,
    pub credential: Credential,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

/// A 2xx answer, or a 404 from the service (it carries a service error code).
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub error_code: Option<String>,
    pub body: String,
    /// A retried DELETE got 404 after an earlier attempt that may have removed the thing.
    pub done_by_earlier_attempt: bool,
}

impl Answer {
    /// 2xx, or a DELETE whose earlier attempt did the work.
    pub fn succeeded(&self) -> bool {
        self.status.is_success() || self.done_by_earlier_attempt
    }
}

/// What one attempt produced: the retry view of it, a server-given wait, and the result.
struct Attempt {
    outcome: Outcome,
    retry_after: Option<Duration>,
    result: Result<Answer>,
}

impl Transport {
    /// Sends the request, retrying per policy; returns 2xx and service 404 answers, errors
    /// otherwise. Every attempt carries a freshly signed token.
    pub async fn call(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> Result<Answer> {
        let http = self.http.client()?;
        let idempotent = method != Method::POST;
        let audience = audience_of(&url);
        let mut earlier_may_have_acted = false;
        let mut retry = 0;
        loop {
            // A hung token provider counts against the request timeout like the request itself.
            let token = tokio::time::timeout(self.timeout, self.credential.token(audience.as_str()))
                .await
                .map_err(|_| Error::Timeout(self.timeout))??;
            let started = std::time::Instant::now();
            let attempt = self.attempt(&http, &method, &url, &token, body.as_ref()).await;
            // One event per attempt; the path only (ids in it are the caller's), never a token.
            tracing::debug!(
                %method,
                path = url.path(),
                outcome = ?attempt.outcome,
                attempt = retry + 1,
                elapsed = ?started.elapsed(),
                "request attempt"
            );
            if let Ok(mut answer) = attempt.result {
                if answer.status == StatusCode::NOT_FOUND
                    && not_found_means_done(method == Method::DELETE, earlier_may_have_acted)
                {
                    tracing::debug!(url = %audience, "404 after an attempt that may have acted: done");
                    answer.done_by_earlier_attempt = true;
                }
                return Ok(answer);
            }
            earlier_may_have_acted |= attempt.outcome.may_have_acted();
            let wait = match self
                .retry
                .next_step(retry, idempotent, attempt.outcome, attempt.retry_after)
            {
                Step::Retry(wait) => wait,
                Step::GiveUp => return attempt.result,
                Step::AskedTooLong(asked) => {
                    return Err(asked_too_long(attempt.result, asked, self.retry.max_delay))
                }
            };
            tracing::debug!(%method, url = %audience, outcome = ?attempt.outcome, ?wait, retry, "retrying");
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    async fn attempt(
        &self,
        http: &reqwest::Client,
        method: &Method,
        url: &Url,
        token: &str,
        body: Option<&Vec<u8>>,
    ) -> Attempt {
        let mut request = http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .timeout(self.timeout);
        if let Some(bytes) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone());
        }
        let failed = |e: &reqwest::Error| {
            let (outcome, err) = classify(e, self.timeout);
            Attempt {
                outcome,
                retry_after: None,
                result: Err(err),
            }
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return failed(&e),
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
        let retry_after = retry_after(response.headers(), SystemTime::now());
        let body = match response.text().await {
            Ok(text) => text,
            // The answer broke off: what the service did is as unknown as after a timeout.
            Err(e) => return failed(&e),
        };
        let answer = Answer {
            status,
            error_code,
            body,
            done_by_earlier_attempt: false,
        };
        Attempt {
            outcome: Outcome::Status {
                code: status.as_u16(),
                empty_body: answer.body.trim().is_empty(),
            },
            retry_after,
            result: map_answer(answer, www_authenticate, url),
        }
    }
}

/// `Retry-After` as delta-seconds or an HTTP date (RFC 7231 section 7.1.3), as a wait from
/// `now`; a date in the past means no wait. Anything else is ignored.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    match httpdate::parse_http_date(value) {
        Ok(date) => Some(date.duration_since(now).unwrap_or(Duration::ZERO)),
        Err(_) => {
            tracing::debug!(
                value,
                "ignoring a Retry-After that is neither seconds nor an HTTP date"
            );
            None
        }
    }
}

/// The error ending the retries when the service asked for a longer wait than the policy allows.
fn asked_too_long(last: Result<Answer>, asked: Duration, max_delay: Duration) -> Error {
    let (status, body) = match last {
        Err(Error::Service { status, body }) => (status, body),
        // Only statuses that map to `Service` are retried; keep any other error as it is.
        Err(other) => return other,
        Ok(answer) => (answer.status.as_u16(), answer.body),
    };
    let mut message = format!(
        "the service asked to retry after {}, longer than the retry policy's max_delay of {}",
        seconds(asked),
        seconds(max_delay)
    );
    if !body.trim().is_empty() {
        message.push_str("; it answered: ");
        message.push_str(&body);
    }
    Error::Service {
        status,
        body: message,
    }
}

/// `120 s`, or `0.5 s` for waits that are not whole seconds.
fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} s", duration.as_secs_f64())
    }
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

/// The URL a token is signed for: the request URL without its query, but keeping
/// `application` and `api-version`, as the 2022-06-01 SDKs sign (`excluded`, `reason`, `ttl`
/// and the rest are left out).
fn audience_of(url: &Url) -> Url {
    let signed: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k == "application" || k == "api-version")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut audience = url.clone();
    audience.set_query(None);
    if !signed.is_empty() {
        audience.query_pairs_mut().extend_pairs(signed);
    }
    audience
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

fn is_service_error_code(code: Option<&str>) -> bool {
    code.is_some_and(|code| ABSENT_CODES.contains(&code))
}

fn map_answer(answer: Answer, www_authenticate: Option<String>, url: &Url) -> Result<Answer> {
    let status = answer.status.as_u16();
    match status {
        200..=299 => Ok(answer),
        404 if is_service_error_code(answer.error_code.as_deref()) => Ok(answer),
        404 => Err(Error::Service {
            status,
            body: format!(
                "{url} answered 404 without the service's {ERROR_CODE_HEADER} header, so the \
                 SignalR service did not say what is missing (is the endpoint right, or is a \
                 proxy in the way?); body: {:?}",
                answer.body
            ),
        }),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, retry_after.parse().unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after(&headers("120"), now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:51:37 GMT"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        for ignored in ["-5", "soon", "1.5"] {
            assert_eq!(retry_after(&headers(ignored), now), None, "{ignored}");
        }
    }

    #[test]
    fn the_audience_keeps_application_and_api_version_only() {
        let url = Url::parse("http://h:1/api/hubs/chat/:closeConnections?application=app&api-version=2022-06-01&excluded=a&reason=r").unwrap();
        assert_eq!(
            audience_of(&url).as_str(),
            "http://h:1/api/hubs/chat/:closeConnections?application=app&api-version=2022-06-01"
        );
        let v1 = Url::parse("http://h/api/v1/hubs/chat?excluded=a").unwrap();
        assert_eq!(audience_of(&v1).as_str(), "http://h/api/v1/hubs/chat");
    }

    #[test]
    fn only_the_services_absent_codes_count() {
        for code in [
            "Warning.User.NotExisted",
            "Info.User.NotInGroup",
            "Error.Connection.NotExisted",
        ] {
            assert!(is_service_error_code(Some(code)), "{code}");
        }
        for code in [
            None,
            Some(""),
            Some("NotFound"),
            Some("warning.x"),
            Some("Error.RouteNotFound"),
        ] {
            assert!(!is_service_error_code(code), "{code:?}");
        }
    }
}
