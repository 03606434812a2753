"""Runs a token provider where it belongs, for the native client to await its token.

A sync provider may block (azure-identity fetches tokens over HTTP), so it runs on a thread
pool of its own; Python joins those threads at exit, which it cannot do for a Rust thread. A
coroutine runs on the event loop the ``aio`` call was awaited on.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

from ._types import AsyncTokenProvider, TokenProvider
from .errors import InvalidArgumentError

#: What the native client calls: ``start(audience, event_loop)`` gives the token's future; the
#: event loop is the caller's for ``aio`` calls, else None.
Start = Callable[[str, "asyncio.AbstractEventLoop | None"], "Future[Any]"]

_lock = threading.Lock()
_threads: ThreadPoolExecutor | None = None

_NEEDS_AIO = "it returned an awaitable, which only signalr_rest.aio.ServiceClient can await"


def _pool() -> ThreadPoolExecutor:
    global _threads
    with _lock:
        if _threads is None:
            _threads = ThreadPoolExecutor(thread_name_prefix="signalr-rest-token")
        return _threads


def is_async(provider: object) -> bool:
    """Whether ``provider`` is a coroutine function (or an object whose ``__call__`` is)."""
    return inspect.iscoroutinefunction(provider) or inspect.iscoroutinefunction(
        getattr(provider, "__call__", None)
    )


def adapt(provider: TokenProvider | AsyncTokenProvider) -> Start:
    """The ``start`` function the native client calls for every request's token."""
    if not callable(provider):
        raise InvalidArgumentError(
            "invalid token_provider: token_provider must be a callable (audience) -> str, "
            f"got {type(provider).__name__}",
            "token_provider",
        )
    coroutine_function = is_async(provider)

    def start(audience: str, event_loop: asyncio.AbstractEventLoop | None) -> Future[Any]:
        if coroutine_function:
            if event_loop is None:
                raise TypeError(_NEEDS_AIO)
            coroutine = _awaited(cast("Awaitable[Any]", provider(audience)))
            return asyncio.run_coroutine_threadsafe(coroutine, event_loop)
        return _pool().submit(_call, provider, audience, event_loop)

    start.__qualname__ = getattr(provider, "__qualname__", repr(provider))
    return start


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _call(
    provider: Callable[[str], Any], audience: str, event_loop: asyncio.AbstractEventLoop | None
) -> Any:
    token = provider(audience)
    if inspect.isawaitable(token):
        if event_loop is None:
            if inspect.iscoroutine(token):
                token.close()  # never awaited: close it so Python does not warn
            raise TypeError(_NEEDS_AIO)
        return asyncio.run_coroutine_threadsafe(_awaited(token), event_loop).result()
    return token
