"""The score laid under a film (issue 22): fitted to the film's length, ducked under whatever
the film already sounds (the narration, the clips' own sound) with ffmpeg's
`sidechaincompress`, and the whole loudness-normalised to EBU R128 -16 LUFS integrated
(peaks limited at -1.5 dBFS; the common target for online video), in two passes: the first
measures the mix (`ebur128`), the second applies one linear gain and a limiter, so
the result lands within 1 LU of it (one-pass `loudnorm` drifts on a film of a few seconds).

Fitting: a track longer than the film is cut at the film's end with a `FADE_SECONDS` fade out;
a shorter one is repeated, each join a `CROSSFADE_SECONDS` cross-fade (`acrossfade`), then cut
and faded the same way. The video is copied, never re-encoded.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

from bot.pipeline.errors import MediaError
from bot.pipeline.media._ffmpeg import file_url, input_args, run_ffmpeg
from bot.pipeline.media._files import commit, discard, temp_sibling
from bot.pipeline.media.probe import probe

log = logging.getLogger(__name__)

TARGET_LUFS = -16.0  # EBU R128 integrated loudness of the finished film
TRUE_PEAK = -1.5
PEAK_LIMIT = round(10 ** (TRUE_PEAK / 20), 3)  # the limiter's ceiling, linear
LRA = 11.0
MUSIC_BED_LUFS = -30.0  # the score alone, before the mix: well under a voice at about -16
FADE_SECONDS = 1.5
CROSSFADE_SECONDS = 1.0
# the score drops further while anything else sounds (the voice, the clips' dialogue is the key)
DUCKING = "sidechaincompress=threshold=0.015:ratio=6:attack=30:release=400"
AUDIO_FORMATS = "wav,mp3,flac,ogg,mov,mp4,m4a,3gp,3g2,mj2"


@dataclass(frozen=True)
class ScoreMix:
    path: Path
    duration: float
    loops: int  # times the track plays (1: trimmed)


def fitted(track_seconds: float, film_seconds: float) -> tuple[str, int]:
    """The filter chain fitting input 1 (the track) to the film, ending in [music]; and how
    many times the track plays."""
    fade_at = max(0.0, film_seconds - FADE_SECONDS)
    end = (
        f"atrim=end={film_seconds:.3f},asetpts=N/SR/TB,"
        f"afade=t=out:st={fade_at:.3f}:d={film_seconds - fade_at:.3f}"
    )
    base = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
    if track_seconds >= film_seconds or track_seconds <= CROSSFADE_SECONDS * 2:
        return f"[1:a:0]{base},{end}[music]", 1
    step = track_seconds - CROSSFADE_SECONDS
    loops = max(2, math.ceil((film_seconds - CROSSFADE_SECONDS) / step))
    names = [f"[t{i}]" for i in range(loops)]
    parts = [f"[1:a:0]{base},asplit={loops}{''.join(names)}"]
    joined = names[0]
    for i in range(1, loops):
        out = f"[x{i}]"
        parts.append(f"{joined}{names[i]}acrossfade=d={CROSSFADE_SECONDS}:c1=tri:c2=tri{out}")
        joined = out
    parts.append(f"{joined}{end}[music]")
    return ";".join(parts), loops


def graph(track_seconds: float, film_seconds: float, *, film_has_audio: bool) -> tuple[str, int]:
    """Input 0 the film, input 1 the track: the mix before the loudness pass, as [mix]."""
    music, loops = fitted(track_seconds, film_seconds)
    parts = [music, f"[music]loudnorm=I={MUSIC_BED_LUFS}:TP=-6:LRA=11,aresample=48000[bed]"]
    if film_has_audio:
        parts += [
            "[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
            "asplit=2[main][key]",
            f"[bed][key]{DUCKING}[ducked]",
            "[main][ducked]amix=inputs=2:normalize=0:duration=first[mixed]",
        ]
    else:
        parts.append("[bed]anull[mixed]")
    parts.append(f"[mixed]apad=whole_dur={film_seconds:.3f},atrim=end={film_seconds:.3f}[mix]")
    return ";".join(parts), loops


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")


async def audio_seconds(track: Path) -> float:
    """How long an audio file lasts (its container's duration); MediaError if unreadable."""
    _, _, stderr = await run_ffmpeg(
        ["-loglevel", "info", *input_args(track, formats=AUDIO_FORMATS)],
        what="probe",
        check=False,
    )
    text = stderr.decode(errors="replace")
    found = _DURATION.search(text)
    if found is None or "Audio:" not in text:
        raise MediaError(f"{track.name} is not readable audio")
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


_INTEGRATED = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")


async def _measure(film: Path, track: Path, chain: str) -> float:
    """The mix's integrated loudness (EBU R128, ffmpeg's `ebur128`): the first pass."""
    _, _, stderr = await run_ffmpeg(
        [
            "-loglevel",
            "info",
            "-y",
            *input_args(film),
            *input_args(track, formats=AUDIO_FORMATS),
            "-filter_complex",
            f"{chain};[mix]ebur128[m]",
            "-map",
            "[m]",
            "-f",
            "null",
            "-",
        ],
        what="measuring the score's mix",
    )
    found = _INTEGRATED.findall(stderr.decode(errors="replace"))
    if not found or found[-1] == "-inf":
        raise MediaError("the score's mix is silent")
    return float(found[-1])


async def mix_score(film: Path, track: Path, dest: Path) -> ScoreMix:
    """Write `film` with `track` under its sound to `dest` (atomically): the video copied, one
    AAC track at -16 LUFS integrated."""
    info = await probe(film)
    track_seconds = await audio_seconds(track)
    chain, loops = graph(track_seconds, info.duration, film_has_audio=info.has_audio)
    measured = await _measure(film, track, chain)
    gain = TARGET_LUFS - measured  # one linear gain to the target, peaks limited
    final = (
        f"{chain};[mix]volume={gain:.2f}dB,alimiter=limit={PEAK_LIMIT}:level=false,"
        f"aresample=48000,atrim=end={info.duration:.3f}[out]"
    )
    tmp = temp_sibling(dest)
    try:
        await run_ffmpeg(
            [
                "-loglevel",
                "error",
                "-y",
                *input_args(film),
                *input_args(track, formats=AUDIO_FORMATS),
                "-filter_complex",
                final,
                "-map",
                "0:v:0",
                "-map",
                "[out]",
                "-c:v",
                "copy",
                "-c:a",
                "aac",
                "-b:a",
                "192k",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                file_url(tmp),
            ],
            what="mixing the score",
        )
        await commit(tmp, dest)
    finally:
        discard(tmp)
    log.info("score mixed into %s (%d play(s) of the track)", dest.name, loops)
    return ScoreMix(dest, info.duration, loops)
