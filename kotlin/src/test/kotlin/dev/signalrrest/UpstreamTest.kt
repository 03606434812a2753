package dev.signalrrest

import java.io.File
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.boolean
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.seconds
import org.junit.jupiter.api.Test

/** The upstream receiver against the shared vectors (tests/vectors/upstream.json) and its completions. */
class UpstreamTest {
    private val vectors = Json.parseToJsonElement(
        File(System.getProperty("scenarios.dir")).resolveSibling("vectors/upstream.json").readText(),
    ).jsonObject

    private fun vectors(name: String) = vectors.getValue(name).jsonArray.map { it.jsonObject }

    private fun JsonObject.text(name: String) = getValue(name).jsonPrimitive.content

    private fun headers(more: Map<String, String> = emptyMap(), connectionId: String = CONN, signature: String = SIGNED) =
        mapOf(
            "X-ASRS-Connection-Id" to connectionId,
            "X-ASRS-Hub" to "chat",
            "X-ASRS-Category" to "connections",
            "X-ASRS-Event" to "connected",
            "X-ASRS-Signature" to signature,
        ) + more

    private val noBody = ByteArray(0)

    @Test
    fun `each vector signature verifies a connected request`() {
        for (v in vectors("signatures")) {
            val event = Upstream.parseRequest(headers(connectionId = v.text("connection_id"), signature = v.text("signature")), noBody, listOf(v.text("access_key")))
            assertEquals(UpstreamEvent.Connected(UpstreamContext(v.text("connection_id"), "chat", null, emptyMap(), emptyMap())), event)
        }
    }

    @Test
    fun `signature header vectors`() {
        for (v in vectors("signature_headers")) {
            val request = headers(connectionId = v.text("connection_id"), signature = v.text("header"))
            val keys = v.getValue("keys").jsonArray.map { it.jsonPrimitive.content }
            when {
                v.getValue("valid").jsonPrimitive.boolean -> assertIs<UpstreamEvent.Connected>(Upstream.parseRequest(request, noBody, keys))
                // an empty header is a missing one: a malformed request, not a bad signature
                v.text("header").isEmpty() -> assertFailsWith<SignalRException.InvalidArgument> { Upstream.parseRequest(request, noBody, keys) }
                else -> assertFailsWith<SignalRException.Unauthorized> { Upstream.parseRequest(request, noBody, keys) }
            }
        }
    }

    @Test
    fun `claims and query vectors keep their order`() {
        fun pairs(v: JsonObject) = v.getValue("parsed").jsonArray.map { pair -> pair.jsonArray.map { it.jsonPrimitive.content }.let { it[0] to it[1] } }
        for (v in vectors("claims")) {
            val event = Upstream.parseRequest(headers(mapOf("X-ASRS-User-Claims" to v.text("header"))), noBody, listOf(KEY))
            assertEquals(pairs(v), event.claims.toList())
        }
        for (v in vectors("queries")) {
            val event = Upstream.parseRequest(headers(mapOf("x-asrs-client-query" to v.text("header"))), noBody, listOf(KEY))
            assertEquals(pairs(v), event.query.toList())
        }
    }

    @Test
    fun `headers in any case, a bad signature is unauthorized, a malformed request an invalid argument`() {
        val lower = headers(mapOf("x-asrs-user-id" to "alice")).mapKeys { it.key.lowercase() }
        assertEquals("alice", Upstream.parseRequest(lower, noBody, listOf("another-key", KEY)).userId)
        val multi = headers().mapValues { listOf(it.value) } + ("x-asrs-signature" to listOf("sha256=AAAA", SIGNED))
        assertIs<UpstreamEvent.Connected>(Upstream.parseRequest(multi, noBody, listOf(KEY)))
        assertFailsWith<SignalRException.Unauthorized> { Upstream.parseRequest(headers(), noBody, listOf("another-key")) }
        val noHub = headers() - "X-ASRS-Hub"
        val missing = assertFailsWith<SignalRException.InvalidArgument> { Upstream.parseRequest(noHub, noBody, listOf(KEY)) }
        assertTrue("x-asrs-hub" in missing.message.orEmpty(), missing.message)
        val call = headers(mapOf("X-ASRS-Category" to "messages", "X-ASRS-Event" to "echo"))
        assertFailsWith<SignalRException.InvalidArgument> { Upstream.parseRequest(call, "{".toByteArray(), listOf(KEY)) }
    }

    @Test
    fun `disconnected carries its error`() {
        val request = headers(mapOf("X-ASRS-Event" to "disconnected"))
        val clean = Upstream.parseRequest(request, """{"type":11}""".toByteArray(), listOf(KEY))
        assertNull(assertIs<UpstreamEvent.Disconnected>(clean).error)
        val failed = Upstream.parseRequest(request, """{"Type":11,"Error":"gone"}""".toByteArray(), listOf(KEY))
        assertEquals("gone", assertIs<UpstreamEvent.Disconnected>(failed).error)
    }

    @Test
    fun `an invocation is read and answered with a framed completion`() {
        val body = """{"type":1,"invocationId":"7","target":"echo","arguments":[1,{"z":1,"a":2}]}"""
        val request = headers(mapOf("X-ASRS-Category" to "messages", "X-ASRS-Event" to "echo"))
        val event = assertIs<UpstreamEvent.Invocation>(Upstream.parseRequest(request, body.toByteArray(), listOf(KEY)))
        assertEquals("7", event.invocationId)
        assertEquals("echo", event.target)
        assertEquals(HubProtocol.JSON, event.protocol)
        assertEquals("""[1,{"z":1,"a":2}]""", event.argumentsJson)

        fun text(bytes: ByteArray) = bytes.decodeToString()
        assertEquals("""{"type":3,"invocationId":"7","result":[1,{"z":1,"a":2}]}""" + "\u001e",
            text(Upstream.completionBody(event.protocol, "7", event.arguments)))
        assertEquals("""{"type":3,"invocationId":"7","result":null}""" + "\u001e", text(Upstream.completionBody(HubProtocol.JSON, "7", JsonNull)))
        assertEquals("""{"type":3,"invocationId":"7","error":"no"}""" + "\u001e", text(Upstream.completionBody(HubProtocol.JSON, "7", error = "no")))
        assertEquals("""{"type":3,"invocationId":"7"}""" + "\u001e", text(Upstream.completionBody(HubProtocol.JSON, "7")))
        assertEquals("""{"type":3,"invocationId":"7","result":5}""" + "\u001e", text(Upstream.completionBodyJson(HubProtocol.JSON, "7", "5")))
        // MessagePack: a varint length, then [3, {}, "7", 3 (result), [1]]
        val packed = Upstream.completionBody(HubProtocol.MESSAGEPACK, "7", JsonArray(listOf(JsonPrimitive(1))))
        assertEquals(listOf(8, 0x95, 3, 0x80, 0xA1, '7'.code, 3, 0x91, 1), packed.map { it.toInt() and 0xFF })
        assertFailsWith<SignalRException.InvalidArgument> { Upstream.completionBody(HubProtocol.JSON, "7", JsonPrimitive(1), "both") }
        assertFailsWith<SignalRException.InvalidArgument> { Upstream.completionBodyJson(HubProtocol.JSON, "7", "{") }

        val send = """{"type":1,"target":"note","arguments":["hi"]}"""
        val note = headers(mapOf("X-ASRS-Category" to "messages", "X-ASRS-Event" to "note"))
        assertNull(assertIs<UpstreamEvent.Invocation>(Upstream.parseRequest(note, send.toByteArray(), listOf(KEY))).invocationId)
    }

    @Test
    fun `bad upstream templates and timeouts are refused`() = runBlocking<Unit> {
        assertFailsWith<SignalRException.InvalidArgument> { Simulator.start(SimulatorOptions(upstreams = listOf("not a url"))) }
        assertFailsWith<SignalRException.InvalidArgument> {
            Simulator.start(SimulatorOptions(upstreams = listOf("http://127.0.0.1:1/{event}"), upstreamTimeout = (-1).seconds))
        }
    }

    private companion object {
        const val KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
        const val CONN = "conn-1"
        const val SIGNED = "sha256=261F7F58FF9FB9BB8BE7E4951A807FE6091E5C074885BF63B865ECCD28728881"
    }
}
