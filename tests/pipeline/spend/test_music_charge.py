"""A score is reserved with its run and charged before it is made (issue 22, "Admission counts
it all"), in the unit of a member's day: what the track is worth in seconds of video."""

from __future__ import annotations

from bot.pipeline.sound.music import TRACK_SECONDS
from bot.pipeline.spend.admission import Admission
from storage.models import GenerationStatus, ScoreStatus
from tests.conftest import TEST_OWNER


def test_a_score_is_worth_its_price_in_seconds_of_the_video_model(make_settings) -> None:
    # google/lyria-2: 32.8 s at $0.002/s = $0.0656; seedance-1-lite: $0.018 a second -> 4 s
    admission = Admission(make_settings(video_model="bytedance/seedance-1-lite"))
    assert admission.music_worth() == 4.0
    assert admission.worst_case(2, music=True) == admission.worst_case(2) + 4.0
    # an operator's own prices count: a dearer track is worth more seconds
    dear = Admission(make_settings(prices={"google/lyria-2": 0.02}))
    assert dear.music_worth() == 37.0  # 32.8 x 0.02 / 0.018 = 36.4, rounded up


def test_a_score_with_an_unknown_price_counts_its_own_seconds(make_settings) -> None:
    admission = Admission(make_settings(video_model="luma/ray-flash-2-540p"))  # no price known
    assert admission.music_worth() == TRACK_SECONDS


async def test_a_film_with_music_charges_its_scenes_and_its_score(harness) -> None:
    final = await harness.generate(clips=1, music=True)

    assert final.status is GenerationStatus.DONE, final.error
    score = await harness.repo.score(final.id)
    assert score is not None and score.status is ScoreStatus.READY
    (clip,) = await harness.repo.clips(final.id)
    usage = await harness.repo.usage_since(TEST_OWNER, 0)
    worth = Admission(harness.services.settings).music_worth()
    assert usage.seconds == clip.duration + worth  # settled: what was asked, the score too
