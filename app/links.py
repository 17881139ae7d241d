"""Addresses that leave the app: links in e-mail, written in a request or in a job.

In a request, url_for(_external=True) takes the host the person used. A job (the reminder,
a deadline passing, a sheet's change synced in) has no request: there the address is the
configured SITE_URL, the one the city publishes (else SERVER_NAME, else localhost)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context


@contextmanager
def site_request() -> Iterator[None]:
    """Make url_for(_external=True) work here: as it is inside a request, or else as a
    request to SITE_URL."""
    if has_request_context():
        yield
        return
    config = current_app.config
    base = config.get("SITE_URL") or f"http://{config.get('SERVER_NAME') or 'localhost:5000'}"
    with current_app.test_request_context("/", base_url=base):
        yield
