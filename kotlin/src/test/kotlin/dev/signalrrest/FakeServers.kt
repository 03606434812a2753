package dev.signalrrest

import com.sun.net.httpserver.HttpServer
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread

/**
 * An HTTP server answering every request with [status] and [body]; [requests] counts them and
 * [header] reads the latest request's headers.
 */
class CannedServer(status: Int, body: String) : AutoCloseable {
    private val received = AtomicInteger()
    @Volatile private var lastHeaders: Map<String, List<String>> = emptyMap()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        createContext("/") { exchange ->
            lastHeaders = exchange.requestHeaders.mapKeys { it.key.lowercase() }
            received.incrementAndGet()
            exchange.requestBody.use { it.readAllBytes() }
            val bytes = body.toByteArray()
            // -1 sends `Content-Length: 0`; 0 would mean a chunked body of any length.
            exchange.sendResponseHeaders(status, if (bytes.isEmpty()) -1 else bytes.size.toLong())
            exchange.responseBody.use { it.write(bytes) }
        }
        start()
    }

    /** Requests received so far. */
    val requests: Int get() = received.get()

    /** The latest request's header [name] (any case), or null. */
    fun header(name: String): String? = lastHeaders[name.lowercase()]?.firstOrNull()

    /** `http://127.0.0.1:{port}`. */
    val url = "http://127.0.0.1:${server.address.port}"

    /** A connection string for this server with any key. */
    val connectionString = "Endpoint=$url;AccessKey=key;Version=1.0;"

    override fun close() = server.stop(0)
}

/** A server that accepts one connection and never answers; tells when the client hangs up. */
class SilentServer : AutoCloseable {
    private val listener = ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())
    private val hungUp = CountDownLatch(1)
    private val accepted = CountDownLatch(1)

    init {
        thread(isDaemon = true) {
            val socket: Socket = runCatching { listener.accept() }.getOrNull() ?: return@thread
            accepted.countDown()
            // read() returns -1 once the client closes its side.
            runCatching { while (socket.getInputStream().read() != -1) Unit }
            hungUp.countDown()
        }
    }

    val connectionString = "Endpoint=http://127.0.0.1:${listener.localPort};AccessKey=key;Version=1.0;"

    /** Whether a client connected within [seconds]. */
    fun awaitRequest(seconds: Long) = accepted.await(seconds, TimeUnit.SECONDS)

    /** Whether the client closed its connection within [seconds]. */
    fun awaitHangUp(seconds: Long) = hungUp.await(seconds, TimeUnit.SECONDS)

    override fun close() = listener.close()
}
