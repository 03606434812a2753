package signalrrest.compat;

import com.google.gson.JsonElement;
import com.microsoft.signalr.HttpHubConnectionBuilder;
import com.microsoft.signalr.HubConnection;
import com.microsoft.signalr.HubConnectionBuilder;
import com.microsoft.signalr.HubConnectionState;
import com.microsoft.signalr.HubProtocol;
import com.microsoft.signalr.TransportEnum;
import io.reactivex.rxjava3.core.Single;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** A started Java SignalR client and the labels of the `msg` invocations it received, in order. */
final class TestClient implements AutoCloseable {
    static final long DEADLINE_MS = Long.parseLong(System.getenv().getOrDefault("COMPAT_DEADLINE_MS", "5000"));
    /** The client version under test (the pom's signalr.version), for test names. */
    static final String VERSION = System.getProperty("signalr.version", "?");

    /**
     * How the client reaches the simulator: negotiate with it; negotiate with an app server that
     * redirects ({url, accessToken}); or skip negotiation (WebSockets straight to the client URL,
     * where the client never learns its connection id: the tests read it from the serve log).
     */
    enum Mode { NEGOTIATE, REDIRECT, SKIP_NEGOTIATION }

    enum Protocol { JSON, MESSAGEPACK }

    /** One way of connecting; MessagePack only when the messagepack artifact is on the classpath. */
    record Config(Protocol protocol, Mode mode) {
        @Override
        public String toString() {
            return "signalr " + VERSION + ", " + protocol.name().toLowerCase() + ", " + mode.name().toLowerCase();
        }

        static List<Config> all() {
            List<Config> configs = new java.util.ArrayList<>();
            for (Protocol protocol : Protocol.values()) {
                if (protocol == Protocol.MESSAGEPACK && !messagePackAvailable()) continue;
                for (Mode mode : Mode.values()) configs.add(new Config(protocol, mode));
            }
            return configs;
        }
    }

    private static final String MESSAGEPACK_CLASS = "com.microsoft.signalr.messagepack.MessagePackHubProtocol";

    /** com.microsoft.signalr.messagepack:signalr-messagepack is added by the pom's messagepack profile. */
    static boolean messagePackAvailable() {
        try {
            Class.forName(MESSAGEPACK_CLASS);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    final HubConnection connection;
    final String user;
    final Config config;
    final List<String> labels = new CopyOnWriteArrayList<>();
    final List<Object[]> data = new CopyOnWriteArrayList<>();
    /** The arguments of `raw` invocations, as the protocol parsed them (JSON: Gson trees). */
    final List<Object[]> raw = new CopyOnWriteArrayList<>();
    /** Completes with the onClosed exception (null when closed without error). */
    final CompletableFuture<Exception> closed = new CompletableFuture<>();
    /** The connection id: from the serve log, checked against getConnectionId() where the client knows it. */
    String id;

    /** A Java payload shape for the object argument of the `data` round trip. */
    static final class Payload {
        List<Double> three;
        String four;
        String fünf;
    }

    TestClient(String url, String token, String user, Config config) {
        this.user = user;
        this.config = config;
        HttpHubConnectionBuilder builder = HubConnectionBuilder.create(url);
        if (token != null) builder = builder.withAccessTokenProvider(Single.defer(() -> Single.just(token)));
        if (config.mode() == Mode.SKIP_NEGOTIATION) {
            builder = builder.shouldSkipNegotiate(true).withTransport(TransportEnum.WEBSOCKETS);
        }
        if (config.protocol() == Protocol.MESSAGEPACK) builder = builder.withHubProtocol(messagePack());
        connection = builder.build();
        connection.on("msg", (String label) -> labels.add(label), String.class);
        connection.on("data", (Integer n, String s, Payload p, Boolean b) -> data.add(new Object[] {n, s, p, b}),
                Integer.class, String.class, Payload.class, Boolean.class);
        // JSON: Gson trees, whose numbers keep the text they were parsed from; MessagePack: values.
        Class<Object> tree = anyClass(config.protocol() == Protocol.JSON ? JsonElement.class : Object.class);
        Class<Object> object = anyClass(config.protocol() == Protocol.JSON ? JsonElement.class : Map.class);
        connection.on("raw", (Object o, Object big, Object small) -> raw.add(new Object[] {o, big, small}), object, tree, tree);
        connection.onClosed(closed::complete);
    }

    @SuppressWarnings("unchecked")
    private static Class<Object> anyClass(Class<?> type) {
        return (Class<Object>) type;
    }

    private static HubProtocol messagePack() {
        try {
            return (HubProtocol) Class.forName(MESSAGEPACK_CLASS).getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot make " + MESSAGEPACK_CLASS, e);
        }
    }

    /** Connects `user` to `hub` as `config` says, then finds its connection id in the serve log. */
    static TestClient start(Simulator sim, String hub, String user, Config config) throws InterruptedException {
        TestClient client = config.mode() == Mode.REDIRECT
                ? new TestClient(sim.appUrl(hub, user), null, user, config)
                : new TestClient(sim.clientUrl(hub), sim.clientToken(hub, user), user, config);
        client.connection.start().blockingAwait(2 * DEADLINE_MS, TimeUnit.MILLISECONDS);
        if (client.connection.getConnectionState() != HubConnectionState.CONNECTED) {
            throw new AssertionError("client for " + user + " is " + client.connection.getConnectionState() + " after start()");
        }
        Simulator.Connected entry = sim.connectionFromLog(hub, user);
        String own = client.connection.getConnectionId();
        if (own != null && !own.equals(entry.id())) {
            throw new AssertionError(config + ": getConnectionId() is " + own + " but the serve log says " + entry.id());
        }
        client.id = entry.id();
        return client;
    }

    long count(String label) {
        return labels.stream().filter(label::equals).count();
    }

    void expect(String label) throws InterruptedException {
        waitUntil(() -> count(label) >= 1, () -> user + " did not receive " + label + "; received " + labels);
    }

    void refute(String label) {
        if (count(label) != 0) throw new AssertionError(user + " received " + label + " but must not have; received " + labels);
    }

    static void waitUntil(BooleanSupplier probe, Supplier<String> describe) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
        while (!probe.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError(describe.get() + " (waited " + DEADLINE_MS + " ms)");
            Thread.sleep(10);
        }
    }

    /**
     * Stops the client for teardown. A failing stop() is kept in {@link #stopFailure} rather than
     * thrown, so that one close-handshake problem does not fail every test; the test
     * stopCompletesWithoutError checks it on its own.
     */
    @Override
    public void close() {
        if (connection.getConnectionState() != HubConnectionState.DISCONNECTED) {
            try {
                connection.stop().blockingAwait(DEADLINE_MS, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                stopFailure = e;
            }
        }
    }

    volatile RuntimeException stopFailure;
}
