//! The client against a real simulator over loopback: every operation, its codes and rules.

use std::time::Duration;

use serde_json::json;
use signalr_rest::{Error, PayloadMessage, RetryPolicy, ServiceClient, Simulator, SimulatorOptions};

async fn simulator() -> Simulator {
    Simulator::start(SimulatorOptions::default()).await.unwrap()
}

/// A client of `sim` that never retries, so an intermittent failure shows instead of being
/// retried away.
fn client(sim: &Simulator) -> ServiceClient {
    ServiceClient::builder()
        .connection_string(sim.connection_string())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn msg(target: &str, args: serde_json::Value) -> PayloadMessage {
    PayloadMessage::new(target, args.as_array().cloned().unwrap_or_default())
}

fn invalid_field(err: Error) -> String {
    match err {
        Error::InvalidArgument { field, .. } => field,
        other => panic!("expected an invalid argument, got {other:?}"),
    }
}

#[tokio::test]
async fn broadcast_reaches_every_connection_but_the_excluded() {
    let sim = simulator().await;
    let (a, b, c) = (
        sim.connect("chat", None).unwrap(),
        sim.connect("chat", Some("u")).unwrap(),
        sim.connect("chat", None).unwrap(),
    );
    let other_hub = sim.connect("news", None).unwrap();
    let hub = client(&sim).hub("chat").unwrap();
    hub.send_to_all(
        &msg("hello", json!([1, "two", {"three": 3}])),
        &[c.connection_id().to_string()],
    )
    .await
    .unwrap();
    let expected = vec![msg("hello", json!([1, "two", {"three": 3}]))];
    assert_eq!(a.received(), expected);
    assert_eq!(b.received(), expected);
    assert!(c.received().is_empty());
    assert!(other_hub.received().is_empty());
}

#[tokio::test]
async fn send_to_user_reaches_all_of_its_connections_only() {
    let sim = simulator().await;
    let (phone, laptop, other) = (
        sim.connect("chat", Some("alice")).unwrap(),
        sim.connect("chat", Some("alice")).unwrap(),
        sim.connect("chat", Some("bob")).unwrap(),
    );
    let hub = client(&sim).hub("chat").unwrap();
    hub.send_to_user("alice", &msg("dm", json!(["hi"])))
        .await
        .unwrap();
    hub.send_to_user("nobody", &msg("dm", json!(["lost"])))
        .await
        .unwrap();
    assert_eq!(phone.received().len(), 1);
    assert_eq!(laptop.received().len(), 1);
    assert!(other.received().is_empty());
}

#[tokio::test]
async fn send_to_connection_reaches_that_connection_and_accepts_unknown_ids() {
    let sim = simulator().await;
    let (a, b) = (
        sim.connect("chat", None).unwrap(),
        sim.connect("chat", None).unwrap(),
    );
    let hub = client(&sim).hub("chat").unwrap();
    hub.send_to_connection(a.connection_id(), &msg("ping", json!([])))
        .await
        .unwrap();
    hub.send_to_connection("unknown", &msg("ping", json!([])))
        .await
        .unwrap();
    assert_eq!(a.received(), vec![msg("ping", json!([]))]);
    assert!(b.received().is_empty());
}

#[tokio::test]
async fn group_send_reaches_members_joined_by_id_or_user_except_the_excluded() {
    let sim = simulator().await;
    let by_id = sim.connect("chat", None).unwrap();
    let by_user = sim.connect("chat", Some("alice")).unwrap();
    let excluded = sim.connect("chat", Some("alice")).unwrap();
    let outsider = sim.connect("chat", None).unwrap();
    let hub = client(&sim).hub("chat").unwrap();
    hub.add_connection_to_group("room", by_id.connection_id())
        .await
        .unwrap();
    hub.add_user_to_group("room", "alice", None).await.unwrap();
    hub.send_to_group(
        "room",
        &msg("m", json!([])),
        &[excluded.connection_id().to_string()],
    )
    .await
    .unwrap();
    assert_eq!(by_id.received().len(), 1);
    assert_eq!(by_user.received().len(), 1);
    assert!(excluded.received().is_empty());
    assert!(outsider.received().is_empty());
}

#[tokio::test]
async fn exists_checks_follow_live_connections() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    let a = sim.connect("chat", Some("alice")).unwrap();
    assert!(hub.connection_exists(a.connection_id()).await.unwrap());
    assert!(hub.user_exists("alice").await.unwrap());
    assert!(!hub.group_exists("room").await.unwrap());
    hub.add_connection_to_group("room", a.connection_id())
        .await
        .unwrap();
    assert!(hub.group_exists("room").await.unwrap());
    a.disconnect();
    assert!(!hub.connection_exists(a.connection_id()).await.unwrap());
    assert!(!hub.user_exists("alice").await.unwrap());
    assert!(!hub.group_exists("room").await.unwrap());
}

#[tokio::test]
async fn close_connection_sends_the_reason_and_tolerates_unknown_ids() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    let a = sim.connect("chat", None).unwrap();
    hub.close_connection(a.connection_id(), Some("bye now"))
        .await
        .unwrap();
    assert!(a.is_closed());
    assert_eq!(a.close_reason().as_deref(), Some("bye now"));
    assert!(!hub.connection_exists(a.connection_id()).await.unwrap());
    hub.close_connection("gone", None).await.unwrap();
}

#[tokio::test]
async fn connection_group_membership_needs_a_live_connection() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    let err = hub.add_connection_to_group("room", "missing").await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref code, .. } if code == "Error.Connection.NotExisted"),
        "{err:?}"
    );
    let a = sim.connect("chat", None).unwrap();
    let err = hub
        .remove_connection_from_group("room", a.connection_id())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    hub.add_connection_to_group("room", a.connection_id())
        .await
        .unwrap();
    hub.remove_connection_from_group("room", a.connection_id())
        .await
        .unwrap();
    hub.send_to_group("room", &msg("m", json!([])), &[])
        .await
        .unwrap();
    assert!(a.received().is_empty());
}

#[tokio::test]
async fn removing_a_user_from_a_group_pulls_its_connections() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    let (a, b) = (
        sim.connect("chat", Some("alice")).unwrap(),
        sim.connect("chat", Some("alice")).unwrap(),
    );
    hub.add_user_to_group("room", "alice", None).await.unwrap();
    assert!(hub.user_in_group("room", "alice").await.unwrap());
    hub.remove_user_from_group("room", "alice").await.unwrap();
    assert!(!hub.user_in_group("room", "alice").await.unwrap());
    hub.send_to_group("room", &msg("m", json!([])), &[])
        .await
        .unwrap();
    assert!(a.received().is_empty() && b.received().is_empty());
    assert!(sim.groups("chat").is_empty());
}

#[tokio::test]
async fn removing_a_user_from_all_groups_clears_mappings_and_memberships() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    let a = sim.connect("chat", Some("alice")).unwrap();
    for group in ["g1", "g2"] {
        hub.add_user_to_group(group, "alice", None).await.unwrap();
    }
    hub.add_connection_to_group("g3", a.connection_id())
        .await
        .unwrap();
    hub.remove_user_from_all_groups("alice").await.unwrap();
    assert!(sim.user_groups("chat").is_empty());
    assert!(sim.groups("chat").is_empty());
    assert!(!hub.user_in_group("g1", "alice").await.unwrap());
}

#[tokio::test]
async fn user_mappings_apply_to_future_connections_until_their_ttl_expires() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    hub.add_user_to_group("room", "alice", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(sim.hubs(), vec!["chat"], "a REST call alone creates the hub");
    let early = sim.connect("chat", Some("alice")).unwrap();
    assert_eq!(
        sim.groups("chat")[0].connection_ids,
        vec![early.connection_id().to_string()]
    );
    sim.advance_clock(Duration::from_secs(61));
    assert!(!hub.user_in_group("room", "alice").await.unwrap());
    let late = sim.connect("chat", Some("alice")).unwrap();
    hub.send_to_group("room", &msg("m", json!([])), &[])
        .await
        .unwrap();
    assert_eq!(early.received().len(), 1, "connections that joined stay");
    assert!(
        late.received().is_empty(),
        "expired mappings add no new connections"
    );
}

#[tokio::test]
async fn ttl_zero_adds_only_current_connections() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    let now = sim.connect("chat", Some("alice")).unwrap();
    hub.add_user_to_group("room", "alice", Some(Duration::ZERO))
        .await
        .unwrap();
    let later = sim.connect("chat", Some("alice")).unwrap();
    hub.send_to_group("room", &msg("m", json!([])), &[])
        .await
        .unwrap();
    assert_eq!(now.received().len(), 1);
    assert!(later.received().is_empty());
    assert!(!hub.user_in_group("room", "alice").await.unwrap());
}

#[tokio::test]
async fn ttl_less_mappings_default_to_a_year_and_re_adding_updates_the_ttl() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    hub.add_user_to_group("room", "alice", None).await.unwrap();
    sim.advance_clock(Duration::from_secs(364 * 24 * 3600));
    assert!(hub.user_in_group("room", "alice").await.unwrap());
    hub.add_user_to_group("room", "alice", Some(Duration::from_secs(10)))
        .await
        .unwrap();
    sim.advance_clock(Duration::from_secs(11));
    assert!(!hub.user_in_group("room", "alice").await.unwrap());
    hub.add_user_to_group("room", "alice", None).await.unwrap();
    sim.advance_clock(Duration::from_secs(366 * 24 * 3600));
    assert!(!hub.user_in_group("room", "alice").await.unwrap());
}

#[tokio::test]
async fn only_the_100_latest_ttl_less_mappings_of_a_user_are_kept() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    hub.add_user_to_group("with-ttl", "alice", Some(Duration::from_secs(600)))
        .await
        .unwrap();
    for i in 0..=100 {
        hub.add_user_to_group(&format!("g{i}"), "alice", None)
            .await
            .unwrap();
    }
    assert!(
        !hub.user_in_group("g0", "alice").await.unwrap(),
        "the oldest is dropped"
    );
    assert!(hub.user_in_group("g1", "alice").await.unwrap());
    assert!(hub.user_in_group("g100", "alice").await.unwrap());
    assert!(
        hub.user_in_group("with-ttl", "alice").await.unwrap(),
        "TTL mappings do not count"
    );
    assert_eq!(sim.user_groups("chat").len(), 101);
}

#[tokio::test]
async fn odd_character_ids_reach_the_right_user_connection_and_group() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    for id in [
        "a/b",
        "q?x=1",
        "hash#tag",
        "100%",
        "with space",
        "é",
        "🙂",
        "...",
        "+plus",
        "a;b,c",
    ] {
        let user = sim.connect("chat", Some(id)).unwrap();
        let decoy = sim.connect("chat", Some("a")).unwrap();
        hub.send_to_user(id, &msg("u", json!([id]))).await.unwrap();
        assert_eq!(user.received(), vec![msg("u", json!([id]))], "user {id:?}");
        assert!(decoy.received().is_empty());
        assert!(hub.user_exists(id).await.unwrap(), "user {id:?}");
        hub.add_user_to_group(id, id, None).await.unwrap();
        assert!(hub.user_in_group(id, id).await.unwrap(), "group {id:?}");
        assert_eq!(
            sim.groups("chat").iter().filter(|g| g.name == id).count(),
            1,
            "group {id:?}"
        );
        hub.remove_user_from_all_groups(id).await.unwrap();
    }
}

#[tokio::test]
async fn client_refuses_bad_arguments_before_sending() {
    let sim = simulator().await;
    let service = client(&sim);
    for hub in ["1abc", "a-b", &"h".repeat(129), ""] {
        assert_eq!(invalid_field(service.hub(hub).unwrap_err()), "hub");
    }
    assert!(service.hub("A_b.c`[x]").is_ok());
    let hub = service.hub("chat").unwrap();
    let m = msg("t", json!([]));
    assert_eq!(
        invalid_field(hub.send_to_group("", &m, &[]).await.unwrap_err()),
        "group"
    );
    assert_eq!(
        invalid_field(hub.send_to_group(&"g".repeat(1025), &m, &[]).await.unwrap_err()),
        "group"
    );
    assert_eq!(
        invalid_field(hub.send_to_group("  ", &m, &[]).await.unwrap_err()),
        "group"
    );
    assert!(hub.send_to_group(&"g".repeat(1024), &m, &[]).await.is_ok());
    assert_eq!(
        invalid_field(hub.send_to_user("", &m).await.unwrap_err()),
        "user_id"
    );
    assert_eq!(
        invalid_field(hub.connection_exists("").await.unwrap_err()),
        "connection_id"
    );
    assert_eq!(
        invalid_field(hub.send_to_all(&msg("", json!([])), &[]).await.unwrap_err()),
        "target"
    );
    let err = hub
        .add_user_to_group("g", "u", Some(Duration::from_millis(1500)))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(err), "ttl");
}

#[tokio::test]
async fn hub_names_are_case_insensitive_and_application_names_prefix_them() {
    let sim = simulator().await;
    let a = sim.connect("Chat", None).unwrap();
    client(&sim)
        .hub("CHAT")
        .unwrap()
        .send_to_all(&msg("m", json!([])), &[])
        .await
        .unwrap();
    assert_eq!(a.received().len(), 1);
    let prefixed = ServiceClient::builder()
        .connection_string(sim.connection_string())
        .application_name("App")
        .build()
        .unwrap();
    let b = sim.connect("app_chat", None).unwrap();
    prefixed
        .hub("chat")
        .unwrap()
        .send_to_all(&msg("m", json!([])), &[])
        .await
        .unwrap();
    assert_eq!(b.received().len(), 1);
    assert_eq!(a.received().len(), 1);
}

#[tokio::test]
async fn health_answers_and_inspection_lists_connections_with_users() {
    let sim = simulator().await;
    client(&sim).health().await.unwrap();
    let a = sim.connect("chat", Some("alice")).unwrap();
    let infos = sim.connections("chat");
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].connection_id, a.connection_id());
    assert_eq!(infos[0].user_id.as_deref(), Some("alice"));
    assert!(sim.connections("unknown").is_empty());
    assert!(
        !sim.hubs().contains(&"unknown".to_string()),
        "inspection creates no hub"
    );
}

#[tokio::test]
async fn wait_for_returns_a_message_that_arrives_later() {
    let sim = simulator().await;
    let a = sim.connect("chat", None).unwrap();
    let hub = client(&sim).hub("chat").unwrap();
    let waiter = a.wait_for("late", Duration::from_secs(5));
    let sender = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        hub.send_to_all(&msg("late", json!([7])), &[]).await.unwrap();
    };
    let (got, ()) = tokio::join!(waiter, sender);
    assert_eq!(got.unwrap().arguments.to_values(), vec![json!(7)]);
    let err = a.wait_for("never", Duration::from_millis(50)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)));
}

#[tokio::test]
async fn token_provider_supplies_the_bearer_token() {
    use signalr_rest::auth::{AccessKey, TokenFuture, TokenProvider, DEFAULT_TOKEN_LIFETIME};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Minted {
        key: AccessKey,
        calls: AtomicUsize,
    }
    impl TokenProvider for Minted {
        fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                self.key
                    .sign(audience, DEFAULT_TOKEN_LIFETIME, &Default::default())
            })
        }
    }
    struct Failing;
    impl TokenProvider for Failing {
        fn token<'a>(&'a self, _: &'a str) -> TokenFuture<'a> {
            Box::pin(async {
                Err(Error::Unauthorized {
                    status: None,
                    message: "backend down".into(),
                })
            })
        }
    }

    let sim = simulator().await;
    let provider = Arc::new(Minted {
        key: AccessKey::new(sim.access_key()).unwrap(),
        calls: AtomicUsize::new(0),
    });
    let service = ServiceClient::builder()
        .endpoint(sim.url())
        .token_provider(provider.clone())
        .build()
        .unwrap();
    let a = sim.connect("chat", None).unwrap();
    service
        .hub("chat")
        .unwrap()
        .send_to_all(&msg("m", json!([])), &[])
        .await
        .unwrap();
    assert_eq!(a.received().len(), 1);
    assert_eq!(provider.calls.load(Ordering::SeqCst), 1);

    let failing = ServiceClient::builder()
        .endpoint(sim.url())
        .token_provider(Arc::new(Failing))
        .build()
        .unwrap();
    let err = failing
        .hub("chat")
        .unwrap()
        .send_to_all(&msg("m", json!([])), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { status: None, .. }), "{err:?}");
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized() {
    let sim = simulator().await;
    let cs = format!("Endpoint={};AccessKey=wrong;Version=1.0", sim.url());
    let hub = ServiceClient::from_connection_string(&cs)
        .unwrap()
        .hub("chat")
        .unwrap();
    let err = hub.send_to_all(&msg("m", json!([])), &[]).await.unwrap_err();
    match err {
        Error::Unauthorized { status, message } => {
            assert_eq!(status, Some(401));
            assert!(message.contains("signature"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_hung_token_provider_times_out_with_the_request_timeout() {
    use signalr_rest::auth::{TokenFuture, TokenProvider};
    use std::sync::Arc;

    struct Hung;
    impl TokenProvider for Hung {
        fn token<'a>(&'a self, _: &'a str) -> TokenFuture<'a> {
            Box::pin(std::future::pending())
        }
    }
    let sim = simulator().await;
    let service = ServiceClient::builder()
        .endpoint(sim.url())
        .token_provider(Arc::new(Hung))
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = service.hub("chat").unwrap().user_exists("u").await.unwrap_err();
    assert_eq!(err, Error::Timeout(Duration::from_millis(100)));
}

#[tokio::test]
async fn a_short_ttl_expires_on_the_real_clock() {
    let sim = simulator().await;
    let hub = client(&sim).hub("chat").unwrap();
    hub.add_user_to_group("room", "alice", Some(Duration::from_secs(1)))
        .await
        .unwrap();
    assert!(hub.user_in_group("room", "alice").await.unwrap());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(!hub.user_in_group("room", "alice").await.unwrap());
    let late = sim.connect("chat", Some("alice")).unwrap();
    hub.send_to_group("room", &msg("m", json!([])), &[])
        .await
        .unwrap();
    assert!(
        late.received().is_empty(),
        "an expired mapping adds no new connection"
    );
}

#[tokio::test]
async fn a_wildcard_simulator_hands_out_a_loopback_connection_string() {
    for wildcard in ["0.0.0.0", "::"] {
        let options = SimulatorOptions {
            host: wildcard.parse().unwrap(),
            ..SimulatorOptions::default()
        };
        let Ok(sim) = Simulator::start(options).await else {
            continue; // no IPv6 on this machine
        };
        let port = sim.local_addr().port();
        let expected = if wildcard == "::" { "[::1]" } else { "127.0.0.1" };
        assert_eq!(sim.url(), format!("http://{expected}:{port}"));
        assert!(sim
            .connection_string()
            .starts_with(&format!("Endpoint=http://{expected}:{port};")));
        client(&sim).health().await.unwrap();
    }
}

#[tokio::test]
async fn access_token_serves_a_token_provider() {
    let sim = simulator().await;
    let audience = format!("{}/api/v1/hubs/chat/users/alice", sim.url());
    let token = sim.access_token(&audience, Duration::from_secs(60)).unwrap();
    struct Fixed(String);
    impl signalr_rest::TokenProvider for Fixed {
        fn token<'a>(&'a self, _audience: &'a str) -> signalr_rest::auth::TokenFuture<'a> {
            Box::pin(async move { Ok(self.0.clone()) })
        }
    }
    let hub = ServiceClient::builder()
        .endpoint(sim.url())
        .token_provider(std::sync::Arc::new(Fixed(token)))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .hub("chat")
        .unwrap();
    assert!(!hub.user_exists("alice").await.unwrap(), "the token was accepted");
    let err = hub.user_exists("bob").await.unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized { .. }),
        "signed for another URL: {err:?}"
    );
}
