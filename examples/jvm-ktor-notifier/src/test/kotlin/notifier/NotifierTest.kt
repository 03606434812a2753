package notifier

import dev.signalrrest.ServiceClient
import dev.signalrrest.Simulator
import io.ktor.server.engine.embeddedServer
import io.ktor.server.netty.Netty
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The app on a free loopback port in front of the package's Simulator, with an in-process
 *  virtual SignalR client connected as alice. */
class NotifierTest {
    private val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

    // On an IO thread: the test's runBlocking thread must stay free for the coroutines it runs.
    private suspend fun post(url: String, body: String = "", vararg headers: String): HttpResponse<String> =
        withContext(Dispatchers.IO) { send(url, body, *headers) }

    private fun send(url: String, body: String, vararg headers: String): HttpResponse<String> {
        val request = HttpRequest.newBuilder(URI(url)).timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body))
        if (headers.isNotEmpty()) request.headers(*headers)
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString())
    }

    @Test
    fun `a POST to notify reaches the user's client, and negotiate sends clients to the service`() = runBlocking {
        Simulator.start().use { simulator ->
            val alice = simulator.connect(HUB, userId = "alice")
            val bob = simulator.connect(HUB, userId = "bob")
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                val server = embeddedServer(Netty, port = 0, host = "127.0.0.1") { notifier(service) }.start()
                try {
                    val app = "http://127.0.0.1:${server.engine.resolvedConnectors().first().port}"

                    assertEquals(202, post("$app/notify/alice", "the build is green").statusCode())
                    val received = alice.received().single()
                    assertEquals("notify", received.target)
                    assertEquals("[\"the build is green\"]", received.argumentsJson)
                    assertTrue(bob.received().isEmpty(), "bob got alice's notification")

                    assertEquals(400, post("$app/notify/alice", " ").statusCode())
                    assertEquals(1, alice.received().size)

                    val negotiate = post("$app/alerts/negotiate", "", "x-user-id", "carol")
                    assertEquals(200, negotiate.statusCode())
                    val answer = Json.parseToJsonElement(negotiate.body()).jsonObject
                    assertEquals("${simulator.url}/client/?hub=$HUB", answer["url"]!!.jsonPrimitive.content)
                    assertTrue(answer["accessToken"]!!.jsonPrimitive.content.isNotEmpty())
                } finally {
                    server.stop(100, 2000)
                }
            }
        }
    }
}
