package dev.signalrrest

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.Serializable
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonArray
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.decodeFromJsonElement
import kotlinx.serialization.json.encodeToJsonElement
import kotlin.test.assertEquals
import org.junit.jupiter.api.Test

class ArgumentsTest {
    @Serializable
    data class ChatMessage(val author: String, val text: String, val tags: List<String>)

    @Test
    fun `Serializable values arrive as the same JSON and decode back`() = runBlocking<Unit> {
        withChat { hub, client ->
            val sent = ChatMessage("bob", "héllo 🙂", listOf("a", "b"))
            hub.sendToConnection(client.connectionId, "newMessage", listOf(Json.encodeToJsonElement(sent)))
            val received = client.received().single()
            assertEquals("newMessage", received.target)
            assertEquals(sent, Json.decodeFromJsonElement<ChatMessage>(received.arguments[0]))
        }
    }

    @Test
    fun `JSON values of every kind keep their shape`() = runBlocking<Unit> {
        withChat { hub, client ->
            val arguments = listOf(
                JsonPrimitive(1.5),
                JsonPrimitive(9007199254740993L),
                JsonPrimitive(true),
                JsonNull,
                JsonPrimitive("\"quoted\"\n"),
                buildJsonArray { add(JsonPrimitive(1)); add(buildJsonObject { put("k", JsonNull) }) },
            )
            hub.sendToAll("kinds", arguments)
            assertEquals(arguments, client.received().single().arguments)
        }
    }

    @Test
    fun `no arguments is an empty list`() = runBlocking<Unit> {
        withChat { hub, client ->
            hub.sendToAll("ping")
            assertEquals(0, client.waitFor("ping").arguments.size)
        }
    }

    private suspend fun withChat(body: suspend (HubClient, VirtualClient) -> Unit) =
        Simulator.start().use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                simulator.connect("chat").use { client -> body(service.hub("chat"), client) }
            }
        }
}
