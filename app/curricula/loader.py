"""Loading course files (curricula/<slug>.toml) into versioned courses.

Every file is read and checked, and then checked against the database, before anything is
written: one bad file refuses the whole directory with every problem listed, so a half-loaded
curriculum never exists. What one file may hold is course_file.py's, how its problems read
is reading.py's; here are the checks across files and against the database, and the writing.

A course's content hash decides what a load does: the same (slug, version) with the same
content is left alone; a higher version becomes the course's current version while older
versions, and the sessions planned with them, stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from app.curricula.course_file import CourseSpec
from app.curricula.models import Course, CourseVersion, Skill
from app.curricula.reading import CourseFile, Problem, read_course_file
from app.errors import ServiceError
from app.extensions import db


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
    specs = [(f, f.spec) for f in files if f.spec is not None]
    loaded: dict[str, dict[int, str]] = {}
    rows = db.session.execute(
        sa.select(Course.slug, CourseVersion.version, CourseVersion.content_hash)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .where(Course.slug.in_([spec.slug for _f, spec in specs]))
    )
    for slug, version, content_hash in rows:
        loaded.setdefault(slug, {})[version] = content_hash

    plans: list[_Plan] = []
    for f, spec in specs:
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
        title_ja=spec.title.ja,
        title_en=spec.title.en,
        summary_ja=spec.summary.ja,
        summary_en=spec.summary.en,
        track=spec.track,
        audience=spec.audience,
        duration_minutes=spec.duration_minutes,
        prerequisites=spec.prerequisites,
        materials=spec.materials,
        source_file=plan.source_file,
        survey=spec.survey_data(),
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
