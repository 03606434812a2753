package dev.signalrrest.examples

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpHandler
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonPrimitive
import dev.signalrrest.ServiceClient
import dev.signalrrest.SignalRException
import dev.signalrrest.Upstream
import dev.signalrrest.UpstreamEvent

/**
 * A serverless chat app on the JDK's own HTTP server, the upstream of a hub in serverless mode.
 * Clients call the hub method `broadcast(text)`; the service POSTs each call here, the app sends
 * `newMessage(user, text)` to everyone through the REST API ([service]) and answers the call with
 * the number of messages broadcast so far, which the caller's `invoke` returns. Connected and
 * disconnected events are only recorded in [events].
 *
 * Mount it at the path of the upstream template, e.g.
 * `server.createContext("/upstream/", ServerlessChat(service, listOf(primaryKey, secondaryKey)))`
 * for the template `http://host:port/upstream/{hub}/{category}/{event}`.
 */
class ServerlessChat(
    private val service: ServiceClient,
    /** The service's access keys: a request signed with none of them is refused with 401. */
    private val accessKeys: List<String>,
) : HttpHandler {
    private val broadcasts = AtomicInteger()

    /** Every verified request, in the order it arrived. */
    val events: MutableList<UpstreamEvent> = CopyOnWriteArrayList()

    /** Verifies and reads the request, then answers it: 401 unsigned, 400 malformed, else 200. */
    override fun handle(exchange: HttpExchange) = exchange.use {
        val event = try {
            Upstream.parseRequest(exchange.requestHeaders, exchange.requestBody.readAllBytes(), accessKeys)
        } catch (e: SignalRException.Unauthorized) {
            return@use exchange.sendResponseHeaders(401, -1)
        } catch (e: SignalRException.InvalidArgument) {
            return@use exchange.sendResponseHeaders(400, -1)
        }
        events += event
        val call = event as? UpstreamEvent.Invocation
        val answer = call?.let(::invoke)
        if (call == null || answer == null) {
            // -1: `Content-Length: 0`; a send (no invocation id) waits for no completion
            exchange.sendResponseHeaders(200, -1)
        } else {
            exchange.responseHeaders.add("Content-Type", call.protocol.contentType)
            exchange.sendResponseHeaders(200, answer.size.toLong())
            exchange.responseBody.write(answer)
        }
    }

    /** Runs hub method [call] and returns its completion, or null for a send. */
    private fun invoke(call: UpstreamEvent.Invocation): ByteArray? {
        val id = call.invocationId
        if (call.target != "broadcast" || call.arguments.size != 1) {
            return id?.let { Upstream.completionBody(call.protocol, it, error = "no hub method ${call.target}(${call.arguments.size} arguments)") }
        }
        val user = call.userId ?: call.connectionId
        service.hub(call.hub).use { hub ->
            hub.sendToAllBlocking("newMessage", listOf(JsonPrimitive(user), JsonPrimitive(call.arguments[0].jsonPrimitive.content)))
        }
        val count = broadcasts.incrementAndGet()
        return id?.let { Upstream.completionBody(call.protocol, it, JsonPrimitive(count)) }
    }
}
