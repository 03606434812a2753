package dev.signalrrest

import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonPrimitive
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/**
 * Leak check across the FFI (issue 15): [LeakProgram] creates and closes simulators, clients and
 * virtual clients many times and makes many calls across the boundary, then checks that the JVM's
 * RSS (VmRSS) and open descriptors stay near a baseline taken after a warm-up.
 *
 * It runs in a child JVM with a fixed, pre-touched heap (`-Xms128m -Xmx128m -XX:+AlwaysPreTouch`,
 * serial collector): with the default heap, which the collector grows and shrinks as it sees fit,
 * RSS rose by 40 to 190 MiB over 50,000 calls with the committed heap, and said nothing about
 * native memory. With the heap fixed, RSS growth is native memory (plus the JIT's code cache and
 * metaspace, which settle in the warm-up), and a Java-side leak shows as heap_used_mib growing
 * and, at worst, as an OutOfMemoryError (a non-zero exit).
 *
 * By default the short form (a warm-up of 50 cycles and 50,000 calls, then 100 cycles and 50,000
 * calls: a cycle costs 60 to 90 ms here, against 10 to 15 ms in Python and Node, and the test
 * should stay near 30 s); with LEAK_CALLS set the long form (scripts/leaks: 2,000 cycles unless
 * LEAK_CYCLES says otherwise). The same environment as tests/leaks/leak.py and leak.mjs:
 * LEAK_CYCLES, LEAK_CALLS, LEAK_REST_EVERY (one real REST call per so many, 100), LEAK_WARMUP and
 * LEAK_WARMUP_CALLS (200 cycles and 50,000 calls before the baseline), LEAK_MAX_RSS_MIB (64; the
 * short form here 40) and LEAK_MAX_FDS (8). Prints one `leak kotlin <phase> ...` line per phase,
 * which scripts/leaks reads.
 *
 * Bounds: a real per-call leak of 1 KiB over the short form's 50,000 calls is 49 MiB, and a
 * thread, socket or runtime lost per cycle shows as a descriptor each and MiBs over 100 cycles.
 * What a run without a leak grows by after the warm-up is a few MiB (docs/leaks.md).
 */
class LeakTest {
    @Test
    fun `rss and descriptors stay flat over created and dropped objects and many calls`() {
        val java = ProcessHandle.current().info().command().orElse("java")
        val command = listOf(
            java, "-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
            "-Djava.util.logging.config.file=${System.getProperty("java.util.logging.config.file") ?: ""}",
            "-cp", System.getProperty("java.class.path"), LeakProgram::class.java.name,
        )
        val process = ProcessBuilder(command).redirectErrorStream(true).apply {
            if (System.getenv("LEAK_CALLS").isNullOrEmpty()) {
                environment()["LEAK_WARMUP"] = System.getenv("LEAK_WARMUP") ?: "50"
                environment()["LEAK_CYCLES"] = System.getenv("LEAK_CYCLES") ?: "100"
                environment()["LEAK_CALLS"] = "50000"
                environment()["LEAK_MAX_RSS_MIB"] = System.getenv("LEAK_MAX_RSS_MIB") ?: "40"
            }
        }.start()
        val output = StringBuilder()
        process.inputStream.bufferedReader().forEachLine {
            println(it)
            output.appendLine(it)
        }
        assertTrue(process.waitFor(30, TimeUnit.MINUTES), "the leak program did not finish")
        assertEquals(0, process.exitValue(), "the leak program failed:\n$output")
        val phases = output.lines().filter { it.startsWith("leak kotlin ") }.map { it.split(Regex("\\s+"))[2] }
        assertEquals(listOf("warmup", "cycles", "calls"), phases, output.toString())
    }
}

/** The leak program [LeakTest] runs in a child JVM; also `java -cp ... dev.signalrrest.LeakProgram`. */
object LeakProgram {
    private fun env(name: String): String? = System.getenv(name)?.replace("_", "")?.takeIf { it.isNotEmpty() }

    private val cycles = env("LEAK_CYCLES")?.toInt() ?: 2_000
    private val calls = env("LEAK_CALLS")?.toInt() ?: 1_000_000
    private val restEvery = maxOf(1, env("LEAK_REST_EVERY")?.toInt() ?: 100)
    private val warmup = env("LEAK_WARMUP")?.toInt() ?: 200
    private val warmupCalls = env("LEAK_WARMUP_CALLS")?.toInt() ?: 50_000
    private val maxRssMib = env("LEAK_MAX_RSS_MIB")?.toDouble() ?: 64.0
    private val maxFds = env("LEAK_MAX_FDS")?.toInt() ?: 8

    private fun rssMib(): Double =
        File("/proc/self/status").readLines().first { it.startsWith("VmRSS:") }.split(Regex("\\s+"))[1].toDouble() / 1024

    /** Open descriptors, less the one listing the folder holds. */
    private fun openFds(): Int = File("/proc/self/fd").list()!!.size - 1

    /** Collects garbage, so the cleaner frees the native handles of dropped objects, and lets it run. */
    private fun settle() = repeat(3) {
        System.gc()
        Thread.sleep(100)
    }

    /** A fresh simulator, a client of it and a virtual client, each used once and closed. */
    private suspend fun cycles(count: Int) = repeat(count) { i ->
        Simulator.start().use { sim ->
            ServiceClient.fromConnectionString(sim.connectionString, ClientOptions(maxRetries = 0)).use { client ->
                sim.connect("chat", "u").use { browser ->
                    client.hub("chat").use { it.sendToAll("cycle", listOf(JsonPrimitive(i))) }
                    val received = browser.received().single()
                    assertEquals("cycle", received.target)
                    assertEquals(JsonPrimitive(i), received.arguments.single())
                }
            }
        }
    }

    /**
     * Cheap calls that cross the FFI without the network, and one in [restEvery] a real REST call
     * to the long-lived simulator (to a hub nobody is connected to, so nothing piles up). The
     * `hub()` calls drop their handle unclosed, so the cleaner's path is covered as well as close().
     */
    private suspend fun calls(count: Int, sim: Simulator, client: ServiceClient) {
        val restHub = client.hub("leak")
        val audience = "${sim.url}/api/v1/hubs/leak"
        for (i in 0 until count) {
            if (i % restEvery == 0) {
                restHub.sendToAll("tick", listOf(JsonPrimitive(i)))
                continue
            }
            when (i % 5) {
                0 -> assertTrue(client.negotiate("chat", userId = "user-1").accessToken.isNotEmpty())
                1 -> assertEquals("chat", client.hub("chat").name)
                2 -> assertTrue(sim.hubs().isNotEmpty())
                3 -> assertTrue(client.clientUrl("chat").isNotEmpty())
                else -> assertTrue(sim.accessToken(audience).isNotEmpty())
            }
        }
        restHub.close()
    }

    @JvmStatic
    fun main(args: Array<String>) = runBlocking<Unit> {
        val failures = mutableListOf<String>()
        Simulator.start().use { sim ->
            ServiceClient.fromConnectionString(sim.connectionString, ClientOptions(maxRetries = 0)).use { client ->
                settle()
                var beforeRss = rssMib()
                var beforeFds = openFds()

                fun report(phase: String, started: Long, ops: Int, bounded: Boolean = true) {
                    val rss = rssMib()
                    val fds = openFds()
                    val growth = rss - beforeRss
                    val fdGrowth = fds - beforeFds
                    val over = bounded && (growth > maxRssMib || fdGrowth > maxFds)
                    val seconds = (System.nanoTime() - started) / 1e9
                    System.gc() // the heap's live objects, not what the runtime's threads allocated since settle()
                    val runtime = Runtime.getRuntime()
                    val heapUsed = (runtime.totalMemory() - runtime.freeMemory()) / 1048576.0
                    val heapCommitted = runtime.totalMemory() / 1048576.0
                    val line = "leak kotlin ${phase.padEnd(6)} rss_mib_before=${"%.1f".format(beforeRss)} " +
                        "rss_mib=${"%.1f".format(rss)} fds_before=$beforeFds fds=$fds " +
                        "rss_growth_mib=${"%+.1f".format(growth)} fd_growth=${"%+d".format(fdGrowth)} " +
                        "seconds=${"%.1f".format(seconds)} ops=$ops " +
                        "heap_used_mib=${"%.1f".format(heapUsed)} heap_committed_mib=${"%.1f".format(heapCommitted)}" +
                        if (over) "  FAIL (bounds: +$maxRssMib MiB, +$maxFds fds)" else ""
                    println(line)
                    if (over) failures += line
                }

                // The warm-up's growth is shown, not bounded: allocators, runtimes and the JIT settle in it.
                var started = System.nanoTime()
                cycles(warmup)
                calls(warmupCalls, sim, client)
                settle()
                report("warmup", started, warmup, bounded = false)
                beforeRss = rssMib() // the baseline
                beforeFds = openFds()

                started = System.nanoTime()
                cycles(cycles)
                settle()
                report("cycles", started, cycles)

                started = System.nanoTime()
                calls(calls, sim, client)
                settle()
                report("calls", started, calls)
            }
        }
        System.out.flush()
        exitProcess(if (failures.isEmpty()) 0 else 1)
    }
}
