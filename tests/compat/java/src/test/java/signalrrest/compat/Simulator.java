package signalrrest.compat;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** `signalr-rest serve --port 0` with a random key, HS256 tokens, and the REST calls the tests make. */
final class Simulator implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    final String endpoint;
    final String accessKey;
    private final Process process;
    private final File stderr;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static String unique(String prefix) {
        byte[] bytes = new byte[5];
        RANDOM.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }

    Simulator() throws Exception {
        String bin = System.getProperty("signalr.rest.bin", "../../../target/debug/signalr-rest");
        byte[] keyBytes = new byte[24];
        RANDOM.nextBytes(keyBytes);
        String key = "compat-" + HexFormat.of().formatHex(keyBytes);
        stderr = File.createTempFile("signalr-rest-serve", ".log");
        stderr.deleteOnExit();
        process = new ProcessBuilder(bin, "serve", "--port", "0", "--access-key", key)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.to(stderr))
                .start();
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
            throw new IllegalStateException(bin + " serve printed no connection string; stderr:\n"
                    + Files.readString(stderr.toPath()));
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
        endpoint = fields.get("endpoint").replaceAll("/+$", "");
        accessKey = fields.get("accesskey");
        if (!key.equals(accessKey)) throw new IllegalStateException("serve announced another key: " + line);
    }

    /** SIGTERM, then SIGKILL after 5 s; fails loudly when SIGTERM was ignored. */
    @Override
    public void close() throws Exception {
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
