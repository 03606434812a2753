// Send-to-connection throughput against one simulator: this package versus java.net.http and
// OkHttp, each with java-jwt signing every request (as the core does), at concurrency 1 and 64.
// BENCH_SECONDS sets the measuring time of each client at each concurrency (default 5), taken in
// ROUNDS one-client-after-another rounds so that load from elsewhere on the machine falls on all
// clients alike; the table shows each client's median round.
// With BENCH_CONNECTION_STRING set, sends to that simulator (to BENCH_CONNECTION_ID, default
// "bench-connection"; an absent connection still answers 202) instead of starting one, and also
// prints a line `RESULT <name> <concurrency> <calls/s>` per median (names kotlin, java-http, okhttp,
// java-blocking, okhttp-blocking). The blocking clients (this package's Java face and OkHttp's
// execute()) are measured from platform threads, as a Java server's request threads call them.
package dev.signalrrest.bench

import com.auth0.jwt.JWT
import com.auth0.jwt.algorithms.Algorithm
import dev.signalrrest.ServiceClient
import dev.signalrrest.Simulator
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Instant
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicLong
import kotlin.concurrent.thread
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import okhttp3.ConnectionPool
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import kotlinx.coroutines.future.await
import kotlinx.coroutines.launch
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.DurationUnit
import kotlin.time.TimeSource

private const val TARGET = "benchmark"
private val ARGUMENTS: List<JsonElement> = listOf(JsonPrimitive("hello"), buildJsonObject { put("n", JsonPrimitive(1)) })
private val CONCURRENCIES = listOf(1, 64)
private const val ROUNDS = 5
/** Calls made before measuring, per client and concurrency: until then the JIT compilers take a
 * core of their own (30% of the machine in a profile after 500 ms), which measures the JVM's
 * start, not the clients. */
private val WARM_UP = 2.seconds

/** One client's send: suspending, measured from coroutines, or blocking, measured from threads. */
private sealed interface Sender {
    class Suspending(val call: suspend () -> Unit) : Sender
    class Blocking(val call: () -> Unit) : Sender
}

private suspend fun measure(concurrency: Int, duration: Duration, sender: Sender): Double = when (sender) {
    is Sender.Suspending -> measureCoroutines(concurrency, duration, sender.call)
    is Sender.Blocking -> measureThreads(concurrency, duration, sender.call)
}

/** Counts calls until [duration] from now has passed. */
private class Tally(duration: Duration) {
    val calls = AtomicLong()
    val started = TimeSource.Monotonic.markNow()
    val deadline = started + duration

    /** Calls [call] until the deadline. */
    inline fun run(call: () -> Unit) {
        while (deadline.hasNotPassedNow()) {
            call()
            calls.incrementAndGet()
        }
    }

    /** Calls per second so far. */
    fun rate() = calls.get() / started.elapsedNow().toDouble(DurationUnit.SECONDS)
}

/** Calls [call] from [concurrency] platform threads for [duration], as a Java server's request
 * threads call a blocking client; returns calls per second. */
private fun measureThreads(concurrency: Int, duration: Duration, call: () -> Unit): Double {
    val tally = Tally(duration)
    List(concurrency) { thread { tally.run(call) } }.forEach { it.join() }
    return tally.rate()
}

/** Calls [call] from [concurrency] coroutines for [duration]; returns calls per second. */
private suspend fun measureCoroutines(concurrency: Int, duration: Duration, call: suspend () -> Unit): Double {
    val tally = Tally(duration)
    coroutineScope { repeat(concurrency) { launch { tally.run { call() } } } }
    return tally.rate()
}

/** What a plain HTTP client sends: the URL, the JSON body and a fresh JWT for each request. */
private class PlainRequest(simulatorUrl: String, accessKey: String, connectionId: String) {
    val url = "$simulatorUrl/api/v1/hubs/bench/connections/${URLEncoder.encode(connectionId, Charsets.UTF_8)}"
    val body = buildJsonObject {
        put("target", JsonPrimitive(TARGET))
        put("arguments", JsonArray(ARGUMENTS))
    }.toString()
    private val algorithm = Algorithm.HMAC256(accessKey)

    fun token(): String = JWT.create().withAudience(url).withExpiresAt(Instant.now().plusSeconds(3600)).sign(algorithm)
}

/** java.net.http plus a JWT per request, the way a JVM app without this package calls the service. */
private fun javaHttpSender(plain: PlainRequest): Sender {
    val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
    return Sender.Suspending {
        val request = HttpRequest.newBuilder(URI(plain.url))
            .header("Authorization", "Bearer ${plain.token()}")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(plain.body))
            .build()
        val response = http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).await()
        check(response.statusCode() == 202) { "java.net.http got ${response.statusCode()}" }
    }
}

/** OkHttp plus a JWT per request, the way an Android app without this package calls the service:
 * a blocking call (OkHttp's `execute()` on the calling thread). */
private fun okHttpCall(plain: PlainRequest): () -> Unit {
    // A pool as large as the concurrency, so connections are reused as the other clients reuse theirs.
    val http = OkHttpClient.Builder().connectionPool(ConnectionPool(CONCURRENCIES.max(), 5, TimeUnit.MINUTES)).build()
    val json = "application/json".toMediaType()
    return {
        val request = Request.Builder()
            .url(plain.url)
            .header("Authorization", "Bearer ${plain.token()}")
            .post(plain.body.toRequestBody(json))
            .build()
        http.newCall(request).execute().use { check(it.code == 202) { "OkHttp got ${it.code}" } }
    }
}

/** The URL and access key in a connection string (`Endpoint=...;AccessKey=...;` and maybe `Port=...`). */
private fun urlAndKey(connectionString: String): Pair<String, String> {
    val parts = connectionString.split(';').filter { '=' in it }
        .associate { it.substringBefore('=').trim() to it.substringAfter('=').trim() }
    val endpoint = parts.getValue("Endpoint").trimEnd('/')
    val url = parts["Port"]?.let { "$endpoint:$it" } ?: endpoint
    return url to parts.getValue("AccessKey")
}

private val RESULT_NAMES = listOf("kotlin", "java-http", "okhttp", "java-blocking", "okhttp-blocking")

fun main() = runBlocking(Dispatchers.Default) {
    val seconds = (System.getenv("BENCH_SECONDS") ?: "5").toDouble().seconds
    val external = System.getenv("BENCH_CONNECTION_STRING")?.takeIf { it.isNotBlank() }
    val simulator = if (external == null) Simulator.start() else null
    try {
        val connectionString = external ?: simulator!!.connectionString
        val client = simulator?.connect("bench")
        val connectionId = client?.connectionId ?: (System.getenv("BENCH_CONNECTION_ID") ?: "bench-connection")
        val hub = ServiceClient.fromConnectionString(connectionString).hub("bench")
        val (url, key) = if (simulator != null) simulator.url to simulator.accessKey else urlAndKey(connectionString)
        val plain = PlainRequest(url, key, connectionId)
        val okHttp = okHttpCall(plain)
        val senders = linkedMapOf(
            "signalr-rest (Kotlin)" to Sender.Suspending { hub.sendToConnection(connectionId, TARGET, ARGUMENTS) },
            "java.net.http + java-jwt" to javaHttpSender(plain),
            // From a coroutine, OkHttp's blocking call runs on an IO thread.
            "OkHttp + java-jwt" to Sender.Suspending { withContext(Dispatchers.IO) { okHttp() } },
            "signalr-rest (Java, blocking)" to Sender.Blocking {
                hub.sendToConnectionBlocking(connectionId, TARGET, ARGUMENTS)
            },
            "OkHttp + java-jwt (blocking)" to Sender.Blocking(okHttp),
        )
        // Each of ours against the clients used the same way.
        val pairs = listOf(
            "signalr-rest (Kotlin)" to "java.net.http + java-jwt",
            "signalr-rest (Kotlin)" to "OkHttp + java-jwt",
            "signalr-rest (Java, blocking)" to "OkHttp + java-jwt (blocking)",
        )
        val rows = CONCURRENCIES.map { concurrency ->
            for (send in senders.values) measure(concurrency, WARM_UP, send)
            val rounds = List(ROUNDS) { senders.mapValues { (_, send) -> measure(concurrency, seconds / ROUNDS, send) } }
            concurrency to senders.mapValues { (name, _) -> rounds.map { it.getValue(name) }.sorted()[ROUNDS / 2] }
        }
        if (client != null) check(client.received().isNotEmpty()) { "the virtual client received nothing" }

        val where = if (external != null) "a shared simulator" else "one simulator"
        println("send-to-connection from the JVM against $where: median of $ROUNDS rounds of ${seconds / ROUNDS}")
        println("| concurrency | " + senders.keys.joinToString(" | ") { "$it calls/s" } +
            " | " + pairs.joinToString(" | ") { (o, b) -> "${o.removePrefix("signalr-rest ")} vs ${b.replace(" + java-jwt", "")}" } + " |")
        println("|---:|" + "---:|".repeat(senders.size + pairs.size))
        for ((concurrency, rates) in rows) {
            val counts = senders.keys.joinToString(" | ") { "%.0f".format(rates.getValue(it)) }
            val ratios = pairs.joinToString(" | ") { (o, b) -> "%.2fx".format(rates.getValue(o) / rates.getValue(b)) }
            println("| $concurrency | $counts | $ratios |")
        }
        if (external != null) {
            for ((concurrency, rates) in rows) {
                senders.keys.zip(RESULT_NAMES).forEach { (sender, name) ->
                    println("RESULT $name $concurrency ${"%.1f".format(java.util.Locale.ROOT, rates.getValue(sender))}")
                }
            }
        }
    } finally {
        simulator?.close()
    }
}
