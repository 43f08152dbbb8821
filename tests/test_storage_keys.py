"""Keys, the factory, and the package boundary (storage never imports the web app)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from storage import InvalidKey, check_key, create_store, new_key
from storage.keys import check_prefix
from storage.local import LocalStore
from storage.s3 import S3Store


def test_new_keys_are_fresh_sharded_and_valid():
    made = {new_key() for _ in range(1000)}
    assert len(made) == 1000
    for key in made:
        assert re.fullmatch(r"([0-9a-f]{2})/([0-9a-f]{2})/\1\2[0-9a-f]{28}", key), key
        assert check_key(key) == key
    assert new_key("files/").startswith("files/")
    with pytest.raises(InvalidKey):
        new_key("../")


@pytest.mark.parametrize("prefix", ["", "a", "a/", "ab/cd/", "ab/c", "x-"])
def test_valid_prefixes(prefix):
    assert check_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["/", "a//", "../", "a/../", ".tmp/", "a b"])
def test_invalid_prefixes(prefix):
    with pytest.raises(InvalidKey):
        check_prefix(prefix)


def test_invalid_key_is_also_a_value_error():
    with pytest.raises(ValueError):
        check_key("../etc/passwd")


def test_create_store(tmp_path):
    local = create_store("local", root=tmp_path / "objects")
    assert isinstance(local, LocalStore) and local.temp_dir.is_dir()
    s3 = create_store(
        "s3", endpoint="127.0.0.1:9", access_key="a", secret_key="b", bucket="bucket", secure=False
    )
    assert isinstance(s3, S3Store) and s3.bucket == "bucket"  # no network until used
    with pytest.raises(ValueError):
        create_store("ftp")


def test_storage_does_not_import_the_web_app():
    code = (
        "import sys, storage, storage.local, storage.s3, storage.factory\n"
        "leaks = sorted(m for m in sys.modules if m.split('.')[0] == 'schoolcloud')\n"
        "assert not leaks, leaks\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
    for path in (Path(__file__).parents[1] / "storage").rglob("*.py"):
        assert "schoolcloud" not in re.sub(r'""".*?"""', "", path.read_text(), flags=re.S), path
