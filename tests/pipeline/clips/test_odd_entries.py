"""Foreign entries of the account's prediction list with odd types in any field (issue 19 item 4,
first point): one entry must neither stall the polling of every clip nor break the search for a
lost create. On de57d17 a `created_at` that is a number raised AttributeError on every poll."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import httpx
import replicate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.pipeline.clips.output import output_url
from bot.pipeline.clips.predictions import Predictions
from bot.pipeline.clips.snapshot import parse, predict_seconds, timestamp
from storage.models import GenerationStatus
from tests.fakes.replicate_fake import FakeReplicate

MODEL = "acme/video"
FIELDS = (
    "model",
    "version",
    "input",
    "logs",
    "output",
    "data_removed",
    "error",
    "source",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "urls",
    "metrics",
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)  # NaN/Infinity: not JSON the API sends
    | st.text(max_size=30)
    | st.sampled_from(["2026-11-30T18:00:00Z", "0001-01-01T00:00:00", "9999-12-31T23:59:59Z"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
ODD_ENTRY = st.fixed_dictionaries({}, optional={name: JSON for name in FIELDS})
# an entry with any of the documented fields replaced by any JSON value (NaN and Infinity too,
# which Python's json module reads): metrics.predict_time of every kind
ODD_METRICS = st.one_of(
    JSON,
    st.fixed_dictionaries({"predict_time": st.floats() | st.integers(min_value=-(10**400))}),
)


@given(entry=ODD_ENTRY, metrics=ODD_METRICS)
def test_any_field_of_any_type_reads_without_an_exception(
    entry: dict[str, Any], metrics: object
) -> None:
    snapshot = parse({**entry, "id": "x", "metrics": metrics})
    assert snapshot is not None and snapshot.id == "x"
    seconds = predict_seconds(snapshot)
    assert math.isfinite(seconds) and seconds >= 0
    output_url(snapshot.output)
    for name in ("created_at", "started_at", "completed_at"):
        assert math.isfinite(timestamp(entry.get(name)))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(foreign=ODD_ENTRY)
def test_an_odd_foreign_entry_stalls_neither_polling_nor_the_search_for_a_lost_create(
    foreign: dict[str, Any],
) -> None:
    asyncio.run(_poll_and_search_beside(foreign))


async def _poll_and_search_beside(foreign: dict[str, Any]) -> None:
    async with FakeReplicate() as fake:
        fake.clip_delay = 0.05
        (other,) = fake.add_foreign(1)
        fake.corrupt(other, **foreign)
        async with httpx.AsyncClient(
            base_url=fake.base_url, headers={"Authorization": "Bearer t"}
        ) as api:
            client = replicate.Client(api_token="t", base_url=fake.base_url)
            predictions = Predictions(client, api, model=MODEL, poll_interval=0.01)
            inputs = {"prompt": "Scene 1: a seal"}
            since = time.time()
            prediction_id = await predictions.create(inputs, since=since, claimed=_none)
            fake.add_foreign(1)  # and one after ours: the odd one is not at either end
            try:
                found = await predictions.find_created(inputs, since=since, claimed=_none)
                ended = await predictions.wait(prediction_id, timeout=10)
            finally:
                await predictions.close()
    assert found.prediction_id == prediction_id
    assert ended is not None and ended.status == "succeeded"


async def _none(ids: object) -> set[str]:
    return set()


async def test_a_number_for_created_at_in_the_list_stalls_no_clip(harness, replicate_fake) -> None:
    """Through the runner: foreign entries with a numeric `created_at` (and other odd fields)
    among ours, and a lost create that must be found in that list."""
    for n, other in enumerate(replicate_fake.add_foreign(6)):
        replicate_fake.corrupt(
            other, created_at=1764525600 + n, started_at=[n], completed_at={"t": n}, metrics=n
        )
    replicate_fake.fail_next_creates(500, created=True)

    final = await harness.generate(clips=2)

    assert final.status is GenerationStatus.DONE, final.error
    clips = await harness.repo.clips(final.id)
    assert [c.attempts for c in clips] == [1, 1]  # the lost create was found, not made again
    assert all(len(replicate_fake.created_for(f"Scene {n}:")) == 1 for n in (1, 2))
