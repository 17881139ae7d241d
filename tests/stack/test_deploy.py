"""The files an installation copies from deploy/ are valid for the tools that read them, and
the environment template names every variable the app reads (so it cannot go stale)."""

from __future__ import annotations

import ast
import os
import re
import secrets
import shutil
import subprocess
import sys

import pytest

from app.config import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
UNITS = (
    "dekiru-web.service",
    "dekiru-worker.service",
    "dekiru-backup.service",
    "dekiru-backup.timer",
)


def _environ_reads(path) -> set[str]:
    """Names read with os.environ.get / os.getenv / os.environ[...], and the names of a tuple
    looped over whose loop reads os.environ with the loop's variable."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv"):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
        subscript = isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
        if subscript and isinstance(node.slice, ast.Constant):
            names.add(node.slice.value)
        if isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple | ast.List):
            body = ast.unparse(node)
            if f"os.environ.get({ast.unparse(node.target)})" in body:
                names |= {e.value for e in node.iter.elts if isinstance(e, ast.Constant)}
    return names


def test_the_environment_template_names_every_variable_the_app_and_gunicorn_read():
    read: set[str] = set()
    for path in [*(REPO_ROOT / "app").rglob("*.py"), DEPLOY / "gunicorn.conf.py"]:
        read |= _environ_reads(path)
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES", "WEB_CONCURRENCY"} <= read
    template = (DEPLOY / "dekiru.env.example").read_text()
    written = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", template, flags=re.M))
    assert read - written == set(), "add these to deploy/dekiru.env.example"
    settings = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", template, flags=re.M))
    assert settings["DEKIRU_ENV"] == "production"
    assert settings["TRUSTED_PROXIES"] == "1"
    # Values set are never empty: gunicorn refuses WEB_CONCURRENCY=, the app takes "" for unset.
    assert all(settings.values()), [k for k, v in settings.items() if not v]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_the_systemd_units_verify_without_a_warning(tmp_path):
    # systemd-analyze wants ExecStart's programs to exist: it checks copies whose
    # /opt/dekiru/.venv/bin/ is this checkout's virtualenv (gunicorn and flask are in it).
    venv_bin = os.path.dirname(sys.executable)
    for name in UNITS:
        text = (DEPLOY / name).read_text().replace("/opt/dekiru/.venv/bin/", venv_bin + "/")
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "Failed to connect to bus" not in line
    ]
    assert done.returncode == 0, problems
    assert problems == []  # an unknown or misspelt setting is only a warning to systemd
    web = (DEPLOY / "dekiru-web.service").read_text()
    assert "ExecReload=/bin/kill -HUP $MAINPID" in web
    for name in UNITS[:3]:
        unit = (DEPLOY / name).read_text()
        for line in (
            "User=dekiru",
            "EnvironmentFile=/etc/dekiru/dekiru.env",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
        ):
            assert line in unit, (name, line)


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")
def test_the_caddyfile_adapts_with_https_static_files_and_health_checked_upstreams(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "DEKIRU_SITE": "dekiru.city.example.jp",
        "DEKIRU_ACME_EMAIL": "it@city.example.jp",
        "DEKIRU_UPSTREAMS": "127.0.0.1:8000 127.0.0.1:8001",
    }
    adapted = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert adapted.returncode == 0, adapted.stderr
    config = adapted.stdout
    assert '"dial":"127.0.0.1:8000"' in config
    assert '"dial":"127.0.0.1:8001"' in config
    assert '"uri":"/healthz?check=web"' in config
    assert "public, max-age=31536000, immutable" in config
    assert '"max_size":8000000' in config or '"max_size":8388608' in config
    assert '"email":"it@city.example.jp"' in config
    validated = subprocess.run(
        ["caddy", "validate", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert validated.returncode == 0, validated.stderr


def _gunicorn_settings(**env: str) -> dict[str, str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(DEPLOY / "gunicorn.conf.py"),
            "--print-config",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        # --print-config loads the app, which wants a key in production.
        env={
            "PATH": os.environ.get("PATH", ""),
            "DEKIRU_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            **env,
        },
    )
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"^(\w+)\s*=\s*(.*)$", done.stdout, flags=re.M))


def test_gunicorn_workers_follow_the_cores_unless_web_concurrency_says_and_no_access_log():
    default = _gunicorn_settings()
    assert int(default["workers"]) == min(2 * os.cpu_count() + 1, 9)
    assert default["accesslog"] == "None"  # tokens live in paths: the app logs routes instead
    assert default["preload_app"] == "False"
    assert default["wsgi_app"] == "app:create_app()"
    assert default["bind"] == "['127.0.0.1:8000']"
    assert int(default["max_requests_jitter"]) > 0
    chosen = _gunicorn_settings(WEB_CONCURRENCY="3", DEKIRU_BIND="127.0.0.1:9001")
    assert chosen["workers"] == "3"
    assert chosen["bind"] == "['127.0.0.1:9001']"
