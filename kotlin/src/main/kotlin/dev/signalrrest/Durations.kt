package dev.signalrrest

import kotlin.time.Duration
import kotlin.time.DurationUnit

/** This duration as the seconds the native layer takes; it refuses negative and infinite values, naming them. */
internal val Duration.inSeconds: Double
    get() = toDouble(DurationUnit.SECONDS)
