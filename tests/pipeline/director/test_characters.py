"""Named characters: every scene prompt that shows one repeats its look word for word."""

from __future__ import annotations

import json

import pytest
from openai import AsyncOpenAI

from bot.pipeline.analysis.shotlist import (
    MAX_PROMPT_CHARS,
    Character,
    Scene,
    ShotList,
    clamp,
)
from bot.pipeline.analysis.writer import RESPONSE_FORMAT, Analyst, rewrite
from bot.pipeline.director.characters import MAX_CHARACTERS, cast_of, shown_in, with_looks
from tests.fakes.openai_fake import CAST, FakeOpenAI

IDEA = "a lighthouse keeper adopts a seal"
ADA = ("Ada", "a tall woman with silver hair in a green wool coat")
BO = ("Bo", "a small grey seal with a white patch over one eye")


def assert_looks_verbatim(shot_list: ShotList) -> None:
    """Every scene that shows a character (listed, or named in its prompt) carries its look."""
    for scene in shot_list.scenes:
        for character in shot_list.characters:
            shows = character.name in scene.characters or character.name in scene.prompt.split()
            if shows:
                assert character.look in scene.prompt, (character.name, scene.prompt)


async def test_every_scene_of_the_fakes_answer_carries_its_characters_looks(
    openai_fake: FakeOpenAI,
) -> None:
    client = AsyncOpenAI(api_key="test", base_url=openai_fake.base_url, max_retries=0)
    analyst = Analyst(client, model="gpt-4o-mini", max_clips=4)

    shot_list = await analyst.shot_list(IDEA, clips=4)

    assert [(c.name, c.look) for c in shot_list.characters] == list(CAST)
    assert [s.characters for s in shot_list.scenes] == [["Ada", "Bo"], ["Ada"], ["Bo"], ["Ada"]]
    assert_looks_verbatim(shot_list)
    # the fake left the looks out of scenes 2 to 4 (as models do): the bot put them back
    schema = openai_fake.last_schema
    assert schema is not None and "characters" in json.dumps(schema)
    assert shot_list.scenes[1].prompt == f"Scene 2: {IDEA}, Ada ({ADA[1]}) looks on"
    assert shot_list.scenes[2].prompt == f"Scene 3: {IDEA}. Bo is {BO[1]}."
    await client.close()


async def test_a_narrated_shot_list_has_characters_too(openai_fake: FakeOpenAI) -> None:
    client = AsyncOpenAI(api_key="test", base_url=openai_fake.base_url, max_retries=0)
    analyst = Analyst(client, model="gpt-4o-mini", max_clips=4)

    shot_list = await analyst.shot_list(IDEA, clips=3, narration=True)

    assert len(shot_list.characters) == 2 and all(s.narration for s in shot_list.scenes)
    assert_looks_verbatim(shot_list)
    await client.close()


async def test_a_film_without_characters_keeps_its_prompts(openai_fake: FakeOpenAI) -> None:
    openai_fake.cast = []
    client = AsyncOpenAI(api_key="test", base_url=openai_fake.base_url, max_retries=0)

    shot_list = await Analyst(client, model="gpt-4o-mini", max_clips=4).shot_list(IDEA, clips=2)

    assert shot_list.characters == []
    assert [s.prompt for s in shot_list.scenes] == [f"Scene {i}: {IDEA}" for i in (1, 2)]
    await client.close()


def test_a_look_already_there_is_not_repeated() -> None:
    prompt = f"Ada, {ADA[1]}, climbs the stairs"

    assert with_looks(prompt, ["Ada"], [ADA], limit=500) == (prompt, ["Ada"])


def test_a_named_character_gets_the_look_after_the_name() -> None:
    prompt, shown = with_looks("Ada climbs the stairs with Bo", [], [ADA, BO], limit=500)

    assert prompt == f"Ada ({ADA[1]}) climbs the stairs with Bo ({BO[1]})"
    assert shown == ["Ada", "Bo"]


def test_a_listed_character_not_named_gets_a_sentence() -> None:
    prompt, shown = with_looks("waves break on the rocks", ["bo"], [ADA, BO], limit=500)

    assert prompt == f"waves break on the rocks. Bo is {BO[1]}."
    assert shown == ["Bo"]


def test_a_name_is_matched_as_a_word_in_its_own_case() -> None:
    sky = ("Sky", "a girl in a red hood")

    assert shown_in("a storm fills the sky over Skyline Bay", [], [sky]) == []
    assert shown_in("Sky runs", [], [sky]) == [sky]


def test_a_long_prompt_is_cut_to_make_room_for_the_looks_never_the_looks() -> None:
    long = "Ada walks " + "slowly " * 400

    prompt, _ = with_looks(long, [], [ADA, BO], limit=MAX_PROMPT_CHARS)

    assert len(prompt) <= MAX_PROMPT_CHARS
    assert ADA[1] in prompt  # right after the name, which was kept


def test_a_look_cut_away_with_the_prompt_is_put_back() -> None:
    long = "x " * 800 + f"Bo, {BO[1]}"

    prompt, _ = with_looks(long, ["Bo"], [BO], limit=200)

    assert len(prompt) <= 200 and prompt.endswith(f"Bo is {BO[1]}.")


def test_the_cast_is_bounded_and_cleaned() -> None:
    many = [(f" Name{i}\n", f"look\x1b {i}") for i in range(20)] + [("name0", "again")]

    cast = cast_of(many)

    assert len(cast) == MAX_CHARACTERS
    assert cast[0] == ("Name0", "look 0")
    assert cast_of([("", "a look"), ("Nobody", "  ")]) == []


def test_clamp_fills_looks_and_keeps_the_cast() -> None:
    answer = ShotList(
        title="T",
        style="S",
        characters=[Character(name="Ada", look=ADA[1]), Character(name=" ", look="x")],
        scenes=[Scene(prompt="Ada at the window", duration=5), Scene(prompt="rain", duration=5)],
    )

    clamped = clamp(answer, wanted=None, max_clips=4)

    assert [c.name for c in clamped.characters] == ["Ada"]
    assert clamped.scenes[0].prompt == f"Ada ({ADA[1]}) at the window"
    assert clamped.scenes[0].characters == ["Ada"] and clamped.scenes[1].characters == []
    assert_looks_verbatim(clamped)


def test_a_shot_list_stored_before_characters_still_reads() -> None:
    stored = '{"title": "T", "style": "S", "scenes": [{"prompt": "p", "duration": 5}]}'

    shot_list = ShotList.model_validate_json(stored)

    assert shot_list.characters == [] and shot_list.scenes[0].characters == []


@pytest.mark.parametrize("looks_left_out", [True, False])
async def test_the_fake_writes_the_looks_only_when_told(
    openai_fake: FakeOpenAI, looks_left_out: bool
) -> None:
    """The fake's raw answer (before the bot fills anything in)."""
    openai_fake.looks_left_out = looks_left_out
    client = AsyncOpenAI(api_key="test", base_url=openai_fake.base_url, max_retries=0)

    completion = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write exactly 3 scenes.\n<<<{IDEA}>>>"}],
        response_format=RESPONSE_FORMAT,  # type: ignore[arg-type]
    )

    raw = json.loads(completion.choices[0].message.content or "")
    second = raw["scenes"][1]["prompt"]
    assert (ADA[1] not in second) is looks_left_out
    await client.close()


def test_a_rerolled_scene_keeps_its_characters_looks() -> None:
    # the analysis model's rewrite from a member's note may drop a look; the reroll puts it back
    film = ShotList(
        title="T",
        style="S",
        characters=[Character(name="Ada", look=ADA[1]), Character(name="Bo", look=BO[1])],
        scenes=[
            Scene(prompt=f"Ada ({ADA[1]}) at the window", duration=5, characters=["Ada"]),
            Scene(prompt=f"Bo ({BO[1]}) on the rocks", duration=5, characters=["Bo"]),
        ],
    )
    answer = json.dumps({"prompt": "closer on Bo's face as the waves break"})

    prompt = rewrite.bounded(answer, film, 1)

    assert BO[1] in prompt and ADA[1] not in prompt
    assert prompt.startswith("closer on Bo")
