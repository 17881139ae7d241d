"""The English catalogue: every source string translated, placeholders intact, pages in English.

When a test here fails after you added or changed a string in the code or a template, run
`make translations-extract` and translate the new entries in
translations/en/LC_MESSAGES/messages.po (no empty msgstr, no fuzzy mark).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.config import REPO_ROOT
from tests.conftest import login

EN_PO = REPO_ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = EN_PO.with_suffix(".mo")

# A printf-style placeholder: "%(name)s", "%(n)d", "%5.1f", "%s"; "%%" is a literal percent.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>\w+)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def _forms(value) -> tuple[str, ...]:
    """A message's id or string as a tuple: one form, or several for a plural."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) if value else ()


def _placeholders(text: str) -> tuple[frozenset, list]:
    """Named placeholders as a set of (name, type), unnamed ones as a sorted list of types."""
    named, unnamed = set(), []
    for m in PLACEHOLDER.finditer(text):
        if m["type"] == "%":
            continue
        if m["name"]:
            named.add((m["name"], m["type"]))
        else:
            unnamed.append(m["type"])
    return frozenset(named), sorted(unnamed)


def _label(message) -> str:
    text = message.id if isinstance(message.id, str) else message.id[0]
    where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
    return f"{text!r} ({where})" if where else repr(text)


@pytest.fixture(scope="module")
def source_catalog(tmp_path_factory) -> Catalog:
    """The messages in the source today, extracted exactly as `make translations-extract` does."""
    pybabel = Path(sys.executable).with_name("pybabel")
    command = (
        [str(pybabel)] if pybabel.exists() else [sys.executable, "-m", "babel.messages.frontend"]
    )
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    subprocess.run(
        [
            *command,
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return _read(pot)


@pytest.fixture(scope="module")
def english() -> Catalog:
    return _read(EN_PO)


def test_every_source_string_has_an_english_translation(source_catalog, english):
    missing = []
    for message in source_catalog:
        if not message.id:
            continue
        translated = english.get(message.id, context=message.context)
        forms = _forms(translated.string) if translated else ()
        if (
            translated is None
            or translated.fuzzy
            or not forms
            or not all(form.strip() for form in forms)
        ):
            missing.append(_label(message))
    assert not missing, (
        f"{len(missing)} message(s) have no English translation in {EN_PO.relative_to(REPO_ROOT)}."
        " Run `make translations-extract`, then translate these entries"
        " (fill msgstr, remove any fuzzy mark):\n  " + "\n  ".join(missing)
    )


def test_translations_keep_every_placeholder(english):
    wrong = []
    for message in english:
        if not message.id:
            continue
        ids, strings = _forms(message.id), _forms(message.string)
        # A plural's first form follows the singular msgid, the others msgid_plural.
        for i, form in enumerate(strings):
            if not form:
                continue  # untranslated: the test above reports it
            source = ids[min(i, len(ids) - 1)]
            if _placeholders(form) != _placeholders(source):
                wrong.append(f"{_label(message)} -> {form!r}")
    assert not wrong, "Placeholders differ between msgid and msgstr:\n  " + "\n  ".join(wrong)


def _compile_english() -> None:
    """Compile the .mo as `make` does, unless an up-to-date one is there (it is git-ignored)."""
    if EN_MO.exists() and EN_MO.stat().st_mtime >= EN_PO.stat().st_mtime:
        return
    catalog = _read(EN_PO)
    fd, tmp = tempfile.mkstemp(dir=EN_MO.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; make it like pybabel's
        os.replace(tmp, EN_MO)  # atomic: a parallel run never reads half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@pytest.fixture
def compiled_english():
    _compile_english()


def test_a_page_renders_in_english(compiled_english, make, client):
    make.session()
    login(client, make.user("coordinator"))
    client.post("/language", data={"lang": "en", "next": "/sessions"})
    response = client.get("/sessions")
    assert response.status_code == 200
    page = response.get_data(as_text=True)

    assert '<html lang="en">' in page
    nav = page[page.index("<nav") : page.index("</nav>")]
    for english_word in ("Sessions", "Week", "Venue", "Curriculum", "API tokens"):
        assert f">{english_word}</a>" in nav
    assert "Log out" in page
    # The session table: headers and the status label.
    for english_word in ("Date", "Capacity", "Partner organization", "Scheduled"):
        assert english_word in page
    for japanese_word in (
        "講座一覧",
        "週表示",
        "カリキュラム",
        "APIトークン",
        "ログアウト",
        "協力団体",
        "定員",
        "予定",
        "絞り込み",
    ):
        assert japanese_word not in page
    # Nothing in the menu is left in Japanese (no kana or kanji at all).
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", nav)
