"""Mutation testing of the rule modules: `make mutation` (slow; not part of `make test`).

Each rule module listed under [tool.dekiru.mutation] in pyproject.toml is mutated by Cosmic
Ray, one small change at a time (a comparison flipped, `and`/`or` swapped, a `not` removed,
a number ±1, `+`/`-` swapped: the list is in pyproject.toml), and every mutant is run against
that module's area tests on SQLite. A mutant the tests still pass is a behaviour no test pins.

What Cosmic Ray does not do, and this script does:

- run each module in a copy of the tree of its own (Cosmic Ray writes the mutant into the
  file it tests), several modules at once, never touching the working tree;
- mutate only the functions and constants a module lists (a model's column lengths are
  not rules), and never a type annotation;
- leave out the mutants pyproject.toml names as equivalent — the same behaviour written
  another way — each with the reason, and report the rest: killed ÷ (killed + survived).

    .venv/bin/python -m bench.mutation                  # every module, one per core
    .venv/bin/python -m bench.mutation --module app/people/registration.py
    .venv/bin/python -m bench.mutation --write          # and record it in BENCHMARKS.md

The scores and the surviving mutants are printed and written to build/mutation/report.md;
with --write, into BENCHMARKS.md too.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

from bench.checkin import machine, write_benchmarks

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "mutation"
# What a test run needs of the tree; the rest (the venv, node_modules, git) is not copied.
NOT_COPIED = {".git", ".venv", "node_modules", "build", "instance", "mutants", ".ruff_cache"}
# Each mutant starts pytest anew: without the plugins these tests do not use (Hypothesis and
# Schemathesis alone take seconds to import) it starts in half the time.
PYTEST = (
    "-m pytest -x -q -p no:cacheprovider -p no:xdist -p no:hypothesispytest -p no:schemathesis"
    " -p no:anyio"
)


@dataclass
class Equivalent:
    """A surviving mutant that is the same behaviour: in `path`, on a line holding `code`, by
    an operator matching `operator`, and (when given) turning the line into one holding
    `becomes`."""

    path: str
    code: str
    operator: str
    why: str
    becomes: str = ""

    def matches(self, path: str, line: str, operator: str, diff: str) -> bool:
        mutated = [x for x in diff.splitlines() if x.startswith("+") and not x.startswith("+++")]
        return (
            path == self.path
            and self.code in line
            and bool(re.search(self.operator, operator))
            and (not self.becomes or any(self.becomes in x for x in mutated))
        )


@dataclass
class Module:
    path: str
    tests: list[str]
    names: list[str] = field(default_factory=list)  # none: the whole module

    @property
    def slug(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


@dataclass
class Mutant:
    line_number: int
    line: str
    operator: str
    outcome: str  # killed | survived | equivalent | incompetent
    diff: str = ""
    why: str = ""


@dataclass
class Result:
    module: Module
    mutants: list[Mutant]
    error: str = ""
    not_run: int = 0  # an interrupted run: go on with --retest

    def count(self, outcome: str) -> int:
        return sum(m.outcome == outcome for m in self.mutants)

    @property
    def score(self) -> float:
        judged = self.count("killed") + self.count("survived")
        return self.count("killed") / judged if judged else 1.0


def load_settings() -> tuple[dict, list[Module], list[Equivalent]]:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dekiru"]["mutation"]
    modules = [Module(**m) for m in settings.pop("module")]
    equivalents = [Equivalent(**e) for e in settings.pop("equivalent", [])]
    return settings, modules, equivalents


def named_lines(source: str, names: list[str]) -> set[int]:
    """The lines of the named functions ("f", "Class.method") and constants ("LIMIT")."""
    wanted = set(names)
    lines: set[int] = set()
    found: set[str] = set()

    def take(name, node):
        if name in wanted:
            found.add(name)
            lines.update(range(node.lineno, node.end_lineno + 1))

    def visit(body, prefix=""):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                take(prefix + node.name, node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        take(prefix + target.id, node)

    visit(ast.parse(source).body)
    if missing := wanted - found:
        raise SystemExit(f"pyproject.toml [tool.dekiru.mutation]: nothing named {sorted(missing)}")
    return lines


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the type annotations are: with `from __future__ import annotations` they are never
    evaluated, so `User | None` turned into `User & None` changes nothing."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found = node.returns
        elif isinstance(node, ast.arg | ast.AnnAssign):
            found = node.annotation
        else:
            continue
        if found is not None and found.end_lineno is not None and found.end_col_offset is not None:
            spans.append(
                ((found.lineno, found.col_offset), (found.end_lineno, found.end_col_offset))
            )
    return spans


def workspace(module: Module) -> Path:
    where = BUILD / module.slug
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(
        ROOT,
        where,
        ignore=lambda _dir, names: [n for n in names if n in NOT_COPIED or n == "__pycache__"],
    )
    # Compiled once here; the mutated module alone is compiled again for each mutant.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "app", "tests"], cwd=where, check=True
    )
    return where


def write_config(where: Path, module: Module, settings: dict) -> Path:
    tests = " ".join(module.tests)
    config = where / "cosmic-ray.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module.path}"\n'
        f"timeout = {float(settings['timeout'])}\n"
        "excluded-modules = []\n"
        f'test-command = "{sys.executable} {PYTEST} {tests}"\n'
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    return config


def skip_unwanted(session: Path, where: Path, module: Module, settings: dict) -> None:
    """Mark as skipped the mutants of operators not chosen, of lines outside the names
    listed, and of type annotations."""

    chosen = re.compile("|".join(f"(?:{o})$" for o in settings["operators"]))
    source = (where / module.path).read_text()
    inside = named_lines(source, module.names) if module.names else None
    annotations = annotation_spans(source)
    skipped = WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="not chosen")
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            outside = inside is not None and mutation.start_pos[0] not in inside
            annotation = any(a <= mutation.start_pos < b for a, b in annotations)
            if outside or annotation or not chosen.match(mutation.operator_name):
                db.set_result(item.job_id, skipped)


def collect(session: Path, where: Path, module: Module, equivalents: list[Equivalent]):

    lines = (where / module.path).read_text().splitlines()
    mutants = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            mutation = item.mutations[0]
            line = lines[mutation.start_pos[0] - 1].strip()
            operator = mutation.operator_name.removeprefix("core/")
            if result.test_outcome == TestOutcome.KILLED:
                outcome = "killed"
            elif result.test_outcome == TestOutcome.SURVIVED:
                outcome = "survived"
            else:
                outcome = "incompetent"
            why = ""
            if outcome == "survived":
                for equivalent in equivalents:
                    if equivalent.matches(module.path, line, operator, result.diff or ""):
                        outcome, why = "equivalent", equivalent.why
                        break
            mutants.append(
                Mutant(mutation.start_pos[0], line, operator, outcome, result.diff or "", why)
            )
    return sorted(mutants, key=lambda m: (m.line_number, m.operator))


def _env() -> dict[str, str]:
    # Mutants run on SQLite, at the machine's time.
    dropped = ("TEST_DATABASE_URL", "DEKIRU_TEST_CLOCK")
    return {k: v for k, v in os.environ.items() if k not in dropped}


def _cosmic_ray(where: Path, *args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("cosmic-ray")), *args]
    return subprocess.run(command, cwd=where, env=_env(), capture_output=True, text=True)


def run_module(module: Module, settings: dict, equivalents: list[Equivalent]) -> Result:
    where = workspace(module)
    config = write_config(where, module, settings)
    session = where / "session.sqlite"
    init = _cosmic_ray(where, "init", str(config), str(session))
    if init.returncode:
        return Result(module, [], f"cosmic-ray init failed:\n{init.stderr[-2000:]}")
    skip_unwanted(session, where, module, settings)
    baseline = _cosmic_ray(where, "baseline", str(config))
    if baseline.returncode:
        return Result(module, [], f"the tests fail without any mutant:\n{baseline.stdout[-3000:]}")
    return execute(where, config, session, module, equivalents)


def execute(where, config, session, module, equivalents) -> Result:
    run = _cosmic_ray(where, "exec", str(config), str(session))
    if run.returncode:
        return Result(module, [], f"cosmic-ray exec failed:\n{run.stderr[-2000:]}")
    return Result(module, collect(session, where, module, equivalents))


def retest_module(module: Module, settings: dict, equivalents: list[Equivalent]) -> Result:
    """Go on with a module's earlier run, with the tests as they are now: the mutants that
    survived run again, and so do those not run yet (an interrupted run). The module itself
    must be unchanged: the mutants are positions in its text."""
    where = BUILD / module.slug
    session = where / "session.sqlite"
    if not session.exists():
        return Result(module, [], "no earlier run to go on with: run it without --retest")
    if (where / module.path).read_bytes() != (ROOT / module.path).read_bytes():
        return Result(module, [], "the module changed since its run: run it without --retest")
    shutil.rmtree(where / "tests")
    shutil.copytree(ROOT / "tests", where / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    config = write_config(where, module, settings)
    with sqlite3.connect(session) as db:
        db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
    return execute(where, config, session, module, equivalents)


def report_module(module: Module, _settings: dict, equivalents: list[Equivalent]) -> Result:
    where = BUILD / module.slug
    session = where / "session.sqlite"
    if not session.exists():
        return Result(module, [], "not run yet")
    return Result(module, collect(session, where, module, equivalents), not_run=pending(session))


def pending(session: Path) -> int:

    with use_db(str(session), WorkDB.Mode.open) as db:
        return sum(1 for _ in db.pending_work_items)


def report(results: list[Result], minimum: float) -> str:
    out = [
        "| module | mutants | killed | survived | equivalent | not run | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    out.extend(
        f"| `{r.module.path}` | {len(r.mutants) + r.not_run} | {r.count('killed')} | "
        f"{r.count('survived')} | {r.count('equivalent')} | {r.not_run} | "
        f"{'error' if r.error else f'{r.score:.0%}'} |"
        for r in results
    )
    for r in results:
        if r.error:
            out += ["", f"### `{r.module.path}`: {r.error}"]
            continue
        shown = [m for m in r.mutants if m.outcome in ("survived", "equivalent", "incompetent")]
        if shown:
            out += ["", f"### `{r.module.path}`", ""]
        for m in shown:
            note = f" — {m.why}" if m.why else ""
            out.append(f"- {m.outcome}: line {m.line_number} `{m.line}` ({m.operator}){note}")
    out += ["", f"Aim: at least {minimum:.0%} of the non-equivalent mutants killed in each module."]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--write", action="store_true", help="record the run in BENCHMARKS.md")
    parser.add_argument(
        "--report", action="store_true", help="report the earlier runs again, running nothing"
    )
    parser.add_argument(
        "--retest",
        action="store_true",
        help="go on with the earlier run: survivors (and mutants not yet run) against the tests now",
    )
    args = parser.parse_args()
    settings, modules, equivalents = load_settings()
    if args.module:
        unknown = set(args.module) - {m.path for m in modules}
        if unknown:
            parser.error(f"not a rule module in pyproject.toml: {', '.join(sorted(unknown))}")
        modules = [m for m in modules if m.path in args.module]
    BUILD.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        run = report_module if args.report else retest_module if args.retest else run_module
        results = list(pool.map(lambda m: run(m, settings, equivalents), modules))
    text = report(results, settings["minimum"])
    (BUILD / "report.md").write_text(text)
    print(text)
    if args.write:
        minutes = (time.monotonic() - started) / 60
        write_benchmarks(
            "mutation",
            "## Mutation testing of the rule modules (`bench/mutation.py`)\n\n"
            "Command: `make mutation` (`.venv/bin/python -m bench.mutation --write`); "
            "Cosmic Ray, the mutations and the modules' tests as in `[tool.dekiru.mutation]` "
            f"of pyproject.toml; SQLite.\nMachine: {machine()}, {args.jobs} modules at once"
            + ("" if args.report else f"; {minutes:.0f} minutes")
            + f". Measured {time.strftime('%Y-%m-%d')}.\n\n"
            "The score is killed ÷ (killed + survived); equivalent mutants (the same behaviour "
            "written another way) are listed with the reason and not counted.\n\n" + text,
        )
    for r in results:
        for m in r.mutants:
            if m.outcome == "survived":
                print(f"\n{r.module.path}:{m.line_number} {m.operator}\n{m.diff}")
    failed = [r for r in results if r.error or r.not_run or r.score < settings["minimum"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
