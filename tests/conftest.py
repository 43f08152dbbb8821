"""Shared fixtures: a real server on the database chosen by SCHOOLCLOUD_TEST_DB (sqlite by default,
or postgres), and the ORM in the test process pointed at the same database for setting up data and
checking results.

`make test` runs the whole suite on SQLite, then the tests marked `postgres` again on PostgreSQL (one
ORM backend per process: Tortoise caches its queries per dialect).
"""

from __future__ import annotations

import os

import pytest
from tortoise import Tortoise

from schoolcloud.config import load_settings
from schoolcloud.db import tortoise_config
from schoolcloud.idp import throttle
from tests.support.server import AppServer, create_pg_database, drop_pg_database, postgres_available

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKEND = os.environ.get("SCHOOLCLOUD_TEST_DB", "sqlite")


def require_postgres() -> None:
    if postgres_available():
        return
    if IN_CI:
        pytest.fail("PostgreSQL at 127.0.0.1:5432 is required under CI=true")
    pytest.skip("PostgreSQL is not running at 127.0.0.1:5432")


@pytest.fixture(scope="session")
def database_url():
    if BACKEND != "postgres":
        yield ""
        return
    require_postgres()
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="session")
async def app(tmp_path_factory, database_url) -> AppServer:
    """The running app; the test process's ORM uses the same database."""
    server = AppServer(tmp_path_factory.mktemp(f"{BACKEND}-app"), database_url=database_url).start()
    settings = load_settings({k: v for k, v in server.env.items() if k.startswith("SCHOOLCLOUD_")})
    await Tortoise.init(config=tortoise_config(settings))
    throttle.configure(settings.secret_key)  # erasures run in this process forget the same keys
    yield server
    await Tortoise.close_connections()
    server.stop()
