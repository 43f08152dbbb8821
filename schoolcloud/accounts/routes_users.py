"""Pages: accounts of a school (/admin/users) and the one-time password hand-over (/credentials)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import handover, services
from schoolcloud.accounts.models import Role
from schoolcloud.accounts.pages import (
    CREDENTIALS,
    LETTERS,
    actor,
    errors_by_field,
    form,
    form_values,
    hand_over_credentials,
    letters_response,
    notify,
    redirect,
    take_notice,
)
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_base import CredentialsBatch
from schoolcloud.auth.current import page, safe_next
from schoolcloud.web.errors import ValidationError
from schoolcloud.web.i18n import N_
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

NEW_FIELDS = ("given_name", "family_name", "role", "birth_date", "email", "username", "class_id")
EDIT_FIELDS = ("given_name", "family_name", "role", "birth_date", "email", "username")


def role_choices() -> list[tuple[str, str]]:
    return [(Role.PUPIL, _("Pupil")), (Role.TEACHER, _("Teacher")), (Role.SCHOOL_ADMIN, _("School administrator"))]


def _user_url(user) -> str:
    return f"/admin/users/{user.public_id}"


@page
async def users_index(request: Request):
    user = actor(request)
    require_school_admin(user)
    params = request.query_params
    query = {"q": params.get("q", ""), "role": params.get("role", ""), "class": params.get("class", "")}
    result = await services.list_users(user, q=query["q"], role=query["role"] or None,
                                       class_id=query["class"] or None, page=params.get("page"))
    return render(request, "accounts/users.html", page_title=_("Accounts"), page=result, query=query,
                  roles=role_choices(), classes=await services.list_classes(user), notice=take_notice(request))


async def _class_choices(user) -> list[tuple[int, str]]:
    return [(c.id, f"{c.name} ({c.school_year})") for c in await services.list_classes(user)]


@page
async def user_new(request: Request):
    user = actor(request)
    require_school_admin(user)
    values: dict = {"role": Role.PUPIL}
    errors: dict = {}
    if request.method == "POST":
        values = form_values(await form(request), NEW_FIELDS)
        try:
            created, credentials = await services.create_user(user, **values)
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            school = await services.school_of(user)
            await hand_over_credentials(request, user, CredentialsBatch(school.name, [credentials]))
            notify(request, N_("The account was created."))
            return redirect("/credentials", next=_user_url(created))
    return render(request, "accounts/user_form.html", status_code=422 if errors else 200,
                  page_title=_("New account"), values=values, errors=errors, roles=role_choices(),
                  classes=await _class_choices(user), target=None)


@page
async def user_detail(request: Request):
    user = actor(request)
    require_school_admin(user)
    target = await services.get_user(user, request.path_params["user_id"])
    return render(request, "accounts/user_detail.html", page_title=target.display_name, target=target,
                  courses=await services.courses_of(target), notice=take_notice(request),
                  is_self=target.id == user.id)


@page
async def user_edit(request: Request):
    user = actor(request)
    target = await services.school_user(user, request.path_params["user_id"])
    errors: dict = {}
    values = {name: getattr(target, name) or "" for name in EDIT_FIELDS}
    values["birth_date"] = target.birth_date.isoformat() if target.birth_date else ""
    if request.method == "POST":
        values = form_values(await form(request), EDIT_FIELDS)
        try:
            await services.update_user(user, target.public_id, **values)
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            notify(request, N_("The changes were saved."))
            return redirect(_user_url(target))
    return render(request, "accounts/user_form.html", status_code=422 if errors else 200,
                  page_title=_("Edit account"), values=values, errors=errors, roles=role_choices(),
                  classes=[], target=target)


@page
async def user_deactivate(request: Request):
    user = actor(request)
    target = await services.delete_check(user, request.path_params["user_id"])
    if request.method == "POST":
        await form(request)
        await services.deactivate_user(user, target.public_id)
        notify(request, N_("The account was deactivated. It can no longer log in."))
        return redirect(_user_url(target))
    return render(request, "accounts/confirm.html", page_title=_("Deactivate account"), target=target,
                  question=_("Deactivate the account of %(name)s (%(username)s)?", name=target.display_name,
                             username=target.username),
                  explanation=_("The account can no longer log in and its open sessions end now. Nothing is "
                                "deleted; you can reactivate it later."),
                  action=f"{_user_url(target)}/deactivate", button=_("Deactivate"), back=_user_url(target),
                  danger=False)


@page
async def user_reactivate(request: Request):
    user = actor(request)
    await form(request)
    target = await services.reactivate_user(user, request.path_params["user_id"])
    notify(request, N_("The account was reactivated."))
    return redirect(_user_url(target))


@page
async def user_delete(request: Request):
    user = actor(request)
    target = await services.delete_check(user, request.path_params["user_id"])
    if request.method == "POST":
        await form(request)
        await services.delete_user(user, target.public_id, files=request.app.state.files)
        notify(request, N_("The account was deleted."))
        return redirect("/admin/users")
    return render(request, "accounts/confirm.html", page_title=_("Delete account"), target=target,
                  question=_("Delete the account of %(name)s (%(username)s) for good?", name=target.display_name,
                             username=target.username),
                  explanation=_("The account, its sessions and its class and course memberships are removed. "
                                "This cannot be undone. To keep the data, deactivate the account instead."),
                  action=f"{_user_url(target)}/delete", button=_("Delete for good"), back=_user_url(target),
                  danger=True)


@page
async def user_password_reset(request: Request):
    """School admins from the account page; teachers from their class page (next= brings them back)."""
    user = actor(request)
    submitted = await form(request)
    credentials = await services.reset_password(user, request.path_params["user_id"])
    school = await services.school_of(user)
    await hand_over_credentials(request, user, CredentialsBatch(school.name, [credentials]))
    notify(request, N_("A new one-time password was set. The account must choose its own password at the next "
                       "login."))
    return redirect("/credentials", next=safe_next(str(submitted.get("next", "")) or None))


@page
async def credentials(request: Request):
    """Shows one-time passwords exactly once; afterwards only the printable letter remains (once)."""
    user = actor(request)
    token = request.session.pop(CREDENTIALS, None)
    batch = None
    if token:
        try:
            batch = CredentialsBatch.from_dict(await handover.take_json(token, handover.CREDENTIALS, user,
                                                                        consume=False))
        except handover.HandoverGone:
            batch = None
        else:
            old = request.session.get(LETTERS)
            if old and old != token:
                await handover.discard(old)
            request.session[LETTERS] = token
    return render(request, "accounts/credentials.html", page_title=_("One-time password"), batch=batch,
                  printable=LETTERS in request.session, next=safe_next(request.query_params.get("next")),
                  notice=take_notice(request))


@page
async def credentials_letters(request: Request):
    user = actor(request)
    await form(request)
    token = request.session.pop(LETTERS, None)
    return await letters_response(request, user, token)


routes = [
    Route("/admin/users", users_index),
    Route("/admin/users/new", user_new, methods=["GET", "POST"]),
    Route("/admin/users/{user_id}", user_detail),
    Route("/admin/users/{user_id}/edit", user_edit, methods=["GET", "POST"]),
    Route("/admin/users/{user_id}/deactivate", user_deactivate, methods=["GET", "POST"]),
    Route("/admin/users/{user_id}/reactivate", user_reactivate, methods=["POST"]),
    Route("/admin/users/{user_id}/delete", user_delete, methods=["GET", "POST"]),
    Route("/admin/users/{user_id}/password-reset", user_password_reset, methods=["POST"]),
    Route("/credentials", credentials),
    Route("/credentials/letters", credentials_letters, methods=["POST"]),
]
