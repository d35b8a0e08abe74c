"""The caption font, from installed packages (no system font is assumed; the static ffmpeg's
libass loads the files of one folder, `fontsdir`).

- Latin, Greek, Cyrillic: Noto Sans from the `fontpkg-noto-sans` wheel (2.6 MB, SIL OFL), a
  dependency.
- Chinese, Japanese, Korean: Noto Sans CJK from the `cvttf-notosanscjk-regular` wheel (27 MB,
  SIL OFL), the optional `cjk` extra. libass's own font fallback asks fontconfig's system
  fonts, not the loaded folder, so a cue holding CJK characters names this face itself (it has
  Latin letters too). Without it CJK captions still wrap and time correctly but show boxes;
  the log says so once.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

FAMILY = "Noto Sans"  # the ASS style's font
CJK_FAMILY = "NotoSansCJKtc-Regular"  # by its PostScript name: libass finds it by that one


@functools.cache
def font_files() -> tuple[Path, ...]:
    """The caption fonts installed: Noto Sans (regular, upright), then Noto Sans CJK if there."""
    found: list[Path] = []
    try:
        noto = importlib.import_module("fontpkg_noto_sans")
        found += sorted(p for p in Path(noto.ROOT, "files").glob("NotoSans[[]*.ttf"))
    except ImportError:
        log.warning("fontpkg-noto-sans is not installed: burned captions cannot be drawn")
    try:
        cjk = importlib.import_module("cvttf_NotoSansCJK_Regular")
        found += sorted(Path(cjk.__file__ or "").parent.glob("*.otf"))
    except ImportError:
        log.info("Noto Sans CJK (the `cjk` extra) is not installed: CJK captions show boxes")
    return tuple(found)


def has_cjk_font() -> bool:
    return any("CJK" in p.name for p in font_files())


def link_fonts(folder: Path) -> None:
    """Links to the caption fonts in `folder` (libass's `fontsdir`)."""
    for i, font in enumerate(font_files()):
        os.symlink(font, folder / f"font{i}{font.suffix}")
