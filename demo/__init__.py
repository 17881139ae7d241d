"""The demo city (若葉市) and its past: seed data for trying Dekiru and measuring its reports.

Tooling, not the app: only `flask --app app demo-data` (app/cli.py) imports it, inside the
command, so the app never loads it to serve a page. demo.city builds the city, demo.history
its past (with demo.world, demo.planning, demo.learners and demo.rows); the data_*.py
modules hold what they build from, as plain data.
"""

from demo.city import build_demo_city, build_demo_city_if_empty

__all__ = ["build_demo_city", "build_demo_city_if_empty"]
