"""Staff accounts as an administrator manages them: list, create, edit, deactivate."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.auth.services import create_token
from app.extensions import db
from tests.conftest import PASSWORD, login


@pytest.fixture
def admin(make, client):
    user = make.user("admin", name="田中 誠", email="tanaka@city.example.jp")
    login(client, user)
    return user


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _new_user(**overrides):
    data = {
        "email": "yamamoto@tsunagu.example.jp",
        "name": "山本 和子",
        "role": "instructor",
        "org": "",
        "password": "a long enough password",
    }
    data.update(overrides)
    return data


def test_the_list_shows_role_and_organization_and_filters_by_them(make, client, admin):
    npo = make.org(slug="npo-tsunagu", name="NPO法人つなぐ")
    shop = make.org(slug="carrier-ekimae", kind="carrier", name="駅前携帯ショップ")
    make.user("partner", org=npo, name="伊藤 洋子")
    make.user("instructor", org=shop, name="松本 大輔")
    make.user("coordinator", name="佐藤 美咲")

    page = client.get("/admin/users").get_data(as_text=True)
    for text in (
        "伊藤 洋子",
        "協力団体",
        "NPO法人つなぐ",
        "松本 大輔",
        "講師・アシスタント",
        "佐藤 美咲",
    ):
        assert text in page

    partners = client.get("/admin/users?role=partner").get_data(as_text=True)
    assert "伊藤 洋子" in partners
    assert "松本 大輔" not in partners
    assert "佐藤 美咲" not in partners

    of_shop = client.get("/admin/users?org=carrier-ekimae").get_data(as_text=True)
    assert "松本 大輔" in of_shop
    assert "伊藤 洋子" not in of_shop
    assert "佐藤 美咲" not in of_shop


def test_admin_creates_an_instructor_who_can_then_log_in(make, client, admin):
    make.org(slug="npo-tsunagu")
    response = client.post("/admin/users/new", data=_new_user(org="npo-tsunagu"))
    assert response.status_code == 302
    user = _user("yamamoto@tsunagu.example.jp")
    assert (user.name, user.role, user.org.slug) == ("山本 和子", "instructor", "npo-tsunagu")

    other = make.app.test_client()
    response = other.post(
        "/login",
        data={"email": "yamamoto@tsunagu.example.jp", "password": "a long enough password"},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("yamamoto-at-tsunagu", "メールアドレスの形式で入力してください"),
        ("tanaka@city.example.jp", "このメールアドレスは既に登録されています"),
        ("ＴＡＮＡＫＡ@city.example.jp", "このメールアドレスは既に登録されています"),
    ],
)
def test_a_bad_or_taken_email_is_refused_naming_the_field(client, admin, email, message):
    response = client.post("/admin/users/new", data=_new_user(email=email))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_a_short_initial_password_is_refused(client, admin):
    response = client.post("/admin/users/new", data=_new_user(password="short"))
    assert "パスワードは10文字以上にしてください" in response.get_data(as_text=True)
    assert _user("yamamoto@tsunagu.example.jp") is None


def test_a_partner_user_needs_an_organization_other_than_the_municipality(make, client, admin):
    make.org(slug="city-hall", kind="municipality")
    response = client.post("/admin/users/new", data=_new_user(role="partner", org="city-hall"))
    assert response.status_code == 422
    assert "協力団体の利用者は、自治体以外の団体" in response.get_data(as_text=True)

    response = client.post("/admin/users/new", data=_new_user(role="partner", org=""))
    assert "協力団体の利用者には所属団体が必要です" in response.get_data(as_text=True)
    assert _user("yamamoto@tsunagu.example.jp") is None


def test_admin_changes_name_role_and_organization(make, client, admin):
    npo = make.org(slug="npo-egao", name="NPO法人えがおデジタル")
    user = make.user("instructor", name="渡辺")
    response = client.post(
        f"/admin/users/{user.id}/edit",
        data={"name": "渡辺 隆", "role": "partner", "org": "npo-egao"},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.role, user.org_id) == ("渡辺 隆", "partner", npo.id)


def test_the_edit_form_shows_the_current_role_and_organization(make, client, admin):
    npo = make.org(slug="npo-egao", name="NPO法人えがおデジタル")
    user = make.user("partner", org=npo, name="渡辺 隆")
    page = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert 'value="渡辺 隆"' in page
    assert '<option selected value="partner">' in page
    assert '<option selected value="npo-egao">' in page


def test_a_partner_cannot_be_moved_to_the_municipality(make, client, admin):
    make.org(slug="city-hall", kind="municipality")
    npo = make.org(slug="npo-egao")
    user = make.user("partner", org=npo)
    response = client.post(
        f"/admin/users/{user.id}/edit", data={"name": "渡辺", "role": "partner", "org": "city-hall"}
    )
    assert response.status_code == 422
    db.session.refresh(user)
    assert user.org_id == npo.id


def test_an_admin_cannot_demote_themself(client, admin):
    response = client.post(
        f"/admin/users/{admin.id}/edit", data={"name": "田中 誠", "role": "coordinator", "org": ""}
    )
    assert response.status_code == 422
    assert "自分自身を管理者以外の役割には変更できません" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_an_admin_can_demote_another_admin(make, client, admin):
    other = make.user("admin")
    response = client.post(
        f"/admin/users/{other.id}/edit", data={"name": "元管理者", "role": "coordinator", "org": ""}
    )
    assert response.status_code == 302
    db.session.refresh(other)
    assert other.role == "coordinator"


def test_an_admin_cannot_deactivate_themself(client, admin):
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "自分自身のアカウントは無効にできません" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active


def _venues_api(client, token: str) -> int:
    return client.get("/api/v1/venues", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_deactivated_user_cannot_log_in_and_their_token_is_refused(make, client, admin):
    user = make.user("instructor", email="kobayashi@tsunagu.example.jp", name="小林 さくら")
    _token, plain = create_token(user, "受付用タブレット")
    api = make.app.test_client()
    assert _venues_api(api, plain) == 200

    response = client.post(f"/admin/users/{user.id}/deactivate", follow_redirects=True)
    assert "小林 さくらさんのアカウントを無効にしました" in response.get_data(as_text=True)
    assert "無効" in client.get("/admin/users").get_data(as_text=True)

    assert _venues_api(api, plain) == 401
    refused = make.app.test_client().post(
        "/login", data={"email": user.email, "password": PASSWORD}
    )
    assert refused.status_code == 200
    assert "メールアドレスかパスワードが違います" in refused.get_data(as_text=True)

    client.post(f"/admin/users/{user.id}/reactivate")
    assert _venues_api(api, plain) == 200


def test_deactivating_ends_a_session_already_open_in_a_browser(make, client, admin):
    user = make.user("coordinator")
    browser = make.app.test_client()
    login(browser, user)
    assert browser.get("/admin/users").status_code == 403  # logged in, not an admin

    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    response = browser.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_instructor_keeps_the_role_while_staffed_on_upcoming_sessions(make, client, admin):
    teacher = make.user("instructor", name="山本 和子")
    make.session(instructor_ids=[teacher.id])
    response = client.post(
        f"/admin/users/{teacher.id}/edit", data={"name": "山本 和子", "role": "partner", "org": ""}
    )
    assert response.status_code == 422
    assert "山本 和子さんは今後の講座1件の担当です" in response.get_data(as_text=True)
    db.session.refresh(teacher)
    assert teacher.role == "instructor"


def test_deactivating_an_instructor_with_upcoming_sessions_says_so(make, client, admin):
    teacher = make.user("instructor", name="山本 和子")
    make.session(instructor_ids=[teacher.id])
    response = client.post(f"/admin/users/{teacher.id}/deactivate", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "山本 和子さんは今後の講座1件の担当に入ったままです" in page
    db.session.refresh(teacher)
    assert not teacher.active
