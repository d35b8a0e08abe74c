"""Putting captions into a film with the bundled ffmpeg: as a `mov_text` subtitle stream
(stream copy of picture and sound; language tagged), or burned into the picture with libass
(the `subtitles` filter; a re-encode, so it waits for one of the `FFMPEG_CONCURRENCY` slots).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.pipeline.media._ffmpeg import file_url, input_args, run_ffmpeg
from bot.pipeline.media._files import commit, discard, temp_sibling
from bot.pipeline.media.probe import probe
from bot.pipeline.sound.captions import Cue, ass_document, language, srt_document
from bot.pipeline.sound.fonts import link_fonts

log = logging.getLogger(__name__)

_OUT = ["-movflags", "+faststart", "-f", "mp4"]


async def add_track(film: Path, cues: Sequence[Cue], dest: Path, *, workdir: Path) -> str:
    """`film` with a subtitle stream of `cues` written to `dest` (atomically); the language
    code it was tagged with is returned."""
    code = language([c.text for c in cues])
    srt = temp_sibling(workdir / "captions.srt")
    tmp = temp_sibling(dest)
    try:
        await asyncio.to_thread(srt.write_text, srt_document(cues), "utf-8")
        await run_ffmpeg(
            [
                "-loglevel",
                "error",
                "-y",
                *input_args(film),
                "-f",
                "srt",
                *input_args(srt, formats="srt"),
                "-map",
                "0:v:0",
                "-map",
                "0:a?",
                "-map",
                "1:0",
                "-c:v",
                "copy",
                "-c:a",
                "copy",
                "-c:s",
                "mov_text",
                "-metadata:s:s:0",
                f"language={code}",
                "-metadata:s:s:0",
                "handler_name=Captions",
                *_OUT,
                file_url(tmp),
            ],
            what="adding the captions track",
        )
        await commit(tmp, dest)
    finally:
        discard(tmp)
        discard(srt)
    return code


async def burn(film: Path, cues: Sequence[Cue], dest: Path) -> None:
    """`film` with `cues` drawn into its picture, written to `dest` (atomically); the sound is
    copied. The script and the font links live in a fresh temporary folder whose name needs no
    escaping inside the filter graph."""
    info = await probe(film)
    tmp = temp_sibling(dest)
    try:
        with tempfile.TemporaryDirectory(prefix="captions") as folder:
            where = Path(folder)
            fonts = where / "fonts"
            fonts.mkdir()
            await asyncio.to_thread(link_fonts, fonts)
            script = where / "captions.ass"
            text = ass_document(cues, info.width, info.height)
            await asyncio.to_thread(script.write_text, text, "utf-8")
            await run_ffmpeg(
                [
                    "-loglevel",
                    "error",
                    "-y",
                    *input_args(film),
                    "-vf",
                    f"subtitles=filename={script}:fontsdir={fonts}",
                    "-map",
                    "0:v:0",
                    "-map",
                    "0:a?",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                    "-crf",
                    "20",
                    "-pix_fmt",
                    "yuv420p",
                    "-c:a",
                    "copy",
                    *_OUT,
                    file_url(tmp),
                ],
                what="burning in the captions",
                encode=True,
            )
        await commit(tmp, dest)
    finally:
        discard(tmp)
    log.info("captions burned into %s: %d cue(s)", dest.name, len(cues))
