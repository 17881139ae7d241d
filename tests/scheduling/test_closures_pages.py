"""Importing closures from the command line and the pages, and the sessions they strand."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.scheduling.closures import import_closures
from app.scheduling.models import Closure
from app.scheduling.sessions import cancel_session
from app.timeutil import japan_today
from tests.conftest import PASSWORD, login, make_app
from tests.scheduling.test_closures import HOLIDAYS, MAINTENANCE, calendar
from tests.scheduling.test_pages import _queries_for

TODAY = japan_today()
CLOSED = TODAY + timedelta(days=10)


def _closed_on(day: date, summary="臨時休館(選挙の投票所)", uid="polling-day") -> bytes:
    return calendar(f"UID:{uid}\nSUMMARY:{summary}\nDTSTART;VALUE=DATE:{day:%Y%m%d}")


def _closures() -> list[Closure]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Closure)))


def _upload(client, url, data: bytes, name="closures.ics"):
    return client.post(
        url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


@pytest.fixture
def planned(make):
    """Sessions on the day about to close: two at the hall, one elsewhere, one cancelled."""
    course = make.course(title="スマホ教室")
    hall, other = make.venue(name="中央公民館"), make.venue(name="北公民館")
    at_hall = make.session(course=course, venue=hall, day=CLOSED, start="10:00", end="11:00")
    later = make.session(course=course, venue=hall, day=CLOSED, start="14:00", end="15:00")
    elsewhere = make.session(course=course, venue=other, day=CLOSED)
    cancelled = make.session(course=course, venue=hall, day=CLOSED, start="16:00", end="17:00")

    cancel_session(cancelled, "講師の都合")
    return {
        "hall": hall,
        "other": other,
        "at_hall": at_hall.id,
        "later": later.id,
        "elsewhere": elsewhere.id,
        "cancelled": cancelled.id,
    }


# ---------------------------------------------------------------- command line


def test_cli_imports_for_one_venue_and_lists_the_sessions_now_on_a_closed_day(
    planned, runner, tmp_path
):
    path = tmp_path / "chuo-closures.ics"
    path.write_bytes(_closed_on(CLOSED))
    result = runner.invoke(args=["import-closures", str(path), "--venue", planned["hall"].slug])
    assert result.exit_code == 0, result.output
    assert "「chuo-closures.ics」を会場「中央公民館」の休館日として取り込みました" in result.output
    assert "保存した休館 1件" in result.output
    assert "休館にあたる予定の講座が2件あります" in result.output
    listed = re.findall(r"ID (\d+) ", result.output)
    assert listed == [str(planned["at_hall"]), str(planned["later"])]
    assert "スマホ教室" in result.output
    assert "臨時休館(選挙の投票所)" in result.output
    assert [c.venue_id for c in _closures()] == [planned["hall"].id]


def test_cli_without_a_venue_closes_every_venue(planned, runner, tmp_path):
    path = tmp_path / "city.ics"
    path.write_bytes(_closed_on(CLOSED))
    result = runner.invoke(args=["import-closures", str(path)])
    assert result.exit_code == 0, result.output
    assert "全会場の休館日として取り込みました" in result.output
    listed = re.findall(r"ID (\d+) ", result.output)
    assert sorted(listed) == sorted(str(planned[k]) for k in ("at_hall", "later", "elsewhere"))
    again = runner.invoke(args=["import-closures", str(path)])
    assert "置き換えた 1件" in again.output
    assert len(_closures()) == 1


def test_cli_refuses_an_unknown_venue_and_a_bad_file(make, runner, tmp_path):
    path = tmp_path / "holidays.ics"
    path.write_bytes(HOLIDAYS.read_bytes())
    unknown = runner.invoke(args=["import-closures", str(path), "--venue", "nowhere"])
    assert unknown.exit_code == 1
    assert "識別名「nowhere」の会場はありません。" in unknown.output
    bad = tmp_path / "holidays.csv"
    bad.write_text("日付,名前\n2026-01-01,元日\n", encoding="utf-8")
    refused = runner.invoke(args=["import-closures", str(bad)])
    assert refused.exit_code == 1
    assert "ファイル「holidays.csv」は iCalendar(.ics)ではありません。" in refused.output
    assert _closures() == []


def test_cli_help_explains_the_command(runner):
    result = runner.invoke(args=["import-closures", "--help"])
    assert result.exit_code == 0
    assert "--venue" in result.output
    assert "replaces" in result.output


# ---------------------------------------------------------------- pages


def test_venue_page_upload_imports_for_that_venue_and_lists_stranded_sessions(
    planned, client, make
):
    login(client, make.user("coordinator"))
    hall = planned["hall"]
    response = _upload(client, f"/venues/{hall.id}/closures", _closed_on(CLOSED), "chuo.ics")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "「chuo.ics」を会場「中央公民館」の休館日として取り込みました" in page
    for key in ("at_hall", "later"):
        assert f'href="/sessions/{planned[key]}/edit"' in page
        assert f'href="/sessions/{planned[key]}/cancel"' in page
    assert f"/sessions/{planned['elsewhere']}/" not in page
    assert f"/sessions/{planned['cancelled']}/" not in page
    venue_page = client.get(f"/venues/{hall.id}").get_data(as_text=True)
    assert "臨時休館(選挙の投票所)" in venue_page
    assert (
        client.get(f"/venues/{planned['other'].id}")
        .get_data(as_text=True)
        .count("臨時休館(選挙の投票所)")
        == 0
    )


def test_venue_page_has_the_upload_form_and_its_closures_with_all_venue_ones(make, client):
    venue = make.venue(name="中央公民館")
    import_closures(_closed_on(CLOSED, "臨時休館(選挙)"), venue=None, source="city.ics")
    import_closures(MAINTENANCE.read_bytes(), venue=venue, source=MAINTENANCE.name)
    login(client, make.user("coordinator"))
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert f'action="/venues/{venue.id}/closures"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page
    assert "臨時休館(選挙)(全会場)" in page
    assert "設備定期点検(休館)" in page


def test_all_venues_page_uploads_lists_closures_and_the_sessions_on_them(planned, client, make):
    login(client, make.user("coordinator"))
    response = _upload(client, "/closures", HOLIDAYS.read_bytes(), "holidays.ics")
    assert response.status_code == 200
    assert "全会場の休館日として取り込みました" in response.get_data(as_text=True)
    _upload(client, f"/venues/{planned['hall'].id}/closures", _closed_on(CLOSED))
    page = client.get("/closures").get_data(as_text=True)
    assert "臨時休館(選挙の投票所)" in page
    assert "中央公民館" in page
    for key in ("at_hall", "later"):
        assert f'href="/sessions/{planned[key]}/edit"' in page
    assert f"/sessions/{planned['elsewhere']}/edit" not in page
    assert 'action="/closures"' in page


def test_upload_of_a_bad_file_says_what_is_wrong_and_stores_nothing(make, client):
    venue = make.venue()
    login(client, make.user("coordinator"))
    response = _upload(client, f"/venues/{venue.id}/closures", b"hello", "notes.txt")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ファイル「notes.txt」は iCalendar(.ics)ではありません。" in page
    assert "何も保存していません" in page
    missing = client.post("/closures", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "取り込む .ics ファイルを選んでください。" in missing.get_data(as_text=True)
    assert _closures() == []


def test_upload_for_an_unknown_venue_is_404(make, client):
    login(client, make.user("coordinator"))
    assert _upload(client, "/venues/999999/closures", HOLIDAYS.read_bytes()).status_code == 404


def test_removing_an_imported_event_removes_all_its_occurrences_in_that_scope(make, client):
    venue = make.venue()
    import_closures(MAINTENANCE.read_bytes(), venue=venue, source=MAINTENANCE.name)
    import_closures(MAINTENANCE.read_bytes(), venue=None, source=MAINTENANCE.name)
    before = len(_closures())
    uid = "monthly-inspection@chuo-kominkan.example.jp"
    login(client, make.user("coordinator"))
    response = client.post("/closures/remove", data={"uid": uid, "venue_id": str(venue.id)})
    assert response.status_code == 302
    left = _closures()
    assert not [c for c in left if c.uid == uid and c.venue_id == venue.id]
    assert [c for c in left if c.uid == uid and c.venue_id is None]
    assert len(left) < before
    assert (
        client.post("/closures/remove", data={"uid": uid, "venue_id": str(venue.id)}).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["instructor", "partner"])
def test_instructors_and_partners_may_not_see_or_import_closures(make, client, role):
    venue = make.venue()
    org = make.org() if role == "partner" else None
    login(client, make.user(role, org=org))
    assert client.get("/closures").status_code == 403
    assert _upload(client, "/closures", HOLIDAYS.read_bytes()).status_code == 403
    assert _upload(client, f"/venues/{venue.id}/closures", HOLIDAYS.read_bytes()).status_code == 403
    assert client.post("/closures/remove", data={"uid": "x"}).status_code == 403
    assert _closures() == []


def _closed_days_with_sessions(make, n: int, start: int) -> None:
    """n sessions, each at its own venue on a day that venue is then closed."""
    course = make.course()
    for i in range(n):
        day, venue = TODAY + timedelta(days=start + i), make.venue()
        make.session(course=course, venue=venue, day=day)
        closed = calendar(f"UID:closed-{i}\nSUMMARY:休館{i}\nDTSTART;VALUE=DATE:{day:%Y%m%d}")
        import_closures(closed, venue=venue, source=f"closed-{i}.ics")


def test_closures_page_queries_do_not_grow_with_its_rows(make, client):
    login(client, make.user("coordinator"))
    _closed_days_with_sessions(make, 3, start=5)
    few = _queries_for(client, "/closures")
    _closed_days_with_sessions(make, 30, start=40)
    many = _queries_for(client, "/closures")
    assert many == few


def test_the_upload_forms_carry_a_csrf_token_and_refuse_a_post_without_it(database, tmp_path, make):
    venue, user = make.venue(), make.user("coordinator")
    client = make_app(database, tmp_path, WTF_CSRF_ENABLED=True).test_client()
    token_at = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
    login_page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": token_at.search(login_page).group(1),
        },
    )
    assert _upload(client, f"/venues/{venue.id}/closures", HOLIDAYS.read_bytes()).status_code == 400
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    form = page[page.index(f'action="/venues/{venue.id}/closures"') :]
    response = client.post(
        f"/venues/{venue.id}/closures",
        data={
            "csrf_token": token_at.search(form).group(1),
            "file": (io.BytesIO(HOLIDAYS.read_bytes()), "holidays.ics"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "取り込みました" in response.get_data(as_text=True)
