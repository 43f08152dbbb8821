"""Pages that belong to no domain: start page, language switch, health checks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from tortoise import connections

from schoolcloud.auth.current import current_user
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.locale import switch_language
from schoolcloud.web.templating import render


async def home(request: Request):
    user = await current_user(request)
    if user is None:
        return render(request, "home_anonymous.html", page_title=_("Welcome"))
    from schoolcloud.auth.current import load_nav_counts
    from schoolcloud.tasks.start import start_sections

    await load_nav_counts(request, user)
    return render(request, "home.html", page_title=_("Start"), **await start_sections(user))


async def live(request: Request):
    """Alive as long as the process answers; deliberately checks nothing else, so that a database outage
    makes pods unready (readiness) instead of restarting all of them (liveness)."""
    return PlainTextResponse("ok")


async def ready(request: Request):
    """Ready when the database answers, and Redis too where one is configured (logins need it)."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:  # any database failure means: send no traffic here
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    redis = request.app.state.redis
    if redis is not None:
        try:
            await redis.ping()
        except Exception as exc:  # noqa: BLE001
            return JSONResponse({"status": "unavailable", "reason": f"redis: {type(exc).__name__}"},
                                status_code=503)
    return JSONResponse({"status": "ok"})


routes = [
    Route("/", home),
    Route("/lang/{locale}", switch_language),
    Route("/healthz/live", live),
    Route("/healthz/ready", ready),
]
