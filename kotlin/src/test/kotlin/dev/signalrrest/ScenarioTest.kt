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
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlin.test.fail
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory

/**
 * Replays every shared scenario in tests/scenarios (format: its README.md), one test per file and
 * REST API version it runs under (v1 and 2022-06-01 unless it pins one), the version in the
 * test's name; the format is checked strictly first ([ScenarioFormat]).
 */
class ScenarioTest {
    private val dir = File(System.getProperty("scenarios.dir"))

    @TestFactory
    fun everySharedScenario(): List<DynamicTest> {
        // surface.json beside the scenarios is the surface manifest, not a scenario.
        val files = dir.listFiles { f -> f.extension == "json" && f.name != "surface.json" }.orEmpty().sortedBy { it.name }
        assertTrue(files.size >= 26, "too few scenarios in $dir")
        val runs = files.flatMap { file -> scenarioApiVersions(file.readText()).map { file to it } }
        for (version in ScenarioFormat.API_VERSIONS) {
            val count = runs.count { it.second == version }
            assertTrue(count >= files.size - 1, "only $count scenarios run under $version")
        }
        return runs.map { (file, version) ->
            DynamicTest.dynamicTest("${file.nameWithoutExtension} (API $version)") { replay(file, version) }
        }
    }

    @Test
    fun malformedScenariosAreRefusedNamingTheFileStepAndField() {
        val cases = Json.parseToJsonElement(File(dir, "malformed/cases.json").readText()).jsonArray
        assertTrue(cases.size >= 10)
        cases.forEachIndexed { i, case ->
            val label = "cases.json[$i]"
            val expected = "$label: ${case.jsonObject.getValue("error").jsonPrimitive.content}"
            val refusal = runCatching { ScenarioFormat.parse(label, case.jsonObject.getValue("scenario").toString()) }
            val error = refusal.exceptionOrNull() ?: fail("$label was accepted; expected $expected")
            assertTrue(error is ScenarioException, "$label: $error")
            assertEquals(expected, error.message)
        }
    }

    @Test
    fun theFaultStepsAndClientRetriesAreCheckedStrictly() {
        val cases = listOf(
            """{"name":"n","client":{"retries":-1},"steps":[]}""" to """client: field "retries" must be a non-negative integer""",
            """{"name":"n","client":{"retries":1.0},"steps":[]}""" to """client: field "retries" must be a non-negative integer""",
            """{"name":"n","steps":[{"drop_clients":"chat"}]}""" to """steps[0]: missing field "close"""",
            """{"name":"n","steps":[{"drop_clients":"chat","close":"yes"}]}""" to """steps[0]: field "close" must be a boolean""",
            """{"name":"n","steps":[{"drop_clients":"chat","close":true,"connection":5}]}""" to """steps[0]: field "connection" must be a string""",
            """{"name":"n","steps":[{"fault":"503","expect":"ok"}]}""" to """steps[0]: field "expect" must be {"error": kind}""",
            """{"name":"n","steps":[{"fault":"503","hub":"chat"}]}""" to """steps[0]: unknown field "hub"""",
            """{"name":"n","steps":[{"clear_faults":false}]}""" to """steps[0]: field "clear_faults" must be true""",
            """{"name":"n","steps":[{"injected":[1]}]}""" to """steps[0]: field "injected" must be an array of strings""",
        )
        for ((text, expected) in cases) {
            val error = runCatching { ScenarioFormat.parse("f.json", text) }.exceptionOrNull()
            assertTrue(error is ScenarioException, "$text: $error")
            assertEquals("f.json: $expected", error.message)
        }
        ScenarioFormat.parse("f.json", """{"name":"n","client":{"retries":2},"steps":[{"drop_clients":"c","close":false}]}""")
    }

    private fun replay(file: File, version: String) = runBlocking<Unit> {
        val scenario = ScenarioFormat.parse(file.name, file.readText())
        val client = scenario["client"]?.jsonObject ?: JsonObject(emptyMap())
        fun setting(name: String) = (client[name] as? JsonPrimitive)?.content
        Simulator.start().use { simulator ->
            ScenarioEndpoint(client, simulator.url).use { endpoint ->
                val key = setting("access_key") ?: simulator.accessKey
                val options = ClientOptions(
                    timeout = setting("timeout_ms")?.toLong()?.milliseconds,
                    // No retries unless asked: an intermittent 5xx must fail the scenario, not be retried away.
                    maxRetries = setting("retries")?.toInt() ?: 0,
                    applicationName = setting("application"),
                    apiVersion = CLIENT_API_VERSION.getValue(version),
                )
                val service = when (setting("auth") ?: "access_key") {
                    "access_key" ->
                        ServiceClient.fromConnectionString("Endpoint=${endpoint.url};AccessKey=$key;Version=1.0;", options)
                    // The simulator signs each token, as Microsoft Entra ID would issue it.
                    "token_provider" -> ServiceClient.withTokenProvider(
                        endpoint.url,
                        { audience -> simulator.accessToken(audience, 1.hours) },
                        options,
                    )
                    else -> ServiceClient.withTokenProvider(
                        endpoint.url,
                        { throw IllegalStateException("the scenario's token provider has no credential") },
                        options,
                    )
                }
                service.use {
                    assertEquals(options.apiVersion, service.apiVersion)
                    val run = Run(simulator, service)
                    scenario.getValue("steps").jsonArray.forEachIndexed { i, step ->
                        run.step("${file.name} (API $version): steps[$i]", step.jsonObject)
                    }
                }
            }
        }
    }

    private companion object {
        /** The files' version names as the client's [ApiVersion]. */
        val CLIENT_API_VERSION = mapOf("v1" to ApiVersion.V1, "2022-06-01" to ApiVersion.V2022_06_01)
    }

    private class Run(val simulator: Simulator, val service: ServiceClient) {
        val clients = mutableMapOf<String, VirtualClient>()

        fun client(at: String, name: String) = clients[name] ?: fail("$at: no client named $name connected")

        /** A connection id, or the id of client `name` for `"$name"`. */
        fun id(at: String, value: JsonElement): String {
            val text = value.jsonPrimitive.content
            return if (text.startsWith("$")) client(at, text.drop(1)).connectionId else text
        }

        suspend fun step(at: String, step: JsonObject) {
            val kind = ScenarioFormat.kind(step)
            val where = "$at: $step"
            val name by lazy { step.getValue(kind).jsonPrimitive.content }
            when (kind) {
                "connect" -> {
                    val outcome = try {
                        clients[name] = simulator.connect(step.text("hub")!!, step.text("user"))
                        null
                    } catch (e: SignalRException) {
                        buildJsonObject { put("error", JsonPrimitive(e.kind)) }
                    }
                    assertEquals(step["expect"], outcome, where)
                }
                "disconnect" -> client(at, name).disconnect()
                "call" -> {
                    val (outcome, detail) = outcome(at, step)
                    assertEquals(step["expect"], outcome, "$where ${detail.orEmpty()}")
                }
                "received" -> {
                    // Argument texts as kotlinx writes them back: key order and number literals
                    // ("1" versus "1.0") are kept from the JSON text on both sides.
                    val actual = client(at, name).received().map { it.target to it.arguments.toString() }
                    val expected = step.getValue("messages").jsonArray.map {
                        it.jsonObject.text("target")!! to it.jsonObject.getValue("arguments").toString()
                    }
                    assertEquals(expected, actual, where)
                }
                "closed" -> {
                    val client = client(at, name)
                    assertTrue(client.isClosed, where)
                    assertEquals(step["reason"], client.closeReason?.let(::JsonPrimitive) ?: JsonNull, where)
                }
                "open" -> {
                    val client = client(at, name)
                    assertTrue(!client.isClosed, "$where: closed (${client.closeReason})")
                }
                "advance_clock" -> simulator.advanceClock(step.getValue(kind).jsonPrimitive.long.seconds)
                "groups" -> {
                    val actual = simulator.groups(name).associate { it.name to it.connectionIds.toSet() }
                    val expected = step.getValue("expect").jsonObject.mapValues { (_, ids) ->
                        ids.jsonArray.map { id(at, it) }.toSet()
                    }
                    assertEquals(expected, actual, where)
                }
                "hubs" -> {
                    val expected = step.getValue("hubs").jsonArray.map { it.jsonPrimitive.content }
                    assertEquals(expected, simulator.hubs(), where)
                }
                "client_url" -> {
                    val url = runCatching { service.clientUrl(name) }.getOrElse { "failed: $it" }
                    assertEquals(simulator.url + step.text("expect"), url, where)
                }
                "shutdown" -> simulator.shutdown()
                "fault" -> {
                    val outcome = try {
                        simulator.addFault(name)
                        null
                    } catch (e: SignalRException) {
                        buildJsonObject { put("error", JsonPrimitive(e.kind)) }
                    }
                    assertEquals(step["expect"], outcome, where)
                }
                "clear_faults" -> simulator.clearFaults()
                "injected" -> {
                    val expected = step.getValue("injected").jsonArray.map { it.jsonPrimitive.content }
                    assertEquals(expected, simulator.injectedFaults().map { it.fault }, where)
                }
                else -> {
                    val connection = step["connection"]?.let { id(at, it) }
                    val close = step.getValue("close").jsonPrimitive.content == "true"
                    simulator.dropClients(name, connection, close)
                }
            }
        }

        /** The call's result as the scenario writes it: "ok", a boolean, or {"error": kind}; and the error message. */
        suspend fun outcome(at: String, step: JsonObject): Pair<JsonElement, String?> =
            try {
                call(at, service.hub(step.text("hub")!!), step) to null
            } catch (e: SignalRException) {
                buildJsonObject { put("error", JsonPrimitive(e.kind)) } to e.message
            }

        suspend fun call(at: String, hub: HubClient, step: JsonObject): JsonElement {
            val arguments = step["arguments"]?.jsonArray.orEmpty()
            val excluded = step["excluded"]?.jsonArray?.map { id(at, it) }.orEmpty()
            val target by lazy { step.text("target")!! }
            val user by lazy { step.text("user")!! }
            val group by lazy { step.text("group")!! }
            val connection by lazy { id(at, step.getValue("connection")) }
            val reason = step.text("reason")
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
                    hub.addUserToGroup(group, user, step["ttl"]?.jsonPrimitive?.long?.seconds)
                }
                "remove_user_from_group" -> ok.also { hub.removeUserFromGroup(group, user) }
                "remove_user_from_all_groups" -> ok.also { hub.removeUserFromAllGroups(user) }
                "close_all_connections" -> ok.also { hub.closeAllConnections(excluded, reason) }
                "close_group_connections" -> ok.also { hub.closeGroupConnections(group, excluded, reason) }
                "close_user_connections" -> ok.also { hub.closeUserConnections(user, excluded, reason) }
                "remove_connection_from_all_groups" -> ok.also { hub.removeConnectionFromAllGroups(connection) }
                "negotiate", "negotiate_with_service" -> {
                    // On the ServiceClient; "ok" also needs the simulator to accept the token.
                    val answer = if (operation == "negotiate") {
                        service.negotiate(step.text("hub")!!, step.text("user"))
                    } else {
                        service.negotiateWithService(step.text("hub")!!, step.text("user"))
                    }
                    tokenAccepted(answer.url, answer.accessToken, step.text("user"))
                }
                else -> error("$at: operation $operation passed the format check")
            }
        }

        private fun JsonObject.text(key: String): String? =
            (this[key] as? JsonPrimitive)?.takeIf { it.isString }?.content
    }
}
