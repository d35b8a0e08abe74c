"""Laying a voice-over into a film: each line at its scene's start, loudness-normalised, over the
clips' own sound (ducked under the voice), into one AAC track. The video is copied, never
re-encoded.

A line longer than its scene is first sped up a little (``atempo``, which keeps the pitch; at
most ``MAX_TEMPO``), and if it still runs over, the next line starts when it ends instead of at
its own scene's start. The voice never runs past the film: the audio track ends with the last
frame, the voice faded out over ``FADE_SECONDS`` where it is cut (issue 19: a film whose sound
outlasts its picture shows a frozen frame in most players). The lines are written to fit their
scenes in the first place (bot/pipeline/analysis/shotlist.py: words and characters per second), so
a cut
is rare and short.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.pipeline.media._ffmpeg import file_url, input_args, local_file, run_ffmpeg
from bot.pipeline.media._files import commit, discard, temp_sibling
from bot.pipeline.media.probe import probe

log = logging.getLogger(__name__)

# What OpenAI's speech endpoint answers for response_format "pcm": raw samples, 24 kHz, 16-bit
# signed little-endian, mono, no header (https://developers.openai.com/api/docs/guides/text-to-speech).
PCM_RATE = 24_000
PCM_BYTES_PER_SECOND = PCM_RATE * 2
MAX_TEMPO = 1.25  # a line up to 25 % too long is spoken that much faster (pitch kept)
FADE_SECONDS = 0.3  # a voice cut at the last frame fades out over this long
LOUDNESS = "loudnorm=I=-16:TP=-1.5:LRA=11"  # EBU R128, a common target for online video
# the clips' own sound drops under the voice while it speaks (the voice is the key)
DUCKING = "sidechaincompress=threshold=0.02:ratio=8:attack=20:release=350"


@dataclass(frozen=True)
class Line:
    """A spoken line: its raw PCM file and length, and where its scene sits in the film."""

    path: Path
    seconds: float
    scene_start: float
    scene_seconds: float


@dataclass(frozen=True)
class Placed:
    line: Line
    start: float
    tempo: float

    @property
    def end(self) -> float:
        return self.start + self.line.seconds / self.tempo


@dataclass(frozen=True)
class MixResult:
    path: Path
    duration: float  # of the film (the voice-over never outlasts it)
    overrun: float  # seconds of voice cut at the last frame (0 when it fits)


def pcm_seconds(size: int) -> float:
    """How long `size` bytes of the speech endpoint's PCM last."""
    return size / PCM_BYTES_PER_SECOND


def place(lines: Sequence[Line]) -> list[Placed]:
    """Where and how fast each line is spoken: at its scene's start (or when the line before
    ends, if that one ran over), sped up by at most ``MAX_TEMPO`` when longer than its scene."""
    placed: list[Placed] = []
    cursor = 0.0
    for line in lines:
        tempo = 1.0
        if line.scene_seconds > 0 and line.seconds > line.scene_seconds:
            tempo = min(MAX_TEMPO, line.seconds / line.scene_seconds)
        spot = Placed(line, max(line.scene_start, cursor), tempo)
        placed.append(spot)
        cursor = spot.end
    return placed


def graph(placed: Sequence[Placed], *, film_seconds: float, film_has_audio: bool) -> str:
    """The filter graph: input 0 is the film, input i+1 the PCM of ``placed[i]``; the result
    is ``[out]``."""
    parts: list[str] = []
    for i, spot in enumerate(placed):
        tempo = f",atempo={spot.tempo:.4f}" if spot.tempo != 1.0 else ""
        delay = round(spot.start * 1000)
        parts.append(
            f"[{i + 1}:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
            f"{tempo},adelay={delay}:all=1[n{i}]"
        )
    names = "".join(f"[n{i}]" for i in range(len(placed)))
    end = max((spot.end for spot in placed), default=0.0)
    fade = ""
    if end > film_seconds:  # cut at the last frame: faded, not clipped
        fade_at = max(0.0, film_seconds - FADE_SECONDS)
        fade = f",afade=t=out:st={fade_at:.3f}:d={film_seconds - fade_at:.3f}"
    parts.append(
        f"{names}amix=inputs={len(placed)}:normalize=0:duration=longest,{LOUDNESS},"
        f"aresample=48000,apad=whole_dur={film_seconds:.3f},atrim=end={film_seconds:.3f}{fade}"
        + ("[voice]" if film_has_audio else "[out]")
    )
    if film_has_audio:
        parts += [
            "[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[bed]",
            "[voice]asplit=2[vo][key]",
            f"[bed][key]{DUCKING}[ducked]",
            "[ducked][vo]amix=inputs=2:normalize=0:duration=longest,"
            f"atrim=end={film_seconds:.3f}[out]",
        ]
    return ";".join(parts)


async def mix_narration(film: Path, lines: Sequence[Line], dest: Path) -> MixResult:
    """Write ``film`` with the voice-over of ``lines`` to ``dest`` (atomically): the video
    stream copied as it is, one AAC track of the voice over the film's own sound."""
    if not lines:
        raise ValueError("no narration lines to mix")
    info = await probe(film)
    placed = place(lines)
    inputs = list(input_args(film))
    for spot in placed:
        # raw PCM has no header to probe: its layout is given (and the format allowed) here
        inputs += ["-f", "s16le", "-ar", str(PCM_RATE), "-ch_layout", "mono"]
        inputs += input_args(local_file(spot.line.path), formats="s16le")
    dest = Path(dest)
    tmp = temp_sibling(dest)
    try:
        await run_ffmpeg(
            [
                "-loglevel",
                "error",
                "-y",
                *inputs,
                "-filter_complex",
                graph(placed, film_seconds=info.duration, film_has_audio=info.has_audio),
                "-map",
                "0:v:0",
                "-map",
                "[out]",
                "-c:v",
                "copy",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                file_url(tmp),
            ],
            what="mixing the narration",
        )
        await commit(tmp, dest)
    finally:
        discard(tmp)
    end = max(spot.end for spot in placed)
    overrun = max(0.0, end - info.duration)
    log.info(
        "narration mixed into %s: %d line(s)%s",
        dest.name,
        len(placed),
        f", {overrun:.1f}s of voice cut at the last frame" if overrun else "",
    )
    return MixResult(dest, info.duration, overrun)
