package dev.signalrrest

import com.sun.jna.Callback
import com.sun.jna.CallbackThreadInitializer
import com.sun.jna.Native
import dev.signalrrest.ffi.uniffiCallbackInterfaceLogSink
import dev.signalrrest.ffi.uniffiCallbackInterfaceTokenProvider
import dev.signalrrest.ffi.uniffiForeignFutureDroppedCallbackImpl
import dev.signalrrest.ffi.uniffiRustFutureContinuationCallbackImpl

/**
 * How the native library's threads call into the JVM: the Rust runtime's threads complete async
 * calls, and call token providers and the log sink, through JNA callbacks. By default JNA
 * attaches such a thread for each callback and detaches it afterwards. When a coroutine without
 * a dispatcher (`suspend fun main`) is resumed by a callback, it runs on that thread and its next
 * native call may complete at once, calling back on the same thread: the inner detach then fails
 * with Java frames still on the stack and JNA prints `JNA: could not detach thread`. So these
 * threads are attached once, as daemon threads (they never keep the JVM from exiting), and stay
 * attached; that also saves an attach and a detach per callback.
 */
internal object NativeThreads {
    private val initializer = CallbackThreadInitializer(true, false, "signalr-rest native")

    init {
        val callbacks: List<Callback> = listOf(
            uniffiRustFutureContinuationCallbackImpl,
            uniffiForeignFutureDroppedCallbackImpl,
            uniffiCallbackInterfaceLogSink.`log`,
            uniffiCallbackInterfaceLogSink.uniffiFree,
            uniffiCallbackInterfaceLogSink.uniffiClone,
            uniffiCallbackInterfaceTokenProvider.`token`,
            uniffiCallbackInterfaceTokenProvider.uniffiFree,
            uniffiCallbackInterfaceTokenProvider.uniffiClone,
        )
        for (callback in callbacks) Native.setCallbackThreadInitializer(callback, initializer)
    }

    /** Registers the threads' settings; JNA reads them when a callback is first handed to native code. */
    fun ensure() = Unit
}
