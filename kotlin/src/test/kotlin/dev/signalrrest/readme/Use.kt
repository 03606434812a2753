// kotlin/README.md's "Use" example, word for word below the package line (scripts/lib/readme_blocks.py
// checks it); ExitTest runs it as a program against a simulator, in AZURE_SIGNALR_CONNECTION_STRING.
package dev.signalrrest.readme

import dev.signalrrest.ServiceClient
import kotlin.time.Duration.Companion.hours
import kotlinx.serialization.Serializable
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.encodeToJsonElement

@Serializable data class Chat(val author: String, val text: String)

suspend fun main() {
    ServiceClient.fromConnectionString(System.getenv("AZURE_SIGNALR_CONNECTION_STRING")).use { service ->
        val chat = service.hub("chat")
        chat.sendToAll("newMessage", listOf(Json.encodeToJsonElement(Chat("bob", "hello"))))
        chat.sendToUser("alice", "ping")
        chat.addUserToGroup("room-1", "alice", ttl = 1.hours)
        if (chat.userInGroup("room-1", "alice")) chat.sendToGroup("room-1", "joined", listOf(JsonPrimitive("alice")))

        // What your /negotiate endpoint returns to a SignalR client:
        val answer = service.negotiate("chat", userId = "alice")   // answer.url, answer.accessToken
    }
}
