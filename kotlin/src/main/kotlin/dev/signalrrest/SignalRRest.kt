package dev.signalrrest

/** Facts about the package as a whole. */
object SignalRRest {
    /** The package's version: the version of the native core it runs (`signalr_rest::VERSION`). */
    @JvmField
    val VERSION: String = native { dev.signalrrest.ffi.version() }
}
