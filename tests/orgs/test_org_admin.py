"""Organizations as an administrator manages them: list, create, edit, and who may."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.orgs.models import Organization
from tests.conftest import login

ADMIN_PAGES = ["/admin/orgs", "/admin/orgs/new", "/admin/users", "/admin/users/new"]


def _org_form(**overrides):
    data = {
        "kind": "npo",
        "name": "NPO法人つなぐ",
        "slug": "npo-tsunagu",
        "contact_name": "伊藤 洋子",
        "contact_email": "office@tsunagu.example.jp",
        "contact_phone": "042-555-0231",
    }
    data.update(overrides)
    return data


def _org(slug: str) -> Organization | None:
    return db.session.scalar(sa.select(Organization).where(Organization.slug == slug))


@pytest.fixture
def admin(make, client):
    user = make.user("admin", name="田中 誠")
    login(client, user)
    return user


def test_admin_sees_each_organization_with_its_kind_and_number_of_users(make, client, admin):
    shop = make.org(slug="carrier-ekimae", kind="carrier", name="駅前携帯ショップ")
    make.org(slug="jichikai", kind="neighborhood_association", name="緑が丘自治会")
    make.user("partner", org=shop)
    make.user("instructor", org=shop)
    page = client.get("/admin/orgs").get_data(as_text=True)
    assert "駅前携帯ショップ" in page
    assert "携帯電話ショップ" in page
    assert "緑が丘自治会" in page
    assert "自治会・町内会" in page
    assert "2人" in page
    assert "0人" in page


def test_admin_registers_an_organization_and_its_phone_keeps_the_leading_zero(client, admin):
    response = client.post(
        "/admin/orgs/new", data=_org_form(contact_phone="０４２ー５５５ー０２３１")
    )
    assert response.status_code == 302
    org = _org("npo-tsunagu")
    assert org.contact_phone == "042-555-0231"
    assert org.kind == "npo"
    assert org.contact_name == "伊藤 洋子"
    assert "NPO法人つなぐ" in client.get("/admin/orgs").get_data(as_text=True)


@pytest.mark.parametrize("slug", ["NPO-Tsunagu", "npo tsunagu", "つなぐ", "-npo"])
def test_a_slug_that_is_not_lowercase_ascii_is_refused_with_an_example(client, admin, slug):
    response = client.post("/admin/orgs/new", data=_org_form(slug=slug))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "スラッグは半角の英小文字・数字・ハイフンで" in page
    assert "例: npo-tsunagu" in page
    assert db.session.scalar(sa.select(sa.func.count(Organization.id))) == 0


def test_a_slug_already_used_by_another_organization_is_refused(make, client, admin):
    make.org(slug="npo-tsunagu", name="先に登録した団体")
    response = client.post("/admin/orgs/new", data=_org_form())
    assert response.status_code == 422
    assert "スラッグ「npo-tsunagu」は別の団体が使っています" in response.get_data(as_text=True)


def test_every_bad_field_is_named_at_once(client, admin):
    response = client.post(
        "/admin/orgs/new",
        data=_org_form(name="", contact_email="office", contact_phone="電話なし"),
    )
    page = response.get_data(as_text=True)
    assert "団体名を入力してください" in page
    assert "メールアドレスの形式で入力してください" in page
    assert "電話番号は数字とハイフンで入力してください" in page


def test_an_empty_slug_is_asked_for_not_called_malformed(client, admin):
    page = client.post("/admin/orgs/new", data=_org_form(slug=" ")).get_data(as_text=True)
    assert "スラッグを入力してください" in page
    assert "半角の英小文字・数字・ハイフンで" not in page


def test_admin_edits_an_organization(make, client, admin):
    org = make.org(slug="npo-egao", name="えがお")
    response = client.post(
        f"/admin/orgs/{org.id}/edit",
        data=_org_form(slug="npo-egao-digital", name="NPO法人えがおデジタル"),
    )
    assert response.status_code == 302
    db.session.refresh(org)
    assert (org.slug, org.name) == ("npo-egao-digital", "NPO法人えがおデジタル")


def test_the_edit_form_shows_the_current_values(make, client, admin):
    org = make.org(slug="npo-egao", name="えがお")
    page = client.get(f"/admin/orgs/{org.id}/edit").get_data(as_text=True)
    assert 'value="npo-egao"' in page
    assert 'value="えがお"' in page


def test_a_partner_organization_with_partner_users_cannot_become_the_municipality(
    make, client, admin
):
    org = make.org(slug="npo-egao", kind="npo")
    make.user("partner", org=org)
    response = client.post(
        f"/admin/orgs/{org.id}/edit", data=_org_form(slug="npo-egao", kind="municipality")
    )
    assert response.status_code == 422
    assert "協力団体の利用者が1人いるため、自治体にはできません" in response.get_data(as_text=True)
    db.session.refresh(org)
    assert org.kind == "npo"


def test_an_unknown_organization_is_404(client, admin):
    assert client.get("/admin/orgs/999/edit").status_code == 404


def _queries_for(app, client, url: str) -> int:
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _add_orgs_with_users(make, n: int) -> None:
    for _ in range(n):
        org = make.org()
        make.user("instructor", org=org)


def test_the_organization_list_does_not_query_once_per_organization(app, make, client, admin):
    _add_orgs_with_users(make, 3)
    few = _queries_for(app, client, "/admin/orgs")
    _add_orgs_with_users(make, 27)
    many = _queries_for(app, client, "/admin/orgs")
    assert many == few


def test_the_user_list_does_not_query_once_per_user(app, make, client, admin):
    _add_orgs_with_users(make, 3)
    few = _queries_for(app, client, "/admin/users")
    _add_orgs_with_users(make, 27)
    many = _queries_for(app, client, "/admin/users")
    assert many == few


@pytest.mark.parametrize("role", ["coordinator", "instructor", "partner"])
def test_only_administrators_reach_the_admin_pages(make, client, role):
    org = make.org(kind="npo")
    other = make.user("instructor", org=org)
    login(client, make.user(role, org=org if role == "partner" else None))
    for url in [*ADMIN_PAGES, f"/admin/orgs/{org.id}/edit", f"/admin/users/{other.id}/edit"]:
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/orgs/new", data=_org_form()).status_code == 403
    assert client.post(f"/admin/users/{other.id}/deactivate").status_code == 403
    assert _org("npo-tsunagu") is None
    db.session.refresh(other)
    assert other.active


def test_admin_pages_send_a_visitor_to_the_login_page(client):
    response = client.get("/admin/orgs")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
