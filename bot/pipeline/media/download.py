"""Downloading clip files from the video provider, only from allowed hosts."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import aiohttp
from yarl import URL

from bot.pipeline.errors import MediaError, MediaUnavailable

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 256 * 1024
_FLUSH_AT = 1024 * 1024


def _normalize_entry(entry: str) -> str | None:
    """``MEDIA_ALLOWED_HOSTS`` entry → bare lower-case host (scheme, port and dots dropped)."""
    entry = entry.strip().strip("[]")
    if not entry:
        return None
    if _is_ip(entry):
        return str(ipaddress.ip_address(entry))
    try:
        url = URL(entry) if "://" in entry else URL("//" + entry.lstrip("*."))
    except ValueError:
        return None
    host = (url.host or "").lower().rstrip(".")
    return host or None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _url_host(url: str | URL) -> str | None:
    """Lower-case host of an http(s) URL, or None when the URL is not acceptable."""
    if isinstance(url, str):
        # Backslashes and whitespace are read differently by different URL parsers.
        if any(ch in url for ch in "\\ \t\r\n") or any(ord(ch) < 32 for ch in url):
            return None
        try:
            url = URL(url)
        except ValueError:
            return None
    if url.scheme.lower() not in ("http", "https") or not url.host:
        return None
    host = url.host.lower().rstrip(".")
    return str(ipaddress.ip_address(host)) if _is_ip(host) else host


def host_allowed(url: str, allowed_hosts: Sequence[str]) -> bool:
    """Whether ``url`` may be downloaded, given the ``MEDIA_ALLOWED_HOSTS`` entries.

    Only http and https. An entry allows its own host and its subdomains
    (``replicate.delivery`` allows ``x.replicate.delivery``, not ``evilreplicate.delivery``);
    an IP address entry allows only itself. Scheme and port are not part of the match, and
    the comparison ignores case.
    """
    host = _url_host(url)
    if host is None:
        return False
    for entry in allowed_hosts:
        allowed = _normalize_entry(entry)
        if allowed is None:
            continue
        if host == allowed:
            return True
        if not _is_ip(allowed) and not _is_ip(host) and host.endswith("." + allowed):
            return True
    return False


async def download(
    session: aiohttp.ClientSession,
    url: str,
    dest: Path,
    *,
    allowed_hosts: Sequence[str],
    max_bytes: int,
    timeout: float = 120,
    what: str = "clip",
) -> Path:
    """Stream ``url`` into ``dest`` and return ``dest``.

    Every hop (the URL and up to three redirects, followed by hand) must pass
    ``host_allowed`` before anything connects to it. The body goes to ``dest`` + ``.part``,
    is fsynced and then renamed, so ``dest`` is never half written; the ``.part`` is removed
    on any failure. Raises MediaError for a refused host, a non-2xx status, a body larger
    than ``max_bytes`` (announced or streamed), a truncated body, a timeout, a malformed URL
    (a redirect's Location) or a file that cannot be written (a full disk); the ones that
    may pass when tried again (a 5xx or 429, a cut, a timeout) as ``MediaUnavailable``.
    ``what`` names the file in those messages ("clip", "image").
    """
    dest = Path(dest)
    part = dest.with_suffix(dest.suffix + ".part")
    done = False
    try:
        async with asyncio.timeout(timeout):
            await _fetch(
                session, url, part, allowed_hosts=allowed_hosts, max_bytes=max_bytes, what=what
            )
        await asyncio.to_thread(os.replace, part, dest)
        done = True
    except TimeoutError:
        raise MediaUnavailable(
            f"download of {_display(url)} took longer than {timeout:g}s"
        ) from None
    except aiohttp.ClientPayloadError as exc:
        raise MediaUnavailable(f"download of {_display(url)} was cut short: {exc}") from exc
    except aiohttp.ClientError as exc:
        raise MediaUnavailable(f"download of {_display(url)} failed: {exc}") from exc
    except ValueError as exc:  # yarl: a malformed URL, e.g. in a redirect's Location
        raise MediaError(
            f"download of {_display(url)} failed: the file host answered with an invalid URL"
        ) from exc
    except OSError as exc:  # after ClientError (ClientOSError is both): a full disk, say
        raise MediaError(
            f"the {what} could not be saved on the bot's server: "
            f"{exc.strerror or type(exc).__name__}"
        ) from exc
    finally:
        if not done:
            await asyncio.to_thread(_remove_part, part)
    return dest


def _remove_part(part: Path) -> None:
    """Remove a half-written download; a failure to do so is logged, not raised (the error
    that stopped the download is the one to report)."""
    try:
        part.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove %s: %s", part, exc)


async def _fetch(
    session: aiohttp.ClientSession,
    url: str,
    part: Path,
    *,
    allowed_hosts: Sequence[str],
    max_bytes: int,
    what: str,
) -> None:
    if not host_allowed(url, allowed_hosts):
        raise MediaError(f"refusing to download from {_display(url)}: host not allowed")
    current = URL(url)
    for hop in range(MAX_REDIRECTS + 1):
        async with session.get(
            current, allow_redirects=False, headers={"Accept-Encoding": "identity"}
        ) as resp:
            if resp.status in _REDIRECTS:
                location = resp.headers.get("Location")
                if not location:
                    raise MediaError(f"download redirect without a Location (HTTP {resp.status})")
                if hop == MAX_REDIRECTS:
                    raise MediaError(f"download of {_display(url)}: too many redirects")
                target = current.join(URL(location))
                if not host_allowed(str(target), allowed_hosts):
                    raise MediaError(
                        f"refusing to follow a redirect to {_display(str(target))}: "
                        "host not allowed"
                    )
                log.debug("download redirected to %s", _display(str(target)))
                current = target
                continue
            if not 200 <= resp.status < 300:
                reason = f"HTTP {resp.status} {resp.reason or ''}".strip()
                error = MediaUnavailable if resp.status >= 500 or resp.status == 429 else MediaError
                raise error(f"download of {_display(url)} failed: {reason}")
            await _save_body(resp, part, max_bytes=max_bytes, what=what)
            return
    raise MediaError(f"download of {_display(url)}: too many redirects")  # pragma: no cover


async def _save_body(
    resp: aiohttp.ClientResponse, part: Path, *, max_bytes: int, what: str
) -> None:
    expected = resp.content_length
    if expected is not None and expected > max_bytes:
        raise MediaError(f"{what} is too large: {expected} bytes, the limit is {max_bytes}")
    part.parent.mkdir(parents=True, exist_ok=True)
    fh: BinaryIO = await asyncio.to_thread(open, part, "wb")
    try:
        received = 0
        buffer = bytearray()
        async for chunk in resp.content.iter_chunked(_CHUNK):
            received += len(chunk)
            if received > max_bytes:
                raise MediaError(f"{what} is too large: over {max_bytes} bytes")
            buffer += chunk
            if len(buffer) >= _FLUSH_AT:
                await asyncio.to_thread(fh.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await asyncio.to_thread(fh.write, bytes(buffer))
        encoded = "Content-Encoding" in resp.headers
        if expected is not None and not encoded and received < expected:
            raise MediaUnavailable(f"download was cut short: got {received} of {expected} bytes")
        await asyncio.to_thread(_flush_and_sync, fh)
    finally:
        await asyncio.to_thread(fh.close)


def _flush_and_sync(fh: BinaryIO) -> None:
    fh.flush()
    os.fsync(fh.fileno())


def _display(url: str) -> str:
    """The URL without its query string (signed URLs carry tokens) for messages and logs."""
    try:
        parsed = URL(url)
    except ValueError:
        return "an invalid URL"
    return str(parsed.with_query(None).with_fragment(None))
