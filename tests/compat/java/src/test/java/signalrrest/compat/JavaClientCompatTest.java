package signalrrest.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Java SignalR client (com.microsoft.signalr:signalr) against `signalr-rest serve`: every REST
 * delivery path reaches it, and nothing reaches it that was not addressed to it.
 */
class JavaClientCompatTest {
    enum Mode {
        NEGOTIATE(false),
        SKIP_NEGOTIATE_WEBSOCKETS(true);

        final boolean skip;

        Mode(boolean skip) {
            this.skip = skip;
        }
    }

    static Simulator sim;
    final List<TestClient> clients = new ArrayList<>();

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

    TestClient open(String hub, String user, Mode mode) {
        TestClient client = TestClient.start(sim, hub, user, mode.skip);
        clients.add(client);
        return client;
    }

    /** The client's connection id; skips where the client cannot know it. */
    static String idOrSkip(TestClient client, Mode mode) {
        // With skipNegotiate there is no negotiate response, so getConnectionId() stays null and
        // the test cannot address the connection by id.
        assumeTrue(!mode.skip, "skipNegotiate: the client never learns its connection id");
        assertNotNull(client.connectionId(), "getConnectionId() after start()");
        return client.connectionId();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void receivesABroadcastWithArgumentsIntact(Mode mode) throws Exception {
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

    @ParameterizedTest
    @EnumSource(Mode.class)
    void receivesASendToItsUser(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        sim.sendToUser(hub, "alice", "to-alice");
        client.expect("to-alice");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void receivesASendToItsConnectionId(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = idOrSkip(client, mode);
        sim.sendToConnection(hub, id, "to-connection");
        client.expect("to-connection");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void receivesAGroupSendAfterItsUserIsAdded(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        sim.addUserToGroup(hub, "g1", "alice");
        sim.sendToGroup(hub, "g1", "to-g1");
        client.expect("to-g1");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void joinsAtConnectTheGroupsItsUserWasMappedTo(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        sim.addUserToGroup(hub, "early", "alice");
        TestClient client = open(hub, "alice", mode);
        sim.sendToGroup(hub, "early", "to-early");
        client.expect("to-early");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void receivesAGroupSendAfterItsConnectionIsAdded(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = idOrSkip(client, mode);
        sim.addConnectionToGroup(hub, "g2", id);
        sim.sendToGroup(hub, "g2", "to-g2");
        client.expect("to-g2");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void isNotReachedWhenExcluded(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = idOrSkip(client, mode);
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

    @ParameterizedTest
    @EnumSource(Mode.class)
    void isNotReachedWhenAnotherUserConnectionOrGroupIsAddressed(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        TestClient bob = open(hub, "bob", mode);
        sim.addUserToGroup(hub, "bobs", "bob");
        sim.sendToUser(hub, "bob", "to-bob");
        sim.sendToGroup(hub, "bobs", "to-bobs");
        sim.sendToConnection(hub, "no-such-connection", "to-nobody");
        if (bob.connectionId() != null) sim.sendToConnection(hub, bob.connectionId(), "to-bob-connection");
        sim.broadcast(hub, "control");
        client.expect("control");
        bob.expect("to-bob");
        bob.expect("to-bobs");
        if (bob.connectionId() != null) bob.expect("to-bob-connection");
        for (String label : List.of("to-bob", "to-bobs", "to-nobody", "to-bob-connection")) client.refute(label);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stopsGettingGroupSendsAfterItsUserIsRemoved(Mode mode) throws Exception {
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

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stopsGettingGroupSendsAfterItsConnectionIsRemoved(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = idOrSkip(client, mode);
        sim.addConnectionToGroup(hub, "g", id);
        sim.sendToGroup(hub, "g", "while-member");
        client.expect("while-member");
        sim.removeConnectionFromGroup(hub, "g", id);
        sim.sendToGroup(hub, "g", "after-removal");
        sim.sendToConnection(hub, id, "control");
        client.expect("control");
        client.refute("after-removal");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void isClosedWithTheReasonByRestClose(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        String id = idOrSkip(client, mode);
        sim.closeConnection(hub, id, "kicked by compat test");
        Exception error = client.closed.get(TestClient.DEADLINE_MS, TimeUnit.MILLISECONDS);
        assertNotNull(error, "onClosed got no exception after REST close");
        assertTrue(String.valueOf(error.getMessage()).contains("kicked by compat test"), "onClosed: " + error);
        TestClient.waitUntil(() -> status(() -> sim.connectionStatus(hub, id)) == 404, () -> "connection " + id + " still exists after close");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void existsWhileConnectedAnd404AfterItStops(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = TestClient.start(sim, hub, "alice", mode.skip);
        String id = client.connectionId();
        if (!mode.skip) assertEquals(200, sim.connectionStatus(hub, id));
        assertEquals(200, sim.userStatus(hub, "alice"));
        client.close();
        if (!mode.skip) {
            TestClient.waitUntil(() -> status(() -> sim.connectionStatus(hub, id)) == 404, () -> "connection " + id + " still exists after stop()");
        }
        TestClient.waitUntil(() -> status(() -> sim.userStatus(hub, "alice")) == 404, () -> "user alice still exists after stop()");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aUserWithTwoConnectionsGetsBothCopies(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient first = open(hub, "alice", mode);
        TestClient second = open(hub, "alice", mode);
        if (!mode.skip) assertNotEquals(first.connectionId(), second.connectionId());
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

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aClientInvocationIsRefusedWithACloseCarryingAnError(Mode mode) throws Exception {
        String hub = Simulator.unique("hub");
        TestClient client = open(hub, "alice", mode);
        // Serverless: hub methods cannot be invoked; the server closes the connection with an error.
        client.connection.send("SomeHubMethod", 1);
        Exception error = client.closed.get(TestClient.DEADLINE_MS, TimeUnit.MILLISECONDS);
        assertNotNull(error, "onClosed got no exception after a client invocation");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stopCompletesWithoutError(Mode mode) throws Exception {
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
        TestClient client = new TestClient(sim.clientUrl(hub), token, "alice", false);
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
