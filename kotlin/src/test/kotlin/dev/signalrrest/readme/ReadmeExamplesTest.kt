package dev.signalrrest.readme

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

/** The kotlin/README.md examples that run against the simulator alone (Snippets.kt). */
class ReadmeExamplesTest {
    @Test
    fun `the simulator example runs`() = runBlocking<Unit> {
        simulatorExample()
    }
}
