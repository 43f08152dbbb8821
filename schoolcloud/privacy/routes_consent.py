"""Pages: the user's own consents (/privacy), a pupil's consents for the school administrator
(/admin/users/{id}/consents, where a parent's consent is recorded), and the class directory."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.pages import actor, errors_by_field, form, form_values, notify, redirect, take_notice
from schoolcloud.accounts.models import Role
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_users import school_user
from schoolcloud.auth.current import page
from schoolcloud.privacy import school_contact
from schoolcloud.privacy import services_consent as consent
from schoolcloud.privacy import services_restriction as restriction
from schoolcloud.privacy.routes_export import export_context
from schoolcloud.privacy.services_directory import class_directory
from schoolcloud.web.errors import AppError, Forbidden, ValidationError
from schoolcloud.web.i18n import N_
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render


async def _attempt(request: Request, work, back: str):
    """Run a consent change and come back with a notice; a refusal that belongs on the page it came from
    (given twice, nothing to withdraw, not at this age: 409) becomes the notice too."""
    try:
        message = await work()
    except AppError as exc:
        if exc.status_code != 409:
            raise
        notify(request, exc.message, **exc.params)
    else:
        notify(request, message)
    return redirect(back)


async def _index(request: Request, user, contact: dict | None = None, errors: dict | None = None,
                 status: int = 200):
    if user.school_id is None:
        raise Forbidden()
    if user.role == Role.SCHOOL_ADMIN and contact is None:
        contact = school_contact.values_of(await school_contact.school_of(user))
    return render(request, "privacy/index.html", status_code=status, page_title=_("Privacy"),
                  states=await consent.overview(user), notice=take_notice(request), contact=contact or {},
                  contact_fields=school_contact.FIELDS, contact_groups=school_contact.GROUPS, contact_errors=errors or {},
                  **await export_context(request, user, None))


@page
async def privacy_index(request: Request):
    return await _index(request, actor(request))


@page
async def save_school_contact(request: Request):
    """The school's contact details and data protection officer, for the record of processing."""
    user = actor(request)
    require_school_admin(user)
    values = form_values(await form(request), school_contact.NAMES)
    try:
        await school_contact.update_contact(user, values)
    except ValidationError as exc:
        return await _index(request, user, values, errors_by_field(exc), status=422)
    notify(request, N_("The school's contact details were saved."))
    return redirect("/privacy#contact-heading")


@page
async def give_own(request: Request):
    user = actor(request)
    await form(request)

    async def work():
        _consent, created = await consent.give_own(user, request.path_params["purpose"])
        return (N_("Thank you: your consent was recorded.") if created
                else N_("Your consent had already been recorded; nothing changed."))

    return await _attempt(request, work, "/privacy")


@page
async def withdraw_own(request: Request):
    user = actor(request)
    await form(request)

    async def work():
        await consent.withdraw_own(user, request.path_params["purpose"])
        return N_("Your consent was withdrawn. This takes effect at once.")

    return await _attempt(request, work, "/privacy")


def _pupil_url(request: Request) -> str:
    return f"/admin/users/{request.path_params['user_id']}/privacy"


@page
async def account_privacy(request: Request):
    """An account's privacy page for its school's administrator: consents (pupils), export, erasure."""
    user = actor(request)
    require_school_admin(user)
    target = await school_user(user, request.path_params["user_id"])
    states = await consent.overview(target) if target.role == Role.PUPIL else []
    return render(request, "privacy/account.html", page_title=_("Privacy: %(name)s", name=target.display_name),
                  target=target, states=states, notice=take_notice(request),
                  restriction=await restriction.restriction_of(target), is_self=target.id == user.id,
                  **await export_context(request, user, target.public_id))


@page
async def freeze(request: Request):
    user = actor(request)
    data = await form(request)

    async def work():
        _row, created = await restriction.freeze(user, request.path_params["user_id"], data.get("reason", ""))
        return (N_("The account is frozen: it cannot log in and is not changed.") if created
                else N_("The account was frozen already; nothing changed."))

    return await _attempt(request, work, _pupil_url(request))


@page
async def unfreeze(request: Request):
    user = actor(request)
    await form(request)

    async def work():
        await restriction.unfreeze(user, request.path_params["user_id"])
        return N_("The restriction was lifted.")

    return await _attempt(request, work, _pupil_url(request))


@page
async def record_parent(request: Request):
    user = actor(request)
    data = await form(request)

    async def work():
        _consent, created = await consent.record_parent(user, request.path_params["user_id"],
                                                        request.path_params["purpose"], note=data.get("note", ""))
        return (N_("The parent's consent was recorded.") if created
                else N_("The parent's consent had already been recorded; nothing changed."))

    return await _attempt(request, work, _pupil_url(request))


@page
async def withdraw_parent(request: Request):
    user = actor(request)
    await form(request)

    async def work():
        await consent.withdraw_parent(user, request.path_params["user_id"], request.path_params["purpose"])
        return N_("The parent's consent was withdrawn. This takes effect at once.")

    return await _attempt(request, work, _pupil_url(request))


@page
async def directory(request: Request):
    user = actor(request)
    return render(request, "privacy/class_directory.html", page_title=_("Class directory"),
                  classes=await class_directory(user))


routes = [
    Route("/privacy", privacy_index, methods=["GET"]),
    Route("/privacy/school-contact", save_school_contact, methods=["POST"]),
    Route("/privacy/consents/{purpose}/give", give_own, methods=["POST"]),
    Route("/privacy/consents/{purpose}/withdraw", withdraw_own, methods=["POST"]),
    Route("/privacy/class-directory", directory, methods=["GET"]),
    Route("/admin/users/{user_id}/privacy", account_privacy, methods=["GET"]),
    Route("/admin/users/{user_id}/consents/{purpose}/parent", record_parent, methods=["POST"]),
    Route("/admin/users/{user_id}/freeze", freeze, methods=["POST"]),
    Route("/admin/users/{user_id}/unfreeze", unfreeze, methods=["POST"]),
    Route("/admin/users/{user_id}/consents/{purpose}/parent/withdraw", withdraw_parent, methods=["POST"]),
]
