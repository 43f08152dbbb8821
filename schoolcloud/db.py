"""Tortoise ORM configuration: one app, one migration history, models gathered from the domains."""

from __future__ import annotations

from tortoise.backends.base.config_generator import expand_db_url

from schoolcloud.config import Settings, load_settings

MODEL_MODULES = [
    "schoolcloud.accounts.models",
    "schoolcloud.auth.models",
    "schoolcloud.idp.models",
    "schoolcloud.privacy.models",
    "schoolcloud.privacy.retention_models",
    "schoolcloud.files.models",
    "schoolcloud.teams.models",
    "schoolcloud.files.sharing_models",
    "schoolcloud.courses.models",
    "schoolcloud.planning.models",
    "schoolcloud.tasks.models",
    "schoolcloud.jobs.models",
]


def connection_config(database_url: str) -> str | dict:
    if not database_url.startswith("sqlite://"):
        return database_url
    # Our SQLite client: several server processes may write to one database file.
    config = expand_db_url(database_url)
    config["engine"] = "schoolcloud.sqlite_client"
    return config


def tortoise_config(settings: Settings) -> dict:
    return {
        "connections": {"default": connection_config(settings.database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "schoolcloud.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str):
    # `tortoise -c schoolcloud.db.TORTOISE_ORM makemigrations` reads the configuration from here.
    if name == "TORTOISE_ORM":
        return tortoise_config(load_settings())
    raise AttributeError(name)
