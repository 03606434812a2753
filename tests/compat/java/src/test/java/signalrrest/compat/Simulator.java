package signalrrest.compat;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * `signalr-rest serve --port 0` with a random key (its log read for the connection ids clients do
 * not expose), a stand-in app server whose negotiate redirects to it, HS256 tokens, and the REST
 * calls the tests make.
 */
final class Simulator implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    final String endpoint;
    final String accessKey;
    final String bin;
    private final String connectionString;
    private final Process process;
    private final HttpServer app;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Every line serve logged, and its `client connected` entries, in order. */
    private final List<String> log = new ArrayList<>();
    private final List<Connected> connected = new ArrayList<>();
    private final Set<String> claimed = new HashSet<>();

    /** One `client connected` log entry; user null for an anonymous connection. */
    record Connected(String hub, String id, String user, String protocol) {}

    // serve logs (tracing, to stderr) one line per accepted client:
    //   ... client connected hub=h connection=ID user=Some("alice") protocol=Json
    // `user` is Rust's Debug form: None, or Some("...") with `"` and `\` escaped.
    private static final Pattern CONNECTED = Pattern.compile(
            "client connected hub=(\\S+) connection=(\\S+) user=(None|Some\\(\"((?:[^\"\\\\]|\\\\.)*)\"\\)) protocol=(\\S+)");

    static String unique(String prefix) {
        byte[] bytes = new byte[5];
        RANDOM.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }

    /** Starts `serve --port 0 --access-key <random>`, followed by `extraArgs` (e.g. --upstream URL). */
    Simulator(String... extraArgs) throws Exception {
        bin = System.getProperty("signalr.rest.bin", "../../../target/debug/signalr-rest");
        byte[] keyBytes = new byte[24];
        RANDOM.nextBytes(keyBytes);
        String key = "compat-" + HexFormat.of().formatHex(keyBytes);
        List<String> command = new ArrayList<>(List.of(bin, "serve", "--port", "0", "--access-key", key));
        command.addAll(List.of(extraArgs));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("RUST_LOG", "info"); // the `client connected` lines are at info
        process = builder.start();
        Thread logReader = new Thread(this::readLog);
        logReader.setDaemon(true);
        logReader.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        if (line == null) {
            process.destroyForcibly();
            throw new IllegalStateException(bin + " serve printed no connection string; stderr:\n" + logText());
        }
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) { /* keep the pipe empty */ }
            } catch (IOException ignored) {
            }
        });
        drain.setDaemon(true);
        drain.start();
        Map<String, String> fields = new HashMap<>();
        for (String part : line.trim().split(";")) {
            int at = part.indexOf('=');
            if (at > 0) fields.put(part.substring(0, at).trim().toLowerCase(), part.substring(at + 1).trim());
        }
        connectionString = line.trim();
        endpoint = fields.get("endpoint").replaceAll("/+$", "");
        accessKey = fields.get("accesskey");
        if (!key.equals(accessKey)) throw new IllegalStateException("serve announced another key: " + line);
        app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/app/", this::negotiate);
        app.start();
    }

    private void readLog() {
        try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), UTF_8))) {
            for (String line; (line = err.readLine()) != null; ) {
                String plain = line.replaceAll("\u001b\\[[0-9;]*m", "");
                Matcher m = CONNECTED.matcher(plain);
                synchronized (log) {
                    log.add(plain);
                    if (m.find()) {
                        String user = m.group(3).equals("None") ? null : m.group(4).replaceAll("\\\\(.)", "$1");
                        connected.add(new Connected(m.group(1), m.group(2), user, m.group(5)));
                    }
                }
            }
        } catch (IOException ignored) {
        }
    }

    private String logText() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    /**
     * The `client connected` entry of the connection `user` just opened on `hub`: the first for
     * that hub and user not yet handed out (clients of one hub and user connect one at a time).
     */
    Connected connectionFromLog(String hub, String user) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TestClient.DEADLINE_MS);
        for (;;) {
            synchronized (log) {
                for (Connected c : connected) {
                    if (!claimed.contains(c.id()) && c.hub().equalsIgnoreCase(hub) && java.util.Objects.equals(c.user(), user)) {
                        claimed.add(c.id());
                        return c;
                    }
                }
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("no 'client connected' log line for hub " + hub + ", user " + user + "; log:\n" + logText());
            }
            Thread.sleep(10);
        }
    }

    /** The app server: POST /app/{hub}/{user}/negotiate answers `signalr-rest negotiate`. */
    private void negotiate(HttpExchange exchange) throws IOException {
        String[] parts = exchange.getRequestURI().getRawPath().split("/");
        byte[] body;
        int status = 200;
        if (!exchange.getRequestMethod().equals("POST") || parts.length != 5 || !parts[4].equals("negotiate")) {
            status = 404;
            body = new byte[0];
        } else {
            try {
                body = cli("negotiate", "--hub", URLDecoder.decode(parts[2], UTF_8), "--user", URLDecoder.decode(parts[3], UTF_8))
                        .getBytes(UTF_8);
            } catch (Exception e) {
                status = 500;
                body = String.valueOf(e).getBytes(UTF_8);
            }
        }
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The URL a client is given in redirect mode; it negotiates at `{url}/negotiate`. */
    String appUrl(String hub, String user) {
        return "http://127.0.0.1:" + app.getAddress().getPort() + "/app/" + enc(hub) + "/" + enc(user);
    }

    String cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(bin));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("SIGNALR_CONNECTION_STRING", connectionString);
        Process cli = builder.start();
        String out = new String(cli.getInputStream().readAllBytes(), UTF_8);
        if (cli.waitFor() != 0) throw new IllegalStateException("signalr-rest " + String.join(" ", args) + " failed");
        return out;
    }

    /** SIGTERM, then SIGKILL after 5 s; fails loudly when SIGTERM was ignored. */
    @Override
    public void close() throws Exception {
        app.stop(0);
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("signalr-rest serve ignored SIGTERM for 5 s and was killed");
        }
    }

    String clientUrl(String hub) {
        return endpoint + "/client/?hub=" + enc(hub);
    }

    String clientToken(String hub, String user) {
        return tokenWithAudience(user, endpoint + "/client/?hub=" + hub.toLowerCase());
    }

    String tokenWithAudience(String user, String audience) {
        Instant now = Instant.now();
        var builder = JWT.create().withAudience(audience).withIssuedAt(now).withNotBefore(now)
                .withExpiresAt(now.plusSeconds(3600));
        if (user != null) builder = builder.withClaim("nameid", user);
        return builder.sign(Algorithm.HMAC256(accessKey.getBytes(UTF_8)));
    }

    static String enc(String segment) {
        return URLEncoder.encode(segment, UTF_8).replace("+", "%20");
    }

    record Answer(int status, String body, String call) {}

    /** One v1 REST call; `subpath` segments must already be encoded; `query` is name, value pairs. */
    Answer rest(String method, String hub, String subpath, String body, List<String[]> query) throws Exception {
        String url = endpoint + "/api/v1/hubs/" + enc(hub.toLowerCase()) + subpath;
        Instant now = Instant.now();
        String token = JWT.create().withAudience(url).withIssuedAt(now).withNotBefore(now)
                .withExpiresAt(now.plusSeconds(3600)).sign(Algorithm.HMAC256(accessKey.getBytes(UTF_8)));
        String search = query.stream().map(p -> enc(p[0]) + "=" + enc(p[1])).collect(Collectors.joining("&"));
        String full = search.isEmpty() ? url : url + "?" + search;
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(full))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body(), method + " " + full);
    }

    void expect(int status, String method, String hub, String subpath, String body, List<String[]> query) throws Exception {
        Answer answer = rest(method, hub, subpath, body, query);
        if (answer.status() != status) {
            throw new AssertionError(answer.call() + " answered " + answer.status() + " (expected " + status + "): " + answer.body());
        }
    }

    private static String message(String target, String argumentsJson) {
        return "{\"target\":\"" + target + "\",\"arguments\":" + argumentsJson + "}";
    }

    private static String label(String label) {
        return "[\"" + label + "\"]";
    }

    private static List<String[]> excluded(String... ids) {
        return java.util.Arrays.stream(ids).map(id -> new String[] {"excluded", id}).toList();
    }

    void broadcastJson(String hub, String target, String argumentsJson) throws Exception {
        expect(202, "POST", hub, "", message(target, argumentsJson), List.of());
    }

    void broadcast(String hub, String label, String... excludedIds) throws Exception {
        expect(202, "POST", hub, "", message("msg", label(label)), excluded(excludedIds));
    }

    /** Sends `{"target": target, "arguments": argumentsJson}` to a user, the arguments as JSON text. */
    void sendRawToUser(String hub, String user, String target, String argumentsJson) throws Exception {
        expect(202, "POST", hub, "/users/" + enc(user), message(target, argumentsJson), List.of());
    }

    void sendToUser(String hub, String user, String label) throws Exception {
        expect(202, "POST", hub, "/users/" + enc(user), message("msg", label(label)), List.of());
    }

    void sendToConnection(String hub, String id, String label) throws Exception {
        expect(202, "POST", hub, "/connections/" + enc(id), message("msg", label(label)), List.of());
    }

    void sendToGroup(String hub, String group, String label, String... excludedIds) throws Exception {
        expect(202, "POST", hub, "/groups/" + enc(group), message("msg", label(label)), excluded(excludedIds));
    }

    void addUserToGroup(String hub, String group, String user) throws Exception {
        expect(202, "PUT", hub, "/groups/" + enc(group) + "/users/" + enc(user), null, List.of());
    }

    void removeUserFromGroup(String hub, String group, String user) throws Exception {
        expect(202, "DELETE", hub, "/groups/" + enc(group) + "/users/" + enc(user), null, List.of());
    }

    void addConnectionToGroup(String hub, String group, String id) throws Exception {
        expect(200, "PUT", hub, "/groups/" + enc(group) + "/connections/" + enc(id), null, List.of());
    }

    void removeConnectionFromGroup(String hub, String group, String id) throws Exception {
        expect(200, "DELETE", hub, "/groups/" + enc(group) + "/connections/" + enc(id), null, List.of());
    }

    void closeConnection(String hub, String id, String reason) throws Exception {
        expect(202, "DELETE", hub, "/connections/" + enc(id), null, List.<String[]>of(new String[] {"reason", reason}));
    }

    int connectionStatus(String hub, String id) throws Exception {
        return rest("GET", hub, "/connections/" + enc(id), null, List.of()).status();
    }

    int userStatus(String hub, String user) throws Exception {
        return rest("GET", hub, "/users/" + enc(user), null, List.of()).status();
    }
}
