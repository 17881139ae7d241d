"""What a check-in device keeps of a session, and for how long.

The device answers every scan from its own copy of the roster, offline too; but a copy of a
card's token or short code is a copy of the card (either checks its holder in). So the device
gets a key per session and, for each card, the keyed hash of its token and of its short code
(HMAC-SHA256, computed the same way by the page's script with WebCrypto): it can tell which
row a scanned card belongs to, and cannot print a card. The key is derived from the app's
secret and the session, so it is the same on every device and never stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, time, timedelta

from flask import current_app

from app.people import cards
from app.people.models import Learner
from app.scheduling.models import Session
from app.timeutil import from_local, local

# A device forgets a session's people at noon the day after the class: the end of the
# session's day plus 12 hours.
KEPT_AFTER_DAY = timedelta(hours=12)
CARD_KEY_CHARS = 32  # 128 bits of the hash: as many as the short code could ever need


def door_key(session: Session) -> bytes:
    return door_key_for(session.id)


def door_key_for(session_id: int) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"dekiru-door:{session_id}".encode(), hashlib.sha256).digest()


def door_key_text(key: bytes) -> str:
    """The key as the roster sends it (base64url, unpadded): WebCrypto imports it raw."""
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def card_key(key: bytes, code: str) -> str:
    """The keyed hash of a token or short code, as the device computes it for a scan."""
    digest = hmac.new(key, cards.normalize_code(code).encode(), hashlib.sha256).hexdigest()
    return digest[:CARD_KEY_CHARS]


def card_keys(key: bytes, learner: Learner) -> tuple[list[str], list[str]]:
    """The hashes of the learner's working card, and of the cards they no longer use (so the
    device can say "this card was replaced" rather than "unknown card")."""
    active: list[str] = []
    revoked: list[str] = []
    for card in learner.cards:
        into = active if card.revoked_at is None else revoked
        into.extend((card_key(key, card.token), card_key(key, card.short_code)))
    return active, revoked


def kept_until(session: Session) -> datetime:
    """When the device wipes this session's people (it may be opened again online)."""
    day = local(session.ends_at).date()
    return from_local(day, time(0, 0)) + timedelta(days=1) + KEPT_AFTER_DAY
