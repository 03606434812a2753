package dev.signalrrest.examples

import com.microsoft.signalr.Action2
import com.microsoft.signalr.HubConnection
import com.microsoft.signalr.HubConnectionBuilder
import com.sun.net.httpserver.HttpServer
import io.reactivex.rxjava3.core.Single
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlin.test.fail
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.runBlocking
import dev.signalrrest.ServiceClient
import dev.signalrrest.Simulator
import dev.signalrrest.SimulatorOptions
import dev.signalrrest.UpstreamCall
import dev.signalrrest.UpstreamEvent
import org.junit.jupiter.api.Test

/**
 * [ServerlessChat] end to end: a simulator whose upstream is the app, two real Java SignalR
 * clients (com.microsoft.signalr); one invokes `broadcast`, both receive `newMessage` and the
 * invoker gets the app's return value. The app verifies with the secondary key only, so the
 * simulator signs with both.
 */
class ServerlessChatTest {
    @Test
    fun `a Java client broadcasts through the upstream app and gets its answer`() = runBlocking<Unit> {
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        val app = "http://127.0.0.1:${server.address.port}/upstream"
        val options = SimulatorOptions(
            upstreams = listOf("$app/{hub}/{category}/{event};hub=chat"),
            upstreamTimeout = 10.seconds,
            secondaryAccessKey = SECONDARY,
        )
        Simulator.start(options).use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                val chat = ServerlessChat(service, listOf(SECONDARY))
                server.createContext("/upstream/", chat)
                server.start()
                try {
                    val alice = client(service, "alice")
                    val bob = client(service, "bob")
                    val bobGot = CompletableFuture<Pair<String, String>>()
                    bob.on("newMessage", Action2<String, String> { user, text -> bobGot.complete(user to text) }, String::class.java, String::class.java)
                    alice.start().blockingAwait(10, TimeUnit.SECONDS)
                    bob.start().blockingAwait(10, TimeUnit.SECONDS)

                    assertEquals(1, alice.call("broadcast", "hello"))
                    assertEquals("alice" to "hello", bobGot.get(10, TimeUnit.SECONDS))
                    assertEquals(2, bob.call("broadcast", "hi"))
                    val unknown = runCatching { alice.call("shout", "x") }.exceptionOrNull()
                    assertTrue("no hub method shout" in unknown?.message.orEmpty(), "the app's error reaches the client: $unknown")

                    val aliceId = alice.connectionId
                    alice.stop().blockingAwait(10, TimeUnit.SECONDS)
                    bob.stop().blockingAwait(10, TimeUnit.SECONDS)
                    eventually { chat.events.count { it is UpstreamEvent.Disconnected } == 2 }

                    val aliceEvents = chat.events.filter { it.connectionId == aliceId }
                    assertEquals(
                        listOf("Connected", "Invocation", "Invocation", "Disconnected"),
                        aliceEvents.map { it::class.simpleName },
                    )
                    val connected = aliceEvents.first()
                    assertEquals("chat", connected.hub)
                    assertEquals("alice", connected.userId)
                    assertEquals("alice", connected.claims["nameid"])
                    assertEquals("chat", connected.query["hub"])
                    val broadcast = aliceEvents[1] as UpstreamEvent.Invocation
                    assertEquals("broadcast", broadcast.target)
                    assertEquals("""["hello"]""", broadcast.argumentsJson)
                    assertEquals(
                        UpstreamCall(aliceId, "chat", "messages", "broadcast", "$app/chat/messages/broadcast", 200, null),
                        simulator.upstreamCalls().first { it.connectionId == aliceId && it.event == "broadcast" },
                    )

                    // a request the service did not sign is refused
                    val forged = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI("$app/chat/connections/connected"))
                            .header("X-ASRS-Connection-Id", aliceId).header("X-ASRS-Hub", "chat")
                            .header("X-ASRS-Category", "connections").header("X-ASRS-Event", "connected")
                            .header("X-ASRS-Signature", "sha256=00").POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.discarding(),
                    )
                    assertEquals(401, forged.statusCode())
                } finally {
                    server.stop(0)
                }
            }
        }
    }

    /** A Java SignalR client of hub `chat` as [user], with the token the app's negotiate would give. */
    private fun client(service: ServiceClient, user: String): HubConnection {
        val negotiated = service.negotiate("chat", user)
        return HubConnectionBuilder.create(negotiated.url)
            .withAccessTokenProvider(Single.just(negotiated.accessToken))
            .build()
    }

    /** Invokes hub method [method], waiting for its Int result. */
    private fun HubConnection.call(method: String, vararg arguments: Any): Int =
        invoke<Int>(Int::class.javaObjectType, method, *arguments).blockingGet()

    private fun eventually(condition: () -> Boolean) {
        val deadline = System.nanoTime() + 10_000_000_000
        while (!condition()) {
            if (System.nanoTime() > deadline) fail("not within 10 s")
            Thread.sleep(20)
        }
    }

    private companion object {
        const val SECONDARY = "secondary-key-for-rotation"
    }
}
