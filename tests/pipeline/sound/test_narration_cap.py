"""Issue 19 §4: narration lines are capped by what can be said in the scene, whatever the
script. On de57d17 a 4,200-character Chinese line for a 4 s scene passed unchanged (the cap
counted words by spaces)."""

from __future__ import annotations

import pytest

from bot.pipeline.analysis.shotlist import (
    CHARS_PER_SECOND,
    CJK_CHARS_PER_SECOND,
    SPEECH_INPUT_LIMIT,
    Scene,
    ShotList,
    clamp,
    fit_line,
    speaking_seconds,
)

CHINESE = "灯塔看守人在暴风雨的夜里收养了一只受伤的小海豹"  # 23 characters, no space, no stop


def test_a_long_chinese_line_is_cut_to_its_scene() -> None:
    line = (CHINESE * 200)[:4200]
    fitted = fit_line(line, 4)
    assert len(fitted) == 4 * CJK_CHARS_PER_SECOND  # 20 characters for 4 seconds
    assert line.startswith(fitted)
    assert speaking_seconds(fitted) <= 4.0 + 1e-9


def test_a_line_is_cut_at_a_sentence_stop_when_one_is_near() -> None:
    line = "灯塔看守人收养了一只海豹。它每天晚上都在礁石上等他回来。"
    assert fit_line(line, 4) == "灯塔看守人收养了一只海豹。"


@pytest.mark.parametrize(
    ("text", "seconds", "most"),
    [
        ("灯台守はある嵐の夜にけがをした小さなアザラシを拾って育てることにした" * 5, 4, 20),
        ("등대지기는 폭풍우 치는 밤에 다친 아기 물범을 데려와 키우기로 했다" * 5, 4, 20 + 9),
        ("ประภาคารตั้งอยู่บนโขดหินริมทะเลมาหลายร้อยปีแล้วและยังคงส่องแสง" * 5, 2, 24),
    ],
    ids=["japanese", "korean", "thai"],
)
def test_other_scripts_without_many_spaces_are_capped_too(
    text: str, seconds: int, most: int
) -> None:
    fitted = fit_line(text, seconds)
    assert 0 < len(fitted) <= most
    assert speaking_seconds(fitted) <= seconds + 1e-9


def test_a_latin_line_within_the_word_budget_is_still_capped_by_its_length() -> None:
    long_words = "Extraordinarily unquestionably incomprehensible circumstances overwhelmed"
    fitted = fit_line(long_words, 2)  # 5 words allowed, but 74 characters is ~5 s of speech
    assert len(fitted) <= 2 * CHARS_PER_SECOND and long_words.startswith(fitted)
    assert not fitted.endswith(" ")
    assert fit_line("Il était une fois un gardien de phare.", 4) == (
        "Il était une fois un gardien de phare."
    )  # what fits is kept whole


def test_no_line_passes_the_speech_input_limit() -> None:
    for seconds in (2, 10, 10_000):
        assert len(fit_line("x" * 10_000, seconds)) <= SPEECH_INPUT_LIMIT


def test_clamp_caps_the_models_lines() -> None:
    answer = ShotList(
        title="T", style="S", scenes=[Scene(prompt="a", duration=4, narration=CHINESE * 180)]
    )
    (scene,) = clamp(answer, wanted=None, max_clips=4).scenes
    assert len(scene.narration) == 20


async def test_a_chinese_film_asks_for_no_more_speech_than_its_scenes_hold(
    harness, openai_fake
) -> None:
    """Through the pipeline: the fake writes each scene's line from the idea (one "word" of
    Chinese); what is sent to be spoken fits the scene."""
    openai_fake.scene_duration = 2
    final = await harness.generate("".join([CHINESE] * 8), clips=2, narration=True, voice="coral")
    assert final.status.value == "done", final.error
    spoken = openai_fake.speech.requests
    assert len(spoken) == 2
    for text in spoken:
        assert text.startswith("Line ") and speaking_seconds(text) <= 2 + 1e-9, text
