"""Fixtures for the survey tests: a class that has just ended, its instructor and learners."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from app.people.registration import register
from app.scheduling.models import Session
from tests.checkin.support import end, learner, open_session
from tests.people.conftest import _qr_codes, rasterize_qr_svg

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


@dataclass
class Class:
    session: Session
    teacher: object
    coordinator: object


@pytest.fixture
def held(make) -> Class:
    """A class of the default survey, over five minutes ago, with three registered learners."""
    teacher = make.user("instructor", name="講師 一郎")
    session = open_session(make, instructor_ids=[teacher.id], capacity=10)
    for i, (name, kana) in enumerate(
        [
            ("山田 花子", "やまだ はなこ"),
            ("佐藤 太郎", "さとう たろう"),
            ("鈴木 次郎", "すずき じろう"),
        ]
    ):
        register(session, learner(name, kana, phone=f"090-1111-000{i}"), source="phone")
    end(session)
    return Class(session, teacher, make.user("coordinator"))


def printed_links(html: str) -> list[str]:
    """The address in each QR code of a printed page, read back from its SVG."""
    found = []
    for svg in _SVG.findall(html):
        codes = _qr_codes(rasterize_qr_svg(svg))
        assert len(codes) == 1
        found.append(codes[0].text)
    return found
