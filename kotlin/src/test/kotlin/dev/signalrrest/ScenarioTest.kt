package dev.signalrrest

import java.io.File
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import kotlinx.serialization.json.longOrNull
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.seconds
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/** Replays every shared scenario in tests/scenarios (format: tests/scenarios/README.md). */
class ScenarioTest {
    @TestFactory
    fun everySharedScenario(): List<DynamicTest> {
        val dir = File(System.getProperty("scenarios.dir"))
        val files = dir.listFiles { f -> f.extension == "json" }.orEmpty().sortedBy { it.name }
        assertTrue(files.isNotEmpty(), "no scenarios in $dir")
        return files.map { file -> DynamicTest.dynamicTest(file.nameWithoutExtension) { replay(file) } }
    }

    private fun replay(file: File) = runBlocking<Unit> {
        val scenario = Json.parseToJsonElement(file.readText()).jsonObject
        Simulator.start().use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                val run = Run(simulator, service)
                for (step in scenario.getValue("steps").jsonArray) run.step(step.jsonObject)
            }
        }
    }

    private class Run(val simulator: Simulator, val service: ServiceClient) {
        val clients = mutableMapOf<String, VirtualClient>()

        /** A connection id, or the id of client `name` for `"$name"`. */
        fun id(value: JsonElement): String {
            val text = value.jsonPrimitive.content
            return if (text.startsWith("$")) clients.getValue(text.drop(1)).connectionId else text
        }

        suspend fun step(step: JsonObject) {
            val kind = step.keys.first { it in STEP_KINDS }
            val name = step.getValue(kind).jsonPrimitive.content
            when (kind) {
                "connect" -> clients[name] = simulator.connect(step.text("hub")!!, step.text("user"))
                "disconnect" -> clients.getValue(name).disconnect()
                "call" -> assertEquals(step["expect"], outcome(step), "$step")
                "received" -> {
                    val received = clients.getValue(name).received().map {
                        buildJsonObject {
                            put("target", JsonPrimitive(it.target))
                            put("arguments", it.arguments)
                        }
                    }
                    assertEquals(step["messages"], JsonArray(received), "$step")
                }
                "closed" -> {
                    val client = clients.getValue(name)
                    assertTrue(client.isClosed, "$step")
                    assertEquals(step["reason"], client.closeReason?.let(::JsonPrimitive) ?: JsonNull, "$step")
                }
                "advance_clock" -> simulator.advanceClock(step.getValue(kind).jsonPrimitive.long.seconds)
                "groups" -> {
                    val actual = simulator.groups(name).associate { it.name to it.connectionIds.toSet() }
                    val expected = step.getValue("expect").jsonObject.mapValues { (_, ids) ->
                        ids.jsonArray.map(::id).toSet()
                    }
                    assertEquals(expected, actual, "$step")
                }
            }
        }

        /** The call's result as the scenario writes it: "ok", a boolean, or {"error": kind}. */
        suspend fun outcome(step: JsonObject): JsonElement =
            try {
                call(service.hub(step.text("hub")!!), step)
            } catch (e: SignalRException) {
                buildJsonObject { put("error", JsonPrimitive(e.kind)) }
            }

        suspend fun call(hub: HubClient, step: JsonObject): JsonElement {
            val arguments = step["arguments"]?.jsonArray.orEmpty()
            val excluded = step["excluded"]?.jsonArray?.map(::id).orEmpty()
            val target = step.text("target").orEmpty()
            val user by lazy { step.text("user")!! }
            val group by lazy { step.text("group")!! }
            val connection by lazy { id(step.getValue("connection")) }
            val ok = JsonPrimitive("ok")
            return when (val operation = step.text("call")) {
                "send_to_all" -> ok.also { hub.sendToAll(target, arguments, excluded) }
                "send_to_user" -> ok.also { hub.sendToUser(user, target, arguments) }
                "send_to_connection" -> ok.also { hub.sendToConnection(connection, target, arguments) }
                "send_to_group" -> ok.also { hub.sendToGroup(group, target, arguments, excluded) }
                "connection_exists" -> JsonPrimitive(hub.connectionExists(connection))
                "close_connection" -> ok.also { hub.closeConnection(connection, step.text("reason")) }
                "group_exists" -> JsonPrimitive(hub.groupExists(group))
                "user_exists" -> JsonPrimitive(hub.userExists(user))
                "add_connection_to_group" -> ok.also { hub.addConnectionToGroup(group, connection) }
                "remove_connection_from_group" -> ok.also { hub.removeConnectionFromGroup(group, connection) }
                "user_in_group" -> JsonPrimitive(hub.userInGroup(group, user))
                "add_user_to_group" -> ok.also {
                    hub.addUserToGroup(group, user, step["ttl"]?.jsonPrimitive?.longOrNull?.seconds)
                }
                "remove_user_from_group" -> ok.also { hub.removeUserFromGroup(group, user) }
                "remove_user_from_all_groups" -> ok.also { hub.removeUserFromAllGroups(user) }
                else -> error("unknown operation $operation in $step")
            }
        }

        private fun JsonObject.text(key: String): String? = (this[key] as? JsonPrimitive)?.takeIf { it.isString }?.content

        companion object {
            val STEP_KINDS = setOf("connect", "disconnect", "call", "received", "closed", "advance_clock", "groups")
        }
    }
}
