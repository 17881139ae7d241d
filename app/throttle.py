"""Rate limits that a person may hit: counted by Flask-Limiter, answered with a page.

Routes name their limits with `extensions.limiter.limit(config_limit(NAME), ...)`; when one
is reached, `too_many_tries` answers 429 with the page the person was on, a plain message
saying how long to wait, and the same wait in `Retry-After`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypedDict

from flask import Response, current_app, make_response, render_template
from flask_limiter import RequestLimit


class LimitOptions(TypedDict, total=False):
    """Options that several limits of one route share, given as `**options`."""

    methods: list[str]
    deduct_when: Callable[[Response], bool]


def config_limit(name: str) -> Callable[[], str]:
    """The limit named `name` in the current app's config, read on each request."""
    return lambda: current_app.config[name]


def seconds_to_wait(limit: RequestLimit) -> int:
    return max(1, math.ceil(limit.window.reset_time - time.time()))


def minutes_to_wait(limit: RequestLimit) -> int:
    return math.ceil(seconds_to_wait(limit) / 60)


def too_many_tries(limit: RequestLimit, template: str, **context) -> Response:
    response = make_response(render_template(template, **context), 429)
    response.headers["Retry-After"] = str(seconds_to_wait(limit))
    return response
