"""Figures: what was measured, its summary (median / p99 / max), the target and the verdict."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """median, p99, max and n of a sample (empty: n = 0 only)."""
    if not values:
        return {"n": 0}
    return {
        "median": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values),
        "n": len(values),
    }


Check = Callable[[dict[str, float]], bool]


@dataclass
class Figure:
    """One row of the table. ``measured`` holds median/p99/max (a distribution) or value."""

    key: str
    scenario: str
    label: str
    unit: str
    target: str
    measured: dict[str, float]
    passed: bool | None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def figure(
    key: str,
    scenario: str,
    label: str,
    unit: str,
    target: str,
    measured: dict[str, float],
    check: Check,
    note: str = "",
    **extra: Any,
) -> Figure:
    """A figure whose verdict is ``check(measured)``; None when nothing was measured."""
    has_value = bool(measured.get("n", 1)) and any(k != "n" for k in measured)
    return Figure(
        key,
        scenario,
        label,
        unit,
        target,
        measured,
        check(measured) if has_value else None,
        note,
        extra,
    )


def _number(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value * 1000:.1f} ms" if value < 10 else f"{value * 1000:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value / 1e6:.0f} MB"
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "/min":
        return f"{value:.0f}/min"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.2f}"


def describe(fig: Figure) -> str:
    """The measured cell: ``median … · p99 … · max …`` or a single value."""
    m = fig.measured
    if "median" in m:
        return (
            " · ".join(
                f"{name} {_number(m[key], fig.unit)}"
                for name, key in (("median", "median"), ("p99", "p99"), ("max", "max"))
            )
            + f" (n={int(m['n'])})"
        )
    if "value" in m:
        return _number(m["value"], fig.unit)
    return "not measured"


def verdict(fig: Figure) -> str:
    return {True: "pass", False: "FAIL", None: "—"}[fig.passed]


def markdown(figures: Sequence[Figure]) -> str:
    """The table as GitHub markdown."""
    lines = [
        "| scenario | figure | measured | target | pass |",
        "| --- | --- | --- | --- | --- |",
    ]
    for fig in figures:
        label = fig.label + (f" ({fig.note})" if fig.note else "")
        lines.append(
            f"| {fig.scenario} | {label} | {describe(fig)} | {fig.target} | {verdict(fig)} |"
        )
    return "\n".join(lines)
