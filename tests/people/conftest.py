"""Fixtures for the people tests."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from app.auth.services import create_token
from app.checkin.models import Attendance
from app.extensions import db
from app.people.learners import create_learner
from app.people.models import Registration

# ---------------------------------------------------------------- reading QR codes back

_VIEWBOX = re.compile(r'viewBox="([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)"')
_PATH = re.compile(r'<path[^>]*\sd="([^"]*)"')
# qrcode's SvgPathImage draws each dark module as its own square: "M4,4H5V5H4z".
_SQUARE = re.compile(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z")
PIXELS_PER_MODULE = 8


def rasterize_qr_svg(svg: str) -> Image.Image:
    """Draw a qrcode SVG with PIL, no browser: its path is only axis-aligned squares."""
    x0, y0, width, height = (float(v) for v in _VIEWBOX.search(svg).groups())
    scale = PIXELS_PER_MODULE
    image = Image.new("L", (round(width * scale), round(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    paths = _PATH.findall(svg)
    assert paths, "no path in the SVG"
    for data in paths:
        assert _SQUARE.sub("", data) == "", "the path holds more than squares"
        for left, top, right, bottom, _back in _SQUARE.findall(data):
            draw.rectangle(
                [
                    (float(left) - x0) * scale,
                    (float(top) - y0) * scale,
                    (float(right) - x0) * scale - 1,
                    (float(bottom) - y0) * scale - 1,
                ],
                fill=0,
            )
    return image


def _qr_codes(image: Image.Image) -> list[zxingcpp.Barcode]:
    return [
        b for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if b.valid
    ]


@pytest.fixture
def read_qr_svg():
    """The QR codes zxing-cpp finds in an SVG string (rasterized without a browser)."""
    return lambda svg: _qr_codes(rasterize_qr_svg(svg))


@pytest.fixture
def read_qr_png():
    """The QR codes zxing-cpp finds in PNG bytes."""
    return lambda data: _qr_codes(Image.open(io.BytesIO(data)))


_KANA_DIGITS = "あいうえおかきくけこ"


def _kana_number(n: int) -> str:
    """12 → "いう": distinct furigana for numbered test learners (furigana takes no digits)."""
    return "".join(_KANA_DIGITS[int(d)] for d in str(n))


@pytest.fixture
def new_learner(make):
    """Records a learner through the service, with a distinct furigana and phone per call."""
    counter = {"n": 0}

    def make_learner(**fields):
        counter["n"] += 1
        n = counter["n"]
        raw = {
            "name": f"受講者{n}",
            "furigana": "じゅこうしゃ" + _kana_number(n),
            "phone": f"090-{1000 + n:04d}-{n:04d}",
            "consent": True,
        }
        raw.update(fields)
        return create_learner(raw)

    return make_learner


# ---------------------------------------------------------------- learners (the learner pages)


@pytest.fixture
def add_learner(make):
    """Records a learner through the service: add_learner("山田 花子", "やまだ はなこ", phone=...)."""

    def add(name="山田 花子", furigana="やまだ はなこ", **fields):
        return create_learner({"name": name, "furigana": furigana, **fields})

    return add


@pytest.fixture
def enroll(make):
    """Puts a learner on a session's list as it stands in the database, past sessions included
    (registration.register refuses those), optionally with a check-in: enroll(session, learner,
    status="registered", attended="present")."""

    def put(session, learner, status="registered", attended=None, source="phone"):
        registration = Registration(
            session_id=session.id, learner_id=learner.id, status=status, source=source
        )
        db.session.add(registration)
        db.session.flush()
        if attended:
            db.session.add(
                Attendance(
                    registration_id=registration.id,
                    session_id=session.id,
                    learner_id=learner.id,
                    status=attended,
                    checked_in_at=session.starts_at,
                    method="search",
                )
            )
        db.session.commit()
        return registration

    return put


@pytest.fixture
def api_for(client):
    """/api/v1 with one user's bearer token: api_for(user).get("/learners")."""

    class Api:
        def __init__(self, token: str):
            self.headers = {"Authorization": f"Bearer {token}"}

        def get(self, path, **kw):
            return client.get(f"/api/v1{path}", headers=self.headers, **kw)

        def post(self, path, json=None, **kw):
            return client.post(f"/api/v1{path}", json=json, headers=self.headers, **kw)

        def patch(self, path, json=None, **kw):
            return client.patch(f"/api/v1{path}", json=json, headers=self.headers, **kw)

    return lambda user: Api(create_token(user)[1])


@pytest.fixture
def without_card():
    """Takes a learner's cards away: a record from before every new learner got a card (or
    one whose card rows were lost), which the pages must still handle."""

    def strip(learner):
        for card in list(learner.cards):
            db.session.delete(card)
        db.session.commit()
        db.session.expire(learner)
        return learner

    return strip
