package dev.signalrrest

import com.auth0.jwt.JWT
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.seconds
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.MethodSource

/**
 * The apiVersion option and the operations 2022-06-01 added, each under the default (1.0) client
 * and one speaking 2022-06-01 (the newer operations always use 2022-06-01).
 */
class Api2022Test {
    companion object {
        /** Left out (the default, 1.0) and 2022-06-01. */
        @JvmStatic
        fun versions(): List<ApiVersion?> = listOf(null, ApiVersion.V2022_06_01)
    }

    /** Runs [body] against a fresh simulator with a client speaking [version], retries off. */
    private fun withSimulator(version: ApiVersion?, body: suspend (Simulator, ServiceClient) -> Unit): Unit =
        runBlocking {
            Simulator.start().use { simulator ->
                val options = ClientOptions(maxRetries = 0, apiVersion = version)
                ServiceClient.fromConnectionString(simulator.connectionString, options).use { body(simulator, it) }
            }
        }

    /** The status the simulator's client endpoint answers a SignalR client bringing [answer]'s token. */
    private fun clientNegotiateStatus(answer: NegotiateResponse): Int {
        val request = HttpRequest.newBuilder(URI(answer.url.replace("/client/?", "/client/negotiate?")))
            .header("Authorization", "Bearer ${answer.accessToken}")
            .POST(HttpRequest.BodyPublishers.noBody())
            .build()
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode()
    }

    @Test
    fun `a client speaks 1_0 unless told otherwise`() = withSimulator(null) { simulator, client ->
        assertEquals(ApiVersion.V1, client.apiVersion)
        assertNull(client.applicationName)
        val options = ClientOptions(apiVersion = ApiVersion.V2022_06_01, applicationName = "App")
        ServiceClient.fromConnectionString(simulator.connectionString, options).use {
            assertEquals(ApiVersion.V2022_06_01, it.apiVersion)
            assertEquals("app", it.applicationName)
        }
    }

    @Test
    fun `an api version is parsed by the core and a bad one is named`() {
        assertEquals(ApiVersion.V2022_06_01, ApiVersion.parse("2022-06-01"))
        assertEquals(ApiVersion.V1, ApiVersion.parse("1.0"))
        val error = assertFailsWith<SignalRException.InvalidArgument> { ApiVersion.parse("2021-01-01") }
        assertEquals("api_version", error.field)
        assertTrue("2021-01-01" in error.message.orEmpty(), error.message)
    }

    @ParameterizedTest
    @MethodSource("versions")
    fun `v1 operations still work`(version: ApiVersion?) = withSimulator(version) { simulator, client ->
        val alice = simulator.connect("chat", "alice")
        val hub = client.hub("chat")
        hub.addUserToGroup("room", "alice")
        hub.sendToGroup("room", "hello")
        assertTrue(hub.userInGroup("room", "alice"))
        client.health()
        assertEquals(listOf("hello"), alice.received().map { it.target })
    }

    @ParameterizedTest
    @MethodSource("versions")
    fun `closing at three scopes keeps the excluded and tells the rest why`(version: ApiVersion?) =
        withSimulator(version) { simulator, client ->
            val ann1 = simulator.connect("chat", "ann")
            val ann2 = simulator.connect("chat", "ann")
            val member = simulator.connect("chat")
            val kept = simulator.connect("chat")
            val hub = client.hub("chat")
            hub.addConnectionToGroup("room", member.connectionId)

            hub.closeUserConnections("ann", excluded = listOf(ann2.connectionId), reason = "user")
            hub.closeGroupConnections("room", reason = "group")
            assertEquals("user", ann1.closeReason)
            assertFalse(ann2.isClosed)
            assertEquals("group", member.closeReason)

            hub.closeAllConnections(excluded = listOf(kept.connectionId), reason = "all")
            assertEquals("all", ann2.closeReason)
            assertFalse(kept.isClosed)
            assertEquals(listOf(kept.connectionId), simulator.connections("chat").map { it.connectionId })
        }

    @ParameterizedTest
    @MethodSource("versions")
    fun `a connection leaves all its groups`(version: ApiVersion?) = withSimulator(version) { simulator, client ->
        val ann = simulator.connect("chat")
        val hub = client.hub("chat")
        hub.addConnectionToGroup("a", ann.connectionId)
        hub.addConnectionToGroup("b", ann.connectionId)
        hub.removeConnectionFromAllGroups(ann.connectionId)
        hub.removeConnectionFromAllGroups("unknown")
        assertEquals(emptyList(), simulator.groups("chat"))
    }

    @ParameterizedTest
    @MethodSource("versions")
    fun `negotiateWithService gives a token the client endpoint accepts`(version: ApiVersion?) =
        withSimulator(version) { simulator, client ->
            val answer = client.negotiateWithService("Chat", userId = "alice", lifetime = 90.seconds)
            assertEquals("${simulator.url}/client/?hub=chat", answer.url)
            val token = JWT.decode(answer.accessToken)
            assertEquals("alice", token.getClaim("nameid").asString())
            assertEquals(120, (token.expiresAtAsInstant.epochSecond - token.issuedAtAsInstant.epochSecond).toInt())
            assertEquals(200, clientNegotiateStatus(answer))
        }

    @ParameterizedTest
    @MethodSource("versions")
    fun `generateClientToken makes a token for the hub and user`(version: ApiVersion?) =
        withSimulator(version) { simulator, client ->
            val token = client.hub("chat").generateClientToken(userId = "bob")
            assertEquals("bob", JWT.decode(token).getClaim("nameid").asString())
            assertEquals(200, clientNegotiateStatus(NegotiateResponse("${simulator.url}/client/?hub=chat", token)))
        }

    @Test
    fun `the newer operations check their arguments`() = withSimulator(null) { _, client ->
        val hub = client.hub("chat")
        val group = assertFailsWith<SignalRException.InvalidArgument> { hub.closeGroupConnections("") }
        assertEquals("group", group.field)
        assertFailsWith<SignalRException.InvalidArgument> { hub.generateClientToken(lifetime = (-1).seconds) }
    }
}
