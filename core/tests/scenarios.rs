//! Replays every shared scenario in `tests/scenarios/` through the Rust API.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use signalr_rest::{model, PayloadMessage, ServiceClient, Simulator, SimulatorOptions, VirtualClient};

fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios in {}", dir.display());
    files
}

struct Run {
    sim: Simulator,
    service: ServiceClient,
    clients: HashMap<String, VirtualClient>,
}

impl Run {
    fn id(&self, value: &Value) -> String {
        let text = value.as_str().expect("an id is a string");
        match text.strip_prefix('$') {
            Some(name) => self.clients[name].connection_id().to_string(),
            None => text.to_string(),
        }
    }

    fn str_field<'a>(step: &'a Value, name: &str) -> &'a str {
        step[name]
            .as_str()
            .unwrap_or_else(|| panic!("step needs {name}: {step}"))
    }

    async fn call(&self, step: &Value) -> Result<Value, signalr_rest::Error> {
        let hub = self.service.hub(Self::str_field(step, "hub"))?;
        let op = Self::str_field(step, "call");
        let message = || {
            PayloadMessage::new(
                step["target"].as_str().unwrap_or_default(),
                step["arguments"].as_array().cloned().unwrap_or_default(),
            )
        };
        let excluded: Vec<String> = step["excluded"]
            .as_array()
            .map(|ids| ids.iter().map(|v| self.id(v)).collect())
            .unwrap_or_default();
        let user = || Self::str_field(step, "user");
        let group = || Self::str_field(step, "group");
        let connection = || self.id(&step["connection"]);
        let ok = |_: ()| json!("ok");
        match op {
            "send_to_all" => hub.send_to_all(&message(), &excluded).await.map(ok),
            "send_to_user" => hub.send_to_user(user(), &message()).await.map(ok),
            "send_to_connection" => hub.send_to_connection(&connection(), &message()).await.map(ok),
            "send_to_group" => hub.send_to_group(group(), &message(), &excluded).await.map(ok),
            "connection_exists" => hub.connection_exists(&connection()).await.map(Value::from),
            "close_connection" => hub
                .close_connection(&connection(), step["reason"].as_str())
                .await
                .map(ok),
            "group_exists" => hub.group_exists(group()).await.map(Value::from),
            "user_exists" => hub.user_exists(user()).await.map(Value::from),
            "add_connection_to_group" => hub.add_connection_to_group(group(), &connection()).await.map(ok),
            "remove_connection_from_group" => hub
                .remove_connection_from_group(group(), &connection())
                .await
                .map(ok),
            "user_in_group" => hub.user_in_group(group(), user()).await.map(Value::from),
            "add_user_to_group" => {
                let ttl = step["ttl"].as_i64().map(model::ttl_from_secs).transpose()?;
                hub.add_user_to_group(group(), user(), ttl).await.map(ok)
            }
            "remove_user_from_group" => hub.remove_user_from_group(group(), user()).await.map(ok),
            "remove_user_from_all_groups" => hub.remove_user_from_all_groups(user()).await.map(ok),
            other => panic!("unknown operation {other}"),
        }
    }

    async fn step(&mut self, step: &Value) {
        if let Some(name) = step["connect"].as_str() {
            let client = self
                .sim
                .connect(Self::str_field(step, "hub"), step["user"].as_str())
                .unwrap();
            self.clients.insert(name.to_string(), client);
        } else if let Some(name) = step["disconnect"].as_str() {
            self.clients[name].disconnect();
        } else if step.get("call").is_some() {
            let outcome = match self.call(step).await {
                Ok(value) => value,
                Err(e) => json!({"error": e.kind()}),
            };
            assert_eq!(outcome, step["expect"], "{step}");
        } else if let Some(name) = step["received"].as_str() {
            let received: Vec<Value> = self.clients[name]
                .received()
                .into_iter()
                .map(|m| json!({"target": m.target, "arguments": m.arguments}))
                .collect();
            assert_eq!(Value::from(received), step["messages"], "{step}");
        } else if let Some(name) = step["closed"].as_str() {
            let client = &self.clients[name];
            assert!(client.is_closed(), "{step}");
            assert_eq!(
                client.close_reason().map(Value::from).unwrap_or(Value::Null),
                step["reason"],
                "{step}"
            );
        } else if let Some(seconds) = step["advance_clock"].as_u64() {
            self.sim.advance_clock(Duration::from_secs(seconds));
        } else if let Some(hub) = step["groups"].as_str() {
            let actual: BTreeMap<String, BTreeSet<String>> = self
                .sim
                .groups(hub)
                .into_iter()
                .map(|g| (g.name, g.connection_ids.into_iter().collect()))
                .collect();
            let expected: BTreeMap<String, BTreeSet<String>> = step["expect"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(g, ids)| {
                    (
                        g.clone(),
                        ids.as_array().unwrap().iter().map(|v| self.id(v)).collect(),
                    )
                })
                .collect();
            assert_eq!(actual, expected, "{step}");
        } else {
            panic!("unknown step {step}");
        }
    }
}

#[tokio::test]
async fn every_shared_scenario_passes() {
    for file in scenario_files() {
        let scenario: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
        let service = ServiceClient::from_connection_string(&sim.connection_string()).unwrap();
        let mut run = Run {
            sim,
            service,
            clients: HashMap::new(),
        };
        for step in scenario["steps"].as_array().unwrap() {
            run.step(step).await;
        }
        println!("scenario passed: {}", file.display());
    }
}
