//! `faults`: a running simulator's fault injection, through its control endpoint
//! (`/simulator/...`, documented in the core's `simulator::control`), with a token signed by
//! the connection string's key for each request URL, as the REST API wants.

use std::time::Duration;

use serde_json::{json, Value};
use signalr_rest::auth::ConnectionString;

use crate::args::FaultsCommand;
use crate::failure::Failure;

/// Lifetime of the token each control request carries.
const TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// Time a control request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs one `faults` verb against the simulator the connection string names.
pub async fn run(connection_string: &str, command: FaultsCommand) -> Result<(), Failure> {
    let target = ConnectionString::parse(connection_string)?;
    let control = Control {
        endpoint: target.endpoint_str().to_string(),
        key: target.access_key.ok_or_else(|| {
            Failure::BadInput("the connection string has no AccessKey; the control endpoint needs one".into())
        })?,
        http: reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| Failure::Service(e.to_string()))?,
    };
    match command {
        FaultsCommand::Add { rule } => {
            let answer = control
                .call(
                    reqwest::Method::POST,
                    "/simulator/faults",
                    Some(json!({"fault": rule})),
                )
                .await?;
            println!("{}", answer["id"].as_str().unwrap_or_default());
        }
        FaultsCommand::List => {
            let answer = control
                .call(reqwest::Method::GET, "/simulator/faults", None)
                .await?;
            println!("{answer}");
        }
        FaultsCommand::Remove { id } => {
            let path = format!("/simulator/faults/{}", percent(&id));
            control.call(reqwest::Method::DELETE, &path, None).await?;
            eprintln!("removed fault rule {id}");
        }
        FaultsCommand::Clear => {
            control
                .call(reqwest::Method::DELETE, "/simulator/faults", None)
                .await?;
            eprintln!("removed every fault rule");
        }
        FaultsCommand::Drop {
            hub,
            connection_id,
            no_close,
        } => {
            let path = format!("/simulator/hubs/{}/dropClients", percent(&hub.name));
            let body = json!({"connectionId": connection_id, "close": !no_close});
            print_ids(&control.call(reqwest::Method::POST, &path, Some(body)).await?);
        }
        FaultsCommand::Pause {
            hub,
            connection_id,
            seconds,
        } => {
            let path = format!("/simulator/hubs/{}/pauseClients", percent(&hub.name));
            let body = json!({"connectionId": connection_id, "seconds": seconds});
            print_ids(&control.call(reqwest::Method::POST, &path, Some(body)).await?);
        }
    }
    Ok(())
}

fn percent(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

fn print_ids(answer: &Value) {
    for id in answer["connections"].as_array().into_iter().flatten() {
        println!("{}", id.as_str().unwrap_or_default());
    }
}

struct Control {
    endpoint: String,
    key: signalr_rest::auth::AccessKey,
    http: reqwest::Client,
}

impl Control {
    /// Sends one request; a refusal becomes a failure with the simulator's message.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, Failure> {
        let url = format!("{}{path}", self.endpoint);
        let token = self.key.sign(&url, TOKEN_LIFETIME, &serde_json::Map::new())?;
        let mut request = self.http.request(method, &url).bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Service(format!("{url}: {e}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Failure::Service(format!("{url}: {e}")))?;
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        let message = answer["message"].as_str().map_or(text.clone(), str::to_string);
        let failure = format!("{status}: {message}");
        Err(match status.as_u16() {
            400 => Failure::BadInput(failure),
            404 if answer["code"].is_null() => Failure::Service(format!(
                "{failure} (is {} a signalr-rest simulator? only it has a control endpoint)",
                self.endpoint
            )),
            _ => Failure::Service(failure),
        })
    }
}
