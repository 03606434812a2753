package dev.signalrrest.examples

import dev.signalrrest.Simulator
import java.io.File
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/** The README's key-less example is this package's Keyless.kt, word for word, and works against the simulator. */
class KeylessTest {
    @Test
    fun `the README shows Keyless_kt verbatim`() {
        val source = File("src/test/kotlin/dev/signalrrest/examples/Keyless.kt").readText()
        val example = source.substringAfter("\n", "").let { text ->
            text.substring(text.indexOf("// README begin"), text.indexOf("// README end"))
        }.substringAfter("\n")
        assertTrue(example.contains("withTokenProvider"), example)
        val readme = File("README.md").readText()
        assertTrue("```kotlin\n$example```" in readme, "kotlin/README.md must show, verbatim:\n$example")
    }

    @Test
    fun `the key-less example sends with tokens the simulator signs`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val reader = simulator.connect("chat")
            // The simulator signs what Entra ID (or your backend) would issue for this audience.
            sendWithoutKey(simulator.url) { audience -> simulator.accessToken(audience) }
            assertEquals("[\"hello\"]", reader.received().single().argumentsJson)
        }
    }
}
