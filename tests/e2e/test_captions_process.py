"""Issue 22's captions through the real process (`python -m bot`, tests/fakes/botprocess.py):
`captions:track` gives a film with a language-tagged subtitle stream, one cue per narrated scene
at its scene's time; `captions:burned` changes the picture only where the words are drawn
(inside the title-safe area at the bottom), the rest of every frame as it was."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bot.pipeline.media import ffmpeg_exe
from bot.pipeline.sound.captions import SAFE_MARGIN
from tests.e2e.harness import status_of
from tests.e2e.test_admission import live
from tests.e2e.test_narration import SCENE
from tests.e2e.test_narration_process import film_of, narrated
from tests.pipeline.sound.test_captions import _changed, _frame, _srt_times


def _probe(path: Path) -> str:
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True)
    return out.stderr.decode(errors="replace")


def _size(path: Path) -> tuple[int, int]:
    found = re.search(r"Video: .*?, (\d{2,5})x(\d{2,5})", _probe(path))
    assert found
    return int(found[1]), int(found[2])


async def test_captions_track_has_one_cue_per_narrated_scene_at_its_time(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        run.replicate.max_clip_seconds = SCENE
        run.openai.narration_words_per_second = 1.0
        reply = await run.reply_final(await narrated(run, captions="track"))
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)

        film = film_of(run, tmp_path)
        assert re.search(r"Stream #\S+\((\w{3})\): Subtitle: mov_text", _probe(film))
        cues = _srt_times(film)
        lines = [text for _, _, text in cues]
        assert [(start, end) for start, end, _ in cues] == [
            (i * SCENE, (i + 1) * SCENE) for i in range(3)
        ]
        spoken = run.rows("SELECT text FROM narration_lines ORDER BY idx")
        assert lines == [text for (text,) in spoken]
        assert run.rows("SELECT captions FROM generations") == [("track",)]


async def test_captions_burned_change_the_picture_where_the_words_are_and_nowhere_else(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        run.replicate.max_clip_seconds = SCENE
        run.openai.narration_words_per_second = 1.0
        reply = await run.reply_final(await narrated(run, clips=2, captions="burned"))
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)

        film = film_of(run, tmp_path)
        plain = run.data / "media" / "1" / "film.mp4"  # the stitched film, before any words
        width, height = _size(film)
        for at in (0.5, SCENE + 0.5):
            changed = _changed(
                _frame(plain, at, width, height), _frame(film, at, width, height), width
            )
            assert len(changed) > 50, at  # the words are drawn
            xs, ys = [x for x, _ in changed], [y for _, y in changed]
            assert min(xs) >= width * SAFE_MARGIN - 1 and max(xs) <= width * (1 - SAFE_MARGIN) + 1
            assert height / 2 < min(ys) and max(ys) <= height * (1 - SAFE_MARGIN) + 1
