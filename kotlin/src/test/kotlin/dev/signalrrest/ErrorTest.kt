package dev.signalrrest

import java.net.ServerSocket
import kotlinx.coroutines.runBlocking
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import org.junit.jupiter.api.Test

class ErrorTest {
    private val noRetries = ClientOptions(maxRetries = 0)

    @Test
    fun `a bad hub name is an InvalidArgument naming the field and the value`() {
        ServiceClient.fromConnectionString("Endpoint=http://127.0.0.1:1;AccessKey=k;Version=1.0").use { client ->
            val error = assertFailsWith<SignalRException.InvalidArgument> { client.hub("1abc") }
            assertEquals("hub", error.field)
            assertContains(error.message!!, "1abc")
            assertEquals("invalid_argument", error.kind)
        }
    }

    @Test
    fun `a malformed connection string is an InvalidArgument`() {
        assertFailsWith<SignalRException.InvalidArgument> { ServiceClient.fromConnectionString("nonsense") }
    }

    @Test
    fun `negative and out of range settings are refused naming the value`() {
        val cs = "Endpoint=http://127.0.0.1:1;AccessKey=k;Version=1.0"
        val timeout = assertFailsWith<SignalRException.InvalidArgument> {
            ServiceClient.fromConnectionString(cs, ClientOptions(timeout = (-1).seconds))
        }
        assertEquals("timeout", timeout.field)
        assertContains(timeout.message!!, "-1")
        val retries = assertFailsWith<SignalRException.InvalidArgument> {
            ServiceClient.fromConnectionString(cs, ClientOptions(maxRetries = -2))
        }
        assertEquals("retry.maxRetries", retries.field)
        assertContains(retries.message!!, "-2")
    }

    @Test
    fun `a wrong access key is Unauthorized with the status`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val wrongKey = simulator.connectionString.replace(simulator.accessKey, "not-the-key")
            ServiceClient.fromConnectionString(wrongKey, noRetries).use { client ->
                val error = assertFailsWith<SignalRException.Unauthorized> { client.hub("chat").sendToAll("t") }
                assertEquals(401, error.status)
            }
        }
    }

    @Test
    fun `removing a connection that is not in the group is NotFound with the service code`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { client ->
                val error = assertFailsWith<SignalRException.NotFound> {
                    client.hub("chat").removeConnectionFromGroup("g", "nobody")
                }
                assertEquals("not_found", error.kind)
                assert(error.errorCode.isNotEmpty()) { "no error code in $error" }
            }
        }
    }

    @Test
    fun `a 400 answer is BadRequest carrying the service message`() = runBlocking<Unit> {
        CannedServer(400, """{"message":"the target is odd"}""").use { server ->
            ServiceClient.fromConnectionString(server.connectionString, noRetries).use { client ->
                val error = assertFailsWith<SignalRException.BadRequest> { client.hub("chat").sendToAll("t") }
                assertContains(error.message!!, "the target is odd")
            }
        }
    }

    @Test
    fun `a 500 answer is ServiceError with status and body`() = runBlocking<Unit> {
        CannedServer(500, "boom").use { server ->
            ServiceClient.fromConnectionString(server.connectionString, noRetries).use { client ->
                val error = assertFailsWith<SignalRException.ServiceError> { client.hub("chat").sendToAll("t") }
                assertEquals(500, error.status)
                assertEquals("boom", error.body)
            }
        }
    }

    @Test
    fun `no answer within the timeout is Timeout`() = runBlocking<Unit> {
        SilentServer().use { server ->
            val options = ClientOptions(timeout = 300.milliseconds, maxRetries = 0)
            ServiceClient.fromConnectionString(server.connectionString, options).use { client ->
                val error = assertFailsWith<SignalRException.Timeout> { client.hub("chat").sendToAll("t") }
                assertEquals(300.milliseconds, error.after)
            }
        }
    }

    @Test
    fun `a closed port is a Transport error`() = runBlocking<Unit> {
        val port = ServerSocket(0).use { it.localPort }
        val cs = "Endpoint=http://127.0.0.1:$port;AccessKey=k;Version=1.0"
        ServiceClient.fromConnectionString(cs, noRetries).use { client ->
            val error = assertFailsWith<SignalRException.Transport> { client.health() }
            assertEquals("transport", error.kind)
        }
    }

    @Test
    fun `negotiate needs the access key`() {
        val client = ServiceClient.withTokenProvider("http://127.0.0.1:1", { "token" })
        client.use {
            val error = assertFailsWith<SignalRException.InvalidArgument> { it.negotiate("chat", userId = "alice") }
            assertEquals("credential", error.field)
        }
    }

    @Test
    fun `a shut down simulator refuses connections naming itself and still answers inspection`() = runBlocking<Unit> {
        val simulator = Simulator.start()
        simulator.connect("chat")
        simulator.shutdown()
        val error = assertFailsWith<SignalRException.InvalidArgument> { simulator.connect("chat") }
        assertEquals("simulator", error.field)
        assertContains(error.message!!, "the simulator has been shut down")
        assertEquals(listOf("chat"), simulator.hubs())
        simulator.shutdown()
        simulator.close()
    }
}
