package dev.signalrrest

import java.util.concurrent.CompletableFuture
import kotlin.coroutines.cancellation.CancellationException
import kotlin.time.toKotlinDuration
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.future.future
import kotlinx.coroutines.runBlocking

/**
 * Where the `...Async` calls run: completions reach the future's callbacks on a Default-pool
 * thread, never on the native library's thread that woke the call. Supervised, so one failed
 * call leaves the others running.
 */
private val javaCalls = CoroutineScope(SupervisorJob() + Dispatchers.Default + CoroutineName("signalr-rest-java"))

/**
 * Runs a suspending call on the calling thread, for the `...Blocking` methods. Interrupting the
 * thread cancels the call (its HTTP request closes) and throws [CancellationException] with the
 * interrupt flag set again: Java cannot catch the InterruptedException runBlocking throws from a
 * method that does not declare it.
 */
internal fun <T> blockingCall(call: suspend () -> T): T =
    try {
        runBlocking { call() }
    } catch (e: InterruptedException) {
        Thread.currentThread().interrupt()
        throw CancellationException("the thread was interrupted; the call was cancelled", e)
    }

/** A suspending call as a CompletableFuture, for the `...Async` methods; cancelling the future cancels the call. */
internal fun <T> futureCall(call: suspend () -> T): CompletableFuture<T> = javaCalls.future { call() }

/** [futureCall] for calls without a result: Java's `CompletableFuture<Void>` completes with null. */
internal fun voidFutureCall(call: suspend () -> Unit): CompletableFuture<Void?> = javaCalls.future {
    call()
    null
}

/** A Java duration as Kotlin's; null stays null (the option's default). */
internal fun java.time.Duration?.toKotlin() = this?.toKotlinDuration()
