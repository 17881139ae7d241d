"""WSGI apps the benchmarks serve with gunicorn: Dekiru itself, and the baseline.

gunicorn imports `bench.servers:dekiru` or `bench.servers:baseline`; both read
BENCH_DATABASE_URL so that they work on the same database file.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, request

import app.extensions  # noqa: F401  (the same SQLite pragmas as Dekiru: WAL, busy timeout)
from app import create_app

URL = os.environ.get("BENCH_DATABASE_URL", "")

baseline_rows = sa.Table(
    "bench_baseline_rows",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payload", sa.Text),
)


def make_baseline() -> Flask:
    """Bare Flask endpoints that insert one row, or a batch's rows: the floors any check-in is
    measured against."""
    engine = sa.create_engine(URL)
    flask_app = Flask("baseline")

    @flask_app.post("/insert")
    def insert():
        with engine.begin() as conn:
            conn.execute(baseline_rows.insert().values(payload=request.get_data(as_text=True)))
        return {"ok": True}, 201

    @flask_app.post("/insert-many")
    def insert_many():
        """The floor for a device's batch: its body read, one row per item, one transaction."""
        items = request.get_json()["items"]
        with engine.begin() as conn:
            conn.execute(baseline_rows.insert(), [{"payload": item["client_id"]} for item in items])
        return {"inserted": len(items)}, 201

    return flask_app


dekiru = create_app({"SQLALCHEMY_DATABASE_URI": URL, "SECRET_KEY": "bench"}) if URL else None
baseline = make_baseline() if URL else None
