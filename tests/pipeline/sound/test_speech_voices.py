"""Issue 19 §1: voices. A narration stored with a voice the Realtime API does not have (fable,
onyx, nova: a generation made before the switch, resumed or retried after it) is spoken with the
closest voice it has, and the reply says so; a speech-endpoint TTS_MODEL still speaks there."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from bot.pipeline.events import Narrated
from bot.pipeline.sound.speakers import CLOSEST, VOICES, closest_voice, voices_for
from cogs.generate import render
from storage.models import GenerationStatus


def test_each_retired_voice_has_a_realtime_stand_in() -> None:
    model = "gpt-realtime-2.1-mini"
    assert {v: closest_voice(model, v) for v in ("fable", "onyx", "nova")} == {
        "fable": "ballad",
        "onyx": "cedar",
        "nova": "marin",
    }
    assert all(closest_voice(model, v) == v for v in VOICES)  # a voice it has stays
    assert all(closest_voice("tts-1", v) in voices_for("tts-1") for v in CLOSEST)


async def test_a_stored_voice_that_is_gone_speaks_with_the_closest_and_says_so(
    harness, openai_fake
) -> None:
    final = await harness.generate(clips=2, narration=True, voice="onyx")  # stored as it was

    assert final.status is GenerationStatus.DONE, final.error
    (said,) = harness.of(final.id, Narrated)
    assert (said.voice, said.replaced, said.reason) == ("cedar", "onyx", None)
    assert {s["voice"] for s in openai_fake.realtime.sessions} == {"cedar"}
    assert openai_fake.realtime.errors == []  # onyx was never sent
    text = render.narration(SimpleNamespace(narration=said))  # type: ignore[arg-type]
    assert (
        text
        == "🎙️ narrated (voice cedar, the closest to onyx, which the speech model no longer has)"
    )


async def test_a_speech_endpoint_model_still_speaks_there_before_its_date(
    make_settings, open_harness, openai_fake
) -> None:
    openai_fake.today = date(2026, 12, 7)  # before 2027-01-06, whatever the real clock says
    async with open_harness(make_settings(tts_model="gpt-4o-mini-tts")) as harness:
        final = await harness.generate(clips=2, narration=True, voice="onyx")
        assert final.status is GenerationStatus.DONE, final.error
    bodies = [r.json for r in openai_fake.requests if r.path.endswith("/audio/speech")]
    assert [(b["model"], b["voice"]) for b in bodies] == [("gpt-4o-mini-tts", "onyx")] * 2
    assert openai_fake.calls.get("realtime", 0) == 0
