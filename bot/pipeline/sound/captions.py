"""Captions: the narration's lines timed to their scenes and laid out as subtitles.

Each narrated scene gets one cue, shown from where its line is spoken (its scene's start, or
later when the line before ran over: `bot.pipeline.media.narrate.place`) to its scene's end (or
the line's end when it runs on), never past the next cue or the film's last frame.

Layout for burned captions, at any frame shape (16:9, 9:16, 1:1): the text stays inside the
title-safe area, the frame less 10 % on every side (the classic title-safe rectangle, 80 % of
width and height); its size is 5.5 % of the frame's shorter side, smaller (down to 60 % of that)
when a line needs more than `MAX_ROWS` rows. Lines are wrapped here, not by libass (WrapStyle 2):
between words, and between any two characters of scripts written without spaces (Chinese,
Japanese), keeping closing punctuation with the character before it. Widths are estimated
conservatively (wide characters 1 em, others `NARROW_EM`), so a row never reaches the margin.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.pipeline.media.narrate import Line, place
from bot.pipeline.sound.fonts import CJK_FAMILY, FAMILY, has_cjk_font

SAFE_MARGIN = 0.10  # of the frame's width and height, each side: the title-safe area
FONT_SHARE = 0.055  # the font size, of the frame's shorter side
MIN_FONT_SHARE = 0.6  # a long line shrinks to no less than this share of that size
MAX_ROWS = 3
NARROW_EM = 0.62  # a generous average advance of a Noto Sans character (caps included)
WIDE_EM = 1.0  # a CJK ideograph, kana or hangul syllable: a full em
OUTLINE = 2  # px of black outline (readable over any picture)
_NO_BREAK_BEFORE = set(
    "、。，．,.!?！？：；:;)）」』】〉》ー々ゃゅょっぁぃぅぇぉャュョッァィゥェォ"
)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def cues(lines: Sequence[tuple[str, Line]], film_seconds: float) -> list[Cue]:
    """One cue per spoken line ((text, where it is spoken)), in film order."""
    ordered = sorted(lines, key=lambda item: item[1].scene_start)
    placed = place([line for _, line in ordered])
    out: list[Cue] = []
    for i, ((text, line), spot) in enumerate(zip(ordered, placed, strict=True)):
        end = max(spot.end, line.scene_start + line.scene_seconds)
        if i + 1 < len(placed):
            end = min(end, placed[i + 1].start)
        end = min(end, film_seconds)
        if end - spot.start >= 0.1:
            out.append(Cue(round(spot.start, 3), round(end, 3), " ".join(text.split())))
    return out


def is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def text_width(text: str, font_px: float) -> float:
    return sum((WIDE_EM if is_wide(ch) else NARROW_EM) * font_px for ch in text)


def _tokens(text: str) -> list[str]:
    """Break opportunities: words keep their trailing space; wide characters stand alone (with
    any closing punctuation that must not start a row)."""
    tokens: list[str] = []
    for word in re.findall(r"\S+\s*", text):
        piece = ""
        for ch in word:
            if is_wide(ch) and ch not in _NO_BREAK_BEFORE:
                if piece:
                    tokens.append(piece)
                piece = ch
            elif is_wide(ch) or not piece or not is_wide(piece[-1]) or ch in _NO_BREAK_BEFORE:
                piece += ch
            else:  # a narrow run after a wide character: a break is allowed before it
                tokens.append(piece)
                piece = ch
        if piece:
            tokens.append(piece)
    return tokens


def wrap(text: str, max_px: float, font_px: float) -> list[str]:
    """`text` in rows no wider than `max_px` at `font_px` (a token wider than a row is cut)."""
    rows: list[str] = []
    row = ""
    for token in _tokens(text):
        if text_width((row + token).rstrip(), font_px) <= max_px:
            row += token
            continue
        if row.strip():
            rows.append(row.rstrip())
        row = ""
        for ch in token:  # a single token too wide for a row: cut between its characters
            if row and text_width((row + ch).rstrip(), font_px) > max_px:
                rows.append(row.rstrip())
                row = ""
            row += ch
    if row.strip():
        rows.append(row.rstrip())
    return rows


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    font_px: int
    margin_x: int
    margin_bottom: int

    @property
    def max_row_px(self) -> float:
        return self.width - 2 * self.margin_x - 2 * OUTLINE


def layout(width: int, height: int) -> Layout:
    return Layout(
        width,
        height,
        max(12, round(min(width, height) * FONT_SHARE)),
        round(width * SAFE_MARGIN),
        round(height * SAFE_MARGIN),
    )


def fit(text: str, frame: Layout) -> tuple[list[str], int]:
    """The rows of `text` and their font size: the frame's size, or smaller until it takes at
    most `MAX_ROWS` rows (at the smallest size it may take more)."""
    size = frame.font_px
    smallest = max(10, round(frame.font_px * MIN_FONT_SHARE))
    while True:
        rows = wrap(text, frame.max_row_px, size)
        if len(rows) <= MAX_ROWS or size <= smallest:
            return rows, size
        size = max(smallest, round(size * 0.9))


def _ass_time(seconds: float) -> str:
    cs = round(seconds * 100)
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _ass_text(text: str) -> str:
    # ASS reads {...} as override tags and \N, \n, \h as breaks: shown as look-alikes instead
    return text.replace("\\", "＼").replace("{", "｛").replace("}", "｝")


def ass_document(items: Sequence[Cue], width: int, height: int) -> str:
    """An ASS script drawing `items` at the bottom of the title-safe area of a width x height
    frame (PlayRes = the frame, so sizes are pixels)."""
    frame = layout(width, height)
    head = (
        "[Script Info]\nScriptType: v4.00+\n"
        f"PlayResX: {width}\nPlayResY: {height}\nWrapStyle: 2\nScaledBorderAndShadow: yes\n\n"
        "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
        "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
        "Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Default,{FAMILY},{frame.font_px},&H00FFFFFF,&H000000FF,&H00000000,&H80000000,"
        f"0,0,0,0,100,100,0,0,1,{OUTLINE},0,2,{frame.margin_x},{frame.margin_x},"
        f"{frame.margin_bottom},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, "
        "Text\n"
    )
    events = []
    for cue in items:
        rows, size = fit(cue.text, frame)
        tag = f"{{\\fs{size}}}" if size != frame.font_px else ""
        if has_cjk_font() and any(is_wide(ch) for ch in cue.text):
            tag += f"{{\\fn{CJK_FAMILY}}}"
        body = "\\N".join(_ass_text(row) for row in rows)
        events.append(
            f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(cue.end)},Default,,0,0,0,,{tag}{body}"
        )
    return head + "\n".join(events) + "\n"


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def srt_document(items: Sequence[Cue]) -> str:
    """The cues as SubRip, the text as written (a player wraps a track itself)."""
    return "".join(
        f"{i}\n{_srt_time(c.start)} --> {_srt_time(c.end)}\n{c.text}\n\n"
        for i, c in enumerate(items, 1)
    )


_WORDS = {  # a few very common words of each language the analysis is likely to write in
    "eng": {"the", "and", "of", "to", "a", "in", "is", "it", "with", "her", "his", "their"},
    "fra": {"le", "la", "les", "et", "de", "des", "un", "une", "dans", "est", "du", "sur"},
    "spa": {"el", "la", "los", "las", "y", "de", "un", "una", "en", "es", "del", "con"},
    "deu": {"der", "die", "das", "und", "ein", "eine", "ist", "mit", "im", "den", "zu"},
    "ita": {"il", "lo", "gli", "e", "di", "un", "una", "nel", "è", "con", "della"},
    "por": {"o", "os", "as", "e", "de", "um", "uma", "em", "é", "com", "do", "da"},
}


def language(texts: Sequence[str]) -> str:
    """The ISO 639-2 code tagging the track: from the script (kana: jpn, hangul: kor, Han:
    zho, Cyrillic: rus, Greek: ell, Arabic: ara), else from common words; `und` when unsure."""
    text = " ".join(texts)
    names = [unicodedata.name(ch, "") for ch in text if ch.isalpha()]
    for marks, code in (
        (("HIRAGANA", "KATAKANA"), "jpn"),
        (("HANGUL",), "kor"),
        (("CJK UNIFIED",), "zho"),
        (("CYRILLIC",), "rus"),
        (("GREEK",), "ell"),
        (("ARABIC",), "ara"),
    ):
        if any(n.startswith(marks) for n in names):
            return code
    words = re.findall(r"\w+", text.lower())
    scores = {code: sum(w in common for w in words) for code, common in _WORDS.items()}
    best = max(scores, key=lambda code: scores[code])
    return best if scores[best] >= 2 else "und"
