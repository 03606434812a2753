package dev.signalrrest

import org.slf4j.Logger
import org.slf4j.LoggerFactory
import dev.signalrrest.ffi.LogLevel
import dev.signalrrest.ffi.LogSink
import dev.signalrrest.ffi.installLogSink

/**
 * The native library's log events (the core's, such as one debug event per request attempt with
 * method, path, outcome, attempt and elapsed time; never a token) forwarded to the SLF4J logger
 * `dev.signalrrest`, at their level, with the Rust module as a suffix. Installed once, by the
 * first client or simulator. The logger's level is read then and by [SignalRRest.refreshLogLevels],
 * not per event, so events it does not take cost nothing.
 */
internal object Slf4jLogSink : LogSink {
    private val logger: Logger = LoggerFactory.getLogger("dev.signalrrest")

    /** Touching this installs the sink. */
    val installed: Unit = NativeThreads.ensure().also { installLogSink(this) }

    override fun maxLevel(): LogLevel? = when {
        logger.isTraceEnabled -> LogLevel.TRACE
        logger.isDebugEnabled -> LogLevel.DEBUG
        logger.isInfoEnabled -> LogLevel.INFO
        logger.isWarnEnabled -> LogLevel.WARN
        logger.isErrorEnabled -> LogLevel.ERROR
        else -> null
    }

    override fun log(level: LogLevel, target: String, message: String) {
        when (level) {
            LogLevel.ERROR -> if (logger.isErrorEnabled) logger.error("{} ({})", message, target)
            LogLevel.WARN -> if (logger.isWarnEnabled) logger.warn("{} ({})", message, target)
            LogLevel.INFO -> if (logger.isInfoEnabled) logger.info("{} ({})", message, target)
            LogLevel.DEBUG -> if (logger.isDebugEnabled) logger.debug("{} ({})", message, target)
            LogLevel.TRACE -> if (logger.isTraceEnabled) logger.trace("{} ({})", message, target)
        }
    }
}
