package signalrrest.compat;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.microsoft.signalr.HubException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import signalrrest.compat.TestClient.Config;
import signalrrest.compat.TestClient.Mode;
import signalrrest.compat.TestClient.Protocol;

/**
 * Serverless upstream with the unmodified Java client (JSON): `signalr-rest serve --upstream`
 * POSTs the client's connected event, invocations and disconnected event to an app server run
 * here, which checks every X-ASRS-Signature itself (javax.crypto HmacSHA256 with both access
 * keys, the contract's algorithm) and answers `add` with a framed JSON completion of the sum and
 * `fail` with 404; invoke() returns the app's result or fails with the service's wording.
 */
class UpstreamTest {
    static final String SECONDARY = "compat-secondary-" + Simulator.unique("");
    static Simulator sim;
    static HttpServer app;
    /** What the app server received, in arrival order. */
    static final List<Request> received = new CopyOnWriteArrayList<>();

    record Request(String method, String path, String contentType, String connectionId, String hub, String category,
                   String event, String userId, String signature, String body) {}

    @BeforeAll
    static void start() throws Exception {
        app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/api/", UpstreamTest::handle);
        app.start();
        String template = "http://127.0.0.1:" + app.getAddress().getPort() + "/api/{hub}/{category}/{event}";
        sim = new Simulator("--upstream", template, "--secondary-access-key", SECONDARY);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (sim != null) sim.close();
        } finally {
            if (app != null) app.stop(0);
        }
    }

    /** The app server: records the request; `add` gets its sum as a completion, `fail` a 404. */
    private static void handle(HttpExchange exchange) throws IOException {
        var headers = exchange.getRequestHeaders();
        String body = new String(exchange.getRequestBody().readAllBytes(), UTF_8);
        Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                headers.getFirst("Content-Type"), headers.getFirst("X-ASRS-Connection-Id"), headers.getFirst("X-ASRS-Hub"),
                headers.getFirst("X-ASRS-Category"), headers.getFirst("X-ASRS-Event"), headers.getFirst("X-ASRS-User-Id"),
                headers.getFirst("X-ASRS-Signature"), body);
        received.add(request);
        int status = 200;
        byte[] answer = new byte[0];
        if ("messages".equals(request.category())) {
            JsonObject message = new Gson().fromJson(body, JsonObject.class);
            String target = message.get("target").getAsString();
            if (target.equals("fail")) {
                status = 404;
            } else if (target.equals("add") && message.has("invocationId")) {
                JsonArray args = message.getAsJsonArray("arguments");
                JsonObject completion = new JsonObject();
                completion.addProperty("type", 3);
                completion.addProperty("invocationId", message.get("invocationId").getAsString());
                completion.addProperty("result", args.get(0).getAsInt() + args.get(1).getAsInt());
                answer = (completion + "\u001e").getBytes(UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
            }
        }
        exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    /** `sha256=<UPPERCASE HEX HMAC-SHA256(UTF-8 key, connection id)>`. */
    static String sign(String key, String connectionId) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().withUpperCase().formatHex(mac.doFinal(connectionId.getBytes(UTF_8)));
    }

    @Test
    void signaturesMatchTheContractVector() throws Exception {
        // upstream.md section 4: the emulator's fixed key with connection id conn-1
        assertEquals("sha256=261F7F58FF9FB9BB8BE7E4951A807FE6091E5C074885BF63B865ECCD28728881",
                sign("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH", "conn-1"));
    }

    @Test
    void invokesThroughTheUpstreamAndGetsTheAppsResults() throws Exception {
        String hub = Simulator.unique("up");
        Config config = new Config(Protocol.JSON, Mode.NEGOTIATE);
        TestClient client = TestClient.start(sim, hub, "alice", config);
        try {
            assertEquals(5, client.connection.invoke(Integer.class, "add", 2, 3).blockingGet());
            HubException failure = assertThrows(HubException.class,
                    () -> client.connection.invoke(Integer.class, "fail").blockingGet());
            assertTrue(String.valueOf(failure.getMessage()).contains("Invocation failed, status code 404"),
                    "the error is the service's wording: " + failure.getMessage());
            client.connection.send("add", 1, 1);
            // the send reaches the app before stop() (one connection's upstream calls are in order)
            TestClient.waitUntil(() -> mine(hub).size() >= 4, () -> "the app received " + mine(hub));
        } finally {
            client.connection.stop().blockingAwait(TestClient.DEADLINE_MS, TimeUnit.MILLISECONDS);
        }
        TestClient.waitUntil(() -> mine(hub).stream().anyMatch(r -> "disconnected".equals(r.event())),
                () -> "no disconnected event; the app received " + mine(hub));
        List<Request> requests = mine(hub);
        assertEquals(List.of("connections/connected", "messages/add", "messages/fail", "messages/add",
                        "connections/disconnected"),
                requests.stream().map(r -> r.category() + "/" + r.event()).toList(), "events in order");
        String expectedPrimary = sign(sim.accessKey, client.id);
        String expectedSecondary = sign(SECONDARY, client.id);
        for (Request r : requests) {
            String what = r.category() + "/" + r.event();
            assertEquals("POST", r.method(), what);
            assertEquals("/api/" + hub + "/" + r.category() + "/" + r.event(), r.path(), what);
            assertEquals(client.id, r.connectionId(), what + ": connection id");
            assertEquals("alice", r.userId(), what + ": user id");
            assertNotNull(r.signature(), what + ": X-ASRS-Signature");
            List<String> entries = Arrays.asList(r.signature().split(","));
            assertTrue(entries.contains(sign(sim.accessKey, r.connectionId())), what + ": primary key signs, " + r.signature());
            assertTrue(entries.contains(sign(SECONDARY, r.connectionId())), what + ": secondary key signs, " + r.signature());
            assertEquals(List.of(expectedPrimary, expectedSecondary), entries, what + ": both signatures, no spaces");
            assertTrue(String.valueOf(r.contentType()).startsWith("application/json"), what + ": " + r.contentType());
        }
        Gson gson = new Gson();
        assertEquals(10, gson.fromJson(requests.get(0).body(), JsonObject.class).get("type").getAsInt());
        JsonObject add = gson.fromJson(requests.get(1).body(), JsonObject.class);
        assertEquals(1, add.get("type").getAsInt());
        assertEquals("add", add.get("target").getAsString());
        assertTrue(add.has("invocationId"), requests.get(1).body());
        assertEquals("[2,3]", add.get("arguments").toString());
        assertFalse(requests.get(1).body().endsWith("\u001e"), "the invocation is sent without framing");
        JsonObject send = gson.fromJson(requests.get(3).body(), JsonObject.class);
        assertFalse(send.has("invocationId"), "a send has no invocationId: " + requests.get(3).body());
        assertEquals("[1,1]", send.get("arguments").toString());
        JsonObject disconnected = gson.fromJson(requests.get(4).body(), JsonObject.class);
        assertEquals(11, disconnected.get("type").getAsInt());
    }

    static List<Request> mine(String hub) {
        List<Request> out = new ArrayList<>();
        for (Request r : received) if (hub.equals(r.hub())) out.add(r);
        return out;
    }
}
