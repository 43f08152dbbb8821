"""The ASGI application: middleware, routes of every domain, database lifespan."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from schoolcloud.auth.current import LoginRequired, current_user
from schoolcloud.auth.rp import make_oauth
from schoolcloud.config import Settings, load_settings
from schoolcloud.db import tortoise_config
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_, current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.locale import LocaleMiddleware
from schoolcloud.web.security import BodyLimit, SameOrigin, SecurityHeaders
from schoolcloud.web.templating import render

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
log = logging.getLogger("schoolcloud")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


async def app_error(request: Request, exc: AppError):
    if _wants_json(request):
        return JSONResponse(exc.as_json(current_locale.get()), status_code=exc.status_code)
    if isinstance(exc, LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if "user" not in request.state._state and "session" in request.scope:
        # Error pages keep the navigation of a logged-in user; a failing database must not hide the error.
        try:
            await current_user(request)
        except Exception:  # noqa: BLE001
            request.state.user = None
    return render(request, "error.html", status_code=exc.status_code, message=exc.text(current_locale.get()),
                  page_title=_("Error"))


HTTP_MESSAGES = {
    404: N_("Not found."),
    405: N_("This method is not allowed here."),
    413: N_("The request is too large."),
}


async def http_error(request: Request, exc: HTTPException):
    message = HTTP_MESSAGES.get(exc.status_code, N_("The request could not be processed."))
    return await app_error(request, AppError(f"http_{exc.status_code}", message, status=exc.status_code))


async def server_error(request: Request, exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return await app_error(request, AppError("server_error", N_("Something went wrong on our side. Please try "
                                                "again later."), status=500))


def _routes(settings: Settings):
    from schoolcloud.api.routes import routes as api_routes
    from schoolcloud.auth.routes import routes as auth_routes
    from schoolcloud.idp.routes import routes as idp_routes
    from schoolcloud.web.routes import routes as web_routes
    from schoolcloud.accounts.routes import routes as accounts_routes
    from schoolcloud.files.api import routes as files_api
    from schoolcloud.files.links_api import PREFIX as LINKS_PREFIX, routes as links_api
    from schoolcloud.files.previews import routes as previews_api
    from schoolcloud.files.routes import routes as files_pages
    from schoolcloud.files.routes_sharing import routes as sharing_pages
    from schoolcloud.teams.routes import routes as teams_pages
    from schoolcloud.courses.routes import routes as course_pages
    from schoolcloud.courses.routes_lessons import routes as lesson_pages
    from schoolcloud.courses.routes_blocks import routes as block_pages
    from schoolcloud.courses.routes_copy import routes as copy_pages
    from schoolcloud.courses.routes_library import routes as library_pages
    from schoolcloud.planning.pages import routes as planning_pages
    from schoolcloud.privacy.routes import routes as privacy_pages
    from schoolcloud.tasks.routes import routes as task_pages
    from schoolcloud.tasks.routes_notifications import routes as notification_pages
    from schoolcloud.tasks.routes_work import routes as task_work_pages

    # The router tries routes in order: the mounts come first, so that an API call or a file transfer
    # does not run through the ~150 page-route patterns (no page path starts with a mount's prefix).
    # The preview route precedes the files mount, which would otherwise claim its path.
    # The embedded IdP's mount is among them: three of a login's requests go to it.
    idp = [Mount("/idp", routes=idp_routes)] if settings.embedded_idp else []
    routes = [*previews_api, *idp,
              Mount("/api/v1/files", routes=files_api),
              Mount(LINKS_PREFIX, routes=links_api),
              Mount("/api/v1", routes=api_routes),
              Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
              *web_routes, *auth_routes, *accounts_routes, *files_pages, *sharing_pages, *teams_pages,
              *copy_pages, *course_pages, *lesson_pages, *block_pages, *library_pages,
              *planning_pages, *privacy_pages, *task_pages, *task_work_pages, *notification_pages]
    return routes


def configure_logging(settings: Settings) -> None:
    """The app's own log lines at LOG_LEVEL, also when a server other than `schoolcloud serve` (which
    configures logging itself) runs the app, e.g. `uvicorn schoolcloud.asgi:app`."""
    log.setLevel(settings.log_level.upper())
    if not logging.getLogger().handlers and not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    form_targets = [] if settings.embedded_idp else [settings.oidc_issuer]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        from schoolcloud import redis_client, wakeup
        from schoolcloud.files.context import FilesContext, Limits, prepare_store, store_from_settings
        from schoolcloud.idp import throttle

        store = store_from_settings(settings)
        app.state.redis = redis_client.connect(settings)
        app.state.throttle = throttle.create(app.state.redis, settings.redis_prefix, settings.secret_key)
        try:
            await prepare_store(store)
            app.state.store = store
            wakeups = wakeup.create(app.state.redis, settings.redis_prefix + "wakeup:files")
            app.state.files = FilesContext(store, Limits.from_settings(settings), wakeups)
            job_wakeups = wakeup.create(app.state.redis, settings.redis_prefix + "wakeup:jobs")
            async with RegisterTortoise(app, config=tortoise_config(settings)):
                from schoolcloud import jobs
                from schoolcloud.files.context import check_encryption
                from schoolcloud.files.previews import start_worker, stop_worker

                await check_encryption(settings)  # a wrong or missing master key stops the start

                previews = await start_worker(app.state.files)  # thumbnails, in the background
                job_runner = await jobs.start(jobs.Context(app.state.files, settings), job_wakeups)
                try:
                    yield
                finally:
                    await jobs.stop(job_runner)
                    await stop_worker(previews)
                    await wakeups.close()
                    await job_wakeups.close()
        finally:
            await store.close()
            if app.state.redis is not None:
                await app.state.redis.aclose()

    from schoolcloud.files.api import STREAMING_PREFIXES
    from schoolcloud.files.links_api import STREAMING_PREFIX as LINK_STREAMING_PREFIX
    from schoolcloud.files.routes import UPLOAD_PREFIX
    from schoolcloud.files.serving import FileHeaders
    from schoolcloud.tasks.routes_work import UPLOAD_PREFIX as TASK_UPLOAD_PREFIX

    middleware = [
        Middleware(FileHeaders),  # outermost: file responses swap in their own sandboxing policy
        Middleware(SecurityHeaders, form_targets=form_targets, hsts=settings.secure_cookies),
        Middleware(BodyLimit, default=settings.max_form_bytes, limits={
            "/admin/import": settings.max_import_bytes, "/api/v1/imports": settings.max_import_bytes,
            # uploads stream to the object store and enforce upload limit and quota themselves
            **{prefix: None for prefix in STREAMING_PREFIXES},
            LINK_STREAMING_PREFIX: None,  # file drops stream like uploads
            UPLOAD_PREFIX: None,  # the plain form upload streams each file like the API
            TASK_UPLOAD_PREFIX: None}),  # so do the task forms that take files
        Middleware(SameOrigin, base_url=settings.base_url, exempt=("/idp/token", "/idp/userinfo")),
        Middleware(LocaleMiddleware, default=settings.default_locale),
        Middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="schoolcloud_session",
                   max_age=settings.session_max_hours * 3600, same_site="lax",
                   https_only=settings.secure_cookies),
    ]
    app = Starlette(
        routes=_routes(settings),
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={AppError: app_error, HTTPException: http_error, Exception: server_error},
    )
    app.state.settings = settings
    configure_logging(settings)
    app.state.oauth = make_oauth(settings, app if settings.embedded_idp else None)
    return app
