package dev.signalrrest

import com.auth0.jwt.JWT
import com.auth0.jwt.algorithms.Algorithm
import java.time.Instant

/** What an app's backend does for a token provider: an HS256 token for [audience], signed with [key]. */
fun signToken(key: String, audience: String, lifetimeSeconds: Long = 3600): String =
    JWT.create()
        .withAudience(audience)
        .withExpiresAt(Instant.now().plusSeconds(lifetimeSeconds))
        .sign(Algorithm.HMAC256(key))
