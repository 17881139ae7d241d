"""The check-in page loads its script as ES modules, and names every module for preloading."""

from __future__ import annotations

import re

from app.config import REPO_ROOT
from tests.conftest import login

MODULES = REPO_ROOT / "static" / "js" / "checkin"


def test_the_check_in_page_preloads_exactly_the_modules_there_are(door, client):
    login(client, door.teacher)
    page = client.get(f"/sessions/{door.session.id}/checkin").get_data(as_text=True)
    assert '<script type="module" src="/static/js/checkin/main.js"></script>' in page
    preloaded = re.findall(
        r'<link rel="modulepreload" href="/static/js/checkin/([\w-]+\.js)">', page
    )
    assert sorted(preloaded) == sorted(path.name for path in MODULES.glob("*.js"))
