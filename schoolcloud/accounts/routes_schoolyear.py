"""Page: the school-year change (/admin/school-year): a preview of every class's new name, which the
administrator may correct and check again, then one confirmation."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import services_schoolyear as schoolyear
from schoolcloud.accounts.pages import actor, errors_by_field, form, notify, redirect, take_notice
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.auth.current import page
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_, current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render


def _render(request: Request, change, *, names: dict | None = None, errors: dict | None = None,
            years: list[str] = (), status: int = 200, problem: str = ""):
    if change is not None and names is None:
        names = {schoolyear.field_name(m.source): m.target for m in change.moves}
    return render(request, "accounts/school_year.html", status_code=status, page_title=_("School-year change"),
                  change=change, names=names or {}, errors=errors or {}, years=years, problem=problem,
                  field_name=schoolyear.field_name, notice=take_notice(request))


@page
async def school_year(request: Request):
    user = actor(request)
    require_school_admin(user)
    try:
        change = await schoolyear.preview(user, request.query_params.get("from_year") or None)
    except ValidationError as exc:
        return _render(request, None, errors=errors_by_field(exc), years=await schoolyear.years(user), status=422)
    except AppError as exc:
        if exc.status_code != 409:
            raise
        return _render(request, None, years=await schoolyear.years(user), problem=exc.text(current_locale.get()))
    return _render(request, change, years=await schoolyear.years(user))


@page
async def submit(request: Request):
    """"Check" shows the preview with the corrected names; "Change the school year" makes it."""
    user = actor(request)
    require_school_admin(user)
    data = await form(request)
    from_year = str(data.get("from_year", ""))
    names = {key: str(value) for key, value in data.items() if key.startswith("class_")}
    years = await schoolyear.years(user)
    shown_year = from_year if from_year in years else None  # for showing the page again after an error
    try:
        if data.get("action") == "confirm":
            change = await schoolyear.confirm(user, from_year, names)
            notify(request, N_("The school year was changed: %(moved)d classes moved up, %(ended)d classes ended, "
                               "%(leavers)d pupils marked as left."), moved=change.summary()["classes_moved"],
                   ended=change.summary()["classes_ended"], leavers=len(change.leavers))
            return redirect("/admin/school-year", from_year=change.to_year)
        change = await schoolyear.preview(user, from_year, names)
    except ValidationError as exc:
        change = await schoolyear.preview(user, shown_year)
        return _render(request, change, names=names, errors=errors_by_field(exc), years=years, status=422)
    except AppError as exc:
        if exc.status_code != 409:
            raise
        change = await schoolyear.preview(user, shown_year)
        return _render(request, change, names=names, years=years, status=409, problem=exc.text(current_locale.get()))
    return _render(request, change, names=names, years=years)


routes = [
    Route("/admin/school-year", school_year, methods=["GET"]),
    Route("/admin/school-year", submit, methods=["POST"]),
]
