"""/api/v1/learners: the shape of a learner, who sees whom, and every error in the API's one
error shape."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.people import cards
from app.people.schemas import LearnerOut
from app.timeutil import japan_today

AHEAD = japan_today() + timedelta(days=10)
# Every key of a learner, always (a hidden one is null).
LEARNER_KEYS = set(LearnerOut.model_fields)
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00$")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


def test_create_reads_typed_text_and_answers_the_learner(make, api_for):
    coordinator = make.user("coordinator")
    response = api_for(coordinator).post(
        "/learners",
        json={
            "name": "山田 花子",
            "furigana": "ヤマダ ハナコ",
            "phone": "０９０ー１２３４ー５６７８",
            "birth_year": "昭和23年",
            "district": "中央",
            "kind": "neighborhood_leader",
            "device": "iphone",
            "needs": {"vision": True, "hearing": False},
            "consent": True,
            "share_with_partner": True,
            "notes": "自治会長",
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == LEARNER_KEYS
    assert body["phone"] == "090-1234-5678"
    assert body["phone2"] is None
    assert body["birth_year"] == 1948
    assert body["furigana"] == "ヤマダ ハナコ"
    assert body["kind"] == "neighborhood_leader"
    assert body["device"] == "iphone"
    assert body["language"] == "ja"
    assert body["needs"] == {"vision": True, "hearing": False, "mobility": False}
    assert body["consent_on"] == japan_today().isoformat()
    assert body["share_with_partner"] is True
    assert body["card"]["short_code"]  # every new learner has a card at once
    assert ISO_WITH_OFFSET.match(body["created_at"])


def test_create_names_every_bad_field(make, api_for):
    api = api_for(make.user("coordinator"))
    error = assert_error(
        api.post(
            "/learners",
            json={
                "name": "",
                "furigana": "Yamada",
                "phone": "12345",
                "birth_year": "昭和70年",
                "kind": "child",
                "device": "pager",
                "language": "japanese language",
                "share_with_partner": True,
                "age": 78,
            },
        ),
        422,
        "invalid_input",
    )
    assert set(error["fields"]) == {
        "name",
        "furigana",
        "phone",
        "birth_year",
        "kind",
        "device",
        "language",
        "share_with_partner",
        "age",
    }
    assert "昭和70年はありません" in error["fields"]["birth_year"]
    assert api.get("/learners").get_json()["items"] == []  # nothing half-written


def test_create_needs_a_json_object(make, api_for):
    api = api_for(make.user("coordinator"))
    error = assert_error(api.post("/learners", data="name=x"), 422, "invalid_input")
    assert "body" in error["fields"]
    error = assert_error(
        api.post("/learners", json={"name": "a", "furigana": "あ", "needs": ["vision"]}),
        422,
        "invalid_input",
    )
    assert "needs" in error["fields"]


@pytest.mark.parametrize("role", ["instructor", "partner"])
def test_only_planners_create_or_change(make, api_for, add_learner, role):
    learner = add_learner()
    org = make.org() if role == "partner" else None
    api = api_for(make.user(role, org=org))
    assert_error(api.post("/learners", json={"name": "a", "furigana": "あ"}), 403, "forbidden")
    assert_error(api.patch(f"/learners/{learner.id}", json={"notes": "x"}), 403, "forbidden")


def test_without_a_token_the_answer_is_401(client):
    response = client.get("/api/v1/learners")
    assert_error(response, 401, "unauthorized")


def test_patch_changes_only_the_fields_sent(make, api_for, add_learner):
    learner = add_learner(phone="090-1234-5678", birth_year="1948", needs_hearing=True)
    api = api_for(make.user("admin"))
    response = api.patch(
        f"/learners/{learner.id}", json={"phone": "03-1234-5678", "needs": {"vision": True}}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["phone"] == "03-1234-5678"
    assert body["birth_year"] == 1948
    assert body["name"] == "山田 花子"
    assert body["needs"] == {"vision": True, "hearing": True, "mobility": False}
    error = assert_error(
        api.patch(f"/learners/{learner.id}", json={"birth_year": "2999"}), 422, "invalid_input"
    )
    assert set(error["fields"]) == {"birth_year"}
    assert_error(api.patch("/learners/999999", json={"notes": "x"}), 404, "not_found")


def test_the_card_in_use_is_part_of_the_learner(make, api_for, add_learner):
    learner = add_learner()
    cards.issue_card(learner)
    card = cards.issue_card(learner)
    body = api_for(make.user("coordinator")).get(f"/learners/{learner.id}").get_json()
    assert body["card"]["short_code"] == card.short_code
    assert ISO_WITH_OFFSET.match(body["card"]["issued_at"])


@pytest.fixture
def partner_world(make, add_learner, enroll):
    ours, theirs = make.org(slug="ours"), make.org(slug="theirs")
    ours_class = make.session(day=AHEAD, partner_org=ours.slug)
    theirs_class = make.session(day=AHEAD, partner_org=theirs.slug, start="14:00", end="15:00")
    private = add_learner("青木 明", "あおき あきら", phone="090-1111-1111", phone2="03-1111-1111")
    shared = add_learner(
        "馬場 文", "ばば あや", phone="090-2222-2222", consent=True, share_with_partner=True
    )
    elsewhere = add_learner("千葉 智", "ちば さとし", phone="090-3333-3333")
    enroll(ours_class, private)
    enroll(ours_class, shared)
    enroll(theirs_class, elsewhere)
    return {
        "partner": make.user("partner", org=ours),
        "private": private,
        "shared": shared,
        "elsewhere": elsewhere,
    }


def test_partner_lists_only_its_learners_and_phones_only_with_consent(partner_world, api_for):
    api = api_for(partner_world["partner"])
    body = api.get("/learners").get_json()
    by_name = {item["name"]: item for item in body["items"]}
    assert set(by_name) == {"青木 明", "馬場 文"}
    assert by_name["青木 明"]["phone"] is None
    assert by_name["青木 明"]["phone2"] is None
    assert by_name["馬場 文"]["phone"] == "090-2222-2222"
    assert body["page"] == 1
    assert body["has_more"] is False

    one = api.get(f"/learners/{partner_world['private'].id}").get_json()
    assert one["name"] == "青木 明"
    assert one["phone"] is None
    assert_error(api.get(f"/learners/{partner_world['elsewhere'].id}"), 404, "not_found")
    # A search for someone they may not see finds no one, rather than a refusal.
    assert api.get("/learners?q=ちば").get_json()["items"] == []


def test_list_searches_filters_and_pages(make, api_for, add_learner):
    api = api_for(make.user("coordinator"))
    add_learner("山田 花子", "ヤマダ ハナコ", phone="090-1234-5678", district="中央")
    add_learner("鈴木 一郎", "すずき いちろう", district="東")
    assert [i["name"] for i in api.get("/learners?q=やまだ").get_json()["items"]] == ["山田 花子"]
    assert [i["name"] for i in api.get("/learners?q=5678").get_json()["items"]] == ["山田 花子"]
    assert [i["name"] for i in api.get("/learners?district=東").get_json()["items"]] == [
        "鈴木 一郎"
    ]
    for n in range(50):
        add_learner(f"受講者{n}", "ん" * (n + 1))
    first = api.get("/learners").get_json()
    assert len(first["items"]) == 50
    assert first["has_more"] is True
    second = api.get("/learners?page=2").get_json()
    assert len(second["items"]) == 2
    assert second["has_more"] is False
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    for bad in ("0", "x", "-1"):
        error = assert_error(api.get(f"/learners?page={bad}"), 422, "invalid_input")
        assert "page" in error["fields"]


def test_unknown_learner_is_404(make, api_for):
    assert_error(api_for(make.user("coordinator")).get("/learners/424242"), 404, "not_found")
