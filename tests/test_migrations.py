"""Migrations: a fresh database and one with data both migrate; models and migration files agree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import create_pg_database, drop_pg_database

ROOT = Path(__file__).resolve().parents[1]
FIRST = "0001_initial"


def _env(tmp_path: Path, database_url: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLCLOUD_")}
    env["SCHOOLCLOUD_VAR_DIR"] = str(tmp_path)
    if database_url:
        env["SCHOOLCLOUD_DATABASE_URL"] = database_url
    return env


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def _sql(env: dict, statements: list[str]) -> list:
    """Run SQL through Tortoise in a separate process, returning the last result's rows as tuples."""
    code = (
        "import asyncio, json, sys\n"
        "from tortoise import Tortoise, connections\n"
        "from schoolcloud.config import load_settings\n"
        "from schoolcloud.db import tortoise_config\n"
        "async def main():\n"
        "    await Tortoise.init(config=tortoise_config(load_settings()))\n"
        "    rows = []\n"
        "    for sql in json.loads(sys.argv[1]):\n"
        "        _, rows = await connections.get('default').execute_query(sql)\n"
        "    print(json.dumps([list(dict(r).values()) for r in rows], default=str))\n"
        "    await Tortoise.close_connections()\n"
        "asyncio.run(main())\n"
    )
    import json

    result = _run(env, "-c", code, json.dumps(statements))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield _env(tmp_path)
        return
    from tests.conftest import require_postgres

    require_postgres()
    url = create_pg_database()
    yield _env(tmp_path, url)
    drop_pg_database(url)


def test_models_and_migration_files_agree(tmp_path):
    result = _run(_env(tmp_path), "-m", "schoolcloud.cli", "check-migrations")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agree" in result.stdout


def test_fresh_database_migrates_and_is_idempotent(database):
    first = _run(database, "-m", "schoolcloud.cli", "migrate")
    assert first.returncode == 0, first.stderr
    second = _run(database, "-m", "schoolcloud.cli", "migrate")
    assert second.returncode == 0, second.stderr
    tables = {row[0] for row in _sql(database, [
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        if "SCHOOLCLOUD_DATABASE_URL" in database else "SELECT name FROM sqlite_master WHERE type = 'table'"])}
    assert {"school", "user_account", "school_class", "course", "login_session", "audit_event"} <= tables


def test_database_with_data_from_first_migration_migrates_to_latest(database):
    """Data written under the first schema survives every later migration and is readable by the models."""
    first = _run(database, "-m", "tortoise", "-c", "schoolcloud.db.TORTOISE_ORM", "migrate", "models", FIRST)
    assert first.returncode == 0, first.stdout + first.stderr
    _sql(database, [
        "INSERT INTO school (name, state, active, created_at) VALUES ('Altschule', 'NI', TRUE, CURRENT_TIMESTAMP)",
        "INSERT INTO user_account (public_id, school_id, role, username, given_name, family_name, "
        "must_change_password, active, created_at, updated_at) VALUES ('6f1c1e0e-2b9e-4c61-9a52-3f1f7b0a9d11', "
        "(SELECT id FROM school WHERE name = 'Altschule'), 'teacher', 'alt.lehrer', 'Alt', 'Lehrer', FALSE, TRUE, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    ])
    latest = _run(database, "-m", "schoolcloud.cli", "migrate")
    assert latest.returncode == 0, latest.stderr
    code = (
        "import asyncio\n"
        "from tortoise import Tortoise\n"
        "from schoolcloud.config import load_settings\n"
        "from schoolcloud.db import tortoise_config\n"
        "from schoolcloud.accounts.models import User\n"
        "async def main():\n"
        "    await Tortoise.init(config=tortoise_config(load_settings()))\n"
        "    user = await User.get(username='alt.lehrer').prefetch_related('school')\n"
        "    print(user.school.name, user.role, user.public_id)\n"
        "    await Tortoise.close_connections()\n"
        "asyncio.run(main())\n"
    )
    result = _run(database, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Altschule", "teacher", "6f1c1e0e-2b9e-4c61-9a52-3f1f7b0a9d11"]


def test_identical_shares_from_before_0019_are_merged(database):
    """0019 gives shares a unique (node, recipient): duplicates written before are merged into the oldest
    row, which keeps write access if any of them had it; other shares are untouched."""
    before = _run(database, "-m", "tortoise", "-c", "schoolcloud.db.TORTOISE_ORM", "migrate", "models",
                  "0018_task_records")
    assert before.returncode == 0, before.stdout + before.stderr
    school = "(SELECT id FROM school WHERE name = 'Teilschule')"
    user = "(SELECT id FROM user_account WHERE username = '{}')"
    node = "(SELECT id FROM file_node WHERE name = '{}')"

    def share(node_name: str, username: str, can_write: bool) -> str:
        return ("INSERT INTO file_share (school_id, node_id, user_id, can_write, created_at) VALUES "
                f"({school}, {node.format(node_name)}, {user.format(username)}, {str(can_write).upper()}, "
                "CURRENT_TIMESTAMP)")

    _sql(database, [
        "INSERT INTO school (name, state, active, created_at) VALUES ('Teilschule', 'NI', TRUE, CURRENT_TIMESTAMP)",
        *[f"INSERT INTO user_account (public_id, school_id, role, username, given_name, family_name, "
          f"must_change_password, active, created_at, updated_at) VALUES ('6f1c1e0e-2b9e-4c61-9a52-3f1f7b0a9d1{i}', "
          f"{school}, 'teacher', '{name}', 'T', '{name}', FALSE, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
          for i, name in enumerate(["besitzer", "empfaenger", "andere"])],
        f"INSERT INTO file_space (school_id, kind, owner_id, pupils_may_write, used_bytes, created_at) VALUES "
        f"({school}, 'personal', {user.format('besitzer')}, FALSE, 0, CURRENT_TIMESTAMP)",
        *[f"INSERT INTO file_node (space_id, kind, name, name_key, size, content_type, sha256, trash_key, "
          f"created_at, modified_at) VALUES ((SELECT id FROM file_space WHERE kind = 'personal'), 'folder', "
          f"'{name}', '{name}', 0, '', '', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)" for name in ["A", "B"]],
        share("A", "empfaenger", False), share("A", "empfaenger", True), share("A", "empfaenger", False),
        share("A", "andere", False), share("B", "empfaenger", False), share("B", "empfaenger", False),
    ])
    ids = [row[0] for row in _sql(database, ["SELECT id FROM file_share ORDER BY id"])]
    latest = _run(database, "-m", "schoolcloud.cli", "migrate")
    assert latest.returncode == 0, latest.stderr
    rows = _sql(database, ["SELECT s.id, n.name, s.recipient_key, s.can_write FROM file_share s "
                           "JOIN file_node n ON n.id = s.node_id ORDER BY s.id"])
    users = dict(_sql(database, ["SELECT username, id FROM user_account"]))
    assert [(r[0], r[1], r[2], bool(r[3])) for r in rows] == [
        (ids[0], "A", f"user:{users['empfaenger']}", True),
        (ids[3], "A", f"user:{users['andere']}", False),
        (ids[4], "B", f"user:{users['empfaenger']}", False),
    ]


def test_throttle_rows_naming_accounts_are_dropped_by_0020(database):
    """0020: the throttle's keys hold a keyed hash of the login name from now on; rows from before, which
    name the account, go; per-address counters stay."""
    before = _run(database, "-m", "tortoise", "-c", "schoolcloud.db.TORTOISE_ORM", "migrate", "models",
                  "0019_share_recipient_key")
    assert before.returncode == 0, before.stdout + before.stderr
    _sql(database, [f"INSERT INTO idp_login_throttle (key, failures, window_start) VALUES ('{key}', 3, "
                    "CURRENT_TIMESTAMP)"
                    for key in ("ip:10.1.2.3", "pair:greta.geht:10.1.2.3", "account:greta.geht",
                                "known:greta.geht:10.1.2.3")])
    latest = _run(database, "-m", "schoolcloud.cli", "migrate")
    assert latest.returncode == 0, latest.stderr
    assert _sql(database, ["SELECT key FROM idp_login_throttle"]) == [["ip:10.1.2.3"]]
