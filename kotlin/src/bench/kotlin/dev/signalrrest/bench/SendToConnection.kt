// Send-to-connection throughput against one simulator: this package versus java.net.http with
// java-jwt signing each request (as the core does), at concurrency 1 and 64.
// BENCH_SECONDS sets the measuring time of each run (default 3).
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
import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.future.await
import kotlinx.coroutines.launch
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlin.time.DurationUnit
import kotlin.time.TimeSource

private const val TARGET = "benchmark"
private val ARGUMENTS: List<JsonElement> = listOf(JsonPrimitive("hello"), buildJsonObject { put("n", JsonPrimitive(1)) })
private val CONCURRENCIES = listOf(1, 64)

/** Calls [call] from [concurrency] coroutines for [duration]; returns calls per second. */
private suspend fun measure(concurrency: Int, duration: Duration, call: suspend () -> Unit): Double = coroutineScope {
    val calls = AtomicLong()
    val started = TimeSource.Monotonic.markNow()
    val deadline = started + duration
    repeat(concurrency) {
        launch {
            while (deadline.hasNotPassedNow()) {
                call()
                calls.incrementAndGet()
            }
        }
    }
    coroutineContext[kotlinx.coroutines.Job]!!.children.forEach { it.join() }
    calls.get() / started.elapsedNow().toDouble(DurationUnit.SECONDS)
}

/** java.net.http plus a JWT per request, the way an app without this package would call the service. */
private fun httpSender(simulator: Simulator, connectionId: String): suspend () -> Unit {
    val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
    val url = "${simulator.url}/api/v1/hubs/bench/connections/${URLEncoder.encode(connectionId, Charsets.UTF_8)}"
    val body = buildJsonObject {
        put("target", JsonPrimitive(TARGET))
        put("arguments", kotlinx.serialization.json.JsonArray(ARGUMENTS))
    }.toString()
    val algorithm = Algorithm.HMAC256(simulator.accessKey)
    return {
        val token = JWT.create().withAudience(url).withExpiresAt(Instant.now().plusSeconds(3600)).sign(algorithm)
        val request = HttpRequest.newBuilder(URI(url))
            .header("Authorization", "Bearer $token")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build()
        val response = http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).await()
        check(response.statusCode() == 202) { "java.net.http got ${response.statusCode()}" }
    }
}

fun main() = runBlocking(Dispatchers.Default) {
    val seconds = (System.getenv("BENCH_SECONDS") ?: "3").toDouble().seconds
    Simulator.start().use { simulator ->
        val client = simulator.connect("bench")
        val hub = ServiceClient.fromConnectionString(simulator.connectionString).hub("bench")
        val senders = linkedMapOf<String, suspend () -> Unit>(
            "signalr-rest (Kotlin)" to { hub.sendToConnection(client.connectionId, TARGET, ARGUMENTS) },
            "java.net.http + java-jwt" to httpSender(simulator, client.connectionId),
        )
        val rows = CONCURRENCIES.map { concurrency ->
            concurrency to senders.mapValues { (_, send) ->
                measure(concurrency, minOf(500.milliseconds, seconds), send) // warm-up
                measure(concurrency, seconds, send)
            }
        }
        check(client.received().isNotEmpty()) { "the virtual client received nothing" }

        val (ours, theirs) = senders.keys.toList()
        println("send-to-connection from the JVM against one simulator, $seconds per run")
        println("| concurrency | $ours calls/s | $theirs calls/s | ratio |")
        println("|---:|---:|---:|---:|")
        for ((concurrency, rates) in rows) {
            val ratio = rates.getValue(ours) / rates.getValue(theirs)
            println("| $concurrency | %.0f | %.0f | %.2fx |".format(rates.getValue(ours), rates.getValue(theirs), ratio))
        }
    }
}
