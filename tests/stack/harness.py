"""The production stack on this machine, on loopback high ports: a fresh PostgreSQL database on
the local server, a Redis database of its own, gunicorn processes started with
deploy/gunicorn.conf.py, and Caddy with deploy/Caddyfile and its own certificate authority.

    with production_stack(web_servers=2) as stack:
        stack.start("worker", stack.flask_argv("worker"))   # one more process, one line
        stack.https("/login")

Every process's output goes to `stack.log(name)` (a file in the stack's folder), printed when
it fails to start. Everything is torn down at the end, even on failure: processes stopped
(TERM, then KILL), the database dropped, the Redis database flushed. Nothing is written to the
user's home: Caddy gets a HOME and XDG folders inside the stack's folder.

Where PostgreSQL, Redis or Caddy is missing, `missing()` says which, for pytest.skip.
Settings: STACK_DATABASE_URL (default TEST_DATABASE_URL, then the local
postgresql://postgres@127.0.0.1:5432/test), STACK_REDIS_URL (default redis://127.0.0.1:6379).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
import sqlalchemy as sa

from app.config import REPO_ROOT, database_url

DEPLOY = REPO_ROOT / "deploy"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379"
START_SECONDS = 45
STOP_SECONDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_server() -> str:
    return (
        os.environ.get("STACK_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or LOCAL_POSTGRES
    )


def redis_server() -> str:
    return os.environ.get("STACK_REDIS_URL") or LOCAL_REDIS


def missing() -> str | None:
    """Why the stack cannot run here, or None."""
    if shutil.which("caddy") is None:
        return "caddy is not installed (apt-get install caddy; `make test` installs it as root)"
    engine = sa.create_engine(database_url(postgres_server()), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL is not reachable at {postgres_server()}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    try:
        redis.Redis.from_url(redis_server(), socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {redis_server()}: {exc}"
    return None


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Stack:
    folder: Path
    env: dict[str, str]  # what every app process gets (gunicorn, flask commands, the worker)
    database: str  # the stack's own database
    redis_url: str
    web: list[str] = field(default_factory=list)  # each gunicorn, http://127.0.0.1:PORT
    site: str = ""  # Caddy, https://localhost:PORT
    http_site: str = ""  # Caddy's plain HTTP port, which redirects
    ca_bundle: str = ""  # Caddy's root certificate, to verify its HTTPS
    processes: list[Process] = field(default_factory=list)

    # --- processes --------------------------------------------------------------------------

    def flask_argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", "app", *args]

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        ready_url: str | None = None,
        verify: str | bool = False,
    ) -> Process:
        """Start a process of the stack (the app's environment, plus `env`), its output in
        log(name); with ready_url, wait until that URL answers 200."""
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(argv),
                cwd=REPO_ROOT,
                env={**self.env, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped with its children
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        if ready_url is not None:
            self._wait_ready(process, ready_url, verify)
        return process

    def _wait_ready(self, process: Process, url: str, verify: str | bool) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited:\n{process.output()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=2, verify=verify).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{process.name} did not answer {url}:\n{process.output()[-3000:]}")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def flask(self, *args: str, stdin: str = "") -> str:
        """Run a flask command against the stack's database; its output (fails loudly)."""
        done = subprocess.run(
            self.flask_argv(*args),
            cwd=REPO_ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)}: {done.stdout}\n{done.stderr}")
        return done.stdout

    def start_web(self, count: int) -> None:
        for n in range(1, count + 1):
            port = free_port()
            self.start(
                f"web{n}",
                [sys.executable, "-m", "gunicorn", "--config", str(DEPLOY / "gunicorn.conf.py")],
                env={"DEKIRU_BIND": f"127.0.0.1:{port}"},
                ready_url=f"http://127.0.0.1:{port}/healthz?check=web",
            )
            self.web.append(f"http://127.0.0.1:{port}")

    def start_caddy(self) -> None:
        https_port, http_port = free_port(), free_port()
        home = self.folder / "caddy"
        upstreams = " ".join(url.removeprefix("http://") for url in self.web)
        self.start(
            "caddy",
            ["caddy", "run", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
            env={
                "HOME": str(home),
                "XDG_DATA_HOME": str(home / "data"),
                "XDG_CONFIG_HOME": str(home / "config"),
                "DEKIRU_SITE": "localhost",
                "DEKIRU_ACME_EMAIL": "stack-test@example.invalid",
                "DEKIRU_UPSTREAMS": upstreams,
                "DEKIRU_ROOT": str(REPO_ROOT),
                "DEKIRU_HTTP_PORT": str(http_port),
                "DEKIRU_HTTPS_PORT": str(https_port),
                "DEKIRU_CADDY_ADMIN": "off",
                # Its own certificate authority, never put into the system's trust store.
                "DEKIRU_CADDY_OPTIONS": "local_certs\nskip_install_trust\ndefault_bind 127.0.0.1",
            },
        )
        self.site = f"https://localhost:{https_port}"
        self.http_site = f"http://localhost:{http_port}"
        root = home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + START_SECONDS
        while not root.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.ca_bundle = str(root)
        self._wait_ready(self.processes[-1], f"{self.site}/healthz?check=web", self.ca_bundle)

    def https(self, path: str, method: str = "GET", **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return requests.request(
            method, self.site + path, verify=self.ca_bundle, timeout=30, **kwargs
        )

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.popen.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(STOP_SECONDS)


def _free_redis_db(server: str) -> tuple[int, redis.Redis]:
    """A database number nobody is using (empty), so that flushing it at the end is safe."""
    for number in secrets.SystemRandom().sample(range(1, 16), 15):
        client = redis.Redis.from_url(server, db=number)
        if client.dbsize() == 0:
            return number, client
        client.close()
    raise RuntimeError(f"No empty Redis database on {server}")


@contextlib.contextmanager
def production_stack(web_servers: int = 2, workers_per_server: int = 2) -> Iterator[Stack]:
    folder = Path(tempfile.mkdtemp(prefix="dekiru-stack-"))
    server = database_url(postgres_server())
    name = f"stack_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    number, redis_client = _free_redis_db(redis_server())
    redis_url = re.sub(r"/\d*$", "", redis_server().rstrip("/")) + f"/{number}"
    url = server.rsplit("/", 1)[0] + f"/{name}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(folder),
        "DEKIRU_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "TRUSTED_PROXIES": "1",
        "WEB_CONCURRENCY": str(workers_per_server),
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(folder=folder, env=env, database=url, redis_url=redis_url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        stack.flask("db", "upgrade")
        stack.flask("load-curricula")
        stack.start_web(web_servers)
        stack.start_caddy()
        yield stack
    finally:
        stack.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        redis_client.flushdb()
        redis_client.close()
        shutil.rmtree(folder, ignore_errors=True)
