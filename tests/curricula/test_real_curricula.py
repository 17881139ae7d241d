"""The course files shipped in curricula/ pass the checks and load."""

from __future__ import annotations

import shutil
import tomllib

import pytest

from app.config import REPO_ROOT
from tests.curricula.support import course_count, loaded, version_count

CURRICULA = REPO_ROOT / "curricula"

EXPECTED = {
    "smartphone-basics": ("スマートフォンの基本操作", 90, "basic"),
    "phone-camera-photos": ("電話・カメラ・写真", 60, "basic"),
    "internet-search-maps": ("インターネット検索と地図アプリ", 60, "basic"),
    "line-basics": ("LINEの使い方(友だち追加・写真・ビデオ通話)", 90, "basic"),
    "smartphone-safety": ("スマホの安全な使い方(詐欺・フェイクニュース)", 60, "basic"),
    "disaster-apps": ("防災アプリと緊急情報の受け取り", 60, "basic"),
    "mynumber-card": ("マイナンバーカード申請・マイナ保険証・公金受取口座", 60, "applied"),
    "mynaportal-online-procedures": ("マイナポータルとオンライン行政手続", 90, "applied"),
    "cashless-payments": ("キャッシュレス決済", 60, "applied"),
    "association-digital": ("自治会のデジタル化:電子回覧板・LINEオープンチャット", 90, "leader"),
    "online-meetings-scheduling": ("オンライン会議・日程調整・出欠集計", 90, "leader"),
    "smartphone-supporter-intro": ("スマホサポーター入門", 120, "supporter"),
}


@pytest.fixture
def real_dir(tmp_path):
    """A copy of curricula/, so that nothing depends on CURRICULA_DIR or touches the repo."""
    return shutil.copytree(CURRICULA, tmp_path / "curricula")


def test_the_twelve_courses_pass_check_and_load(load, real_dir):
    checked = load(real_dir, "--check")
    assert checked.exit_code == 0, checked.output
    assert "12" in checked.output
    assert course_count() == 0

    result = load(real_dir)
    assert result.exit_code == 0, result.output
    assert "新規 12" in result.output
    assert course_count() == 12
    for slug, (title, minutes, track) in EXPECTED.items():
        current = loaded(slug).current_version
        assert (current.title_ja, current.duration_minutes, current.track) == (
            title,
            minutes,
            track,
        )
        assert 4 <= len(current.skills) <= 8, slug
        assert current.title_en
        assert current.summary_ja
        assert current.summary_en
        assert current.materials


def test_leader_and_supporter_courses_name_their_audience(load, real_dir):
    assert load(real_dir).exit_code == 0
    for slug in ("association-digital", "online-meetings-scheduling"):
        assert loaded(slug).current_version.audience == ["neighborhood_leader"]
    assert loaded("smartphone-supporter-intro").current_version.audience == ["supporter"]
    assert loaded("smartphone-basics").current_version.audience == ["senior"]


def test_the_shipped_files_are_exactly_the_twelve_courses():
    names = sorted(p.stem for p in CURRICULA.glob("*.toml"))
    assert names == sorted(EXPECTED)
    for path in CURRICULA.glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert data["slug"] == path.stem


def test_loading_the_real_courses_twice_changes_nothing(load, real_dir):
    assert load(real_dir).exit_code == 0
    again = load(real_dir)
    assert again.exit_code == 0, again.output
    assert "変更なし 12" in again.output
    assert version_count() == 12
