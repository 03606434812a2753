//! What a 404 means: `false` or a no-op only when the service says so with its
//! `x-ms-error-code`; a 404 from anything else (a wrong path, a proxy) is an error naming the URL.

mod loopback;

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use loopback::{service_404, Server, NO_DELAY};
use signalr_rest::{Error, HubClient, RetryPolicy, ServiceClient};

async fn hub_answering(answer: fn() -> axum::response::Response) -> (Server, HubClient) {
    let server = Server::start(move |_| (NO_DELAY, answer())).await;
    let hub = ServiceClient::builder()
        .endpoint(&server.url)
        .access_key("k")
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .hub("chat")
        .unwrap();
    (server, hub)
}

/// A 404 such as a wrong path or a proxy gives: no service error code.
fn bare_404() -> axum::response::Response {
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

#[track_caller]
fn assert_names_the_url(err: Error, path: &str) {
    let Error::Service { status: 404, body } = &err else {
        panic!("expected a 404 service error, got {err:?}");
    };
    assert!(body.contains(path), "{body}");
    assert!(body.contains("x-ms-error-code"), "{body}");
}

#[tokio::test]
async fn exists_checks_are_false_on_the_service_404() {
    let (_server, hub) = hub_answering(|| service_404("Warning.User.NotExisted")).await;
    assert!(!hub.user_exists("u").await.unwrap());
    let (_server, hub) = hub_answering(|| service_404("Warning.Connection.NotExisted")).await;
    assert!(!hub.connection_exists("c").await.unwrap());
    let (_server, hub) = hub_answering(|| service_404("Warning.Group.NotExisted")).await;
    assert!(!hub.group_exists("g").await.unwrap());
    let (_server, hub) = hub_answering(|| service_404("Info.User.NotInGroup")).await;
    assert!(!hub.user_in_group("g", "u").await.unwrap());
}

#[tokio::test]
async fn an_exists_check_answered_404_without_the_service_code_is_an_error_naming_the_url() {
    let (_server, hub) = hub_answering(bare_404).await;
    let cases = [
        (hub.user_exists("u").await, "/api/v1/hubs/chat/users/u"),
        (
            hub.connection_exists("c").await,
            "/api/v1/hubs/chat/connections/c",
        ),
        (hub.group_exists("g").await, "/api/v1/hubs/chat/groups/g"),
        (
            hub.user_in_group("g", "u").await,
            "/api/v1/hubs/chat/groups/g/users/u",
        ),
    ];
    for (result, path) in cases {
        assert_names_the_url(result.unwrap_err(), path);
    }
}

#[tokio::test]
async fn a_code_that_is_not_the_services_does_not_count() {
    let (_server, hub) = hub_answering(|| service_404("NotFound")).await;
    assert_names_the_url(hub.user_exists("u").await.unwrap_err(), "/users/u");
}

#[tokio::test]
async fn closing_a_gone_connection_succeeds_only_when_the_service_says_it_is_gone() {
    let (_server, hub) = hub_answering(|| service_404("Warning.Connection.NotExisted")).await;
    hub.close_connection("c", None).await.unwrap();
    let (_server, hub) = hub_answering(bare_404).await;
    let err = hub.close_connection("c", Some("bye")).await.unwrap_err();
    assert_names_the_url(err, "/api/v1/hubs/chat/connections/c");
}

#[tokio::test]
async fn other_operations_report_a_bare_404_as_an_error_naming_the_url_not_as_not_found() {
    let (_server, hub) = hub_answering(bare_404).await;
    let err = hub.remove_connection_from_group("g", "c").await.unwrap_err();
    assert_names_the_url(err, "/api/v1/hubs/chat/groups/g/connections/c");
    let err = hub.add_user_to_group("g", "u", None).await.unwrap_err();
    assert_names_the_url(err, "/api/v1/hubs/chat/groups/g/users/u");
}

#[tokio::test]
async fn the_simulators_unknown_route_404_is_an_error_not_absent() {
    let sim = signalr_rest::Simulator::start(Default::default()).await.unwrap();
    let hub = ServiceClient::builder()
        .endpoint(format!("{}/wrong-prefix", sim.url()))
        .access_key(sim.access_key())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .hub("chat")
        .unwrap();
    let err = hub.user_exists("u").await.unwrap_err();
    let Error::Service { status: 404, body } = &err else {
        panic!("expected a 404 service error, got {err:?}");
    };
    assert!(body.contains("/wrong-prefix/api/v1/hubs/chat/users/u"), "{body}");
}
