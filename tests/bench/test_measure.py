"""The bench's lower bound for showing final states through one channel's edit budget."""

from __future__ import annotations

import pytest

from bench.measure import final_state_bound


def test_five_final_states_go_at_once_then_one_a_second() -> None:
    assert final_state_bound([0.0] * 7) == [0.0] * 5 + [1.0, 2.0]


def test_ends_a_second_apart_wait_for_nothing() -> None:
    assert final_state_bound([float(t) for t in range(20)]) == [0.0] * 20


def test_ends_faster_than_the_budget_queue_up() -> None:
    # fifty ends within 25 s (two a second): the last waits ~20 s whatever the bot does
    lags = final_state_bound([t * 0.5 for t in range(50)])
    assert max(lags) == pytest.approx(50 - 5 - 24.5)
