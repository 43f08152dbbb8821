"""Jinja2 environment shared by all pages; gettext follows the request's locale."""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from schoolcloud.privacy.pseudonyms import person_name
from schoolcloud.web.csrf import csrf_token
from schoolcloud.web.i18n import LOCALES, current_locale, gettext_, ngettext_

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(gettext_, ngettext_, newstyle=True)
env.globals["person_name"] = person_name


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    locale = current_locale.get()
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("page_title", "")
    context.setdefault("nav_unread", getattr(request.state, "nav_unread", None))
    html = env.get_template(template).render(
        request=request,
        locale=locale,
        locales=LOCALES,
        csrf_token=csrf_token(request),
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
