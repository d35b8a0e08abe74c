"""bot.retry: the named policies try again on what may pass, stop at their bound, raise
anything else at once, log one line before each wait, and scale their waits from the setting."""

from __future__ import annotations

import ast
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from tenacity import RetryCallState

from bot.pipeline.errors import MediaUnavailable
from bot.retry import DISCORD_POST, DOWNLOAD, Policy, Retries, http_transient

ROOT = Path(__file__).resolve().parents[1]


class _Status(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _failing(
    errors: list[BaseException], result: str = "ok"
) -> tuple[list[int], Callable[[], Awaitable[str]]]:
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return calls, lambda: fn()  # a plain function returning a coroutine, as call sites pass


async def test_a_transient_failure_is_tried_again_and_logged_lazily(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = Retries(wait_scale=0).discord_post
    calls, fn = _failing([_Status(503), aiohttp.ClientConnectionError()])
    with caplog.at_level(logging.INFO, logger="bot.retry"):
        assert await policy.call(fn, "posting %s of generation %s", "clip:0", 7) == "ok"
    assert len(calls) == 3
    lines = [r for r in caplog.records if r.name == "bot.retry"]
    assert len(lines) == 2
    assert (
        lines[0]
        .getMessage()
        .startswith("posting clip:0 of generation 7: HTTP 503; trying again (attempt 2/4) in ")
    )
    assert lines[0].args and "clip:0" in lines[0].args  # formatted by logging, not before


async def test_the_bound_is_kept_and_the_last_failure_raised() -> None:
    calls, fn = _failing([MediaUnavailable("download failed: HTTP 500")] * 10)
    with pytest.raises(MediaUnavailable):
        await Retries(wait_scale=0).download.call(fn)
    assert len(calls) == DOWNLOAD.attempts == 3


async def test_a_failure_that_will_not_pass_is_raised_at_once() -> None:
    calls, fn = _failing([_Status(403)])
    with pytest.raises(_Status):
        await Retries(wait_scale=0).discord_post.call(fn)
    assert len(calls) == 1


async def test_the_block_form_runs_the_block_again() -> None:
    tries = 0
    async for attempt in Retries(wait_scale=0).structured_answer.attempts_of("asking"):
        with attempt:
            tries += 1
            if tries == 1:
                raise ValueError("malformed")
    assert tries == 2


def _waits(policy: Policy, attempts: int) -> list[float]:
    """The waits the policy's tenacity controller would sleep after attempts 1..n."""
    controller = policy.retrying()
    waits = []
    for number in range(1, attempts + 1):
        state = RetryCallState(retry_object=controller, fn=None, args=(), kwargs={})
        state.attempt_number = number
        waits.append(controller.wait(state))
    return waits


def test_waits_double_and_come_from_the_scale_given_at_construction() -> None:
    assert _waits(DISCORD_POST, 3) == [1.0, 2.0, 4.0]
    assert _waits(Retries().discord_post, 3) == [1.0, 2.0, 4.0]
    assert _waits(Retries(wait_scale=0.1).download, 2) == pytest.approx([0.05, 0.1])
    assert _waits(Retries(wait_scale=0).discord_edit, 2) == [0.0, 0.0]
    assert _waits(Retries().database_write, 9)[-1] == 30.0  # capped


def test_transient_means_429_5xx_or_the_connection() -> None:
    assert http_transient(_Status(429)) and http_transient(_Status(502))
    assert not http_transient(_Status(400)) and not http_transient(_Status(404))
    assert http_transient(aiohttp.ClientConnectionError()) and http_transient(TimeoutError())
    assert not http_transient(ValueError())


def _sleeps_in_a_loop(tree: ast.AST) -> list[int]:
    """Lines of `asyncio.sleep` awaited inside a `for` loop over attempts that also catches an
    exception: a retry loop written by hand. (A periodic task, `while True:` work then sleep,
    is a schedule, not a retry: the lease heartbeat, the retention sweep.)"""
    found = []
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.For | ast.AsyncFor):
            continue
        catches = any(isinstance(n, ast.Try) for n in ast.walk(loop))
        for node in ast.walk(loop):
            if (
                catches
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "sleep"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "asyncio"
            ):
                found.append(node.lineno)
    return found


def test_no_retry_loop_is_written_by_hand() -> None:
    loops = {
        str(path.relative_to(ROOT)): lines
        for folder in ("bot", "cogs")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (lines := _sleeps_in_a_loop(ast.parse(path.read_text())))
    }
    assert loops == {}, f"retry loops written by hand (use bot.retry): {loops}"


def test_the_loop_finder_finds_one() -> None:
    source = (
        "async def f():\n"
        "    for attempt in range(3):\n"
        "        try:\n"
        "            return await g()\n"
        "        except OSError:\n"
        "            await asyncio.sleep(1)\n"
    )
    assert _sleeps_in_a_loop(ast.parse(source)) == [6]


class _Told(Exception):
    """A failure that says how long to wait (a provider's 429 with its hint)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"throttled for {seconds} s")
        self.seconds = seconds


def _told(exc: BaseException) -> float | None:
    return exc.seconds if isinstance(exc, _Told) else None


def _paced(within: float) -> Policy:
    """4 attempts; waits scaled to 0 (the backoff), but not what a failure says."""
    return Policy(
        "paced", lambda e: isinstance(e, _Told | _Status), attempts=4, wait_scale=0
    ).paced(_told, within=within)


def _logged_waits(caplog: pytest.LogCaptureFixture) -> list[tuple[int, float]]:
    """(the attempt announced, the wait) of each line logged before a sleep."""
    return [
        (int(r.args[-3]), float(r.args[-1]))  # type: ignore[index,arg-type]
        for r in caplog.records
        if r.name == "bot.retry"
    ]


async def test_a_failure_that_says_how_long_waits_that_long_and_is_not_an_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors: list[BaseException] = [_Told(0.05), _Status(503), _Told(0.02), _Status(503)]
    errors += [_Told(0.01)] * 5 + [_Status(503)]
    calls, fn = _failing(errors)
    with caplog.at_level(logging.INFO, logger="bot.retry"):
        assert await _paced(within=10).call(fn, "creating") == "ok"
    assert len(calls) == 11  # 7 told to wait + 3 counted failures + the success: 4 attempts
    waits = _logged_waits(caplog)
    assert waits[0] == (1, 0.05)  # told: waited as said, still "attempt 1" next
    assert waits[1] == (2, 0.0)  # a counted failure: the (scaled) backoff
    assert waits[2] == (2, 0.02)
    assert [attempt for attempt, _ in waits[-2:]] == [3, 4]  # five told apart: still the 3rd


async def test_being_told_to_wait_stops_after_the_bound_with_the_last_failure() -> None:
    calls, fn = _failing([_Told(0.02)] * 50)
    with pytest.raises(_Told):
        await _paced(within=3).call(fn, "creating")
    assert len(calls) == 4  # each counts as at least 1 s: the fourth is beyond the bound


async def test_counted_failures_still_stop_at_the_attempts() -> None:
    calls, fn = _failing([_Status(503)] * 10)
    with pytest.raises(_Status):
        await _paced(within=10).call(fn, "creating")
    assert len(calls) == 4
