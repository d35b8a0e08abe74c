"""What the providers charge: dollars per billed unit of each video, analysis and speech model.

Every entry says where its figure comes from and when it was read. Where no price could be found
for a model, its entry has `dollars=None` and says so: the bot then shows the seconds of video
but no dollar figure, until the operator sets one in `PRICES` (a JSON object, model name ->
dollars per unit, e.g. `PRICES={"google/veo-3-fast": 0.15}`), which overrides this table.

Read on 2026-12-07 through stored copies of the pages named (no live access to replicate.com or
openai.com from the build machine): check them again before relying on a figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

READ_ON = "2026-12-07"


@dataclass(frozen=True, slots=True)
class Price:
    """Dollars per `unit` of `model` (None: not known), and where the figure comes from."""

    model: str
    kind: str  # "video", "analysis" or "speech"
    unit: str  # "second of video", "1M input tokens", "minute of speech", ...
    dollars: float | None
    source: str
    output_dollars: float | None = None  # analysis: per 1M output tokens
    overridden: bool = False


PRICES: dict[str, Price] = {
    p.model: p
    for p in (
        # -- video (Replicate bills its official video models per second of output video) ------
        Price(
            "bytedance/seedance-1-lite",
            "video",
            "second of video",
            0.018,
            "replicate.com/bytedance/seedance-1-lite pricing, 480p (what the bot asks for; 720p "
            "$0.036/s, 1080p $0.072/s), as quoted in a public project's Replicate evaluation "
            "notes; read " + READ_ON,
        ),
        Price(
            "kwaivgi/kling-v1.6-standard",
            "video",
            "second of video",
            0.056,
            "replicate.com/kwaivgi/kling-v1.6-standard ($0.056 / second), as quoted in "
            "github.com/ThaiLe1220/video_pipeline README.md; read " + READ_ON,
        ),
        Price(
            "wan-video/wan-2.2-t2v-fast",
            "video",
            "second of video",
            0.01,
            "Replicate bills it per video, not per second: $0.05 a 480p video (81 frames, about "
            "5 s at 16 fps) in the 2026-10-06 model-registry review quoting its page; taken as "
            "$0.01/s, which errs high for the 7 s clips (also one video); read " + READ_ON,
        ),
        Price(
            "luma/ray-flash-2-540p",
            "video",
            "second of video",
            None,
            "NOT FOUND: no copy of its Replicate pricing was available; set PRICES",
        ),
        Price(
            "google/veo-3-fast",
            "video",
            "second of video",
            None,
            "NOT FOUND: no copy of its Replicate pricing was available; set PRICES",
        ),
        # -- video with its own sound (issue 22). No copy of replicate.com's own model pages was
        # stored; these are Replicate's prices as third parties copied them from those pages:
        # RENKU = github.com/keremk/renku catalog/models/replicate/replicate.yaml (its
        # "add-replicate-model" skill "looks up pricing from replicate.com"; commits named), and a
        # model-registry review "as of 2026-10-06" quoting each model page ("Direct"). Where they
        # differ the higher figure is used: an estimate may err high, never low.
        Price(
            "google/veo-3.1-fast",
            "video",
            "second of video",
            0.15,
            "Replicate: $0.15/s with generate_audio (what the bot asks), $0.10/s without; "
            "RENKU commit 3c3a0027 (2025-12-17) and the 2026-10-06 review agree; read " + READ_ON,
        ),
        Price(
            "bytedance/seedance-2.0",
            "video",
            "second of video",
            0.10,
            "Replicate, 480p (what the bot asks): $0.10/s ('or 10 seconds for $1') in a catalog "
            "scraped from replicate.com on 2026-09-09; RENKU commit 8a85ad03 (2026-04) had "
            "$0.07/s (720p $0.17/s, 1080p $0.45/s); read " + READ_ON,
        ),
        Price(
            "kwaivgi/kling-v3-video",
            "video",
            "second of video",
            0.252,
            "Replicate, mode standard with generate_audio (what the bot asks): $0.252/s "
            "($0.168/s silent; pro $0.224/$0.336); RENKU commit 38f81b4a (2026-02-21) and the "
            "2026-10-06 review agree; read " + READ_ON,
        ),
        # -- video with reference images (issue 24): third parties quoting Replicate's prices
        # (keremk/renku catalog/models/replicate/replicate.yaml, and a 2026-10-06 research
        # note); the bot asks both for their own sound, so the with-audio figure is used
        Price(
            "kwaivgi/kling-v3-omni-video",
            "video",
            "second of video",
            0.224,
            "replicate.com/kwaivgi/kling-v3-omni-video, standard mode: $0.168/s silent, $0.224/s "
            "with audio (what the bot asks for), as quoted in keremk/renku "
            "catalog/models/replicate/replicate.yaml; read " + READ_ON,
        ),
        Price(
            "google/veo-3.1",
            "video",
            "second of video",
            0.40,
            "replicate.com/google/veo-3.1: $0.40/s with audio (what the bot asks for), $0.20/s "
            "without, as quoted in keremk/renku catalog/models/replicate/replicate.yaml; "
            "read " + READ_ON,
        ),
        # -- portraits of the cast (issue 24): one image per named character
        Price(
            "black-forest-labs/flux-schnell",
            "image",
            "image",
            0.003,
            'replicate.com/black-forest-labs/flux-schnell: "$3 per thousand output images"; '
            "read " + READ_ON,
        ),
        # -- music (issue 22): one 32.8 s track per film (bot/pipeline/sound/music.py)
        Price(
            "google/lyria-2",
            "music",
            "second of music",
            0.002,
            "Replicate: '$2 per thousand seconds of output audio (or 500 seconds for $1)', in a "
            "catalog scraped from replicate.com on 2026-09-09 (two other projects agree); "
            "about $0.066 a track; read " + READ_ON,
        ),
        # -- analysis (OpenAI bills per token) ------------------------------------------------
        Price(
            "gpt-6-luna",
            "analysis",
            "1M input tokens",
            0.10,
            "OpenAI pricing of 2026-09-22: $0.10 input, $0.50 output per 1M tokens, as quoted "
            "in docs.litellm.ai/blog/gpt_6_sol_luna and "
            "vercel.com/ai-gateway/models/openai/gpt-6-luna; read " + READ_ON,
            output_dollars=0.50,
        ),
        # -- speech (narration) ---------------------------------------------------------------
        Price(
            "gpt-4o-mini-tts",
            "speech",
            "minute of speech",
            0.015,
            "OpenAI's estimate on its pricing page ($0.60 / 1M input tokens, $12 / 1M audio "
            "tokens, about $0.015 a minute), as quoted in community.openai.com/t/1151816; "
            "read " + READ_ON,
        ),
    )
}

# what one analysis call is budgeted at: a shot list of up to 10 scenes with its narration
ANALYSIS_INPUT_TOKENS = 3000
ANALYSIS_OUTPUT_TOKENS = 3000


def price_of(model: str, overrides: Mapping[str, float] | None = None) -> Price | None:
    """The price of `model`, the operator's `PRICES` first; None when the model is unknown
    to the table and not overridden."""
    known = PRICES.get(model)
    if overrides and model in overrides:
        dollars = float(overrides[model])
        if known is None:
            return Price(model, "video", "second of video", dollars, "PRICES", overridden=True)
        return replace(known, dollars=dollars, source="PRICES", overridden=True)
    return known


def video_dollars(
    model: str, seconds: float, overrides: Mapping[str, float] | None = None
) -> float | None:
    """What `seconds` of video of `model` cost; None when its price is not known."""
    price = price_of(model, overrides)
    if price is None or price.dollars is None:
        return None
    return seconds * price.dollars


def analysis_dollars(model: str, overrides: Mapping[str, float] | None = None) -> float | None:
    """The budget of one analysis call (ANALYSIS_*_TOKENS); None when the price is unknown."""
    price = price_of(model, overrides)
    if price is None or price.dollars is None:
        return None
    output = price.output_dollars if price.output_dollars is not None else price.dollars
    return (ANALYSIS_INPUT_TOKENS * price.dollars + ANALYSIS_OUTPUT_TOKENS * output) / 1e6


def speech_dollars(
    model: str, seconds: float, overrides: Mapping[str, float] | None = None
) -> float | None:
    """What `seconds` of narration cost; None when the price is unknown."""
    price = price_of(model, overrides)
    if price is None or price.dollars is None:
        return None
    return seconds / 60.0 * price.dollars


def image_dollars(
    model: str, images: int, overrides: Mapping[str, float] | None = None
) -> float | None:
    """What `images` images of `model` cost; None when its price is unknown."""
    price = price_of(model, overrides)
    if price is None or price.dollars is None:
        return None
    return images * price.dollars


def money(dollars: float | None) -> str:
    """ "$0.36", "$0.0013", or "price unknown"."""
    if dollars is None:
        return "price unknown"
    return f"${dollars:.2f}" if dollars >= 0.01 or dollars == 0 else f"${dollars:.4f}"
