//! The client speaking the 2022-06-01 API against a real simulator: every v1 operation in its
//! 2022 form, and the operations only 2022-06-01 and later have.

use std::time::Duration;

use serde_json::json;
use signalr_rest::{
    ApiVersion, ClientTokenOptions, Error, HubClient, PayloadMessage, RetryPolicy, ServiceClient, Simulator,
    SimulatorOptions,
};

async fn setup(application: Option<&str>) -> (Simulator, ServiceClient) {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let mut builder = ServiceClient::builder()
        .connection_string(sim.connection_string())
        .api_version(ApiVersion::V2022_06_01)
        .retry(RetryPolicy::none());
    if let Some(app) = application {
        builder = builder.application_name(app);
    }
    (sim, builder.build().unwrap())
}

fn msg(target: &str) -> PayloadMessage {
    PayloadMessage::new(target, vec![json!(1)])
}

fn targets(client: &signalr_rest::VirtualClient) -> Vec<String> {
    client.received().into_iter().map(|m| m.target).collect()
}

#[tokio::test]
async fn every_v1_operation_works_in_its_2022_form() {
    let (sim, service) = setup(None).await;
    let hub: HubClient = service.hub("Chat").unwrap();
    let alice = sim.connect("chat", Some("alice")).unwrap();
    let bob = sim.connect("chat", Some("bob")).unwrap();
    let a = alice.connection_id().to_string();

    hub.send_to_all(&msg("all"), std::slice::from_ref(&a))
        .await
        .unwrap();
    hub.send_to_user("alice", &msg("user")).await.unwrap();
    hub.send_to_connection(&a, &msg("connection")).await.unwrap();
    assert!(hub.connection_exists(&a).await.unwrap());
    assert!(!hub.connection_exists("nobody").await.unwrap());
    assert!(hub.user_exists("alice").await.unwrap());
    assert!(!hub.user_exists("carol").await.unwrap());
    hub.add_connection_to_group("room", &a).await.unwrap();
    assert!(hub.group_exists("room").await.unwrap());
    hub.send_to_group("room", &msg("group"), &[]).await.unwrap();
    hub.remove_connection_from_group("room", &a).await.unwrap();
    assert!(!hub.group_exists("room").await.unwrap());
    let err = hub.add_connection_to_group("room", "nobody").await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref code, .. } if code == "Error.Connection.NotExisted"),
        "{err:?}"
    );

    hub.add_user_to_group("vip", "bob", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(hub.user_in_group("vip", "bob").await.unwrap());
    hub.remove_user_from_group("vip", "bob").await.unwrap();
    assert!(!hub.user_in_group("vip", "bob").await.unwrap());
    hub.add_user_to_group("vip", "bob", None).await.unwrap();
    hub.remove_user_from_all_groups("bob").await.unwrap();
    assert!(!hub.user_in_group("vip", "bob").await.unwrap());

    hub.close_connection(&a, Some("bye")).await.unwrap();
    hub.close_connection(&a, Some("again")).await.unwrap();
    assert_eq!(alice.close_reason().as_deref(), Some("bye"));
    assert_eq!(targets(&alice), ["user", "connection", "group"]);
    assert_eq!(targets(&bob), ["all"]);
    service.health().await.unwrap();
}

#[tokio::test]
async fn close_many_keeps_the_excluded_and_tells_the_rest_why() {
    for version in [ApiVersion::V1, ApiVersion::V2022_06_01] {
        let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
        let service = ServiceClient::builder()
            .connection_string(sim.connection_string())
            .api_version(version)
            .build()
            .unwrap();
        let hub = service.hub("chat").unwrap();
        let a1 = sim.connect("chat", Some("ann")).unwrap();
        let a2 = sim.connect("chat", Some("ann")).unwrap();
        let g = sim.connect("chat", None).unwrap();
        let rest = sim.connect("chat", None).unwrap();
        hub.add_connection_to_group("g", g.connection_id()).await.unwrap();
        hub.close_user_connections("ann", &[a2.connection_id().to_string()], Some("user"))
            .await
            .unwrap();
        hub.close_group_connections("g", &[], Some("group"))
            .await
            .unwrap();
        assert_eq!(a1.close_reason().as_deref(), Some("user"), "{version:?}");
        assert!(!a2.is_closed(), "{version:?}");
        assert_eq!(g.close_reason().as_deref(), Some("group"), "{version:?}");
        hub.close_all_connections(&[rest.connection_id().to_string()], Some("all"))
            .await
            .unwrap();
        assert_eq!(a2.close_reason().as_deref(), Some("all"), "{version:?}");
        assert!(!rest.is_closed(), "{version:?}");
        assert_eq!(sim.connections("chat").len(), 1);
    }
}

#[tokio::test]
async fn a_connection_leaves_all_its_groups_but_its_user_keeps_its_mappings() {
    let (sim, service) = setup(None).await;
    let hub = service.hub("chat").unwrap();
    let ann = sim.connect("chat", Some("ann")).unwrap();
    hub.add_connection_to_group("a", ann.connection_id())
        .await
        .unwrap();
    hub.add_user_to_group("b", "ann", None).await.unwrap();
    hub.remove_connection_from_all_groups(ann.connection_id())
        .await
        .unwrap();
    hub.remove_connection_from_all_groups("unknown").await.unwrap();
    assert!(sim.groups("chat").is_empty());
    assert!(hub.user_in_group("b", "ann").await.unwrap());
}

#[tokio::test]
async fn the_application_maps_to_the_same_hub_as_the_v1_prefix() {
    let (sim, service) = setup(Some("App")).await;
    let v1 = ServiceClient::builder()
        .connection_string(sim.connection_string())
        .application_name("app")
        .build()
        .unwrap();
    let client = sim.connect("app_chat", Some("u")).unwrap();
    service
        .hub("chat")
        .unwrap()
        .send_to_user("u", &msg("new"))
        .await
        .unwrap();
    v1.hub("chat")
        .unwrap()
        .send_to_user("u", &msg("old"))
        .await
        .unwrap();
    assert_eq!(targets(&client), ["new", "old"]);
    assert_eq!(sim.hubs(), ["app_chat"]);
}

#[tokio::test]
async fn a_generated_token_negotiates_at_the_client_endpoint_as_its_user() {
    let (sim, service) = setup(Some("app")).await;
    let options = ClientTokenOptions {
        user_id: Some("alice".into()),
        lifetime: Duration::from_secs(90),
        ..Default::default()
    };
    let negotiate = service.negotiate_with_service("chat", &options).await.unwrap();
    assert!(
        negotiate.url.ends_with("/client/?hub=app_chat"),
        "{}",
        negotiate.url
    );
    let answer = reqwest::Client::new()
        .post(negotiate.url.replace("/client/?", "/client/negotiate?"))
        .bearer_auth(&negotiate.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // Checked with jsonwebtoken itself, independently of the simulator's verifier.
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[&negotiate.url]);
    let secret = jsonwebtoken::DecodingKey::from_secret(sim.access_key().as_bytes());
    let claims = jsonwebtoken::decode::<serde_json::Value>(&negotiate.access_token, &secret, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["nameid"], "alice", "{claims}");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120,
        "90 s rounds up to 2 minutes"
    );

    let with_claims = ClientTokenOptions {
        claims: serde_json::Map::from_iter([("role".to_string(), json!("admin"))]),
        ..Default::default()
    };
    let err = service
        .negotiate_with_service("chat", &with_claims)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { ref field, .. } if field == "claims"));
}
