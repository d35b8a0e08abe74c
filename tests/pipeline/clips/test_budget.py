"""RequestBudget: its waiters are served first come first served, `eta(k)` is when the k-th
of them gets its token, and a pause holds every request, the one already waiting included."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import replicate

from bot.pipeline.clips.budget import RequestBudget
from bot.pipeline.clips.predictions import AccountBudgets, Predictions


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_eta_is_zero_while_tokens_are_left_then_one_interval_per_waiter() -> None:
    clock = Clock()
    budget = RequestBudget(60, burst=3, clock=clock)  # one a second
    assert [budget.eta(k) for k in (1, 2, 3)] == [0.0, 0.0, 0.0]
    assert budget.eta(4) == pytest.approx(1.0)
    assert budget.eta(10) == pytest.approx(7.0)
    clock.now += 0.5  # no token spent: the bucket is full, nothing more accrues
    assert budget.eta(4) == pytest.approx(1.0)


def test_eta_counts_a_pause_before_the_refill() -> None:
    clock = Clock()
    budget = RequestBudget(120, burst=5, clock=clock)  # two a second
    budget.pause(30)
    assert budget.eta(1) == pytest.approx(30.5)
    assert budget.eta(3) == pytest.approx(31.5)
    clock.now += 10
    assert budget.eta(1) == pytest.approx(20.5)
    clock.now += 25  # 5 s past the pause: 10 tokens' worth, capped at the burst
    assert budget.eta(5) == 0.0 and budget.eta(6) == pytest.approx(0.5)


def test_pauses_do_not_add_up() -> None:
    clock = Clock()
    budget = RequestBudget(60, burst=1, clock=clock)
    budget.pause(30)
    budget.pause(30)  # two creates throttled at once, told the same moment
    budget.pause(10)
    assert budget.eta(1) == pytest.approx(31.0)


async def test_waiters_are_served_in_order_at_the_moments_eta_said() -> None:
    budget = RequestBudget(600, burst=1)  # one every 0.1 s
    loop = asyncio.get_running_loop()
    served: list[tuple[int, float]] = []
    await budget.take()  # the burst spent

    async def take(n: int) -> None:
        await budget.take()
        served.append((n, loop.time()))

    start = loop.time()
    tasks = [asyncio.create_task(take(n)) for n in range(5)]
    await asyncio.sleep(0)  # every task inside take()
    assert budget.waiting == 5
    promised = [start + budget.eta(k) for k in range(1, 6)]
    await asyncio.gather(*tasks)

    assert [n for n, _ in served] == [0, 1, 2, 3, 4]
    assert budget.waiting == 0
    for (_, at), due in zip(served, promised, strict=True):
        assert at >= due - 0.01  # never before the turn eta gave: it does not say too late


async def test_a_pause_holds_the_request_already_waiting() -> None:
    budget = RequestBudget(60, burst=1)  # one a second
    loop = asyncio.get_running_loop()
    await budget.take()
    waiter = asyncio.create_task(budget.take())
    await asyncio.sleep(0.05)  # it sleeps for the next token, ~1 s away
    assert not waiter.done()
    paused_at = loop.time()
    budget.pause(0.5)  # nothing refills for 0.5 s, then a token takes 1 s
    await waiter
    # before, it went at its old moment (~0.95 s after the pause)
    assert loop.time() - paused_at >= 1.45


async def test_every_model_s_predictions_share_the_account_s_budgets() -> None:
    # Replicate's limits are the account's: the clips' creates and the score's wait in one line
    clock = Clock()
    budgets = AccountBudgets(creates=RequestBudget(60, burst=1, clock=clock))
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as api:
        clips = Predictions(replicate.Client(api_token="t"), api, model="a/video", budgets=budgets)
        score = Predictions(replicate.Client(api_token="t"), api, model="b/music", budgets=budgets)
        assert clips.create_wait() == score.create_wait() == (0, 0.0)
        await budgets.creates.take()  # the clip model's create spends the one token
        assert score.create_wait() == (0, pytest.approx(1.0))  # the score waits its turn
        clips.share_budget(2)  # a second process: both halve, together
        assert score.create_wait() == (0, pytest.approx(2.0))
