"""The media layer: download clips, probe, stitch, shrink under a limit.

Everything is async and runs the bundled ffmpeg (``imageio-ffmpeg``) as a subprocess that is
killed if the calling task is cancelled. Failures raise ``MediaError`` with a readable reason.
"""

from bot.pipeline.media._ffmpeg import ENCODES, ffmpeg_exe
from bot.pipeline.media.download import download, host_allowed
from bot.pipeline.media.frames import last_frame, poster_frame
from bot.pipeline.media.probe import VideoInfo, probe
from bot.pipeline.media.stitch import StitchResult, stitch
from bot.pipeline.media.transcode import fit_to_size

__all__ = [
    "ENCODES",
    "StitchResult",
    "VideoInfo",
    "download",
    "ffmpeg_exe",
    "fit_to_size",
    "host_allowed",
    "last_frame",
    "poster_frame",
    "probe",
    "stitch",
]
