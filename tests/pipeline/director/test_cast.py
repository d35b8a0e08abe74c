"""The cast sheet's pure parts (issue 24): whose picture a member's image is, which scenes keep
their looks in words only on a model, the portrait's prompt, the cast options, and the bounds of
an Extend's continuation."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.pipeline.analysis import extend
from bot.pipeline.analysis.shotlist import Character, Scene, ShotList
from bot.pipeline.clips.video_models import get_model
from bot.pipeline.director.cast import picture_owner, portrait_prompt, words_only
from bot.pipeline.director.cast_options import cast, cast_name
from bot.pipeline.errors import GenerationError
from storage.models import Continuity, Generation, GenerationStatus


def generation(**changes: object) -> Generation:
    base = Generation(
        1, 1, "discord", "a seal", 3, "16:9", None, GenerationStatus.RENDERING, None, None,
        None, None, None, None, None, None, None, None, 0.0, 0.0, 0.0, None,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_members_picture_shows_the_named_character_or_the_first() -> None:
    names = ["Ada", "Bo"]
    assert picture_owner(names, None) == 0
    assert picture_owner(names, " bo ") == 1
    assert picture_owner(names, "Cy") is None  # not used, and the member told
    assert picture_owner([], None) is None


def test_the_portrait_prompt_holds_the_look_the_style_and_the_note() -> None:
    prompt = portrait_prompt("a tall woman in a green coat", "warm light", "older")
    assert "a tall woman in a green coat" in prompt and "warm light" in prompt
    assert prompt.endswith("older") and "plain neutral background" in prompt


def test_scenes_a_model_cannot_give_references_keep_their_looks_in_words() -> None:
    veo, kling = get_model("google/veo-3.1"), get_model("kwaivgi/kling-v3-omni-video")
    scenes, why = words_only(veo, generation(), [8, 4, 8], [True, True, False])
    assert scenes == [1] and why is not None and "8 s" in why  # scene 3 shows no one
    seedance = get_model("bytedance/seedance-2.0")
    chained = generation(continuity=Continuity.CHAINED)
    scenes, why = words_only(seedance, chained, [5, 5, 5], [True, True, True])
    assert scenes == [1, 2] and why is not None and "starts from an image" in why
    assert words_only(kling, chained, [5, 5], [True, True]) == ([], None)  # kling takes both
    started = generation(start_image_path="/m/start.png")
    assert words_only(seedance, started, [5, 5], [True, True])[0] == [0]


def test_the_cast_options(make_settings) -> None:  # type: ignore[no-untyped-def]
    kling = make_settings(video_model="kwaivgi/kling-v3-omni-video")
    plain = make_settings()  # seedance-1-lite: no reference input
    assert cast(None, kling, picture=False, name=None) is True  # CAST_DEFAULT auto
    assert cast("off", kling, picture=False, name=None) is False
    assert cast(None, plain, picture=False, name=None) is False  # quietly words-only
    assert cast(None, make_settings(video_model="google/veo-3.1", cast_default="off"),
                picture=False, name=None) is False  # fmt: skip
    with pytest.raises(GenerationError, match="takes no reference images"):
        cast(None, plain, picture=True, name=None)
    with pytest.raises(GenerationError, match="leave cast on"):
        cast("off", kling, picture=True, name=None)
    with pytest.raises(GenerationError, match="attach one too"):
        cast(None, kling, picture=False, name="Bo")
    with pytest.raises(GenerationError, match="cast must be one of"):
        cast("maybe", kling, picture=False, name=None)
    assert cast_name("  Bo\n ") == "Bo" and cast_name("") is None


def test_a_continuation_is_bounded_with_the_films_own_cast_and_no_narration() -> None:
    film = ShotList(
        title="Seal",
        style="warm",
        characters=[Character(name="Ada", look="a tall woman in a green coat")],
        scenes=[Scene(prompt="Scene 1: Ada on the pier", duration=5, characters=["Ada"])],
    )
    answer = {
        "title": "Other",
        "style": "cold",
        "characters": [{"name": "Zed", "look": "a stranger"}],
        "scenes": [
            {"prompt": "Scene 2: Ada waves", "duration": 30, "characters": ["Ada"],
             "narration": "a line"},
            {"prompt": "Scene 3: Zed arrives", "duration": 4, "characters": ["Zed"]},
            {"prompt": "Scene 4: one too many", "duration": 4, "characters": []},
        ],
    }  # fmt: skip
    scenes = extend.bounded(json.dumps(answer), film, 2)
    assert [s.prompt for s in scenes] == [
        "Scene 2: Ada (a tall woman in a green coat) waves",  # the film's look, word for word
        "Scene 3: Zed arrives",  # not of the film's cast: words only
    ]
    assert [s.duration for s in scenes] == [10, 4] and all(not s.narration for s in scenes)
    with pytest.raises(ValueError):
        extend.bounded(json.dumps({**answer, "scenes": answer["scenes"][:1]}), film, 2)
    (_system, user) = extend.messages("a seal", film, 2, "home")
    assert "scenes 2 to 3, after scene 1 of the film so far" in user["content"]
    assert "<<<\na seal\n>>>" in user["content"] and "home" in user["content"]
