"""Captions (issue 22): cues timed to their scenes, laid out inside the title-safe area at every
frame shape (CJK wrapped too), and put into a real film as a tagged mov_text track or burned
into the picture (there, and nowhere else)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.pipeline.media import ffmpeg_exe, stitch
from bot.pipeline.media.narrate import Line
from bot.pipeline.sound.captions import (
    MAX_ROWS,
    SAFE_MARGIN,
    Cue,
    ass_document,
    cues,
    fit,
    language,
    layout,
    text_width,
    wrap,
)
from bot.pipeline.sound.subtitles import add_track, burn
from tests.fakes.mp4 import make_clip

SHAPES = [(1280, 720), (720, 1280), (720, 720)]  # 16:9, 9:16, 1:1


def test_each_line_is_shown_from_its_scene_start_to_its_scene_end() -> None:
    spoken = [
        ("First line.", Line(Path("a"), 1.0, 0.0, 2.0)),
        ("Third line.", Line(Path("c"), 1.5, 4.0, 2.0)),  # scene 2 was not narrated
    ]
    assert cues(spoken, 6.0) == [Cue(0.0, 2.0, "First line."), Cue(4.0, 6.0, "Third line.")]


def test_a_line_that_runs_over_keeps_its_cue_until_the_next_one_and_the_film_ends() -> None:
    spoken = [
        ("long " * 5, Line(Path("a"), 3.0, 0.0, 2.0)),  # 2.4 s at the fastest tempo
        ("next", Line(Path("b"), 3.0, 2.0, 2.0)),
    ]
    first, second = cues(spoken, 4.0)
    assert first.end == second.start == pytest.approx(2.4)
    assert second.end == 4.0  # never past the last frame


@pytest.mark.parametrize(("width", "height"), SHAPES, ids=["16:9", "9:16", "1:1"])
@pytest.mark.parametrize(
    "text",
    [
        "A lighthouse keeper counts the waves while the storm gathers over the grey northern sea.",
        "灯台守は嵐が北の灰色の海に集まる間、波を数えている。そして夜明けが来る。",
        "一位老人在海边的灯塔里数着海浪，等待风暴过去，天亮了。",
        "Supercalifragilisticexpialidociouslylongwordwithoutanyspaceatall",
    ],
    ids=["latin", "japanese", "chinese", "one-long-word"],
)
def test_rows_stay_inside_the_title_safe_area(width: int, height: int, text: str) -> None:
    frame = layout(width, height)
    rows, size = fit(text, frame)
    safe_width = width * (1 - 2 * SAFE_MARGIN)
    assert all(text_width(row, size) <= safe_width for row in rows)
    assert "".join(rows).replace(" ", "") == text.replace(" ", "")  # nothing lost
    assert len(rows) <= MAX_ROWS
    assert rows[0] and rows[-1]


def test_cjk_wraps_between_characters_and_keeps_closing_punctuation() -> None:
    rows = wrap("灯台守は嵐が北の灰色の海に集まる間、波を数えている。", 6 * 20, 20)
    assert len(rows) > 1
    assert all(len(row) <= 7 for row in rows)
    assert not any(row[0] in "、。" for row in rows)


def test_the_track_is_tagged_with_the_lines_language() -> None:
    assert language(["The keeper climbs the stairs of the old tower."]) == "eng"
    assert language(["Le gardien monte les marches de la tour."]) == "fra"
    assert language(["灯台守は階段を上る。"]) == "jpn"
    assert language(["看守爬上楼梯。"]) == "zho"
    assert language(["Xyzzy plugh."]) == "und"


def test_the_script_draws_at_the_frame_size_and_escapes_tags() -> None:
    script = ass_document([Cue(0, 1.5, "a {\\b1} tag")], 720, 1280)
    assert "PlayResX: 720\nPlayResY: 1280" in script
    assert "Dialogue: 0,0:00:00.00,0:00:01.50,Default,,0,0,0,,a ｛＼b1｝ tag" in script


async def _stitched(tmp_path: Path, width: int = 320, height: int = 180) -> Path:
    clips = [
        make_clip(tmp_path / f"c{i}.mp4", seconds=2, width=width, height=height, color=c,
                  audio=True)
        for i, c in enumerate(["0x305080", "0x603030", "0x306030"])
    ]  # fmt: skip
    return (await stitch(clips, tmp_path / "film.mp4", workdir=tmp_path)).path


def _info(path: Path) -> str:
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True)
    return done.stderr.decode(errors="replace")


def _srt_times(path: Path) -> list[tuple[float, float, str]]:
    done = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    found = re.findall(r"(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)\n(.+)", done.stdout)

    def sec(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    return [(sec(*f[0:4]), sec(*f[4:8]), f[8]) for f in found]


async def test_a_track_has_one_cue_per_narrated_scene_at_its_time(tmp_path: Path) -> None:
    film = await _stitched(tmp_path)
    items = [Cue(0.0, 2.0, "The keeper wakes."), Cue(4.0, 6.0, "The storm passes.")]
    code = await add_track(film, items, tmp_path / "out.mp4", workdir=tmp_path)
    info = _info(tmp_path / "out.mp4")
    assert code == "eng"
    assert re.search(r"Stream #0:\d+\S*\(eng\): Subtitle: mov_text", info), info
    assert re.search(r"Stream #0:\d+\S*: Audio: aac", info)  # the sound kept
    assert _srt_times(tmp_path / "out.mp4") == [
        (0.0, 2.0, "The keeper wakes."),
        (4.0, 6.0, "The storm passes."),
    ]


def _frame(path: Path, at: float, width: int, height: int) -> bytes:
    done = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        check=True, capture_output=True,
    )  # fmt: skip
    assert len(done.stdout) == width * height
    return done.stdout


def _changed(a: bytes, b: bytes, width: int) -> list[tuple[int, int]]:
    return [
        (i % width, i // width)
        for i, (x, y) in enumerate(zip(a, b, strict=True))
        if abs(x - y) > 40
    ]


@pytest.mark.parametrize(("width", "height"), [(320, 180), (180, 320)], ids=["16:9", "9:16"])
async def test_burned_captions_change_the_picture_where_the_cue_shows_and_nowhere_else(
    tmp_path: Path, width: int, height: int
) -> None:
    film = await _stitched(tmp_path, width, height)
    items = [Cue(0.0, 2.0, "The keeper wakes before dawn and climbs to the lamp.")]
    out = tmp_path / "burned.mp4"
    await burn(film, items, out)
    during = _changed(_frame(film, 1.0, width, height), _frame(out, 1.0, width, height), width)
    after = _changed(_frame(film, 3.0, width, height), _frame(out, 3.0, width, height), width)
    assert len(during) > 50  # the words are drawn
    assert after == []  # no cue at 3 s: the picture is as it was
    xs, ys = [x for x, _ in during], [y for _, y in during]
    assert min(xs) >= width * SAFE_MARGIN - 1 and max(xs) <= width * (1 - SAFE_MARGIN) + 1
    assert min(ys) >= height * SAFE_MARGIN and max(ys) <= height * (1 - SAFE_MARGIN) + 1
    assert min(ys) > height / 2  # at the bottom


async def test_burned_cjk_captions_are_drawn_in_the_cjk_face(tmp_path: Path) -> None:
    film = await _stitched(tmp_path, 180, 320)
    out = tmp_path / "burned.mp4"
    await burn(film, [Cue(0.0, 2.0, "灯台守は嵐が来る前に目を覚ます。")], out)
    during = _changed(_frame(film, 1.0, 180, 320), _frame(out, 1.0, 180, 320), 180)
    rows = {y for _, y in during}
    assert len(during) > 100 and max(rows) - min(rows) > 20  # two rows of glyphs, not boxes
    assert min(x for x, _ in during) >= 180 * SAFE_MARGIN - 1
