package notifier

import dev.signalrrest.ServiceClient
import io.ktor.http.ContentType
import io.ktor.http.HttpStatusCode
import io.ktor.server.application.Application
import io.ktor.server.engine.embeddedServer
import io.ktor.server.netty.Netty
import io.ktor.server.request.receiveText
import io.ktor.server.response.respond
import io.ktor.server.response.respondText
import io.ktor.server.routing.post
import io.ktor.server.routing.routing
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put

const val HUB = "alerts"

/** The app's routes: a negotiate endpoint for SignalR clients, and a notify endpoint that sends
 *  the request body to one user's clients as `notify(text)` through the REST API. */
fun Application.notifier(service: ServiceClient) {
    val alerts = service.hub(HUB)
    routing {
        // SignalR clients built withUrl("http://host/alerts") POST here first; the user id
        // comes from a header here, from the app's own authentication in a real app.
        post("/alerts/negotiate") {
            val answer = service.negotiate(HUB, userId = call.request.headers["x-user-id"])
            val body = buildJsonObject {
                put("url", answer.url)
                put("accessToken", answer.accessToken)
            }
            call.respondText(body.toString(), ContentType.Application.Json)
        }
        // POST /notify/alice with a text body: alice's clients receive notify("...").
        post("/notify/{user}") {
            val user = call.parameters["user"]!!
            val text = call.receiveText()
            if (text.isBlank()) return@post call.respond(HttpStatusCode.BadRequest, "empty text")
            alerts.sendToUser(user, "notify", listOf(JsonPrimitive(text)))
            call.respond(HttpStatusCode.Accepted)
        }
    }
}

fun main() {
    val service = ServiceClient.fromConnectionString(System.getenv("AZURE_SIGNALR_CONNECTION_STRING"))
    val port = System.getenv("PORT")?.toInt() ?: 8080
    embeddedServer(Netty, port = port, host = "127.0.0.1") { notifier(service) }.start(wait = true)
}
