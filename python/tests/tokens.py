"""Reading the tokens the client and the simulator make."""

from __future__ import annotations

import base64
import json
from typing import Any


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims
