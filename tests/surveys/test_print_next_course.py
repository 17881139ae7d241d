"""The printed survey, like the certificate, tells what to take next: the course that follows
this one, its next public classes, and the phone number to sign up."""

from __future__ import annotations

import re
from datetime import timedelta

from app.extensions import db
from app.timeutil import japan_today, local
from tests.conftest import login


def _sheets(client, session) -> list[str]:
    html = client.get(f"/sessions/{session.id}/survey/print").get_data(as_text=True)
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", sheet))
        for sheet in re.findall(r'<article class="survey-sheet".*?</article>', html, re.S)
    ]


def test_every_sheet_names_the_next_course_its_next_public_class_and_the_phone(
    app, client, held, make
):
    app.config.update(HELP_PHONE="0120-987-654")
    line = make.course(slug="line-basics", title="LINE入門", skills=("a",))
    line.current_version.prerequisites = [held.session.course_version.course.slug]
    db.session.commit()
    soon = make.session(
        course=line, day=japan_today() + timedelta(days=9), venue=make.venue(name="北公民館")
    )
    make.session(course=line, day=japan_today() + timedelta(days=4), public=False)  # staff only
    login(client, held.teacher)

    sheets = _sheets(client, held.session)
    assert len(sheets) == 3  # one per registered learner, each with the suggestion
    for sheet in sheets:
        assert "つぎの おすすめ講座: LINE入門" in sheet
        assert "北公民館" in sheet
        when = local(soon.starts_at)
        assert f"{when.month}月{when.day}日" in sheet
        assert when.strftime("%H:%M") in sheet
        assert "お申し込み・お問い合わせ ☎ 0120-987-654" in sheet
        assert sheet.count("〜") == 1  # the class not open to the public is not offered


def test_a_course_with_nothing_after_it_still_gives_the_phone(client, held):
    login(client, held.teacher)
    for sheet in _sheets(client, held.session):
        assert "おすすめ講座" not in sheet
        assert "お申し込み・お問い合わせ" in sheet
