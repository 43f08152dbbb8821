"""ASGI entry point for uvicorn and other servers: `schoolcloud.asgi:app`."""

import sys

from schoolcloud.app import create_app
from schoolcloud.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
