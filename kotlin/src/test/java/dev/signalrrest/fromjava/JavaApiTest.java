package dev.signalrrest.fromjava;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.signalrrest.ApiVersion;
import dev.signalrrest.ClientOptions;
import dev.signalrrest.HubClient;
import dev.signalrrest.HubProtocol;
import dev.signalrrest.NegotiateResponse;
import dev.signalrrest.ReceivedMessage;
import dev.signalrrest.ServiceClient;
import dev.signalrrest.SignalRException;
import dev.signalrrest.Simulator;
import dev.signalrrest.SimulatorOptions;
import dev.signalrrest.TokenProvider;
import dev.signalrrest.Upstream;
import dev.signalrrest.UpstreamEvent;
import dev.signalrrest.VirtualClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kotlinx.serialization.json.JsonElementKt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The package as Java code sees it: static factories, a builder, blocking and CompletableFuture
 * variants with JSON text arguments, the simulator as an AutoCloseable, typed exceptions. Nothing
 * here may need Kotlin at the call site (no Continuation, no kotlin.time.Duration).
 */
class JavaApiTest {
    private Simulator simulator;
    private ServiceClient service;
    private HubClient chat;

    @BeforeEach
    void start() {
        simulator = Simulator.startBlocking();
        service = ServiceClient.fromConnectionString(
            simulator.getConnectionString(), ClientOptions.builder().maxRetries(0).build());
        chat = service.hub("chat");
    }

    @AfterEach
    void stop() {
        chat.close();
        service.close();
        simulator.close();
    }

    /** The Java example of kotlin/README.md, with its checks; keep the two alike. */
    @Test
    void theReadmeExampleRuns() throws Exception {
        String notFoundCode = null;
        try (Simulator simulator = Simulator.startBlocking();   // or your service's connection string
             VirtualClient alice = simulator.connect("chat", "alice");
             ServiceClient service = ServiceClient.fromConnectionString(
                 simulator.getConnectionString(),
                 ClientOptions.builder().timeout(Duration.ofSeconds(5)).maxRetries(0).build());
             HubClient chat = service.hub("chat")) {
            chat.sendToUserBlocking("alice", "newMessage", "[{\"author\":\"bob\",\"text\":\"hello\"}]");
            chat.addUserToGroupBlocking("room-1", "alice", Duration.ofHours(1));
            if (chat.userInGroupBlocking("room-1", "alice")) {
                chat.sendToGroupAsync("room-1", "joined", "[\"alice\"]").get(5, TimeUnit.SECONDS);
            }
            try {
                chat.removeConnectionFromGroupBlocking("room-2", alice.getConnectionId());
            } catch (SignalRException.NotFound e) {
                notFoundCode = e.getErrorCode();   // the service's x-ms-error-code
            }
            NegotiateResponse answer = service.negotiateBlocking("chat", "alice");

            List<ReceivedMessage> received = alice.received();
            assertEquals("newMessage", received.get(0).getTarget());
            assertEquals("[{\"author\":\"bob\",\"text\":\"hello\"}]", received.get(0).getArgumentsJson());
            assertEquals("joined", received.get(1).getTarget());
            assertEquals(simulator.getUrl() + "/client/?hub=chat", answer.getUrl());
            assertEquals("Warning.Connection.NotInGroup", notFoundCode);
        }
    }

    @Test
    void sendsTakeJsonTextOrJsonElements() {
        VirtualClient alice = simulator.connect("chat", "alice");
        VirtualClient bob = simulator.connect("chat");

        chat.sendToAllBlocking("news", "[1, \"two\"]", List.of(bob.getConnectionId()));
        chat.sendToConnectionBlocking(bob.getConnectionId(), "direct", List.of(JsonElementKt.JsonPrimitive("hi")));

        assertEquals("[1,\"two\"]", alice.waitForBlocking("news").getArgumentsJson().replace(" ", ""));
        assertEquals("[\"hi\"]", bob.waitForBlocking("direct", Duration.ofSeconds(5)).getArgumentsJson());
        assertEquals(List.of("direct"), bob.received().stream().map(ReceivedMessage::getTarget).toList());
    }

    @Test
    void existsChecksAnswerTrueOrFalse() {
        VirtualClient alice = simulator.connect("chat", "alice");

        assertTrue(chat.connectionExistsBlocking(alice.getConnectionId()));
        assertTrue(chat.userExistsBlocking("alice"));
        assertFalse(chat.userExistsBlocking("nobody"));
        assertFalse(chat.groupExistsBlocking("room"));
        alice.disconnect();
        assertFalse(chat.connectionExistsBlocking(alice.getConnectionId()));
    }

    @Test
    void groupMembershipFollowsConnectionsAndUserMappings() {
        VirtualClient alice = simulator.connect("chat", "alice");
        VirtualClient bob = simulator.connect("chat", "bob");

        chat.addConnectionToGroupBlocking("room", bob.getConnectionId());
        chat.addUserToGroupBlocking("room", "alice", Duration.ofMinutes(1));
        assertTrue(chat.groupExistsBlocking("room"));
        assertTrue(chat.userInGroupBlocking("room", "alice"));
        chat.sendToGroupBlocking("room", "hello", "[]", List.of(bob.getConnectionId()));
        assertEquals("hello", alice.waitForBlocking("hello").getTarget());
        assertTrue(bob.received().isEmpty());

        simulator.advanceClock(Duration.ofMinutes(2));
        assertFalse(chat.userInGroupBlocking("room", "alice"));
        chat.removeConnectionFromGroupBlocking("room", bob.getConnectionId());
        chat.removeConnectionFromGroupBlocking("room", alice.getConnectionId());
        assertFalse(chat.groupExistsBlocking("room"));
    }

    @Test
    void operationsOf2022CloseConnectionsAndGenerateTokens() {
        VirtualClient alice = simulator.connect("chat", "alice");
        VirtualClient bob = simulator.connect("chat", "bob");

        chat.closeAllConnectionsBlocking(List.of(bob.getConnectionId()), "maintenance");
        assertTrue(alice.isClosed());
        assertEquals("maintenance", alice.getCloseReason());
        assertFalse(bob.isClosed());

        String token = chat.generateClientTokenBlocking("bob", Duration.ofMinutes(5));
        assertEquals(3, token.split("\\.").length);
        NegotiateResponse answer = service.negotiateWithServiceBlocking("chat", "bob");
        assertEquals(simulator.getUrl() + "/client/?hub=chat", answer.getUrl());
    }

    @Test
    void aClientSpeaking2022UsesTheSameCalls() {
        ClientOptions options = ClientOptions.builder().apiVersion(ApiVersion.parse("2022-06-01")).build();
        try (ServiceClient service2022 = ServiceClient.fromConnectionString(simulator.getConnectionString(), options);
             HubClient chat2022 = service2022.hub("chat")) {
            VirtualClient alice = simulator.connect("chat", "alice");
            assertEquals(ApiVersion.V2022_06_01, service2022.getApiVersion());
            chat2022.sendToUserBlocking("alice", "ping");
            assertEquals("ping", alice.waitForBlocking("ping").getTarget());
            service2022.healthBlocking();
        }
    }

    @Test
    void futuresCompleteWithTheResultAndCompose() throws Exception {
        VirtualClient alice = simulator.connect("chat", "alice");

        CompletableFuture<Boolean> sentThenChecked = chat.sendToAllAsync("news", "[\"a\"]")
            .thenCompose(ignored -> chat.connectionExistsAsync(alice.getConnectionId()));
        assertTrue(sentThenChecked.get(5, TimeUnit.SECONDS));
        assertEquals("news", alice.waitForAsync("news").get(5, TimeUnit.SECONDS).getTarget());
        assertFalse(chat.userInGroupAsync("room", "alice").join());
        assertEquals(3, chat.generateClientTokenAsync("alice").join().split("\\.").length);
        service.healthAsync().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aFailedFutureCarriesTheTypedException() {
        VirtualClient alice = simulator.connect("chat");

        ExecutionException failure = assertThrows(ExecutionException.class,
            () -> chat.removeConnectionFromGroupAsync("room", alice.getConnectionId()).get(5, TimeUnit.SECONDS));
        SignalRException.NotFound notFound = assertInstanceOf(SignalRException.NotFound.class, failure.getCause());
        assertEquals("not_found", notFound.getKind());
    }

    @Test
    void blockingCallsThrowTheTypedException() {
        VirtualClient alice = simulator.connect("chat");

        SignalRException.NotFound notFound = assertThrows(SignalRException.NotFound.class,
            () -> chat.removeConnectionFromGroupBlocking("room", alice.getConnectionId()));
        assertFalse(notFound.getErrorCode().isEmpty());
        SignalRException.InvalidArgument badJson = assertThrows(SignalRException.InvalidArgument.class,
            () -> chat.sendToAllBlocking("news", "{\"not\":\"an array\"}"));
        assertEquals("arguments", badJson.getField());
        SignalRException.InvalidArgument badHub = assertThrows(SignalRException.InvalidArgument.class,
            () -> service.hub("1abc"));
        assertEquals("hub", badHub.getField());
    }

    @Test
    void aBlockingTokenProviderSignsEachRequest() {
        VirtualClient alice = simulator.connect("chat", "alice");
        TokenProvider backend = TokenProvider.fromBlocking(audience -> simulator.accessToken(audience, Duration.ofMinutes(5)));
        try (ServiceClient app = ServiceClient.withTokenProvider(simulator.getUrl(), backend)) {
            app.hub("chat").sendToUserBlocking("alice", "hello", "[]");
        }
        assertEquals("hello", alice.waitForBlocking("hello").getTarget());
    }

    @Test
    void aFailingFutureTokenProviderIsUnauthorizedWithoutStatus() {
        TokenProvider backend = TokenProvider.fromFuture(
            audience -> CompletableFuture.failedFuture(new IllegalStateException("backend said no")));
        try (ServiceClient app = ServiceClient.withTokenProvider(simulator.getUrl(), backend)) {
            SignalRException.Unauthorized refused = assertThrows(SignalRException.Unauthorized.class,
                () -> app.hub("chat").sendToAllBlocking("news"));
            assertEquals(null, refused.getStatus());
            assertTrue(refused.getMessage().contains("backend said no"), refused.getMessage());
        }
    }

    @Test
    void negativeDurationsAreRefusedNamingTheOption() {
        SignalRException.InvalidArgument refused = assertThrows(SignalRException.InvalidArgument.class,
            () -> chat.addUserToGroupBlocking("room", "alice", Duration.ofSeconds(-1)));
        assertEquals("ttl", refused.getField());
    }

    @Test
    void upstreamRequestsAreReadAndAnsweredWithoutKotlin() {
        // tests/vectors/upstream.json: the emulator's fixed key signing connection conn-1
        String key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
        Map<String, List<String>> headers = Map.of(
            "X-ASRS-Connection-Id", List.of("conn-1"), "X-ASRS-Hub", List.of("chat"),
            "X-ASRS-Category", List.of("messages"), "X-ASRS-Event", List.of("add"),
            "X-ASRS-Signature", List.of("sha256=261F7F58FF9FB9BB8BE7E4951A807FE6091E5C074885BF63B865ECCD28728881"));
        byte[] body = "{\"type\":1,\"invocationId\":\"1\",\"target\":\"add\",\"arguments\":[2,3]}".getBytes(UTF_8);
        UpstreamEvent event = Upstream.parseRequestMultiValued(headers, body, List.of(key));
        UpstreamEvent.Invocation call = assertInstanceOf(UpstreamEvent.Invocation.class, event);
        assertEquals("[2,3]", call.getArgumentsJson());
        byte[] answer = Upstream.completionBodyJson(call.getProtocol(), call.getInvocationId(), "5");
        assertEquals("{\"type\":3,\"invocationId\":\"1\",\"result\":5}\u001e", new String(answer, UTF_8));
        assertEquals("application/json", HubProtocol.JSON.getContentType());
        assertThrows(SignalRException.Unauthorized.class, () -> Upstream.parseRequestMultiValued(headers, body, List.of("other")));

        SimulatorOptions options = SimulatorOptions.builder()
            .upstream("http://127.0.0.1:1/{hub};category=connections")
            .upstreamTimeout(Duration.ofSeconds(1))
            .secondaryAccessKey("second-key")
            .build();
        try (Simulator withUpstream = Simulator.startBlocking(options)) {
            assertEquals(List.of(), withUpstream.upstreamCalls());
        }
    }
    @Test
    void faultInjectionFromJava() {
        SimulatorOptions options = SimulatorOptions.builder().fault("500;route=send;times=1").faultSeed(7L).build();
        try (Simulator faulty = Simulator.startBlocking(options);
                ServiceClient client = ServiceClient.fromConnectionString(
                    faulty.getConnectionString(), ClientOptions.builder().maxRetries(0).build())) {
            VirtualClient a = faulty.connect("chat");
            assertThrows(SignalRException.ServiceError.class, () -> client.hub("chat").sendToAllBlocking("t", "[]", List.of()));
            assertEquals("500;route=send;times=1", faulty.injectedFaults().get(0).getFault());
            String id = faulty.addFault("delay=10ms;hub=chat");
            assertEquals(id, faulty.faults().get(0).getId());
            assertTrue(faulty.removeFault(id));
            faulty.clearFaults();
            assertEquals(List.of(), faulty.pauseClients("chat", Duration.ofMillis(10)));
            SignalRException.InvalidArgument negative = assertThrows(
                SignalRException.InvalidArgument.class, () -> faulty.pauseClients("chat", Duration.ofSeconds(-1)));
            assertEquals("duration", negative.getField());
            assertEquals(List.of(a.getConnectionId()), faulty.dropClients("chat"));
            assertTrue(a.isClosed());
            assertEquals(List.of(), faulty.dropClients("chat", null, false));
        }
    }
}
