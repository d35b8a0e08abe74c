"""Reroll one scene (issue 11 §1) through the real runner, the fakes, SQLite and ffmpeg:
only that scene is rendered again, the new cut is stitched from the stored clips and
delivered once as the next version; a failure puts the earlier take back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.pipeline.events import ClipStarted, Delivered, Queued, RerollEnded, RerollStarted
from bot.pipeline.progress import Progress
from bot.pipeline.run.lease import LeaseKeeper, Leases
from bot.pipeline.spend.admission import Refused
from storage.models import ClipStatus, GenerationStatus, VersionStatus
from tests.conftest import IDEA, TEST_OWNER
from tests.fakes.mp4 import frame_rgb
from tests.pipeline.run.test_runner import creates, looks_like

NOTE = "closer on the seal's face"


async def _done_film(harness, clips: int = 3):
    final = await harness.generate(clips=clips)
    assert final.status is GenerationStatus.DONE, final.error
    return final


async def _reroll(harness, generation_id: int, scene: int, note: str | None = None):
    version = await harness.runner.reroll(generation_id, scene, note)
    async with asyncio.timeout(30):
        return version, await harness.runner.wait(generation_id)


async def test_a_reroll_renders_only_its_scene_and_delivers_the_next_version(
    harness, openai_fake, replicate_fake
) -> None:
    first = await _done_film(harness)
    before = {c.index: c for c in await harness.repo.clips(first.id)}
    assert replicate_fake.counts["create"] == 3

    version, final = await _reroll(harness, first.id, 1, NOTE)

    assert version.number == 2 and final.status is GenerationStatus.DONE
    # one prediction more, for scene 2 only, with a new seed and the prompt rewritten
    assert replicate_fake.counts["create"] == 4
    new_input = creates(replicate_fake)[-1].json["input"]
    assert new_input["prompt"].startswith(f"Scene 2: {IDEA}, ") and NOTE in new_input["prompt"]
    assert isinstance(new_input["seed"], int)
    assert openai_fake.calls["moderations"] == 2  # the idea, then the note
    clips = await harness.repo.clips(first.id)
    assert [c.prediction_id for c in clips][::2] == [
        before[0].prediction_id,
        before[2].prediction_id,
    ]
    assert clips[1].prediction_id != before[1].prediction_id
    assert clips[1].version == 2 and clips[1].output_path.endswith("clip-2-v2.mp4")
    assert Path(before[1].output_path or "").is_file()  # the first take is kept

    versions = await harness.repo.versions(first.id)
    assert [(v.number, v.scene, v.status) for v in versions] == [
        (1, None, VersionStatus.DONE),
        (2, 1, VersionStatus.DONE),
    ]
    v1, v2 = versions
    assert v1.film_path == first.video_path and v1.delivery_ref == first.delivery_ref
    assert v2.note == NOTE and v2.prompt == clips[1].prompt
    assert v2.prediction_id == clips[1].prediction_id and v2.clip_path == clips[1].output_path
    assert v2.delivery_ref == "test:delivered-1-v2.mp4" and v2.delivered_at is not None
    assert final.video_path == v2.film_path and Path(v2.film_path or "").is_file()
    assert len(harness.deliverer.calls) == 2

    # the new cut: scenes 1 and 3 as before, the middle the new take
    film = Path(v2.film_path or "")
    seconds = [replicate_fake.predictions[c.prediction_id or ""].seconds for c in clips]
    start = 0.0
    for clip, length in zip(clips, seconds, strict=True):
        color = replicate_fake.color_for(clip.prediction_id or "")
        assert looks_like(frame_rgb(film, start + length / 2), color), clip.index
        start += length
    assert replicate_fake.color_for(clips[1].prediction_id or "") != replicate_fake.color_for(
        before[1].prediction_id or ""
    )

    # the events tell the reply what changed; the stored rows read the same
    kinds = [type(e) for e in harness.of(first.id)]
    assert kinds.count(RerollStarted) >= 1 and kinds[-1] is RerollEnded
    assert [e.index for e in harness.of(first.id, ClipStarted)][-1] == 1
    progress = Progress.from_rows(final, clips, versions)
    assert (progress.version, progress.changed, progress.rerolling) == (2, {1: 2}, None)

    # a reroll is a run, its create the spend
    usage = await harness.repo.usage_since(TEST_OWNER, 0)
    assert usage.runs == 2
    assert usage.seconds == pytest.approx(4 * clips[1].duration)


async def test_without_a_note_the_prompt_stays_and_no_model_is_asked(
    harness, openai_fake, replicate_fake
) -> None:
    first = await _done_film(harness, clips=2)
    chats = openai_fake.calls["chat"]
    version, final = await _reroll(harness, first.id, 0)
    assert final.status is GenerationStatus.DONE
    assert openai_fake.calls["chat"] == chats
    assert creates(replicate_fake)[-1].json["input"]["prompt"].startswith(f"Scene 1: {IDEA}")
    assert (await harness.repo.version(version.id)).status is VersionStatus.DONE


async def test_a_reroll_whose_clips_are_gone_is_refused_and_spends_nothing(
    harness, replicate_fake
) -> None:
    first = await _done_film(harness)
    clips = await harness.repo.clips(first.id)
    Path(clips[2].output_path or "").unlink()  # as the retention sweep would
    with pytest.raises(Refused, match=r"scene\(s\) 3 .* is gone"):
        await harness.runner.reroll(first.id, 1)
    assert replicate_fake.counts["create"] == 3
    assert (await harness.repo.usage_since(TEST_OWNER, 0)).runs == 1
    assert (await harness.repo.generation(first.id)).status is GenerationStatus.DONE
    assert await harness.repo.versions(first.id) == []


async def test_a_failed_reroll_puts_the_earlier_take_back(harness, replicate_fake) -> None:
    first = await _done_film(harness)
    before = (await harness.repo.clips(first.id))[1]
    replicate_fake.script(["failed"] * 3)

    version, final = await _reroll(harness, first.id, 1)

    assert final.status is GenerationStatus.DONE and final.video_path == first.video_path
    stored = await harness.repo.version(version.id)
    assert stored.status is VersionStatus.FAILED and "clip 2" in (stored.error or "")
    clip = (await harness.repo.clips(first.id))[1]
    assert (clip.status, clip.prediction_id, clip.output_path, clip.version) == (
        ClipStatus.SUCCEEDED,
        before.prediction_id,
        before.output_path,
        1,
    )
    ended = harness.of(first.id, RerollEnded)[-1]
    assert ended.reason and (ended.shown, ended.take) == (1, 1)
    assert len(harness.deliverer.calls) == 1  # nothing more delivered


async def test_only_a_done_film_and_an_existing_scene_can_be_rerolled(
    harness, replicate_fake
) -> None:
    first = await _done_film(harness, clips=2)
    with pytest.raises(Refused, match="scenes 1 to 2"):
        await harness.runner.reroll(first.id, 5)
    with pytest.raises(Refused, match="at most 200"):
        await harness.runner.reroll(first.id, 0, "x" * 201)
    replicate_fake.auto_complete = False
    await harness.runner.reroll(first.id, 0)
    with pytest.raises(Refused, match="being rerolled already"):
        await harness.runner.reroll(first.id, 1)
    assert await harness.runner.cancel(first.id)
    generation = await harness.repo.generation(first.id)
    assert generation.status is GenerationStatus.DONE  # the film stays v1
    (_, v2) = await harness.repo.versions(first.id)
    assert v2.status is VersionStatus.CANCELLED
    assert all(p.canceled for p in list(replicate_fake.predictions.values())[2:])


async def test_a_reroll_resumes_after_a_restart_and_is_delivered_once(
    settings, open_harness, replicate_fake
) -> None:
    async with open_harness(settings) as first_run:
        first = await _done_film(first_run)
        replicate_fake.auto_complete = False
        await first_run.runner.reroll(first.id, 1)
        await first_run.wait_for(lambda: len(replicate_fake.predictions) == 4, what="the take")
        clip = (await first_run.repo.clips(first.id))[1]
        assert clip.status is ClipStatus.RUNNING and clip.prediction_id  # stored at once
    generation = None
    async with open_harness(settings) as second_run:
        await second_run.runner.resume("cli")
        replicate_fake.complete(clip.prediction_id)
        async with asyncio.timeout(30):
            generation = await second_run.runner.wait(first.id)
        assert generation.status is GenerationStatus.DONE
        assert len(replicate_fake.predictions) == 4  # re-attached, not created again
        (delivered,) = second_run.of(first.id, Delivered)
        assert delivered.ref == "test:delivered-1-v2.mp4"
        assert len(second_run.deliverer.calls) == 1


async def test_a_reroll_waits_for_the_members_running_generation(harness, replicate_fake) -> None:
    """USER_CONCURRENCY holds: a reroll is queued behind the member's running generation."""
    first = await _done_film(harness, clips=1)
    replicate_fake.auto_complete = False
    other = await harness.submit(clips=1)
    await harness.wait_for(lambda: len(replicate_fake.predictions) == 2, what="the other's clip")
    running = list(replicate_fake.predictions)[-1]

    await harness.runner.reroll(first.id, 0)
    await harness.wait_for(lambda: bool(harness.of(first.id, Queued)), what="queued")
    await asyncio.sleep(0.3)
    assert len(replicate_fake.predictions) == 2  # nothing created while the other runs

    replicate_fake.complete(running)
    replicate_fake.auto_complete = True
    async with asyncio.timeout(30):
        assert (await harness.runner.wait(other.id)).status is GenerationStatus.DONE
        final = await harness.runner.wait(first.id)
    assert final.status is GenerationStatus.DONE
    assert len(replicate_fake.predictions) == 3
    assert (await harness.repo.versions(first.id))[-1].status is VersionStatus.DONE


async def test_a_narrated_film_is_narrated_again_over_the_new_cut(harness, openai_fake) -> None:
    first = await harness.generate(clips=2, narration=True, voice="coral")
    assert first.status is GenerationStatus.DONE, first.error
    spoken = openai_fake.calls["realtime"]
    version, final = await _reroll(harness, first.id, 1)
    assert final.status is GenerationStatus.DONE
    v2 = await harness.repo.version(version.id)
    assert Path(v2.film_path or "").name == "film-v2-narrated.mp4"
    assert harness.deliverer.calls[-1][1].name == "film-v2-narrated.mp4"
    assert openai_fake.calls["realtime"] == spoken  # the lines spoken for v1 are mixed in again


async def test_a_reroll_holds_its_films_lease_through_the_heartbeat(
    settings, open_harness, replicate_fake
) -> None:
    # a done film's lease is gone; the reroll takes it again, or the heartbeat of the process
    # running it would take it for lost (and another process could claim it)
    def p1(repo):
        return Leases(store=repo, name="p1", seconds=30)

    async with open_harness(settings, make_leases=p1) as harness:
        first = await _done_film(harness)
        keeper = LeaseKeeper(
            store=harness.repo,
            runner=harness.runner,
            name="p1",
            source=first.source,
            seconds=30,
            leases=harness.services.leases,
        )
        replicate_fake.auto_complete = False

        await harness.runner.reroll(first.id, 1)
        await harness.wait_for(lambda: replicate_fake.counts["create"] == 4, what="the new take")
        assert await harness.repo.lease_owner(first.id) == "p1"
        await keeper.beat()
        assert first.id in harness.runner.held()

        replicate_fake.auto_complete = True
        async with asyncio.timeout(30):
            final = await harness.runner.wait(first.id)
        assert final.status is GenerationStatus.DONE
        assert await harness.repo.lease_owner(first.id) is None  # it goes with the film's end
