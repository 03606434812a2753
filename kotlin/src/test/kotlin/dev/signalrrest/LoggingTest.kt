package dev.signalrrest

import java.util.logging.Handler
import java.util.logging.Level
import java.util.logging.LogRecord
import java.util.logging.Logger
import kotlinx.coroutines.runBlocking
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/**
 * The core's per-attempt debug event reaches SLF4J's `dev.signalrrest` logger (here through
 * java.util.logging) at the level read by [SignalRRest.refreshLogLevels].
 */
class LoggingTest {
    @Test
    fun `a request's attempt event reaches the dev_signalrrest logger without the token`() = runBlocking<Unit> {
        val records = java.util.Collections.synchronizedList(mutableListOf<LogRecord>())
        val capture = object : Handler() {
            override fun publish(record: LogRecord) {
                records += record
            }

            override fun flush() = Unit

            override fun close() = Unit
        }
        val logger = Logger.getLogger("dev.signalrrest")
        val before = logger.level
        // The level is read at INFO first, so the attempt events below come only if the
        // refresh at FINE reads it again.
        logger.level = Level.INFO
        SignalRRest.refreshLogLevels()
        logger.level = Level.FINE
        SignalRRest.refreshLogLevels()
        logger.addHandler(capture)
        try {
            Simulator.start().use { simulator ->
                ServiceClient.fromConnectionString(simulator.connectionString).use { client ->
                    client.hub("chat").sendToAll("t")
                }
                val token = simulator.accessToken("${simulator.url}/api/v1/hubs/chat")
                // slf4j-jdk14 hands JUL the formatted message.
                val record = records.firstOrNull { "request attempt" in it.message }
                assertTrue(record != null, "no attempt event among ${records.map { it.message }}")
                val attempt = record.message
                for (part in listOf("method=POST", "path=\"/api/v1/hubs/chat", "attempt=1", "elapsed=", "signalr_rest")) {
                    assertTrue(part in attempt, "$part missing from $attempt")
                }
                assertTrue(record.level == Level.FINE, "logged at ${record.level}")
                // Every JWT starts with the same header: none may be in the event.
                assertTrue(token.substringBefore('.') !in attempt, "a token in $attempt")

                // Back at INFO, once read again, the debug events stop.
                logger.level = Level.INFO
                SignalRRest.refreshLogLevels()
                records.clear()
                ServiceClient.fromConnectionString(simulator.connectionString).use { client ->
                    client.hub("chat").sendToAll("t")
                }
                assertTrue(records.none { it.level == Level.FINE }, "debug events at INFO: ${records.map { it.message }}")
            }
        } finally {
            logger.removeHandler(capture)
            logger.level = before
            SignalRRest.refreshLogLevels()
        }
    }
}
