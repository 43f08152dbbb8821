"""Tortoise ORM configuration: one app, one migration history, models gathered from the domains."""

from __future__ import annotations

from schoolcloud.config import Settings, load_settings

MODEL_MODULES = [
    "schoolcloud.accounts.models",
    "schoolcloud.auth.models",
    "schoolcloud.idp.models",
    "schoolcloud.privacy.models",
    "schoolcloud.files.models",
    "schoolcloud.teams.models",
    "schoolcloud.files.sharing_models",
]


def tortoise_config(settings: Settings) -> dict:
    return {
        "connections": {"default": settings.database_url},
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
