package dev.signalrrest

import java.io.File
import java.lang.reflect.Constructor
import java.lang.reflect.Modifier
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Test

/**
 * The package has the whole surface tests/scenarios/surface.json lists, found by Java reflection
 * under the Kotlin name (lowerCamelCase, or the entry's "kotlin" name, `Class.member` for a
 * member of another class); an entry whose "kotlin" is a gap must really be absent.
 */
class SurfaceTest {
    private val manifest = Json.parseToJsonElement(
        File(System.getProperty("scenarios.dir"), "surface.json").readText(),
    ).jsonObject

    /** Where each section's entries live, unless the entry names a class. */
    private val sectionClass = mapOf(
        "client_options" to ClientOptions::class.java,
        "client_methods" to ServiceClient::class.java,
        "hub_methods" to HubClient::class.java,
        "simulator_options" to SimulatorOptions::class.java,
        "simulator_methods" to Simulator::class.java,
        "virtual_client_methods" to VirtualClient::class.java,
        "helpers" to SignalRRest::class.java,
    )

    @Test
    fun `the package has every manifest entry and no listed gap`() {
        val missing = mutableListOf<String>()
        val notGaps = mutableListOf<String>()
        var checked = 0
        for ((section, entries) in manifest.getValue("sections").jsonObject) {
            for (entry in entries.jsonArray.map { it.jsonObject }) {
                val name = entry.getValue("name").jsonPrimitive.content
                val kotlin = entry["kotlin"]
                val gap = (kotlin as? JsonObject)?.get("gap")
                // Error kinds are the core's `kind` strings, as written.
                val derived = if (section == "error_kinds") name else camel(name)
                val present = has(section, (kotlin as? JsonPrimitive)?.content ?: derived)
                checked++
                when {
                    gap != null -> {
                        assertTrue(gap is JsonPrimitive && gap.isString, "$section.$name: a gap needs its reason")
                        if (present) notGaps += "$section.$name"
                    }
                    !present -> missing += "$section.$name"
                }
            }
        }
        assertTrue(checked > 60, "only $checked entries in the manifest")
        assertEquals(emptyList(), missing, "surface.json lists what the Kotlin package lacks")
        assertEquals(emptyList(), notGaps, "surface.json lists as Kotlin gaps what the package has")
    }

    @Test
    fun `names are derived as the manifest says`() {
        assertEquals("negotiateWithService", camel("negotiate_with_service"))
        assertEquals("upstream.parseRequest", camel("upstream.parse_request"))
        assertTrue(has("client_methods", "clientUrl"))
        assertTrue(!has("client_methods", "noSuchMethod"))
    }

    private fun camel(snake: String) = snake.split('.').joinToString(".") { segment ->
        segment.split('_').mapIndexed { i, word -> if (i == 0) word else word.replaceFirstChar(Char::uppercase) }
            .joinToString("")
    }

    /** Whether [name] (`member` of the section's class, or `Class.member`) exists. */
    private fun has(section: String, name: String): Boolean {
        if (section == "error_kinds") return name in errorKinds()
        val dot = name.lastIndexOf('.')
        val owner = if (dot < 0) {
            sectionClass.getValue(section)
        } else {
            val simple = name.substring(0, dot).replaceFirstChar(Char::uppercase)
            runCatching { Class.forName("dev.signalrrest.$simple") }.getOrNull() ?: return false
        }
        return hasMember(owner, name.substring(dot + 1))
    }

    /**
     * A public method, getter or field [member] of [owner] or its companion object. Methods with
     * a Kotlin `Duration` (an inline class) in their signature get a `-hash` suffix on the JVM.
     */
    private fun hasMember(owner: Class<*>, member: String): Boolean {
        val names = listOf(member, "get" + member.replaceFirstChar(Char::uppercase))
        val classes = listOfNotNull(owner, owner.declaredClasses.firstOrNull { it.simpleName == "Companion" })
        return classes.any { c ->
            c.methods.any { method -> names.any { method.name == it || method.name.startsWith("$it-") } } ||
                c.fields.any { it.name == member && Modifier.isPublic(it.modifiers) }
        }
    }

    /** The `kind` of every [SignalRException] subclass, each made with placeholder arguments. */
    private fun errorKinds(): Set<String> =
        SignalRException::class.java.declaredClasses
            .filter { SignalRException::class.java.isAssignableFrom(it) && !Modifier.isAbstract(it.modifiers) }
            .map { (instance(it.declaredConstructors.first()) as SignalRException).kind }
            .toSet()

    private fun instance(constructor: Constructor<*>): Any {
        constructor.isAccessible = true
        val arguments = constructor.parameterTypes.map { type ->
            when (type) {
                String::class.java -> ""
                Int::class.javaPrimitiveType -> 0
                Long::class.javaPrimitiveType -> 0L
                else -> null // nullable boxes, and the marker of constructors taking inline classes
            }
        }
        return constructor.newInstance(*arguments.toTypedArray())
    }
}
