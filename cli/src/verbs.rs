//! The REST client verbs: each one call of the core client. Results go to stdout so scripts
//! can read them; confirmations for humans go to stderr.

use std::io::{ErrorKind, Write};

use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;

use signalr_rest::auth::TokenFuture;
use signalr_rest::{ApiVersion, ClientTokenOptions, HubClient, PayloadMessage, ServiceClient, TokenProvider};

use crate::args::{ClientCommand, ExistsCommand, GroupCommand, HubArg, MessageArgs, SendCommand};
use crate::failure::Failure;
use crate::listen;

/// The variable every language's examples read the connection string from; the CLI reads it
/// when neither `--connection-string` nor `SIGNALR_CONNECTION_STRING` is given.
pub const CONNECTION_STRING_VARIABLE: &str = "AZURE_SIGNALR_CONNECTION_STRING";

/// How the client verbs reach the service: the global options.
pub struct Target<'a> {
    /// `--connection-string`, else the environment's.
    pub connection_string: Option<&'a str>,
    /// `--api-version`.
    pub api_version: Option<ApiVersion>,
    /// `--application-name`.
    pub application_name: Option<&'a str>,
    /// `--access-token`: sent instead of signing with the key.
    pub access_token: Option<&'a str>,
}

/// The token provider of `--access-token`: the same token for every request.
struct FixedToken(String);

impl TokenProvider for FixedToken {
    fn token<'a>(&'a self, _audience: &'a str) -> TokenFuture<'a> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

/// `--connection-string` (or `SIGNALR_CONNECTION_STRING`), else
/// [`CONNECTION_STRING_VARIABLE`].
pub fn connection_string(given: Option<&str>) -> Result<String, Failure> {
    given
        .map(str::to_string)
        .or_else(|| std::env::var(CONNECTION_STRING_VARIABLE).ok())
        .ok_or_else(|| {
            Failure::BadInput(format!(
                "no connection string: pass --connection-string or set {CONNECTION_STRING_VARIABLE}"
            ))
        })
}

/// Runs one client verb against the service `target` names.
pub async fn run(target: Target<'_>, command: ClientCommand) -> Result<(), Failure> {
    let Target {
        connection_string,
        api_version,
        application_name,
        access_token,
    } = target;
    let connection_string = self::connection_string(connection_string)?;
    let mut builder = ServiceClient::builder()
        .connection_string(connection_string)
        .api_version(api_version.unwrap_or_default());
    if let Some(name) = application_name {
        builder = builder.application_name(name);
    }
    if let Some(token) = access_token {
        builder = builder.token_provider(Arc::new(FixedToken(token.to_string())));
    }
    let service = builder.build()?;
    match command {
        ClientCommand::Send(send) => run_send(&service, send).await,
        ClientCommand::Group(group) => run_group(&service, group).await,
        ClientCommand::Exists(exists) => run_exists(&service, exists).await,
        ClientCommand::Close {
            connection_id,
            reason,
            hub,
        } => {
            hub_client(&service, &hub)?
                .close_connection(&connection_id, reason.as_deref())
                .await?;
            eprintln!("closed connection {connection_id}");
            Ok(())
        }
        ClientCommand::CloseAll { close } => {
            hub_client(&service, &close.hub)?
                .close_all_connections(&close.excluded, close.reason.as_deref())
                .await?;
            eprintln!("closed the hub's connections");
            Ok(())
        }
        ClientCommand::CloseGroup { group, close } => {
            hub_client(&service, &close.hub)?
                .close_group_connections(&group, &close.excluded, close.reason.as_deref())
                .await?;
            eprintln!("closed the connections of group {group}");
            Ok(())
        }
        ClientCommand::CloseUser { user, close } => {
            hub_client(&service, &close.hub)?
                .close_user_connections(&user, &close.excluded, close.reason.as_deref())
                .await?;
            eprintln!("closed the connections of user {user}");
            Ok(())
        }
        ClientCommand::RemoveConnectionFromAllGroups { connection_id, hub } => {
            hub_client(&service, &hub)?
                .remove_connection_from_all_groups(&connection_id)
                .await?;
            eprintln!("removed connection {connection_id} from all groups");
            Ok(())
        }
        ClientCommand::RemoveUserFromAllGroups { user, hub } => {
            hub_client(&service, &hub)?
                .remove_user_from_all_groups(&user)
                .await?;
            eprintln!("removed user {user} from all groups");
            Ok(())
        }
        ClientCommand::Listen { hub, user, timeouts } => {
            listen::run(&service, &hub.name, user, timeouts).await
        }
        ClientCommand::ClientUrl { hub } => print_line(&service.client_url(&hub.name)?),
        ClientCommand::Health => {
            service.health().await?;
            eprintln!("{} is healthy", service.endpoint());
            Ok(())
        }
        ClientCommand::Negotiate {
            hub,
            user,
            lifetime,
            from_service,
        } => {
            let mut options = ClientTokenOptions {
                user_id: user,
                ..ClientTokenOptions::default()
            };
            if let Some(lifetime) = lifetime {
                options.lifetime = lifetime;
            }
            let answer = if from_service {
                service.negotiate_with_service(&hub.name, &options).await?
            } else {
                service.negotiate(&hub.name, &options)?
            };
            let json = serde_json::to_string(&answer)
                .map_err(|e| Failure::Service(format!("cannot encode the answer: {e}")))?;
            print_line(&json)
        }
    }
}

async fn run_send(service: &ServiceClient, command: SendCommand) -> Result<(), Failure> {
    match command {
        SendCommand::All {
            hub,
            excluded,
            message,
        } => {
            let payload = payload(message)?;
            hub_client(service, &hub)?
                .send_to_all(&payload, &excluded)
                .await?;
            eprintln!("sent {} to all", payload.target);
        }
        SendCommand::User { user, hub, message } => {
            let payload = payload(message)?;
            hub_client(service, &hub)?.send_to_user(&user, &payload).await?;
            eprintln!("sent {} to user {user}", payload.target);
        }
        SendCommand::Connection {
            connection_id,
            hub,
            message,
        } => {
            let payload = payload(message)?;
            hub_client(service, &hub)?
                .send_to_connection(&connection_id, &payload)
                .await?;
            eprintln!("sent {} to connection {connection_id}", payload.target);
        }
        SendCommand::Group {
            group,
            hub,
            excluded,
            message,
        } => {
            let payload = payload(message)?;
            hub_client(service, &hub)?
                .send_to_group(&group, &payload, &excluded)
                .await?;
            eprintln!("sent {} to group {group}", payload.target);
        }
    }
    Ok(())
}

async fn run_group(service: &ServiceClient, command: GroupCommand) -> Result<(), Failure> {
    match command {
        GroupCommand::AddUser {
            group,
            user,
            hub,
            ttl,
        } => {
            hub_client(service, &hub)?
                .add_user_to_group(&group, &user, ttl)
                .await?;
            eprintln!("added user {user} to group {group}");
        }
        GroupCommand::RemoveUser { group, user, hub } => {
            hub_client(service, &hub)?
                .remove_user_from_group(&group, &user)
                .await?;
            eprintln!("removed user {user} from group {group}");
        }
        GroupCommand::AddConnection {
            group,
            connection_id,
            hub,
        } => {
            hub_client(service, &hub)?
                .add_connection_to_group(&group, &connection_id)
                .await?;
            eprintln!("added connection {connection_id} to group {group}");
        }
        GroupCommand::RemoveConnection {
            group,
            connection_id,
            hub,
        } => {
            hub_client(service, &hub)?
                .remove_connection_from_group(&group, &connection_id)
                .await?;
            eprintln!("removed connection {connection_id} from group {group}");
        }
    }
    Ok(())
}

async fn run_exists(service: &ServiceClient, command: ExistsCommand) -> Result<(), Failure> {
    let exists = match command {
        ExistsCommand::Connection { connection_id, hub } => {
            hub_client(service, &hub)?
                .connection_exists(&connection_id)
                .await?
        }
        ExistsCommand::User { user, hub } => hub_client(service, &hub)?.user_exists(&user).await?,
        ExistsCommand::Group { group, hub } => hub_client(service, &hub)?.group_exists(&group).await?,
        ExistsCommand::UserInGroup { group, user, hub } => {
            hub_client(service, &hub)?.user_in_group(&group, &user).await?
        }
    };
    print_line(if exists { "true" } else { "false" })
}

fn hub_client(service: &ServiceClient, hub: &HubArg) -> Result<HubClient, Failure> {
    Ok(service.hub(&hub.name)?)
}

/// The message to send, with every positional argument read as one JSON value and sent as
/// written (key order and number digits kept).
fn payload(message: MessageArgs) -> Result<PayloadMessage, Failure> {
    let arguments = message
        .args
        .iter()
        .enumerate()
        .map(|(index, text)| parse_argument(index + 1, text).map(|raw| raw.get().to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let payload = PayloadMessage::from_json(message.target, &format!("[{}]", arguments.join(",")))?;
    payload.validate()?;
    Ok(payload)
}

/// Parses argument number `position` (1-based); text that is not JSON gets a quoting hint,
/// because forgetting the JSON quotes around a string is by far the likeliest mistake.
fn parse_argument(position: usize, text: &str) -> Result<Box<RawValue>, Failure> {
    serde_json::from_str::<Box<RawValue>>(text.trim()).map_err(|e| {
        let quoted = Value::String(text.to_string()).to_string();
        Failure::BadInput(format!(
            "argument {position} ({text}) is not valid JSON: {e}; \
             to send it as text, quote it as a JSON string: '{quoted}'"
        ))
    })
}

/// Writes one line of result to stdout; a reader that went away (e.g. `| head`) is not an error.
pub(crate) fn print_line(line: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => {
            Err(Failure::Service(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_json_values() {
        assert_eq!(parse_argument(1, "\"hi\"").unwrap().get(), "\"hi\"");
        assert_eq!(parse_argument(1, " -5").unwrap().get(), "-5");
        let exact = r#"{"z":1,"a":123456789012345678901234567890}"#;
        assert_eq!(parse_argument(1, exact).unwrap().get(), exact);
        let failure = parse_argument(2, "hello").unwrap_err();
        assert!(matches!(failure, Failure::BadInput(_)));
        let text = failure.to_string();
        assert!(text.contains("argument 2 (hello)"), "{text}");
        assert!(text.contains("'\"hello\"'"), "{text}");
    }
}
