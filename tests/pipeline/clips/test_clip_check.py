"""The content check of each clip through the runner and the fakes (issue 19 item 5): a flagged
take is withheld (never `ClipCompleted`, its file removed, the generation failed with a reason
that names the scene but not the categories); Retry makes that scene again with a new seed and
delivers the film; a check that cannot be made fails the clip rather than showing it."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.events import ClipCompleted, ClipStarted, ClipWithheld
from storage.models import ClipStatus, GenerationStatus

LIME = "0x00ff00"  # scene 2's colour in the fake Replicate's palette


async def test_a_withheld_scene_is_made_again_by_retry(
    make_settings, open_harness, openai_fake, replicate_fake
) -> None:
    openai_fake.flag_colors = {LIME}
    async with open_harness(make_settings(clip_moderation=True)) as harness:
        failed = await harness.generate(clips=2)
        clips = await harness.repo.clips(failed.id)

        assert failed.status is GenerationStatus.FAILED
        assert "scene 2 was withheld" in (failed.error or "")
        assert "violence" not in (failed.error or "")  # the why is told privately only
        (withheld,) = harness.of(failed.id, ClipWithheld)
        assert (withheld.index, withheld.categories) == (1, ("violence/graphic",))
        assert [e.index for e in harness.of(failed.id, ClipCompleted)] == [0]
        assert clips[1].status is ClipStatus.FAILED and clips[1].prediction_id is None
        assert clips[1].seed is not None
        assert not list(Path(clips[0].output_path or "").parent.glob("clip-2*"))

        openai_fake.flag_colors = set()  # the new take passes
        assert await harness.runner.retry(failed.id)
        final = await harness.runner.wait(failed.id)

    assert final.status is GenerationStatus.DONE, final.error
    first, again = replicate_fake.created_for("Scene 2:")
    assert again.input.get("seed") == clips[1].seed != first.input.get("seed")


async def test_a_clip_that_cannot_be_checked_is_not_shown(
    make_settings, open_harness, openai_fake, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    async with open_harness(make_settings(clip_moderation=True)) as harness:
        generation = await harness.submit(clips=1)
        await harness.wait_for(lambda: harness.of(generation.id, ClipStarted))
        openai_fake.fail_next(500, times=20, path="/moderations")  # after the prompt's check
        replicate_fake.auto_complete = True
        final = await harness.runner.wait(generation.id)

    assert final.status is GenerationStatus.FAILED
    assert "could not be checked before it is shown" in (final.error or "")
    assert not harness.of(final.id, ClipCompleted)
