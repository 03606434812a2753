use std::time::Duration;

use signalr_rest::{ClientTokenOptions, PayloadMessage, ServiceClient, Simulator, SimulatorOptions};

#[tokio::main]
async fn main() -> signalr_rest::Result<()> {
    // A local simulator; with the real service, use its connection string instead.
    let sim = Simulator::start(SimulatorOptions::default()).await?;
    let alice = sim.connect("chat", Some("alice"))?; // an in-process client of hub "chat"

    let client = ServiceClient::from_connection_string(&sim.connection_string())?;
    let chat = client.hub("chat")?;
    chat.send_to_all(&PayloadMessage::new("newMessage", vec!["hello".into()]), &[])
        .await?;
    chat.add_user_to_group("room", "alice", Some(Duration::from_secs(3600)))
        .await?;
    chat.send_to_group("room", &PayloadMessage::new("roomMessage", vec![42.into()]), &[])
        .await?;
    assert!(chat.user_exists("alice").await?); // exists-checks: 404 is false

    let received: Vec<String> = alice.received().into_iter().map(|m| m.target).collect();
    assert_eq!(received, ["newMessage", "roomMessage"]);

    // What an app server's negotiate endpoint returns to a SignalR client.
    let options = ClientTokenOptions {
        user_id: Some("alice".into()),
        ..Default::default()
    };
    let negotiate = client.negotiate("chat", &options)?;
    println!("{}", serde_json::to_string(&negotiate).expect("JSON"));

    sim.advance_clock(Duration::from_secs(3601)); // TTLs expire on the simulator's clock
    assert!(!chat.user_in_group("room", "alice").await?);
    sim.shutdown().await;
    Ok(())
}
