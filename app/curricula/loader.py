"""Loading course files (curricula/<slug>.toml) into versioned courses.

Every file is read and checked, and then checked against the database, before anything is
written: one bad file refuses the whole directory with every problem listed, so a half-loaded
curriculum never exists. Positions in field paths (`skills[2]`) count from 1, as a person
counts the `[[skills]]` blocks in a file.

A course's content hash decides what a load does: the same (slug, version) with the same
content is left alone; a higher version becomes the course's current version while older
versions, and the sessions planned with them, stay as they were.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.curricula.models import Audience, Course, CourseVersion, Skill, Track
from app.errors import ServiceError
from app.extensions import db
from app.text import clean

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 64
MAX_TITLE_LENGTH = 200
MAX_SKILL_LENGTH = 300
MIN_DURATION, MAX_DURATION = 15, 480

TOP_LEVEL_KEYS = (
    "slug",
    "version",
    "track",
    "audience",
    "duration_minutes",
    "prerequisites",
    "materials",
    "title",
    "summary",
    "skills",
)
TEXT_KEYS = ("ja", "en")
SKILL_KEYS = ("id", "ja", "en")


# ---------------------------------------------------------------- problems and results


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: where (file, and field or line) and what is expected."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return _(
                "ファイル %(file)s: %(line)d行目: %(message)s",
                file=self.file,
                line=self.line,
                message=self.message,
            )
        if not self.field:
            return _("ファイル %(file)s: %(message)s", file=self.file, message=self.message)
        return _(
            "ファイル %(file)s: 項目 %(field)s: %(message)s",
            file=self.file,
            field=self.field,
            message=self.message,
        )


class CurriculumError(ServiceError):
    """The directory was refused; nothing was written. str() lists every problem, one a line."""

    code = "invalid_curriculum"
    status = 422

    def __init__(self, problems: list[Problem]):
        # By file, each file's problems in the order they were found (sorted() is stable).
        problems = sorted(problems, key=lambda p: p.file)
        self.problems = problems
        header = _(
            "コースファイルに%(n)d件の問題があるため、何も読み込みませんでした。",
            n=len(problems),
        )
        super().__init__("\n".join([header, *(str(p) for p in problems)]))


@dataclass
class LoadReport:
    """What a load did (or, with check_only, would do)."""

    check_only: bool
    created: list[str] = field(default_factory=list)
    new_versions: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.new_versions) + len(self.unchanged)

    def summary(self) -> str:
        counts = {
            "n": self.total,
            "created": len(self.created),
            "versions": len(self.new_versions),
            "unchanged": len(self.unchanged),
        }
        if self.check_only:
            lines = [
                _(
                    "%(n)d件のコースファイルに問題はありません(読み込むと 新規 %(created)d、"
                    "新しい版 %(versions)d、変更なし %(unchanged)d)。何も書き込んでいません。",
                    **counts,
                )
            ]
        else:
            lines = [
                _(
                    "%(n)d件のコースファイルを読み込みました: 新規 %(created)d、新しい版 %(versions)d、"
                    "変更なし %(unchanged)d。",
                    **counts,
                )
            ]
        if self.new_versions:
            listed = ", ".join(f"{slug} v{version}" for slug, version in self.new_versions)
            lines.append(_("新しい版: %(list)s", list=listed))
        return "\n".join(lines)


# ---------------------------------------------------------------- one file


@dataclass(frozen=True)
class SkillSpec:
    id: str
    ja: str
    en: str


@dataclass
class CourseSpec:
    """A course file's content, every field checked and normalised."""

    slug: str
    version: int
    title_ja: str
    title_en: str
    summary_ja: str
    summary_en: str
    track: str
    audience: list[str]
    duration_minutes: int
    prerequisites: list[str]
    materials: list[str]
    skills: list[SkillSpec]

    def content_hash(self) -> str:
        canonical = json.dumps(
            asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class CourseFile:
    """What was read from one file; `spec` is None when the file itself has problems."""

    name: str
    slug: str | None = None
    prerequisites: list[str] = field(default_factory=list)
    spec: CourseSpec | None = None


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return _("真偽値")
    if isinstance(value, int):
        return _("整数")
    if isinstance(value, float):
        return _("小数")
    if isinstance(value, str):
        return _("文字列")
    if isinstance(value, list):
        return _("配列")
    if isinstance(value, dict):
        return _("表")
    return _("日付・時刻")


def _long_text(value: str) -> str:
    # Summaries may have line breaks; keep them, but normalise widths and trim each line.
    lines = unicodedata.normalize("NFKC", value).splitlines()
    return "\n".join(line.strip() for line in lines).strip()


class _FileChecker:
    """Reads one parsed file, noting every problem with its field path."""

    def __init__(self, name: str, problems: list[Problem]):
        self.name = name
        self.problems = problems
        self.count_before = len(problems)

    @property
    def ok(self) -> bool:
        return len(self.problems) == self.count_before

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.name, path, message))

    def unknown_keys(self, table: dict, allowed: Iterable[str], prefix: str = "") -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                self.problem(
                    prefix + key,
                    _(
                        "「%(key)s」という項目は使えません。使える項目は %(allowed)s です。",
                        key=key,
                        allowed=", ".join(allowed),
                    ),
                )

    def text(
        self,
        table: dict,
        key: str,
        path: str,
        expected: str,
        *,
        required: bool,
        limit: int | None = None,
        multiline: bool = False,
    ) -> str | None:
        if key not in table:
            if required:
                self.problem(
                    path, _("必須の項目です。%(expected)s を書いてください。", expected=expected)
                )
            return None
        value = table[key]
        if not isinstance(value, str):
            self.problem(
                path,
                _(
                    "%(expected)s を文字列で書いてください(今は%(actual)s)。",
                    expected=expected,
                    actual=_type_name(value),
                ),
            )
            return None
        value = _long_text(value) if multiline else clean(value)
        if required and not value:
            self.problem(
                path, _("空にはできません。%(expected)s を書いてください。", expected=expected)
            )
            return None
        if limit is not None and len(value) > limit:
            self.problem(path, _("%(n)d文字以内にしてください。", n=limit))
            return None
        return value

    def integer(
        self, table: dict, key: str, expected: str, low: int, high: int | None
    ) -> int | None:
        if key not in table:
            self.problem(
                key, _("必須の項目です。%(expected)s を書いてください。", expected=expected)
            )
            return None
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(
                key,
                _(
                    "%(expected)s を書いてください(今は%(actual)s)。",
                    expected=expected,
                    actual=_type_name(value),
                ),
            )
            return None
        if value < low or (high is not None and value > high):
            self.problem(
                key,
                _(
                    "%(expected)s を書いてください(今は %(value)d)。",
                    expected=expected,
                    value=value,
                ),
            )
            return None
        return value

    def string_list(
        self, table: dict, key: str, *, required: bool, expected: str
    ) -> list[str] | None:
        if key not in table:
            if required:
                self.problem(
                    key, _("必須の項目です。%(expected)s を書いてください。", expected=expected)
                )
                return None
            return []
        values = table[key]
        if not isinstance(values, list):
            self.problem(
                key,
                _(
                    "文字列の配列(%(expected)s)を書いてください(今は%(actual)s)。",
                    expected=expected,
                    actual=_type_name(values),
                ),
            )
            return None
        if required and not values:
            self.problem(
                key, _("空にはできません。%(expected)s を書いてください。", expected=expected)
            )
            return None
        result: list[str] = []
        seen: set[str] = set()
        good = True
        for i, value in enumerate(values, start=1):
            path = f"{key}[{i}]"
            if not isinstance(value, str) or not clean(value):
                self.problem(path, _("空でない文字列を書いてください。"))
                good = False
                continue
            value = clean(value)
            if value in seen:
                self.problem(path, _("「%(value)s」が2回書かれています。", value=value))
                good = False
                continue
            seen.add(value)
            result.append(value)
        return result if good else None

    def choices(self, values: list[str] | None, key: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for i, value in enumerate(values or [], start=1):
            if value not in allowed:
                self.problem(
                    f"{key}[{i}]",
                    _(
                        "「%(value)s」は使えません。%(choices)s のいずれかです。",
                        value=value,
                        choices=", ".join(allowed),
                    ),
                )


def _read_toml(path: Path, problems: list[Problem]) -> dict | None:
    name = path.name
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(name, "", _("文字コードをUTF-8にして保存してください。"), line=line)
        )
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)", detail)
        line = int(where.group(1)) if where else text.count("\n") + 1
        detail = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", detail)
        problems.append(
            Problem(
                name,
                "",
                _("TOMLとして読めません(%(detail)s)。書き方を確かめてください。", detail=detail),
                line=line,
            )
        )
        return None


def _read_skills(data: dict, check: _FileChecker) -> list[SkillSpec] | None:
    if "skills" not in data:
        check.problem(
            "skills",
            _("必須の項目です。[[skills]] でスキル(id, ja, en)を1つ以上書いてください。"),
        )
        return None
    raw = data["skills"]
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        check.problem("skills", _("[[skills]] の表(id, ja, en)の並びで書いてください。"))
        return None
    if not raw:
        check.problem("skills", _("スキルを1つ以上書いてください([[skills]] に id, ja, en)。"))
        return None
    skills: list[SkillSpec] = []
    first_seen: dict[str, int] = {}
    good = True
    for i, table in enumerate(raw, start=1):
        prefix = f"skills[{i}]."
        check.unknown_keys(table, SKILL_KEYS, prefix)
        skill_id = check.text(
            table,
            "id",
            prefix + "id",
            _("スキルID(英小文字・数字・ハイフン)"),
            required=True,
            limit=MAX_SLUG_LENGTH,
        )
        if skill_id is not None and not SLUG.match(skill_id):
            check.problem(
                prefix + "id",
                _(
                    "スキルID「%(id)s」は英小文字・数字・ハイフンだけで書いてください(例: power-and-unlock)。",
                    id=skill_id,
                ),
            )
            skill_id = None
        if skill_id is not None and skill_id in first_seen:
            check.problem(
                prefix + "id",
                _(
                    "スキルID「%(id)s」が重複しています(skills[%(first)d] と同じです)。"
                    "コースの中でスキルIDは1つずつ違うものにしてください。",
                    id=skill_id,
                    first=first_seen[skill_id],
                ),
            )
            skill_id = None
        elif skill_id is not None:
            first_seen[skill_id] = i
        ja = check.text(
            table,
            "ja",
            prefix + "ja",
            _("できるようになることの日本語の説明"),
            required=True,
            limit=MAX_SKILL_LENGTH,
        )
        en = check.text(
            table,
            "en",
            prefix + "en",
            _("できるようになることの英語の説明"),
            required=True,
            limit=MAX_SKILL_LENGTH,
        )
        if skill_id is None or ja is None or en is None:
            good = False
        else:
            skills.append(SkillSpec(skill_id, ja, en))
    return skills if good else None


def _read_titles(
    data: dict, key: str, check: _FileChecker, *, required: bool
) -> tuple[str, str] | None:
    if key not in data:
        if required:
            for lang in TEXT_KEYS:
                check.problem(
                    f"{key}.{lang}",
                    _("必須の項目です。[%(table)s] に ja と en を書いてください。", table=key),
                )
            return None
        return "", ""
    table = data[key]
    if not isinstance(table, dict):
        check.problem(
            key,
            _(
                "[%(table)s] の表に ja と en を書いてください(今は%(actual)s)。",
                table=key,
                actual=_type_name(table),
            ),
        )
        return None
    check.unknown_keys(table, TEXT_KEYS, key + ".")
    # Titles are one line and fit their column; summaries are free text with line breaks.
    limit = MAX_TITLE_LENGTH if key == "title" else None
    multiline = limit is None
    ja = check.text(
        table,
        "ja",
        f"{key}.ja",
        _("日本語の文"),
        required=required,
        limit=limit,
        multiline=multiline,
    )
    en = check.text(
        table, "en", f"{key}.en", _("英語の文"), required=required, limit=limit, multiline=multiline
    )
    if required and (ja is None or en is None):
        return None
    return ja or "", en or ""


def read_course_file(path: Path, problems: list[Problem]) -> CourseFile:
    """Read one file, adding its problems to `problems`."""
    result = CourseFile(name=path.name)
    data = _read_toml(path, problems)
    if data is None:
        return result
    check = _FileChecker(path.name, problems)
    check.unknown_keys(data, TOP_LEVEL_KEYS)

    slug = check.text(
        data,
        "slug",
        "slug",
        _("英小文字・数字・ハイフンのスラッグ"),
        required=True,
        limit=MAX_SLUG_LENGTH,
    )
    if slug is not None and not SLUG.match(slug):
        check.problem(
            "slug",
            _(
                "スラッグ「%(slug)s」は英小文字・数字・ハイフンだけで書いてください(例: smartphone-basics)。",
                slug=slug,
            ),
        )
        slug = None
    if slug is not None and slug != path.stem:
        check.problem(
            "slug",
            _(
                "スラッグ「%(slug)s」がファイル名と違います。ファイル名を %(slug)s.toml にするか、"
                "slug を「%(stem)s」にしてください。",
                slug=slug,
                stem=path.stem,
            ),
        )
    result.slug = slug

    version = check.integer(data, "version", _("1以上の整数"), 1, None)
    titles = _read_titles(data, "title", check, required=True)
    summaries = _read_titles(data, "summary", check, required=False)

    track = check.text(
        data,
        "track",
        "track",
        _("講座の種類(%(choices)s)", choices=", ".join(Track)),
        required=True,
    )
    if track is not None and track not in set(Track):
        check.problem(
            "track",
            _(
                "「%(value)s」は使えません。%(choices)s のいずれかです。",
                value=track,
                choices=", ".join(Track),
            ),
        )
        track = None

    audience = check.string_list(
        data,
        "audience",
        required=True,
        expected=_("対象(%(choices)s)", choices=", ".join(Audience)),
    )
    check.choices(audience, "audience", Audience)

    duration = check.integer(
        data,
        "duration_minutes",
        _("%(low)d〜%(high)dの整数(分)", low=MIN_DURATION, high=MAX_DURATION),
        MIN_DURATION,
        MAX_DURATION,
    )
    prerequisites = check.string_list(
        data, "prerequisites", required=False, expected=_("前提コースのスラッグ")
    )
    if prerequisites and slug in prerequisites:
        check.problem(
            f"prerequisites[{prerequisites.index(slug) + 1}]",
            _("自分自身(%(slug)s)を前提コースにはできません。", slug=slug),
        )
    result.prerequisites = [p for p in prerequisites or [] if p != slug]
    materials = check.string_list(
        data, "materials", required=False, expected=_("持ち物・会場で用意するもの")
    )
    skills = _read_skills(data, check)

    if check.ok:
        result.spec = CourseSpec(
            slug=slug,
            version=version,
            title_ja=titles[0],
            title_en=titles[1],
            summary_ja=summaries[0],
            summary_en=summaries[1],
            track=track,
            audience=audience,
            duration_minutes=duration,
            prerequisites=prerequisites,
            materials=materials,
            skills=skills,
        )
    return result


# ---------------------------------------------------------------- across files and the database


def _check_duplicate_slugs(files: list[CourseFile], problems: list[Problem]) -> None:
    first: dict[str, str] = {}
    for f in files:
        if f.slug is None:
            continue
        if f.slug in first:
            problems.append(
                Problem(
                    f.name,
                    "slug",
                    _(
                        "スラッグ「%(slug)s」は %(other)s でも使われています。コースごとに違うスラッグにしてください。",
                        slug=f.slug,
                        other=first[f.slug],
                    ),
                )
            )
        else:
            first[f.slug] = f.name


def _stored_prerequisites() -> dict[str, list[str]]:
    """Each loaded course's current prerequisites, by slug."""
    rows = db.session.execute(
        sa.select(Course.slug, CourseVersion.prerequisites).outerjoin(
            CourseVersion, Course.current_version_id == CourseVersion.id
        )
    )
    return {slug: list(prereqs or []) for slug, prereqs in rows}


def _check_prerequisites(
    files: list[CourseFile], stored: dict[str, list[str]], problems: list[Problem]
) -> None:
    in_directory = {f.slug for f in files if f.slug}
    for f in files:
        for i, prereq in enumerate(f.prerequisites, start=1):
            if prereq not in in_directory and prereq not in stored:
                problems.append(
                    Problem(
                        f.name,
                        f"prerequisites[{i}]",
                        _(
                            "前提コース「%(slug)s」はこのフォルダにもデータベースにもありません。"
                            "コースのスラッグを書いてください。",
                            slug=prereq,
                        ),
                    )
                )


def _find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every distinct prerequisite cycle, each as [a, b, ..., a] starting at its smallest slug."""
    cycles: dict[tuple[str, ...], list[str]] = {}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                loop = path[path.index(nxt) :]
                start = loop.index(min(loop))
                loop = loop[start:] + loop[:start]
                cycles.setdefault(tuple(loop), loop + [loop[0]])
            elif nxt in graph and state.get(nxt) is None:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node)
    return list(cycles.values())


def _check_cycles(
    files: list[CourseFile], stored: dict[str, list[str]], problems: list[Problem]
) -> None:
    # The directory's files win; courses only in the database keep their loaded prerequisites.
    graph = dict(stored)
    by_slug: dict[str, CourseFile] = {}
    for f in files:
        if f.slug and f.slug not in by_slug:
            by_slug[f.slug] = f
            graph[f.slug] = f.prerequisites
    for cycle in _find_cycles(graph):
        owner = next((by_slug[s] for s in cycle if s in by_slug), None)
        if owner is None:
            continue  # already in the database, not this load's doing
        problems.append(
            Problem(
                owner.name,
                "prerequisites",
                _(
                    "前提コースが循環しています: %(cycle)s。どこかの前提を外してください。",
                    cycle=" → ".join(cycle),
                ),
            )
        )


@dataclass
class _Plan:
    spec: CourseSpec
    source_file: str
    content_hash: str
    action: str  # "create" | "new_version" | "unchanged"


def _plan_versions(files: list[CourseFile], problems: list[Problem]) -> list[_Plan]:
    specs = [f for f in files if f.spec is not None]
    loaded: dict[str, dict[int, str]] = {}
    rows = db.session.execute(
        sa.select(Course.slug, CourseVersion.version, CourseVersion.content_hash)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .where(Course.slug.in_([f.spec.slug for f in specs]))
    )
    for slug, version, content_hash in rows:
        loaded.setdefault(slug, {})[version] = content_hash

    plans: list[_Plan] = []
    for f in specs:
        spec = f.spec
        content_hash = spec.content_hash()
        versions = loaded.get(spec.slug)
        if not versions:
            plans.append(_Plan(spec, f.name, content_hash, "create"))
            continue
        latest = max(versions)
        if spec.version == latest and versions[latest] == content_hash:
            plans.append(_Plan(spec, f.name, content_hash, "unchanged"))
        elif spec.version == latest:
            problems.append(
                Problem(
                    f.name,
                    "version",
                    _(
                        "version %(version)d は読み込み済みで、内容が変わっています。"
                        "その版で計画した講座の内容が変わらないよう、version を %(next)d に上げてください。",
                        version=spec.version,
                        next=latest + 1,
                    ),
                )
            )
        elif spec.version < latest:
            problems.append(
                Problem(
                    f.name,
                    "version",
                    _(
                        "version %(version)d は読み込み済みの最新の版(version %(latest)d)より古い番号です。"
                        "内容を変えたなら version を %(next)d 以上に、最新の版のままなら %(latest)d にしてください。",
                        version=spec.version,
                        latest=latest,
                        next=latest + 1,
                    ),
                )
            )
        else:
            plans.append(_Plan(spec, f.name, content_hash, "new_version"))
    return plans


def _write(plan: _Plan, course: Course | None) -> None:
    spec = plan.spec
    if course is None:
        course = Course(slug=spec.slug)
        db.session.add(course)
    version = CourseVersion(
        course=course,
        version=spec.version,
        content_hash=plan.content_hash,
        title_ja=spec.title_ja,
        title_en=spec.title_en,
        summary_ja=spec.summary_ja,
        summary_en=spec.summary_en,
        track=spec.track,
        audience=spec.audience,
        duration_minutes=spec.duration_minutes,
        prerequisites=spec.prerequisites,
        materials=spec.materials,
        source_file=plan.source_file,
        skills=[
            Skill(key=s.id, label_ja=s.ja, label_en=s.en, position=i)
            for i, s in enumerate(spec.skills, start=1)
        ],
    )
    db.session.add(version)
    db.session.flush()
    course.current_version = version


def load_directory(directory: str | Path, *, check_only: bool = False) -> LoadReport:
    """Check every *.toml file in `directory`, then load them all in one transaction.

    Raises CurriculumError listing every problem, having written nothing. With `check_only`,
    the same checks run (against the database too) and nothing is written either way.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise CurriculumError(
            [
                Problem(
                    str(directory),
                    "",
                    _("フォルダが見つかりません。コースファイルのあるフォルダを指定してください。"),
                )
            ]
        )
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise CurriculumError(
            [
                Problem(
                    str(directory / "*.toml"),
                    "",
                    _("コースファイル(<スラッグ>.toml)が1つもありません。"),
                )
            ]
        )

    problems: list[Problem] = []
    try:
        files = [read_course_file(p, problems) for p in paths]
        _check_duplicate_slugs(files, problems)
        stored = _stored_prerequisites()
        _check_prerequisites(files, stored, problems)
        _check_cycles(files, stored, problems)
        plans = _plan_versions(files, problems)
        if problems:
            raise CurriculumError(problems)

        report = LoadReport(check_only=check_only)
        for plan in plans:
            if plan.action == "create":
                report.created.append(plan.spec.slug)
            elif plan.action == "new_version":
                report.new_versions.append((plan.spec.slug, plan.spec.version))
            else:
                report.unchanged.append(plan.spec.slug)
        if check_only:
            db.session.rollback()
            return report

        changing = [p for p in plans if p.action != "unchanged"]
        courses = {
            c.slug: c
            for c in db.session.scalars(
                sa.select(Course).where(Course.slug.in_([p.spec.slug for p in changing]))
            )
        }
        for plan in changing:
            _write(plan, courses.get(plan.spec.slug))
        db.session.commit()
        return report
    except Exception:
        db.session.rollback()
        raise
