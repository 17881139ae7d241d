from __future__ import annotations

import pytest


@pytest.fixture
def load(runner, make):
    """Run `flask load-curricula DIR [--check]` as a person does; returns click's result.

    Depends on `make` so that the command shares the test's app context and database.
    """

    def run(directory, *options):
        return runner.invoke(args=["load-curricula", str(directory), *options])

    return run
