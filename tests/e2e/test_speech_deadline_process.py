"""Issue 19 §1 through the real process (`python -m bot`, tests/fakes/botprocess.py), with the
fake OpenAI's clock after 2027-01-06, the day every model of `/v1/audio/speech` shuts down
(openai/types/audio/speech_model.py): the default configuration still narrates (through the
Realtime API), and a speech model that is shut down is named at start-up and refuses a narrated
/generate privately before anything is spent.

The fake's clock is `FAKE_OPENAI_TODAY` (tests/fakes/openai_fake.py), read when the fake is
built; the bot's own clock is the real one (its SDK notes then still call those models
deprecated, not shut down: the fake's `404 model_not_found` is what tells it)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.harness import status_of
from tests.e2e.test_admission import field, live, private
from tests.e2e.test_narration import IDEA, SCENE
from tests.e2e.test_narration_process import film_of, narrated
from tests.fakes.audio import mean_volume, streams

AFTER = "2027-01-07"  # the day after the speech endpoint's models shut down


@pytest.fixture(autouse=True)
def after_the_shutdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_OPENAI_TODAY", AFTER)  # not passed to the bot: bot_env is clean


async def test_after_the_shutdown_the_default_configuration_narrates(tmp_path) -> None:
    async with live(tmp_path) as run:
        run.replicate.max_clip_seconds = SCENE
        run.openai.narration_words_per_second = 1.0  # 2-word lines: 0.8 s spoken of each 2 s
        assert str(run.openai.today) == AFTER
        log = run.process_log.read_text(encoding="utf-8")
        assert "TTS_MODEL" not in log  # the default speech model is current

        reply = await run.reply_final(await narrated(run))
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        film = film_of(run, tmp_path)
        assert streams(film) == ["Video", "Audio"]
        for scene in range(3):  # the voice is heard in every scene: not silence
            assert mean_volume(film, scene * SCENE + 0.1, scene * SCENE + 0.7) > -40, scene
        assert "narrated" in (field(reply, "Narration") or "")
        sessions = run.openai.realtime.sessions
        assert [s["model"] for s in sessions] == ["gpt-realtime-2.1-mini"] * 3
        assert run.openai.calls.get("speech", 0) == 0  # the shut-down endpoint is not asked


async def test_a_shut_down_speech_model_refuses_narration_before_any_spend(tmp_path) -> None:
    async with live(tmp_path, tts_model="gpt-4o-mini-tts") as run:
        log = run.process_log.read_text(encoding="utf-8")
        said = "OpenAI does not serve TTS_MODEL=gpt-4o-mini-tts (404 model_not_found)"
        assert (
            said in log and "Set TTS_MODEL to a current model such as gpt-realtime-2.1-mini" in log
        )

        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "narration": True})
        )
        text = private(asked) or ""
        assert text.startswith("Narration is not available: " + said), text
        assert run.rows("SELECT COUNT(*) FROM generations") == [(0,)]
        assert run.openai.calls == {"chat": 0, "moderations": 0}  # nothing analysed or spoken
        assert run.replicate.counts["create"] == 0  # no prediction

        # the films themselves still work: only narration is refused
        plain = await run.answered(await run.discord.send_slash("generate", {"prompt": IDEA}))
        reply = await run.reply_final(await run.discord.wait_for(lambda: plain.reply_id))
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        assert run.openai.calls.get("speech", 0) == 0


async def test_retry_of_a_narrated_film_is_refused_once_its_speech_model_is_gone(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_OPENAI_TODAY", "2026-12-07")  # before the shutdown, at first
    async with live(tmp_path, tts_model="gpt-4o-mini-tts", narration_required=True) as run:
        run.openai.fail_next(503, times=100, path="/audio/speech")
        reply = await run.reply_final(await narrated(run, clips=2))
        assert (status_of(reply) or "").startswith("❌"), status_of(reply)  # required, failed
        spent = (run.openai.calls.get("speech", 0), run.replicate.counts["create"])

        run.openai.today = date.fromisoformat(AFTER)  # the date passes; the bot restarts
        await run.restart(tts_model="gpt-4o-mini-tts", narration_required=True)
        retry = await run.answered(await run.discord.click("reelbot:retry:1", reply.id))
        text = private(retry) or ""
        assert text.startswith("Narration is not available: OpenAI does not serve TTS_MODEL"), text
        assert (run.openai.calls.get("speech", 0), run.replicate.counts["create"]) == spent
