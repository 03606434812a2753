//! The crate has the whole surface `tests/scenarios/surface.json` lists: a compiled list, where
//! each entry names the item it stands for, so a missing item does not compile and an entry the
//! manifest lacks (or a manifest entry missing here) fails the test.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use signalr_rest::simulator::SimulatorOptions;
use signalr_rest::{Error, HubClient, ServiceClient, ServiceClientBuilder, Simulator, VirtualClient};

/// `(section, name)` for each item, after touching the item itself.
macro_rules! surface {
    ($($section:ident . $name:literal => $item:expr;)*) => {
        vec![$({
            let _ = $item;
            (stringify!($section), $name)
        }),*]
    };
}

fn rust_surface() -> Vec<(&'static str, &'static str)> {
    let mut entries = surface! {
        client_options."connection_string" => |b: ServiceClientBuilder| b.connection_string("");
        client_options."endpoint" => |b: ServiceClientBuilder| b.endpoint("");
        client_options."access_key" => |b: ServiceClientBuilder| b.access_key("");
        client_options."client_endpoint" => |b: ServiceClientBuilder| b.client_endpoint("");
        client_options."token_provider" => ServiceClientBuilder::token_provider;
        client_options."application_name" => |b: ServiceClientBuilder| b.application_name("");
        client_options."api_version" => ServiceClientBuilder::api_version;
        client_options."timeout" => ServiceClientBuilder::timeout;
        client_options."retry" => ServiceClientBuilder::retry;
        client_options."token_lifetime" => ServiceClientBuilder::token_lifetime;
        client_methods."endpoint" => ServiceClient::endpoint;
        client_methods."api_version" => ServiceClient::api_version;
        client_methods."application_name" => ServiceClient::application_name;
        client_methods."hub" => ServiceClient::hub;
        client_methods."health" => ServiceClient::health;
        client_methods."client_url" => ServiceClient::client_url;
        client_methods."negotiate" => ServiceClient::negotiate;
        client_methods."negotiate_with_service" => ServiceClient::negotiate_with_service;
        hub_methods."name" => HubClient::name;
        hub_methods."send_to_all" => HubClient::send_to_all;
        hub_methods."send_to_user" => HubClient::send_to_user;
        hub_methods."send_to_connection" => HubClient::send_to_connection;
        hub_methods."send_to_group" => HubClient::send_to_group;
        hub_methods."connection_exists" => HubClient::connection_exists;
        hub_methods."close_connection" => HubClient::close_connection;
        hub_methods."group_exists" => HubClient::group_exists;
        hub_methods."user_exists" => HubClient::user_exists;
        hub_methods."add_connection_to_group" => HubClient::add_connection_to_group;
        hub_methods."remove_connection_from_group" => HubClient::remove_connection_from_group;
        hub_methods."user_in_group" => HubClient::user_in_group;
        hub_methods."add_user_to_group" => HubClient::add_user_to_group;
        hub_methods."remove_user_from_group" => HubClient::remove_user_from_group;
        hub_methods."remove_user_from_all_groups" => HubClient::remove_user_from_all_groups;
        hub_methods."close_all_connections" => HubClient::close_all_connections;
        hub_methods."close_group_connections" => HubClient::close_group_connections;
        hub_methods."close_user_connections" => HubClient::close_user_connections;
        hub_methods."remove_connection_from_all_groups" => HubClient::remove_connection_from_all_groups;
        hub_methods."generate_client_token" => HubClient::generate_client_token;
        simulator_options."host" => |o: SimulatorOptions| o.host;
        simulator_options."port" => |o: SimulatorOptions| o.port;
        simulator_options."access_key" => |o: SimulatorOptions| o.access_key;
        simulator_options."ping_interval" => |o: SimulatorOptions| o.ping_interval;
        simulator_options."secondary_access_key" => |o: SimulatorOptions| o.secondary_access_key;
        simulator_options."upstreams" => |o: SimulatorOptions| o.upstreams;
        simulator_options."upstream_timeout" => |o: SimulatorOptions| o.upstream_timeout;
        simulator_options."dashboard" => |o: SimulatorOptions| o.dashboard;
        simulator_options."faults" => |o: SimulatorOptions| o.faults;
        simulator_options."fault_seed" => |o: SimulatorOptions| o.fault_seed;
        simulator_methods."url" => Simulator::url;
        simulator_methods."connection_string" => Simulator::connection_string;
        simulator_methods."access_key" => Simulator::access_key;
        simulator_methods."dashboard_url" => Simulator::dashboard_url;
        simulator_methods."access_token" => Simulator::access_token;
        simulator_methods."connect" => Simulator::connect;
        simulator_methods."hubs" => Simulator::hubs;
        simulator_methods."connections" => Simulator::connections;
        simulator_methods."groups" => Simulator::groups;
        simulator_methods."user_groups" => Simulator::user_groups;
        simulator_methods."upstream_calls" => Simulator::upstream_calls;
        simulator_methods."advance_clock" => Simulator::advance_clock;
        simulator_methods."add_fault" => Simulator::add_fault;
        simulator_methods."remove_fault" => Simulator::remove_fault;
        simulator_methods."clear_faults" => Simulator::clear_faults;
        simulator_methods."faults" => Simulator::faults;
        simulator_methods."injected_faults" => Simulator::injected_faults;
        simulator_methods."drop_clients" => Simulator::drop_clients;
        simulator_methods."pause_clients" => Simulator::pause_clients;
        simulator_methods."shutdown" => Simulator::shutdown;
        virtual_client_methods."connection_id" => VirtualClient::connection_id;
        virtual_client_methods."user_id" => VirtualClient::user_id;
        virtual_client_methods."received" => VirtualClient::received;
        virtual_client_methods."wait_for" => VirtualClient::wait_for;
        virtual_client_methods."is_closed" => VirtualClient::is_closed;
        virtual_client_methods."close_reason" => VirtualClient::close_reason;
        virtual_client_methods."disconnect" => VirtualClient::disconnect;
        helpers."version" => signalr_rest::VERSION;
        helpers."upstream.parse_request" => |b: &[u8]| signalr_rest::upstream::parse_upstream_request(|_| None, b, &[]);
        helpers."upstream.completion_body" => signalr_rest::upstream::completion_body;
    };
    // Error kinds are the core's `Error::kind()` of each variant.
    let errors = [
        Error::invalid("f", "m"),
        Error::Unauthorized {
            status: None,
            message: String::new(),
        },
        Error::NotFound {
            code: String::new(),
            message: String::new(),
        },
        Error::BadRequest {
            message: String::new(),
        },
        Error::Service {
            status: 500,
            body: String::new(),
        },
        Error::Timeout(Duration::ZERO),
        Error::Transport(String::new()),
    ];
    entries.extend(errors.iter().map(|e| ("error_kinds", e.kind())));
    entries
}

#[test]
fn the_crate_has_every_manifest_entry_and_nothing_unlisted() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/surface.json");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut expected = BTreeSet::new();
    let mut gaps = BTreeSet::new();
    for (section, entries) in manifest["sections"].as_object().unwrap() {
        for entry in entries.as_array().unwrap() {
            let name = entry["name"].as_str().unwrap().to_string();
            match &entry["rust"] {
                Value::Object(gap) => {
                    assert!(gap["gap"].is_string(), "{section}.{name}: a gap needs its reason");
                    gaps.insert((section.clone(), name));
                }
                _ => {
                    expected.insert((section.clone(), name));
                }
            }
        }
    }
    let have: BTreeSet<(String, String)> = rust_surface()
        .into_iter()
        .map(|(section, name)| (section.to_string(), name.to_string()))
        .collect();
    let missing: Vec<_> = expected.difference(&have).collect();
    assert!(
        missing.is_empty(),
        "surface.json lists what the crate lacks: {missing:?}"
    );
    let unlisted: Vec<_> = have.difference(&expected).collect();
    assert!(
        unlisted.is_empty(),
        "the crate has entries surface.json does not list (or lists as gaps): {unlisted:?}"
    );
    assert!(gaps.is_disjoint(&have));
}
