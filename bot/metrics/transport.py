"""Counting the providers' HTTP answers where they pass: a transport wrapped around the real one.

Replicate's client and our plain HTTP to its API run on httpx; the OpenAI SDK (3.x) on httpx2,
its own fork with the same transport interface (`handle_async_request`, `aclose`). Every
exchange is counted, the clients' own retries included: a 429 the SDK retried is still a 429.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import httpx2

Observe = Callable[[str, "int | None"], None]  # Metrics.provider_answer: provider, status


class CountingTransport(httpx.AsyncBaseTransport):
    """httpx: each answer's status (or a transport error) reported to `observe`."""

    def __init__(self, wrapped: httpx.AsyncBaseTransport, provider: str, observe: Observe) -> None:
        self._wrapped, self._provider, self._observe = wrapped, provider, observe

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._wrapped.handle_async_request(request)
        except httpx.TransportError:
            self._observe(self._provider, None)
            raise
        self._observe(self._provider, response.status_code)
        return response

    async def aclose(self) -> None:
        await self._wrapped.aclose()


class CountingTransport2(httpx2.AsyncBaseTransport):
    """httpx2 (the OpenAI SDK's): as `CountingTransport`."""

    def __init__(self, wrapped: httpx2.AsyncBaseTransport, provider: str, observe: Observe) -> None:
        self._wrapped, self._provider, self._observe = wrapped, provider, observe

    async def handle_async_request(self, request: Any) -> Any:
        try:
            response = await self._wrapped.handle_async_request(request)
        except httpx2.TransportError:
            self._observe(self._provider, None)
            raise
        self._observe(self._provider, response.status_code)
        return response

    async def aclose(self) -> None:
        await self._wrapped.aclose()
