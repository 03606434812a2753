//! Property tests (proptest): the connection-string parser, hub protocol decoding (JSON and
//! MessagePack), name validation, and user ids and group names through percent-encoding to the
//! simulator and back. Token verification's properties live next to it (src/auth/verify.rs).
//!
//! `scripts/test` runs proptest's default 256 cases per property; `scripts/properties` runs the
//! long form (`PROPTEST_CASES`, a million by default). A failure proptest finds is shrunk, and
//! its case belongs in a named regression test in the file of the part it broke.

use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};
use signalr_rest::model::{validate_group, validate_hub, validate_id};
use signalr_rest::protocol::{self, Encoded, HubMessage, Protocol};
use signalr_rest::{ConnectionString, PayloadMessage, ServiceClient, Simulator, SimulatorOptions};

/// JSON values a hub method argument can be (integers, not floats: `1.0` and `1` are the same
/// number but not the same text in every encoder).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn decode(protocol: Protocol, encoded: &Encoded) -> Result<Vec<HubMessage>, String> {
    match encoded {
        Encoded::Text(text) => protocol::decode_json(text),
        Encoded::Binary(bytes) => {
            assert_eq!(protocol, Protocol::MessagePack);
            protocol::decode_msgpack(bytes)
        }
    }
}

proptest! {
    #[test]
    fn any_text_parses_or_fails_without_panicking(text in ".{0,200}") {
        let _ = ConnectionString::parse(&text);
        let _ = protocol::decode_json(&text);
        let _ = protocol::parse_handshake(&text);
        let _ = validate_hub(&text);
        let _ = validate_group(&text);
        let _ = validate_id("user_id", &text);
    }

    #[test]
    fn any_bytes_decode_as_messagepack_or_fail_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = protocol::decode_msgpack(&bytes);
    }

    #[test]
    fn connection_strings_parse_in_any_order_and_key_case(
        https in any::<bool>(),
        // Not `xn--...`: that prefix marks an IDNA label, which must then be valid punycode
        // (see an_invalid_idna_host_is_refused_naming_the_endpoint).
        host in "[a-z][a-z0-9-]{0,20}(\\.[a-z]{2,6}){0,2}".prop_filter("not IDNA", |h| !h.starts_with("xn--")),
        port in proptest::option::of(1u16..),
        key in "[A-Za-z0-9+/]{1,60}={0,2}",
        order in Just(vec![0usize, 1, 2]).prop_shuffle(),
        upper in any::<[bool; 3]>(),
        trailing in any::<bool>(),
    ) {
        let scheme = if https { "https" } else { "http" };
        let endpoint = match port {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        };
        let fields = [("Endpoint", endpoint.clone()), ("AccessKey", key.clone()), ("Version", "1.0".to_string())];
        let text = order
            .iter()
            .map(|&i| {
                let name = if upper[i] { fields[i].0.to_uppercase() } else { fields[i].0.to_lowercase() };
                format!("{name}={}", fields[i].1)
            })
            .collect::<Vec<_>>()
            .join(";")
            + if trailing { ";" } else { "" };
        let parsed = ConnectionString::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        // The URL parser drops a scheme's default port.
        let default_port = if https { 443 } else { 80 };
        let expected = match port {
            Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        };
        prop_assert_eq!(parsed.endpoint_str(), expected.as_str());
        prop_assert_eq!(parsed.access_key.as_ref().map(|k| k.expose()), Some(key.as_str()));
        prop_assert_eq!(parsed.version.as_str(), "1.0");
    }

    #[test]
    fn invocations_decode_to_what_was_encoded_in_both_protocols(
        target in ".{1,30}",
        arguments in prop::collection::vec(json_value(), 0..5),
    ) {
        let message = PayloadMessage::new(target.clone(), arguments.clone());
        for protocol in [Protocol::Json, Protocol::MessagePack] {
            let decoded = decode(protocol, &protocol::encode_invocation(protocol, &message))
                .map_err(|e| TestCaseError::fail(format!("{protocol:?}: {e}")))?;
            match decoded.as_slice() {
                [HubMessage::Invocation(got)] => {
                    prop_assert_eq!(&got.target, &target);
                    prop_assert_eq!(got.arguments.to_values(), arguments.clone());
                }
                other => prop_assert!(false, "{protocol:?}: decoded {other:?}"),
            }
        }
    }

    #[test]
    fn hub_names_follow_the_documented_rule(hub in "[A-Za-z0-9_`,.\\[\\] /é-]{0,140}") {
        let documented = hub.len() <= 128
            && hub.starts_with(|c: char| c.is_ascii_alphabetic())
            && hub.chars().all(|c| c.is_ascii_alphanumeric() || "_`,.[]".contains(c));
        prop_assert_eq!(validate_hub(&hub).is_ok(), documented, "{:?}", hub);
    }
}

/// Found by the long run: `xn--` starts an IDNA label, and an empty punycode part is refused by
/// the URL parser; the connection string fails naming its Endpoint, without a panic.
#[test]
fn an_invalid_idna_host_is_refused_naming_the_endpoint() {
    let error = ConnectionString::parse("Endpoint=http://xn--;AccessKey=0;Version=1.0;").unwrap_err();
    assert!(
        matches!(&error, signalr_rest::Error::InvalidArgument { field, .. } if field == "Endpoint"),
        "{error:?}"
    );
}

/// Group names and user ids the validation accepts.
fn name() -> impl Strategy<Value = String> {
    ".{1,40}".prop_filter("a name the validation accepts", |name| {
        validate_group(name).is_ok() && validate_id("user_id", name).is_ok()
    })
}

/// Any accepted user id and group name reaches the simulator intact through the request path
/// (percent-encoded by the client, decoded by the server) and comes back in its inspection.
#[test]
fn names_round_trip_through_percent_encoding_to_the_simulator() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(Simulator::start(SimulatorOptions::default()))
        .unwrap();
    let hub = ServiceClient::from_connection_string(&sim.connection_string())
        .and_then(|client| client.hub("chat"))
        .unwrap();
    let config = ProptestConfig {
        // Each case is three HTTP requests: a quarter of the cases the others run.
        cases: (ProptestConfig::default().cases / 4).max(1),
        ..ProptestConfig::default()
    };
    proptest!(config, |(user in name(), group in name())| {
        runtime.block_on(async {
            hub.add_user_to_group(&group, &user, Some(Duration::from_secs(60))).await.unwrap();
            assert!(hub.user_in_group(&group, &user).await.unwrap(), "{user:?} in {group:?}");
            hub.remove_user_from_group(&group, &user).await.unwrap();
        });
        let left = sim.user_groups("chat");
        prop_assert!(left.is_empty(), "{:?}", left);
    });
    // The ids also travel in the body of a send and arrive as sent.
    let client = sim.connect("chat", Some("é/ü?#%")).unwrap();
    runtime
        .block_on(hub.send_to_user("é/ü?#%", &PayloadMessage::new("t", vec![json!(1)])))
        .unwrap();
    assert_eq!(client.received().len(), 1);
    runtime.block_on(sim.shutdown());
}
