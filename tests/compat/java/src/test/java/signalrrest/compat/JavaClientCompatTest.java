package signalrrest.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import signalrrest.compat.TestClient.Config;
import signalrrest.compat.TestClient.Mode;
import signalrrest.compat.TestClient.Protocol;

/**
 * The Java SignalR client (com.microsoft.signalr:signalr, the version the pom's signalr.version
 * names; JSON, and MessagePack where its artifact resolves) against `signalr-rest serve`, through
 * negotiate, an app server's negotiate redirect and skipNegotiate + WebSockets: every REST delivery
 * path reaches it, nothing reaches it that was not addressed to it, arguments arrive as sent.
 * Connection ids come from the serve log (the client has none with skipNegotiate).
 */
class JavaClientCompatTest {
    static Simulator sim;
    final List<TestClient> clients = new ArrayList<>();

    static List<Config> configs() {
        return Config.all();
    }

    @BeforeAll
    static void startSimulator() throws Exception {
        sim = new Simulator();
    }

    @AfterAll
    static void stopSimulator() throws Exception {
        if (sim != null) sim.close();
    }

    @AfterEach
    void stopClients() {
        for (TestClient client : clients) client.close();
    }

    TestClient open(String hub, String user, Config config) throws InterruptedException {
        TestClient client = TestClient.start(sim, hub, user, config);
        clients.add(client);
        return client;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void receivesABroadcastWithArgumentsIntact(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        sim.broadcastJson(hub, "data", "[7, \"two\", {\"three\": [3, 3.5], \"four\": null, \"fünf\": \"ü🙂\"}, true]");
        sim.broadcast(hub, "hello");
        client.expect("hello");
        assertEquals(1, client.data.size());
        Object[] args = client.data.get(0);
        assertEquals(7, args[0]);
        assertEquals("two", args[1]);
        TestClient.Payload payload = (TestClient.Payload) args[2];
        assertEquals(List.of(3.0, 3.5), payload.three);
        assertEquals(null, payload.four);
        assertEquals("ü🙂", payload.fünf);
        assertEquals(true, args[3]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void aMessageSentInWebSocketFragmentsArrivesWhole(Config mode) throws Exception {
        // The simulator writes messages over 4 KiB as several WebSocket frames; multi-byte
        // characters fall across frame boundaries.
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String big = "é🙂x".repeat(7_001);
        sim.broadcast(hub, big);
        client.expect(big);
    }

    /** An object whose key order a sorting server would change, an integer beyond 64 bits, a long decimal. */
    static final String FIDELITY_ARGUMENTS = "[{\"é\":1,\"n\":2},12345678901234567890123,0.1000000000000000055511151231257827]";

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void argumentFidelityKeyOrderBigAndLongNumbers(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        sim.sendRawToUser(hub, "alice", "raw", FIDELITY_ARGUMENTS);
        sim.sendToUser(hub, "alice", "after-raw");
        client.expect("after-raw");
        assertEquals(1, client.raw.size());
        Object[] args = client.raw.get(0);
        if (mode.protocol() == Protocol.JSON) {
            // Gson keeps object key order and the text of each number it parsed: the arguments
            // pass through the simulator as JSON text, so they arrive exactly as written.
            String got = "[" + args[0] + "," + args[1] + "," + args[2] + "]";
            assertEquals(FIDELITY_ARGUMENTS, got, "arguments not as sent");
        } else {
            assertEquals(List.of("é", "n"), new ArrayList<>(((java.util.Map<?, ?>) args[0]).keySet()), "key order of " + args[0]);
            assertEquals(1.2345678901234568e22, ((Number) args[1]).doubleValue());
            assertEquals(0.1000000000000000055511151231257827, ((Number) args[2]).doubleValue());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void receivesASendToItsUser(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        sim.sendToUser(hub, "alice", "to-alice");
        client.expect("to-alice");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void receivesASendToItsConnectionId(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = client.id;
        sim.sendToConnection(hub, id, "to-connection");
        client.expect("to-connection");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void receivesAGroupSendAfterItsUserIsAdded(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        sim.addUserToGroup(hub, "g1", "alice");
        sim.sendToGroup(hub, "g1", "to-g1");
        client.expect("to-g1");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void joinsAtConnectTheGroupsItsUserWasMappedTo(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        sim.addUserToGroup(hub, "early", "alice");
        TestClient client = open(hub, "alice", mode);
        sim.sendToGroup(hub, "early", "to-early");
        client.expect("to-early");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void receivesAGroupSendAfterItsConnectionIsAdded(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = client.id;
        sim.addConnectionToGroup(hub, "g2", id);
        sim.sendToGroup(hub, "g2", "to-g2");
        client.expect("to-g2");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void isNotReachedWhenExcluded(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = client.id;
        sim.addConnectionToGroup(hub, "g", id);
        sim.broadcast(hub, "excluded-broadcast", id);
        sim.sendToGroup(hub, "g", "excluded-group", id);
        sim.sendToGroup(hub, "g", "group-others-excluded", "someone-else");
        sim.broadcast(hub, "control");
        client.expect("control");
        client.expect("group-others-excluded");
        client.refute("excluded-broadcast");
        client.refute("excluded-group");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void isNotReachedWhenAnotherUserConnectionOrGroupIsAddressed(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        TestClient bob = open(hub, "bob", mode);
        sim.addUserToGroup(hub, "bobs", "bob");
        sim.sendToUser(hub, "bob", "to-bob");
        sim.sendToGroup(hub, "bobs", "to-bobs");
        sim.sendToConnection(hub, "no-such-connection", "to-nobody");
        sim.sendToConnection(hub, bob.id, "to-bob-connection");
        sim.broadcast(hub, "control");
        client.expect("control");
        bob.expect("to-bob");
        bob.expect("to-bobs");
        bob.expect("to-bob-connection");
        for (String label : List.of("to-bob", "to-bobs", "to-nobody", "to-bob-connection")) client.refute(label);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void stopsGettingGroupSendsAfterItsUserIsRemoved(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        sim.addUserToGroup(hub, "g", "alice");
        sim.sendToGroup(hub, "g", "while-member");
        client.expect("while-member");
        sim.removeUserFromGroup(hub, "g", "alice");
        sim.sendToGroup(hub, "g", "after-removal");
        sim.sendToUser(hub, "alice", "control");
        client.expect("control");
        client.refute("after-removal");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void stopsGettingGroupSendsAfterItsConnectionIsRemoved(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = client.id;
        sim.addConnectionToGroup(hub, "g", id);
        sim.sendToGroup(hub, "g", "while-member");
        client.expect("while-member");
        sim.removeConnectionFromGroup(hub, "g", id);
        sim.sendToGroup(hub, "g", "after-removal");
        sim.sendToConnection(hub, id, "control");
        client.expect("control");
        client.refute("after-removal");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void isClosedWithTheReasonByRestClose(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = client.id;
        sim.closeConnection(hub, id, "kicked by compat test");
        Exception error = client.closed.get(TestClient.DEADLINE_MS, TimeUnit.MILLISECONDS);
        assertNotNull(error, "onClosed got no exception after REST close");
        assertTrue(String.valueOf(error.getMessage()).contains("kicked by compat test"), "onClosed: " + error);
        TestClient.waitUntil(() -> status(() -> sim.connectionStatus(hub, id)) == 404, () -> "connection " + id + " still exists after close");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void existsWhileConnectedAnd404AfterItStops(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = TestClient.start(sim, hub, "alice", mode);
        String id = client.id;
        assertEquals(200, sim.connectionStatus(hub, id));
        assertEquals(200, sim.userStatus(hub, "alice"));
        client.close();
        TestClient.waitUntil(() -> status(() -> sim.connectionStatus(hub, id)) == 404, () -> "connection " + id + " still exists after stop()");
        TestClient.waitUntil(() -> status(() -> sim.userStatus(hub, "alice")) == 404, () -> "user alice still exists after stop()");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void aUserWithTwoConnectionsGetsBothCopies(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient first = open(hub, "alice", mode);
        TestClient second = open(hub, "alice", mode);
        assertNotEquals(first.id, second.id);
        sim.addUserToGroup(hub, "g", "alice");
        sim.sendToUser(hub, "alice", "to-user");
        sim.sendToGroup(hub, "g", "to-group");
        sim.broadcast(hub, "control");
        for (TestClient client : List.of(first, second)) {
            client.expect("control");
            assertEquals(1, client.count("to-user"), "copies of to-user: " + client.labels);
            assertEquals(1, client.count("to-group"), "copies of to-group: " + client.labels);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void aClientInvocationIsRefusedWithACloseCarryingAnError(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        // Serverless: hub methods cannot be invoked; the server closes the connection with an error.
        client.connection.send("SomeHubMethod", 1);
        Exception error = client.closed.get(TestClient.DEADLINE_MS, TimeUnit.MILLISECONDS);
        assertNotNull(error, "onClosed got no exception after a client invocation");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void stopCompletesWithoutError(Config mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        // stop() sends a Close message and a WebSocket close (1000); the server must finish the
        // WebSocket closing handshake, or OkHttp reports the dropped socket as a failure.
        RuntimeException failure = null;
        try {
            client.connection.stop().blockingAwait(TestClient.DEADLINE_MS, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            failure = e;
        }
        final RuntimeException stopError = failure;
        assertNull(stopError, () -> "stop() failed: " + stopError + " (cause: " + stopError.getCause() + ")");
        assertNull(client.closed.get(TestClient.DEADLINE_MS, TimeUnit.MILLISECONDS), "onClosed got an error after stop()");
    }

    @Test
    void aTokenForAnotherHubIsRefused() {
        String hub = Simulator.unique("hub");
        String token = sim.tokenWithAudience("alice", sim.endpoint + "/client/?hub=otherhub");
        TestClient client = new TestClient(sim.clientUrl(hub), token, "alice", new Config(Protocol.JSON, Mode.NEGOTIATE));
        clients.add(client);
        Throwable failure = assertThrows(Throwable.class,
                () -> client.connection.start().blockingAwait(2 * TestClient.DEADLINE_MS, TimeUnit.MILLISECONDS));
        assertTrue(String.valueOf(failure.getMessage()).contains("401"), "start() failed with " + failure);
    }

    interface Call {
        int get() throws Exception;
    }

    static int status(Call call) {
        try {
            return call.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
