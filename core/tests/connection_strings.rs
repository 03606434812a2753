//! Connection strings as the official SDK reads them, through `ServiceClient`.

use std::sync::Arc;
use std::time::Duration;

use signalr_rest::auth::{AccessKey, TokenFuture, TokenProvider};
use signalr_rest::{Error, ServiceClient, Simulator, SimulatorOptions};

/// Signs tokens with the simulator's key, standing in for Microsoft Entra ID.
struct EntraStandIn(String);

impl TokenProvider for EntraStandIn {
    fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a> {
        Box::pin(async move {
            AccessKey::new(self.0.clone())?.sign(audience, Duration::from_secs(60), &Default::default())
        })
    }
}

#[tokio::test]
async fn unknown_keys_are_ignored() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let text = format!("{}Colour=blue;Transport=Persistent;", sim.connection_string());
    let client = ServiceClient::from_connection_string(&text).unwrap();
    client.health().await.unwrap();
    assert!(!client.hub("chat").unwrap().user_exists("u").await.unwrap());
    sim.shutdown().await;
}

#[test]
fn duplicate_keys_are_refused() {
    let err = ServiceClient::from_connection_string("Endpoint=http://a;AccessKey=k;accesskey=k").unwrap_err();
    assert!(err.to_string().contains("duplicate key \"accesskey\""), "{err}");
}

#[test]
fn an_entra_connection_string_without_a_token_provider_asks_for_one() {
    for auth_type in [
        "aad",
        "azure",
        "azure.msi",
        "Azure.App;ClientId=c;TenantId=t;ClientSecret=s",
    ] {
        let text = format!("Endpoint=https://x.service.signalr.net;AuthType={auth_type};Version=1.0;");
        let err = ServiceClient::from_connection_string(&text).unwrap_err();
        let Error::InvalidArgument { field, message } = &err else {
            panic!("{auth_type}: {err:?}");
        };
        assert_eq!(field, "credential");
        assert!(message.contains("pass a token provider"), "{message}");
        assert!(message.contains("AuthType="), "{message}");
    }
}

#[tokio::test]
async fn an_entra_connection_string_with_a_token_provider_works() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let text = format!(
        "Endpoint={};AuthType=aad;ClientId=c;TenantId=t;ClientSecret=s;Version=1.0;",
        sim.url()
    );
    let hub = ServiceClient::builder()
        .connection_string(text)
        .token_provider(Arc::new(EntraStandIn(sim.access_key().to_string())))
        .build()
        .unwrap()
        .hub("chat")
        .unwrap();
    hub.add_user_to_group("room", "alice", None).await.unwrap();
    assert!(hub.user_in_group("room", "alice").await.unwrap());
    sim.shutdown().await;
}
