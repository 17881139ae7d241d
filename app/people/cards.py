"""Learners' cards: an unguessable token in the QR, a short code people can type.

The token is random (104 bits from `secrets`), stored for lookup, never derived from the
learner. It is written in QR alphanumeric characters so that the code stays at version 2
with error correction M: big modules that a phone reads from a printed card at arm's length.
"""

from __future__ import annotations

import base64
import io
import re
import secrets

import qrcode
import qrcode.constants
import qrcode.image.svg
import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.core.models import record
from app.errors import Conflict
from app.extensions import db
from app.people.models import Card, Learner
from app.text import clean
from app.timeutil import utcnow
from app.transaction import atomic

TOKEN_PREFIX = "DK1"
TOKEN_BYTES = 13  # 104 bits of randomness
# Letters and digits nobody confuses when reading them aloud or typing: no 0/O, 1/I/L.
SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_CODE_LENGTH = 6
_NOT_CODE = re.compile(r"[^0-9A-Z]")


def new_token() -> str:
    random_part = base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode().rstrip("=")
    return TOKEN_PREFIX + random_part


def new_short_code() -> str:
    code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
    return f"{code[:2]}-{code[2:]}"


def normalize_code(text: str | None) -> str:
    """What a scanner or a person typed, in the stored alphabet: 'k7 3q9f' → 'K73Q9F'."""
    return _NOT_CODE.sub("", clean(text).upper())


@atomic
def issue_card(learner: Learner, actor: User | None = None) -> Card:
    """A new card; any card the learner had stops working at once (lost card)."""
    revoked = []
    for card in learner.cards:
        if card.revoked_at is None:
            card.revoked_at = utcnow()
            revoked.append(card.id)
    for _attempt in range(10):
        token, short_code = new_token(), new_short_code()
        taken = db.session.scalar(
            sa.select(sa.func.count(Card.id)).where(
                sa.or_(Card.token == token, Card.short_code == short_code)
            )
        )
        if not taken:
            break
    else:  # pragma: no cover - 31^6 codes; ten collisions in a row means something is wrong
        raise Conflict(
            "card_code_exhausted", _("カードの番号を作れませんでした。もう一度お試しください。")
        )
    card = Card(learner=learner, token=token, short_code=short_code)
    db.session.add(card)
    db.session.flush()
    if revoked:
        record("card.reissued", "learner", learner.id, actor, card_id=card.id, revoked=revoked)
    return card


def ensure_card(learner: Learner, actor: User | None = None) -> Card:
    return learner.active_card or issue_card(learner, actor)


def find_card(code: str | None) -> Card | None:
    """The card a scanned token or a typed short code belongs to, revoked ones included."""
    value = normalize_code(code)
    if not value:
        return None
    query = sa.select(Card).options(joinedload(Card.learner))
    if value.startswith(TOKEN_PREFIX) and len(value) > SHORT_CODE_LENGTH + 2:
        return db.session.scalar(query.where(Card.token == value))
    if len(value) == SHORT_CODE_LENGTH:
        return db.session.scalar(query.where(Card.short_code == f"{value[:2]}-{value[2:]}"))
    return None


def _qr(token: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(token)
    code.make(fit=True)
    return code


def qr_version(token: str) -> int:
    return _qr(token).version


def qr_svg(token: str) -> str:
    """An SVG QR code, sized by its container: crisp at any print size."""
    image = _qr(token).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def qr_png(token: str, box_size: int = 10) -> bytes:
    code = _qr(token)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def inline_qr(token: str) -> Markup:
    """The card's QR as inline SVG; the id qrcode gives its path would repeat on a sheet."""
    svg = qr_svg(token).replace(' id="qr-path"', "")
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))
