package dev.signalrrest

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/** The simulator's live dashboard: served on loopback by default, not with `dashboard = false`. */
class DashboardTest {
    private val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

    private fun get(url: String): HttpResponse<String> = http.send(
        HttpRequest.newBuilder(URI(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString(),
    )

    @Test
    fun `the dashboard is served on loopback by default`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val url = assertNotNull(simulator.dashboardUrl)
            assertEquals("${simulator.url}/dashboard/", url)
            val page = get(url)
            assertEquals(200, page.statusCode())
            val type = page.headers().firstValue("content-type").orElse("")
            assertTrue(type.startsWith("text/html"), type)
            assertTrue("<html" in page.body().lowercase())
        }
    }

    @Test
    fun `dashboard false serves no dashboard`() = runBlocking<Unit> {
        Simulator.start(SimulatorOptions(dashboard = false)).use { simulator ->
            assertNull(simulator.dashboardUrl)
            assertEquals(404, get("${simulator.url}/dashboard/").statusCode())
        }
    }

    @Test
    fun `dashboard true from Java's builder serves it`() {
        Simulator.startBlocking(SimulatorOptions.builder().dashboard(true).build()).use { simulator ->
            assertEquals("${simulator.url}/dashboard/", simulator.dashboardUrl)
        }
    }
}
