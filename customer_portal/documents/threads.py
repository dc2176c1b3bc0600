"""Calling pyHanko's synchronous API from anywhere.

pyHanko's sync functions wrap ``asyncio.run``, which refuses to start when
the calling thread already runs an event loop (a Reflex handler, or any async
caller). There, the call moves to a short-lived worker thread instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def outside_event_loop(fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)`` where ``asyncio.run`` is allowed.

    Called directly when this thread runs no event loop; otherwise in a
    one-off worker thread, and this thread blocks until it returns. Exceptions
    from ``fn`` reach the caller either way.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()
