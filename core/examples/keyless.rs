use std::sync::Arc;
use std::time::Duration;

use signalr_rest::auth::TokenFuture;
use signalr_rest::{PayloadMessage, ServiceClient, Simulator, SimulatorOptions, TokenProvider};

/// Gives each request's bearer token, so the app never holds the access key. With Microsoft
/// Entra ID, ask your credential (e.g. the `azure_identity` crate) for a token of the scope
/// `https://signalr.azure.com/.default` here; this one asks the local simulator.
struct Tokens(Arc<Simulator>);

impl TokenProvider for Tokens {
    fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a> {
        Box::pin(async move { self.0.access_token(audience, Duration::from_secs(3600)) })
    }
}

#[tokio::main]
async fn main() -> signalr_rest::Result<()> {
    let sim = Arc::new(Simulator::start(SimulatorOptions::default()).await?);
    let browser = sim.connect("chat", None)?;

    let client = ServiceClient::builder()
        .endpoint(sim.url()) // no access key anywhere
        .token_provider(Arc::new(Tokens(sim.clone())))
        .build()?;
    let message = PayloadMessage::new("newMessage", vec!["hello without a key".into()]);
    client.hub("chat")?.send_to_all(&message, &[]).await?;

    assert_eq!(browser.received()[0].target, "newMessage");
    sim.shutdown().await;
    Ok(())
}
