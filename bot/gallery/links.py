"""Signed links to the gallery: no accounts, each link scoped, expiring and revocable.

A link's token is its scope — one member's gallery (`gallery`, the member's id) or one film
(`film`, a generation and a version) — and its expiry, signed with HMAC-SHA256 under
`GALLERY_SECRET` (itsdangerous' `URLSafeSerializer`: https://itsdangerous.palletsprojects.com/
en/stable/url_safe/). Nothing is addressed by a bare id: a changed id breaks the signature, so
no gallery or film can be guessed or enumerated. A new secret refuses every earlier token (the
signature no longer matches), which revokes every link at once.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadSignature, URLSafeSerializer

DAY = 86_400.0
SALT = "reelbot-gallery-v1"  # the tokens of this feature only: not valid for anything else


@dataclass(frozen=True, slots=True)
class GalleryScope:
    """One member's gallery."""

    owner_id: int
    expires_at: int
    kind: Literal["gallery"] = "gallery"


@dataclass(frozen=True, slots=True)
class FilmScope:
    """One film: a generation's version `version` (1 = the first cut)."""

    generation_id: int
    version: int
    expires_at: int
    kind: Literal["film"] = "film"


Scope = GalleryScope | FilmScope


class LinkRefused(Exception):
    """The token is tampered with, signed under another secret, malformed, or expired."""


class GalleryLinks:
    """Makes and checks the gallery's tokens and links under one secret."""

    def __init__(self, secret: str, *, base_url: str, days: float) -> None:
        self._serializer = URLSafeSerializer(
            secret, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self.base_url = base_url.rstrip("/")
        self.days = days

    # making --------------------------------------------------------------------------------

    def _expiry(self, now: float | None) -> int:
        return int((time.time() if now is None else now) + self.days * DAY)

    def gallery_token(self, owner_id: int, *, now: float | None = None) -> str:
        return str(self._serializer.dumps(["g", owner_id, self._expiry(now)]))

    def film_token(
        self,
        generation_id: int,
        version: int = 1,
        *,
        now: float | None = None,
        expires_at: int | None = None,
    ) -> str:
        """A film's token; `expires_at` (e.g. the gallery link's own) instead of the default."""
        until = self._expiry(now) if expires_at is None else expires_at
        return str(self._serializer.dumps(["f", generation_id, version, until]))

    def gallery_url(self, owner_id: int) -> str:
        """The member's gallery, for /history's button."""
        return f"{self.base_url}/g/{self.gallery_token(owner_id)}"

    def film_url(self, generation_id: int, version: int = 1) -> str:
        """One film's page (a share link: the film and its title, nothing else)."""
        return f"{self.base_url}/f/{self.film_token(generation_id, version)}"

    def download_url(self, generation_id: int, version: int = 1) -> str:
        """The film's file at full quality, as a download."""
        return f"{self.film_url(generation_id, version)}/download"

    # checking ------------------------------------------------------------------------------

    def check(self, token: str, *, now: float | None = None) -> Scope:
        """The scope `token` grants; LinkRefused when it grants nothing."""
        try:
            payload: Any = self._serializer.loads(token)
        except (BadSignature, UnicodeError, ValueError) as exc:
            raise LinkRefused("bad signature") from exc
        scope = _scope(payload)
        if scope.expires_at <= (time.time() if now is None else now):
            raise LinkRefused("expired")
        return scope


def _scope(payload: Any) -> Scope:
    """The payload's scope; LinkRefused for a shape this module never signs."""
    if not isinstance(payload, list) or not all(type(v) in (int, str) for v in payload):
        raise LinkRefused("malformed")
    match payload:
        case ["g", int(owner), int(expires)]:
            return GalleryScope(owner, expires)
        case ["f", int(generation), int(version), int(expires)] if version >= 1:
            return FilmScope(generation, version, expires)
    raise LinkRefused("malformed")
