"""Configuration comes only from SCHOOLCLOUD_* variables; a wrong value names the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from schoolcloud.config import VARIABLES, ConfigError, config_table, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_give_single_machine_setup(tmp_path):
    settings = load_settings({"SCHOOLCLOUD_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path / 'schoolcloud.sqlite3'}"
    assert settings.storage == "local" and settings.storage_path == tmp_path / "objects"
    assert settings.embedded_idp and settings.issuer == "http://127.0.0.1:8000/idp"
    # A development secret is generated once and kept.
    assert load_settings({"SCHOOLCLOUD_VAR_DIR": str(tmp_path)}).secret_key == settings.secret_key
    assert len(settings.secret_key) >= 32


@pytest.mark.parametrize("name, value", [
    ("SCHOOLCLOUD_PORT", "eighty"),
    ("SCHOOLCLOUD_PORT", "-1"),
    ("SCHOOLCLOUD_S3_SECURE", "maybe"),
    ("SCHOOLCLOUD_STORAGE", "ftp"),
    ("SCHOOLCLOUD_BASE_URL", "ftp://school.example"),
    ("SCHOOLCLOUD_OIDC_ISSUER", "not a url"),
    ("SCHOOLCLOUD_DATABASE_URL", "mysql://x"),
    ("SCHOOLCLOUD_SECRET_KEY", "short"),
    ("SCHOOLCLOUD_OIDC_ROLE_MAP", "LERN=wizard"),
    ("SCHOOLCLOUD_SESSION_IDLE_MINUTES", "0"),
    ("SCHOOLCLOUD_DEFAULT_LOCALE", "fr"),
    ("SCHOOLCLOUD_TYPO_VARIABLE", "1"),
])
def test_wrong_value_names_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError) as error:
        load_settings({"SCHOOLCLOUD_VAR_DIR": str(tmp_path), name: value})
    assert name in str(error.value)


def test_production_needs_secret_key_and_s3_credentials(tmp_path):
    public = {"SCHOOLCLOUD_VAR_DIR": str(tmp_path), "SCHOOLCLOUD_BASE_URL": "https://cloud.schule.example"}
    with pytest.raises(ConfigError, match="SCHOOLCLOUD_SECRET_KEY"):
        load_settings(public)
    with pytest.raises(ConfigError, match="SCHOOLCLOUD_S3_ENDPOINT"):
        load_settings({**public, "SCHOOLCLOUD_SECRET_KEY": "k" * 40, "SCHOOLCLOUD_STORAGE": "s3"})
    with pytest.raises(ConfigError, match="SCHOOLCLOUD_OIDC_CLIENT_SECRET"):
        load_settings({**public, "SCHOOLCLOUD_SECRET_KEY": "k" * 40,
                       "SCHOOLCLOUD_OIDC_ISSUER": "https://idp.example/realms/schule"})
    settings = load_settings({**public, "SCHOOLCLOUD_SECRET_KEY": "k" * 40})
    assert settings.secure_cookies


def test_role_map_parses_schulconnex_codes(tmp_path):
    settings = load_settings({"SCHOOLCLOUD_VAR_DIR": str(tmp_path),
                              "SCHOOLCLOUD_OIDC_ROLE_MAP": "LERN=pupil, LEHR=teacher,LEIT=school_admin"})
    assert settings.oidc_role_map == {"LERN": "pupil", "LEHR": "teacher", "LEIT": "school_admin"}


def test_readme_table_lists_every_variable():
    readme = (ROOT / "README.md").read_text()
    for line in config_table().splitlines()[2:]:
        assert line in readme, f"README's configuration table is out of date: {line}"
    assert len(VARIABLES) == config_table().count("| `SCHOOLCLOUD_")


def test_start_up_refuses_wrong_value_with_its_name(tmp_path):
    env = {"SCHOOLCLOUD_VAR_DIR": str(tmp_path), "SCHOOLCLOUD_PORT": "eighty", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "schoolcloud.cli", "serve"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "SCHOOLCLOUD_PORT" in result.stderr
