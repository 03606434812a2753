package dev.signalrrest

import java.io.File
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * The README's `suspend fun main` (readme/Use.kt) run as a program in a JVM of its own against a
 * simulator: it exits 0 and JNA prints nothing. Before the native threads stayed attached
 * (NativeThreads), each run printed `JNA: could not detach thread` ten times.
 */
class ExitTest {
    @Test
    fun theReadmeProgramRunsAndExitsCleanly() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val java = File(System.getProperty("java.home"), "bin/java").path
            val process = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.signalrrest.readme.UseKt")
                .apply { environment()["AZURE_SIGNALR_CONNECTION_STRING"] = simulator.connectionString }
                .redirectErrorStream(true)
                .start()
            val output = process.inputStream.bufferedReader().readText()
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the program did not exit: $output")
            assertEquals(0, process.exitValue(), output)
            assertFalse(output.contains("JNA:"), output)
            assertTrue(simulator.hubs().contains("chat"), "the program's sends reached the simulator")
        }
    }
}
