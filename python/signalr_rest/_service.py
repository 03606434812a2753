"""What the sync and asyncio service clients share: building, negotiate, closing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar, TypeVar

from . import _native, _token_provider
from ._types import (
    JSON,
    ApiVersion,
    AsyncTokenProvider,
    NegotiateResponse,
    RetryPolicy,
    Seconds,
    optional_seconds,
    TokenProvider,
    seconds,
)
from .errors import InvalidArgumentError, SignalRError

_Client = TypeVar("_Client", bound="ServiceClientBase")

DEFAULT_TOKEN_LIFETIME = timedelta(hours=1)


class ServiceClientBase:
    """A client of one service endpoint; the pool of connections is shared by its hubs."""

    #: Whether ``token_provider`` may be a coroutine function (only the asyncio client awaits).
    _ASYNC_TOKEN_PROVIDER: ClassVar[bool] = False

    def __init__(
        self,
        *,
        connection_string: str | None = None,
        endpoint: str | None = None,
        access_key: str | None = None,
        client_endpoint: str | None = None,
        timeout: Seconds | None = None,
        retry: RetryPolicy | None = None,
        application_name: str | None = None,
        token_lifetime: Seconds | None = None,
        api_version: ApiVersion | None = None,
        token_provider: TokenProvider | AsyncTokenProvider | None = None,
    ) -> None:
        if (
            token_provider is not None
            and not self._ASYNC_TOKEN_PROVIDER
            and _token_provider.is_async(token_provider)
        ):
            raise InvalidArgumentError(
                "invalid token_provider: an async token provider needs "
                "signalr_rest.aio.ServiceClient; give this client a sync callable",
                "token_provider",
            )
        policy = retry or RetryPolicy()
        self._native: _native.ServiceClient | None = _native.ServiceClient(
            connection_string=connection_string,
            endpoint=endpoint,
            access_key=access_key,
            client_endpoint=client_endpoint,
            timeout=optional_seconds("timeout", timeout),
            max_retries=policy.max_retries,
            retry_initial_delay=optional_seconds("retry.initial_delay", policy.initial_delay),
            retry_max_delay=optional_seconds("retry.max_delay", policy.max_delay),
            application_name=application_name,
            token_lifetime=optional_seconds("token_lifetime", token_lifetime),
            api_version=api_version,
            token_provider=None if token_provider is None else _token_provider.adapt(token_provider),
        )

    @classmethod
    def from_connection_string(
        cls: type[_Client],
        connection_string: str,
        *,
        timeout: Seconds | None = None,
        retry: RetryPolicy | None = None,
        application_name: str | None = None,
        token_lifetime: Seconds | None = None,
        api_version: ApiVersion | None = None,
        token_provider: TokenProvider | AsyncTokenProvider | None = None,
    ) -> _Client:
        """A client from ``Endpoint=...;AccessKey=...;Version=1.0;``.

        ``api_version="2022-06-01"`` speaks the API version Microsoft's SDKs send; the default is
        ``"1.0"``. Any other value raises ``InvalidArgumentError`` naming it. A connection string
        with ``AuthType=aad`` (no key) needs ``token_provider``.
        """
        return cls(
            connection_string=connection_string,
            timeout=timeout,
            retry=retry,
            application_name=application_name,
            token_lifetime=token_lifetime,
            api_version=api_version,
            token_provider=token_provider,
        )

    @property
    def endpoint(self) -> str:
        """The REST endpoint, without trailing slash."""
        return self._live().endpoint

    @property
    def api_version(self) -> ApiVersion:
        """The REST API version this client speaks: ``"1.0"`` or ``"2022-06-01"``."""
        return self._live().api_version

    @property
    def application_name(self) -> str | None:
        """The application name hub names are prefixed with (lower case), if any."""
        return self._live().application_name

    def client_url(self, hub: str) -> str:
        """The URL a SignalR client connects to for ``hub``."""
        return self._live().client_url(hub)

    def negotiate(
        self,
        hub: str,
        user_id: str | None = None,
        *,
        lifetime: Seconds = DEFAULT_TOKEN_LIFETIME,
        claims: Mapping[str, JSON] | None = None,
    ) -> NegotiateResponse:
        """The ``{"url", "accessToken"}`` a negotiate endpoint returns; no request is made."""
        native_claims = None if claims is None else dict(claims)
        url, token = self._live().negotiate(
            hub, user_id, seconds("lifetime", lifetime), native_claims
        )
        return {"url": url, "accessToken": token}

    def _negotiate_with_service(
        self, hub: str, user_id: str | None, lifetime: Seconds
    ) -> _native.PendingCall:
        return self._live().negotiate_with_service(hub, user_id, seconds("lifetime", lifetime))

    def _release(self) -> None:
        self._native = None

    def _live(self) -> _native.ServiceClient:
        if self._native is None:
            raise SignalRError("this ServiceClient has been closed")
        return self._native
