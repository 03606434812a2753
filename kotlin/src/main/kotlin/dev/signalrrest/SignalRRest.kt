package dev.signalrrest

/** Facts about the package as a whole. */
object SignalRRest {
    /** The package's version: the version of the native core it runs (`signalr_rest::VERSION`). */
    @JvmField
    val VERSION: String = native { dev.signalrrest.ffi.version() }

    /**
     * Reads the `dev.signalrrest` logger's level again. The library reads it once, when its first
     * client or simulator starts, and sends the logger no events finer than that level; call this
     * after changing the level at run time.
     */
    @JvmStatic
    fun refreshLogLevels() {
        Slf4jLogSink.installed
        native { dev.signalrrest.ffi.refreshLogLevels() }
    }
}
