// Snippets of kotlin/README.md, each word for word in a function that gives it the names it uses
// (scripts/lib/readme_blocks.py checks them). ReadmeExamplesTest runs the ones that need no network
// beyond the simulator; the others are compiled.
package dev.signalrrest.readme

import com.sun.net.httpserver.HttpServer
import dev.signalrrest.ServiceClient
import dev.signalrrest.Simulator
import dev.signalrrest.TokenProvider
import dev.signalrrest.Upstream
import dev.signalrrest.UpstreamEvent
import kotlin.time.Duration.Companion.hours
import kotlinx.serialization.json.JsonPrimitive

/** Your app's authenticated calls to its backend. */
interface Backend {
    suspend fun signalrToken(audience: String): String
}

/** "Mobile apps: a token provider instead of the access key". */
suspend fun mobileTokenProvider(backend: Backend) {
    val client = ServiceClient.withTokenProvider(
        "https://example.service.signalr.net",
        TokenProvider { audience -> backend.signalrToken(audience) },  // your authenticated call
    )
    client.hub("chat").sendToUser("bob", "newMessage", listOf(JsonPrimitive("hi")))
}

/** "Serverless apps (upstream)". */
fun upstreamEndpoint(server: HttpServer, primaryKey: String) {
    server.createContext("/upstream/") { exchange ->
        val event = Upstream.parseRequest(exchange.requestHeaders, exchange.requestBody.readAllBytes(), listOf(primaryKey))
        val call = event as? UpstreamEvent.Invocation
        val answer = call?.invocationId?.let { id ->
            exchange.responseHeaders.add("Content-Type", call.protocol.contentType)
            Upstream.completionBody(call.protocol, id, JsonPrimitive("ok"))   // what the caller's invoke returns
        } ?: ByteArray(0)
        exchange.sendResponseHeaders(200, if (answer.isEmpty()) -1 else answer.size.toLong())
        exchange.responseBody.use { it.write(answer) }
    }
}

/** "Tests with the simulator". */
suspend fun simulatorExample() {
    Simulator.start().use { simulator ->
        val alice = simulator.connect("chat", userId = "alice")
        ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
            service.hub("chat").sendToUser("alice", "hello")
        }
        check(alice.received().single().target == "hello")
        simulator.groups("chat"); simulator.userGroups("chat"); simulator.advanceClock(1.hours)
    }
}
