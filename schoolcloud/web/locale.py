"""Per-request language: the `lang` cookie if the user chose one, else the browser's Accept-Language."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from schoolcloud.auth.current import safe_next
from schoolcloud.web.i18n import LOCALES, current_locale, negotiate

COOKIE = "lang"


class LocaleMiddleware:
    def __init__(self, app: ASGIApp, default: str):
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            chosen = request.cookies.get(COOKIE)
            locale = chosen if chosen in LOCALES else negotiate(request.headers.get("accept-language", ""),
                                                                self.default)
            current_locale.set(locale)
        await self.app(scope, receive, send)


async def switch_language(request: Request):
    """A plain link (GET) so it works without JavaScript; changes only a preference cookie."""
    locale = request.path_params["locale"]
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if locale in LOCALES:
        response.set_cookie(COOKIE, locale, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                            secure=request.app.state.settings.secure_cookies)
    return response
