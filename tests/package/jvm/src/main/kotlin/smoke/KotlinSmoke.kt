package smoke

import dev.signalrrest.ServiceClient
import dev.signalrrest.Simulator
import dev.signalrrest.SignalRRest
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonPrimitive

/** Starts a simulator, sends to a virtual client through the REST client, checks it arrived. */
fun main() = runBlocking {
    check(!onPath("cargo") && !onPath("rustc")) { "cargo or rustc is on PATH" }
    Simulator.start().use { simulator ->
        val alice = simulator.connect("chat", userId = "alice")
        ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
            service.hub("chat").sendToUser("alice", "newMessage", listOf(JsonPrimitive("hello")))
        }
        val received = alice.received().single()
        check(received.target == "newMessage" && received.argumentsJson == "[\"hello\"]") { "received $received" }
    }
    // The library came from the installed jar, not from a build directory.
    val jar = ServiceClient::class.java.protectionDomain.codeSource.location.path
    check(jar.endsWith("/dev/signalrrest/signalr-rest/0.1.0/signalr-rest-0.1.0.jar")) { "loaded from $jar" }
    println("kotlin smoke ok: signalr-rest ${SignalRRest.VERSION} from $jar")
}

fun onPath(tool: String) = System.getenv("PATH").split(':').any { java.io.File(it, tool).canExecute() }
