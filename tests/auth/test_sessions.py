"""A person changes their own password; changing it or logging out ends their other sessions."""

from __future__ import annotations

from app.auth.services import MIN_PASSWORD_LENGTH
from app.extensions import db
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "a new and long password"
PAGE = "/account/password"


def _change(client, current=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(
        PAGE, data={"current": current, "new": new, "again": new if again is None else again}
    )


def _logged_in(client) -> bool:
    return client.get("/sessions").status_code == 200


def test_the_password_page_is_linked_from_every_staff_page(make, client):
    login(client, make.user("partner", org=make.org()))
    page = client.get("/sessions").get_data(as_text=True)
    assert f'href="{PAGE}"' in page
    form = client.get(PAGE).get_data(as_text=True)
    assert 'autocomplete="current-password"' in form
    assert 'autocomplete="new-password"' in form


def test_a_person_changes_their_password_and_logs_in_with_the_new_one(make, client):
    user = make.user("instructor")
    login(client, user)
    response = _change(client)
    assert response.status_code == 302
    assert "パスワードを変更しました" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    client.post("/logout")
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    )
    assert (
        client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code
        == 302
    )


def _refused(client, user, why: str, **change) -> None:
    response = _change(client, **change)
    assert response.status_code == 422
    assert why in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_wrong_current_password_is_refused_and_changes_nothing(make, client):
    user = make.user("coordinator")
    login(client, user)
    _refused(client, user, "現在のパスワードが違います", current="not my password")


def test_the_new_password_is_long_enough_and_typed_twice_alike(make, client):
    user = make.user("coordinator")
    login(client, user)
    _refused(
        client,
        user,
        f"パスワードは{MIN_PASSWORD_LENGTH}文字以上に",
        new="x" * (MIN_PASSWORD_LENGTH - 1),
    )
    _refused(client, user, "同じパスワードを2回", again=NEW_PASSWORD + "!")


def test_guessing_the_current_password_is_limited_like_the_login(make, client):
    user = make.user("coordinator")
    login(client, user)
    for _n in range(5):
        assert _change(client, current="a guess").status_code == 422
    locked = _change(client)
    assert locked.status_code == 429
    assert "Retry-After" in locked.headers
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 429
    )


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(make, app):
    user = make.user("coordinator")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    assert _change(here).status_code == 302
    assert _logged_in(here)
    assert not _logged_in(elsewhere)


def _session_cookie(client) -> str:
    return client.get_cookie("session", domain="dekiru.test").value


def test_logging_out_ends_every_session_of_the_person_even_a_copied_cookie(make, app):
    user = make.user("coordinator")
    mine, other, thief = app.test_client(), app.test_client(), app.test_client()
    login(mine, user)
    login(other, user)
    thief.set_cookie("session", _session_cookie(mine), domain="dekiru.test")
    assert _logged_in(thief)
    mine.post("/logout")
    assert not _logged_in(mine)
    assert not _logged_in(thief)
    assert not _logged_in(other)
    login(other, user)  # a new login starts a new session
    assert _logged_in(other)


def test_deactivating_an_account_ends_its_open_sessions_for_good(make, app):
    admin, user = make.user("admin"), make.user("instructor")
    theirs, mine = app.test_client(), app.test_client()
    login(theirs, user)
    login(mine, admin)
    assert mine.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert not _logged_in(theirs)
    assert mine.post(f"/admin/users/{user.id}/reactivate").status_code == 302
    assert not _logged_in(theirs)  # reactivating does not revive the old session
    login(theirs, user)
    assert _logged_in(theirs)
