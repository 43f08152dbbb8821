"""ASGI entry point for uvicorn and other servers: `schoolcloud.asgi:app`."""

import sys

from schoolcloud.app import create_app
from schoolcloud.config import ConfigError
from schoolcloud.memory import tune_allocator

tune_allocator()  # each server process imports this module once

try:
    app = create_app()
except ConfigError as exc:
    print(f"configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
