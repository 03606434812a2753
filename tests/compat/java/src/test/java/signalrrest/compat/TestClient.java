package signalrrest.compat;

import com.microsoft.signalr.HttpHubConnectionBuilder;
import com.microsoft.signalr.HubConnection;
import com.microsoft.signalr.HubConnectionBuilder;
import com.microsoft.signalr.HubConnectionState;
import com.microsoft.signalr.TransportEnum;
import io.reactivex.rxjava3.core.Single;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** A started Java SignalR client and the labels of the `msg` invocations it received, in order. */
final class TestClient implements AutoCloseable {
    static final long DEADLINE_MS = Long.parseLong(System.getenv().getOrDefault("COMPAT_DEADLINE_MS", "5000"));

    final HubConnection connection;
    final String user;
    final List<String> labels = new CopyOnWriteArrayList<>();
    final List<Object[]> data = new CopyOnWriteArrayList<>();
    /** Completes with the onClosed exception (null when closed without error). */
    final CompletableFuture<Exception> closed = new CompletableFuture<>();

    /** A Java payload shape for the object argument of the `data` round trip. */
    static final class Payload {
        List<Double> three;
        String four;
        String fünf;
    }

    TestClient(String url, String token, String user, boolean skipNegotiate) {
        this.user = user;
        HttpHubConnectionBuilder builder = HubConnectionBuilder.create(url)
                .withAccessTokenProvider(Single.defer(() -> Single.just(token)));
        if (skipNegotiate) {
            builder = builder.shouldSkipNegotiate(true).withTransport(TransportEnum.WEBSOCKETS);
        }
        connection = builder.build();
        connection.on("msg", (String label) -> labels.add(label), String.class);
        connection.on("data", (Integer n, String s, Payload p, Boolean b) -> data.add(new Object[] {n, s, p, b}),
                Integer.class, String.class, Payload.class, Boolean.class);
        connection.onClosed(closed::complete);
    }

    static TestClient start(Simulator sim, String hub, String user, boolean skipNegotiate) {
        TestClient client = new TestClient(sim.clientUrl(hub), sim.clientToken(hub, user), user, skipNegotiate);
        client.connection.start().blockingAwait(2 * DEADLINE_MS, TimeUnit.MILLISECONDS);
        if (client.connection.getConnectionState() != HubConnectionState.CONNECTED) {
            throw new AssertionError("client for " + user + " is " + client.connection.getConnectionState() + " after start()");
        }
        return client;
    }

    String connectionId() {
        return connection.getConnectionId();
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
