"""The aiohttp session both APIs' transports send through: one policy for pooling and timeouts."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

__all__ = ["api_session"]


def api_session(
    *, concurrency: int, timeout: float, headers: Mapping[str, str]
) -> aiohttp.ClientSession:
    """A session for one run's calls; create it inside the running loop.

    The pool allows `concurrency` connections: at the cap, calls in flight are rate x
    (latency + any delay), which exceeds aiohttp's default of 100. `connect` covers waiting for
    a pooled connection and opening one: nothing was sent yet; `sock_read` covers the wait for
    the reply after the request went out, which is when an outcome becomes unknown.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency, limit_per_host=0),
        timeout=aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout),
        headers={"User-Agent": "bulkimport", **headers},
        skip_auto_headers=("Accept-Encoding",),  # no compressed replies: no zip bombs
    )
