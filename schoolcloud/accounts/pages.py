"""Helpers shared by the accounts pages: the acting user, form errors, notices after a redirect, the
one-time password hand-over and the access-letter download."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from schoolcloud.accounts import handover
from schoolcloud.accounts.models import User
from schoolcloud.accounts.services_base import CredentialsBatch, client_ip, render_letters_pdf
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import ValidationError
from schoolcloud.web.i18n import current_locale, gettext_

FLASH = "accounts_notice"
CREDENTIALS = "accounts_credentials"  # session key: token of one-time passwords not yet shown
LETTERS = "accounts_letters"  # session key: token of passwords already shown, printable once


def actor(request: Request) -> User:
    """The logged-in user (the ``page`` decorator has loaded it); remembers the address for the audit."""
    client_ip.set(request.client.host if request.client else None)
    return request.state.user


def redirect(path: str, **query) -> RedirectResponse:
    clean = {k: v for k, v in query.items() if v not in (None, "")}
    return RedirectResponse(f"{path}?{urlencode(clean)}" if clean else path, status_code=303)


def notify(request: Request, message_id: str, **params) -> None:
    """A notice for the next page (Post/Redirect/Get); message ids are translated when shown."""
    request.session[FLASH] = [message_id, params]


def take_notice(request: Request) -> str | None:
    stored = request.session.pop(FLASH, None)
    if not stored:
        return None
    message_id, params = stored
    return gettext_(message_id, **params)


def errors_by_field(exc: ValidationError) -> dict[str, str]:
    locale = current_locale.get()
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(error.field or "_form", error.text(locale))
    return errors


def form_values(form, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name, "") or "") for name in names}


async def form(request: Request):
    """The submitted form, refused without this session's CSRF token."""
    return await checked_form(request)


# --- one-time passwords: shown once, printable once ---------------------------------------------------


async def hand_over_credentials(request: Request, user: User, batch: CredentialsBatch) -> None:
    """Seal freshly set passwords and remember the token in the session for the next page only.

    The page /credentials shows them once (it removes the token from the session and keeps it only in
    its download form); the letter download then deletes the hand-over. See accounts/handover.py.
    """
    old = request.session.pop(CREDENTIALS, None)
    if old:
        await handover.discard(old)
    request.session[CREDENTIALS] = await handover.seal_json(handover.CREDENTIALS, user, batch.as_dict())


async def hand_over_letters(request: Request, user: User, batch: CredentialsBatch, key: str = LETTERS) -> None:
    """Seal passwords that are only printed, never shown (an import's access letters)."""
    old = request.session.pop(key, None)
    if old:
        await handover.discard(old)
    request.session[key] = await handover.seal_json(handover.CREDENTIALS, user, batch.as_dict())


async def letters_response(request: Request, user: User, token: str | None,
                           filename: str = "zugangsdaten.pdf") -> Response:
    """Consume a credentials hand-over and answer with the access letters (the passwords' last appearance)."""
    batch = CredentialsBatch.from_dict(await handover.take_json(token, handover.CREDENTIALS, user))
    pdf = await render_letters_pdf(batch, locale=current_locale.get(),
                                   login_url=f"{request.app.state.settings.base_url}/login")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
