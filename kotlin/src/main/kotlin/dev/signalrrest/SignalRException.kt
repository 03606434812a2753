package dev.signalrrest

import kotlin.coroutines.cancellation.CancellationException
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import dev.signalrrest.ffi.InternalException
import dev.signalrrest.ffi.SignalRException as NativeError

/**
 * A failed call; [kind] is the core's stable name of the error kind. Unchecked, so Java code
 * catches it where it chooses, as with the JDK's own `UncheckedIOException`.
 */
sealed class SignalRException(message: String) : RuntimeException(message) {
    /** The core's snake_case name of this kind, e.g. `not_found`. */
    abstract val kind: String

    /** An argument broke a rule before anything was sent; [field] names it. */
    class InvalidArgument(val field: String, message: String) : SignalRException(message) {
        override val kind get() = "invalid_argument"
    }

    /** The service refused the credentials ([status] 401/403), or no token could be had ([status] null). */
    class Unauthorized(val status: Int?, message: String) : SignalRException(message) {
        override val kind get() = "unauthorized"
    }

    /** The connection, user or group does not exist; [errorCode] is the service's `x-ms-error-code`. */
    class NotFound(val errorCode: String, message: String) : SignalRException(message) {
        override val kind get() = "not_found"
    }

    /** The service rejected the request as malformed (400). */
    class BadRequest(message: String) : SignalRException(message) {
        override val kind get() = "bad_request"
    }

    /** Any other non-success answer, with its [status] and [body]. */
    class ServiceError(val status: Int, val body: String, message: String) : SignalRException(message) {
        override val kind get() = "service_error"
    }

    /** No answer within the client's request timeout. */
    class Timeout(val after: Duration, message: String) : SignalRException(message) {
        override val kind get() = "timeout"
    }

    /** The request could not be sent or the answer not read. */
    class Transport(message: String) : SignalRException(message) {
        override val kind get() = "transport"
    }

    /** A fault inside the native library, such as a Rust panic; it fails this call only. */
    class Internal(message: String) : SignalRException(message) {
        override val kind get() = "internal"
    }
}

/** The generated error as this package's exception; a cancelled native call as a [CancellationException]. */
internal fun NativeError.toPublic(): Exception = when (this) {
    is NativeError.InvalidArgument -> SignalRException.InvalidArgument(field, detail)
    is NativeError.Unauthorized -> SignalRException.Unauthorized(status?.toInt(), detail)
    is NativeError.NotFound -> SignalRException.NotFound(code, detail)
    is NativeError.BadRequest -> SignalRException.BadRequest(detail)
    is NativeError.Service -> SignalRException.ServiceError(status.toInt(), body, detail)
    is NativeError.Timeout -> SignalRException.Timeout(afterMs.toLong().milliseconds, detail)
    is NativeError.Transport -> SignalRException.Transport(detail)
    is NativeError.Cancelled -> CancellationException(detail)
}

/**
 * Runs a native call, rethrowing its error as this package's exception. A Rust panic reaches
 * Kotlin as the generated [InternalException] (uniffi catches it at the FFI boundary).
 */
internal inline fun <T> native(call: () -> T): T =
    try {
        NativeThreads.ensure()
        call()
    } catch (e: NativeError) {
        throw e.toPublic()
    } catch (e: InternalException) {
        throw SignalRException.Internal("internal error in the native library: ${e.message}")
    }
