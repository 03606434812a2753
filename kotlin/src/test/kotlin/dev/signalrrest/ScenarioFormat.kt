package dev.signalrrest

import com.sun.net.httpserver.HttpServer
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.Base64
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put

private typealias Fields = List<Pair<String, ScenarioFormat.Type>>

/** A scenario that breaks the format; the message names the file, the step and the field. */
class ScenarioException(message: String) : Exception(message)

/**
 * The shared scenario format (tests/scenarios/README.md), checked strictly. Numbers keep their
 * JSON text here, so 60.0 is not the integer 60.
 */
object ScenarioFormat {
    val STEP_KINDS =
        listOf(
            "connect", "disconnect", "call", "received", "closed", "open", "advance_clock", "groups", "hubs",
            "client_url", "shutdown", "fault", "clear_faults", "injected", "drop_clients",
        )

    /** The REST API versions in the files' spelling, in the order the runners replay them. */
    val API_VERSIONS = listOf("v1", "2022-06-01")
    private val ERROR_KINDS =
        setOf("invalid_argument", "unauthorized", "not_found", "bad_request", "service_error", "timeout", "transport")
    private val ENDPOINTS = listOf("simulator", "closed_port", "stalls", "fails")
    private val AUTHS = listOf("access_key", "token_provider", "failing_token_provider")
    private val INTEGER = Regex("-?(0|[1-9][0-9]*)")

    /** What a field must hold: its name in messages, and the check. */
    class Type(val description: String, val accepts: (JsonElement) -> Boolean)

    private fun JsonElement.isText() = this is JsonPrimitive && isString
    private fun JsonElement.integer() =
        (this as? JsonPrimitive)?.takeIf { !it.isString && INTEGER.matches(it.content) }?.content?.toBigInteger()
    private fun JsonElement.isStrings() = this is JsonArray && all { it.isText() }

    private val STR = Type("a string") { it.isText() }
    private val INT = Type("an integer") { it.integer() != null }
    private val POSITIVE_INT = Type("a positive integer") { (it.integer()?.signum() ?: 0) > 0 }
    private val NON_NEGATIVE_INT = Type("a non-negative integer") { (it.integer()?.signum() ?: -1) >= 0 }
    private val ARRAY = Type("an array") { it is JsonArray }
    private val OBJECT = Type("an object") { it is JsonObject }
    private val STR_OR_NULL = Type("a string or null") { it is JsonNull || it.isText() }
    private val STRINGS = Type("an array of strings") { it.isStrings() }
    private val EXPECT = Type("\"ok\", true, false or {\"error\": kind}") {
        when {
            it is JsonObject -> it.keys == setOf("error") && it.getValue("error").let { k ->
                k.isText() && (k as JsonPrimitive).content in ERROR_KINDS
            }
            it.isText() -> (it as JsonPrimitive).content == "ok"
            it is JsonPrimitive && it !is JsonNull -> it.content == "true" || it.content == "false"
            else -> false
        }
    }
    private val ERROR_EXPECT = Type("{\"error\": kind}") { it is JsonObject && EXPECT.accepts(it) }
    private val BOOL = Type("a boolean") { it is JsonPrimitive && !it.isString && it.content in setOf("true", "false") }
    private val TRUE = Type("true") { it is JsonPrimitive && !it.isString && it.content == "true" }
    private val AUTH = Type("one of access_key, token_provider, failing_token_provider") {
        it.isText() && (it as JsonPrimitive).content in AUTHS
    }
    private val GROUP_MEMBERS = Type("an object of arrays of strings") {
        it is JsonObject && it.values.all { ids -> ids.isStrings() }
    }
    private val ENDPOINT = Type("one of simulator, closed_port, stalls, fails") {
        it.isText() && (it as JsonPrimitive).content in ENDPOINTS
    }
    private val STATUS = Type("an integer from 400 to 599") {
        it.integer()?.let { n -> n >= 400.toBigInteger() && n <= 599.toBigInteger() } == true
    }

    private val API_VERSIONS_TYPE = Type("a non-empty array of distinct \"v1\", \"2022-06-01\"") {
        it is JsonArray && it.isNotEmpty() && it.toSet().size == it.size &&
            it.all { v -> v.isText() && (v as JsonPrimitive).content in API_VERSIONS }
    }

    private val SEND: Fields = listOf("arguments" to ARRAY)
    private val SEND_EXCLUDING: Fields = listOf("arguments" to ARRAY, "excluded" to STRINGS)
    private val CLOSE_MANY: Fields = listOf("excluded" to STRINGS, "reason" to STR)

    /** The required and optional fields of each operation, besides call, hub and expect. */
    private val OPERATIONS: Map<String, Pair<Fields, Fields>> = mapOf(
        "send_to_all" to (listOf("target" to STR) to SEND_EXCLUDING),
        "send_to_user" to (listOf("user" to STR, "target" to STR) to SEND),
        "send_to_connection" to (listOf("connection" to STR, "target" to STR) to SEND),
        "send_to_group" to (listOf("group" to STR, "target" to STR) to SEND_EXCLUDING),
        "connection_exists" to (listOf("connection" to STR) to emptyList()),
        "close_connection" to (listOf("connection" to STR) to listOf("reason" to STR)),
        "group_exists" to (listOf("group" to STR) to emptyList()),
        "user_exists" to (listOf("user" to STR) to emptyList()),
        "add_connection_to_group" to (listOf("group" to STR, "connection" to STR) to emptyList()),
        "remove_connection_from_group" to (listOf("group" to STR, "connection" to STR) to emptyList()),
        "user_in_group" to (listOf("group" to STR, "user" to STR) to emptyList()),
        "add_user_to_group" to (listOf("group" to STR, "user" to STR) to listOf("ttl" to INT)),
        "remove_user_from_group" to (listOf("group" to STR, "user" to STR) to emptyList()),
        "remove_user_from_all_groups" to (listOf("user" to STR) to emptyList()),
        "close_all_connections" to (emptyList<Pair<String, Type>>() to CLOSE_MANY),
        "close_group_connections" to (listOf("group" to STR) to CLOSE_MANY),
        "close_user_connections" to (listOf("user" to STR) to CLOSE_MANY),
        "remove_connection_from_all_groups" to (listOf("connection" to STR) to emptyList()),
        "negotiate" to (emptyList<Pair<String, Type>>() to listOf("user" to STR)),
        "negotiate_with_service" to (emptyList<Pair<String, Type>>() to listOf("user" to STR)),
    )

    /** Unknown fields first (in the object's order), then missing ones, then types. */
    private fun checkFields(at: String, value: JsonElement, required: Fields, optional: Fields) {
        if (value !is JsonObject) throw ScenarioException("$at: must be an object")
        val known = required + optional
        value.keys.firstOrNull { key -> known.none { it.first == key } }?.let {
            throw ScenarioException("$at: unknown field \"$it\"")
        }
        required.firstOrNull { it.first !in value }?.let {
            throw ScenarioException("$at: missing field \"${it.first}\"")
        }
        known.firstOrNull { (name, type) -> value[name]?.let { !type.accepts(it) } ?: false }?.let { (name, type) ->
            throw ScenarioException("$at: field \"$name\" must be ${type.description}")
        }
    }

    /** The key naming what the step does. */
    fun kind(step: JsonObject): String = STEP_KINDS.first { it in step }

    private fun checkStep(at: String, step: JsonElement) {
        if (step !is JsonObject) throw ScenarioException("$at: must be an object")
        val kinds = STEP_KINDS.filter { it in step }
        if (kinds.size != 1) {
            throw ScenarioException("$at: a step needs exactly one of ${STEP_KINDS.joinToString(", ")}")
        }
        when (kinds.single()) {
            "connect" ->
                checkFields(at, step, listOf("connect" to STR, "hub" to STR), listOf("user" to STR, "expect" to ERROR_EXPECT))
            "disconnect" -> checkFields(at, step, listOf("disconnect" to STR), emptyList())
            "call" -> {
                val op = step.getValue("call")
                if (!op.isText()) throw ScenarioException("$at: field \"call\" must be a string")
                val name = (op as JsonPrimitive).content
                val (required, optional) = OPERATIONS[name]
                    ?: throw ScenarioException("$at: unknown operation \"$name\"")
                checkFields(at, step, listOf("call" to STR, "hub" to STR) + required + ("expect" to EXPECT), optional)
            }
            "received" -> {
                checkFields(at, step, listOf("received" to STR, "messages" to ARRAY), emptyList())
                (step.getValue("messages") as JsonArray).forEachIndexed { j, message ->
                    checkFields("$at.messages[$j]", message, listOf("target" to STR, "arguments" to ARRAY), emptyList())
                }
            }
            "closed" -> checkFields(at, step, listOf("closed" to STR, "reason" to STR_OR_NULL), emptyList())
            "open" -> checkFields(at, step, listOf("open" to STR), emptyList())
            "advance_clock" -> checkFields(at, step, listOf("advance_clock" to NON_NEGATIVE_INT), emptyList())
            "groups" -> checkFields(at, step, listOf("groups" to STR, "expect" to GROUP_MEMBERS), emptyList())
            "hubs" -> checkFields(at, step, listOf("hubs" to STRINGS), emptyList())
            "client_url" -> checkFields(at, step, listOf("client_url" to STR, "expect" to STR), emptyList())
            "shutdown" -> checkFields(at, step, listOf("shutdown" to TRUE), emptyList())
            "fault" -> checkFields(at, step, listOf("fault" to STR), listOf("expect" to ERROR_EXPECT))
            "clear_faults" -> checkFields(at, step, listOf("clear_faults" to TRUE), emptyList())
            "injected" -> checkFields(at, step, listOf("injected" to STRINGS), emptyList())
            else -> checkFields(at, step, listOf("drop_clients" to STR, "close" to BOOL), listOf("connection" to STR))
        }
    }

    /** The scenario in [text]; a [ScenarioException] saying `file: where: what` if it is malformed. */
    fun parse(file: String, text: String): JsonObject {
        val scenario = Json.parseToJsonElement(text)
        try {
            checkFields(
                "scenario",
                scenario,
                listOf("name" to STR, "steps" to ARRAY),
                listOf("client" to OBJECT, "api_versions" to API_VERSIONS_TYPE),
            )
            scenario as JsonObject
            val client = scenario["client"] ?: JsonObject(emptyMap())
            checkFields(
                "client",
                client,
                emptyList(),
                listOf(
                    "access_key" to STR,
                    "endpoint" to ENDPOINT,
                    "status" to STATUS,
                    "timeout_ms" to POSITIVE_INT,
                    "application" to STR,
                    "auth" to AUTH,
                    "retries" to NON_NEGATIVE_INT,
                ),
            )
            client as JsonObject
            val fails = (client["endpoint"] as? JsonPrimitive)?.content == "fails"
            if (fails && "status" !in client) throw ScenarioException("client: missing field \"status\"")
            if (!fails && "status" in client) {
                throw ScenarioException("client: field \"status\" is only for \"endpoint\": \"fails\"")
            }
            (scenario.getValue("steps") as JsonArray).forEachIndexed { i, step -> checkStep("steps[$i]", step) }
            return scenario
        } catch (e: ScenarioException) {
            throw ScenarioException("$file: ${e.message}")
        }
    }
}

/**
 * The versions a scenario file runs under: its `api_versions` in the runners' order, else both.
 * Read before the strict check (a malformed value gives both; replaying then fails).
 */
fun scenarioApiVersions(text: String): List<String> {
    val listed = runCatching { (Json.parseToJsonElement(text) as? JsonObject)?.get("api_versions") }.getOrNull()
    val names = (listed as? JsonArray)?.mapNotNull { (it as? JsonPrimitive)?.content }.orEmpty()
    return ScenarioFormat.API_VERSIONS.filter { it in names }.ifEmpty { ScenarioFormat.API_VERSIONS }
}

/**
 * `"ok"` when the simulator's `/client/negotiate` for the negotiate answer's [url] accepts
 * [token] (200) and the token carries [user] (as the simulator reads it: `asrs.s.uid`, else
 * `nameid`, else `sub`); otherwise what went wrong.
 */
fun tokenAccepted(url: String, token: String, user: String?): JsonElement {
    if ("/client/?" !in url) return buildJsonObject { put("url without /client/?", url) }
    val negotiate = url.replaceFirst("/client/?", "/client/negotiate?")
    val request = HttpRequest.newBuilder(URI.create(negotiate))
        .header("Authorization", "Bearer $token")
        .timeout(java.time.Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.noBody())
        .build()
    val answer = try {
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString())
    } catch (e: java.io.IOException) {
        return buildJsonObject { put("token not checked", "$negotiate: $e") }
    }
    if (answer.statusCode() != 200) {
        return buildJsonObject { put("token refused", "$negotiate: ${answer.statusCode()} ${answer.body()}") }
    }
    val claims = runCatching {
        Json.parseToJsonElement(String(Base64.getUrlDecoder().decode(token.split(".")[1]))) as JsonObject
    }.getOrElse { return buildJsonObject { put("token is no JWT", it.toString()) } }
    val carried = listOf("asrs.s.uid", "nameid", "sub").firstNotNullOfOrNull { claim ->
        (claims[claim] as? JsonPrimitive)?.takeIf { it.isString }?.content
    }
    return if (carried == user) {
        JsonPrimitive("ok")
    } else {
        buildJsonObject {
            put("token's user", carried)
            put("expected", user)
        }
    }
}

/** The URL a scenario's client talks to, and whatever serves it while the scenario runs. */
class ScenarioEndpoint(client: JsonObject, simulatorUrl: String) : AutoCloseable {
    private var stalling: ServerSocket? = null
    private var failing: HttpServer? = null
    private val loopback = InetAddress.getLoopbackAddress()

    val url: String = when ((client["endpoint"] as? JsonPrimitive)?.content ?: "simulator") {
        "simulator" -> simulatorUrl
        // Closed again at once: nothing listens there.
        "closed_port" -> ServerSocket(0, 1, loopback).use { "http://127.0.0.1:${it.localPort}" }
        // Listening but never accepting: the kernel completes the TCP handshake, nobody answers.
        "stalls" -> ServerSocket(0, 16, loopback).also { stalling = it }.let { "http://127.0.0.1:${it.localPort}" }
        else -> {
            val status = (client.getValue("status") as JsonPrimitive).content.toInt()
            val body = buildJsonObject {
                put("code", "Error.Scenario.Status$status")
                put("message", "the scenario's server answers every request with $status")
            }.toString().toByteArray()
            val server = HttpServer.create(InetSocketAddress(loopback, 0), 0)
            server.createContext("/") { exchange ->
                exchange.requestBody.use { it.readAllBytes() } // all of it: unread input would reset the socket
                exchange.responseHeaders.add("Content-Type", "application/json")
                if (exchange.requestMethod == "HEAD") {
                    // No body (2022-06-01 exists-checks are HEAD requests): -1 says so.
                    exchange.sendResponseHeaders(status, -1)
                    exchange.close()
                } else {
                    exchange.sendResponseHeaders(status, body.size.toLong())
                    exchange.responseBody.use { it.write(body) }
                }
            }
            server.start()
            failing = server
            "http://127.0.0.1:${server.address.port}"
        }
    }

    override fun close() {
        stalling?.close()
        failing?.stop(0)
    }
}
