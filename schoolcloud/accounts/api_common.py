"""Shared pieces of the accounts JSON API: the caller, JSON shapes of the models, body checks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from schoolcloud.accounts.models import Course, School, SchoolClass, User
from schoolcloud.accounts.services_base import Credentials, CredentialsBatch, Page, client_ip, render_letters_pdf
from schoolcloud.api.common import api_user, json_body
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_, current_locale

NO_STORE = {"Cache-Control": "no-store"}


async def caller(request: Request) -> User:
    """The logged-in user (session cookie; X-CSRF-Token on unsafe methods); remembers the address."""
    user = await api_user(request)
    client_ip.set(request.client.host if request.client else None)
    return user


async def body_fields(request: Request, allowed: tuple[str, ...]) -> dict:
    """The JSON object's fields; an unknown one is a 422 rather than silently ignored."""
    body = await json_body(request)
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ValidationError([AppError("unknown_field", N_("This field cannot be changed."), field=name)
                               for name in unknown])
    return body


def ok(data, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=NO_STORE)


def no_content() -> Response:
    return Response(status_code=204, headers=NO_STORE)


def wants_pdf(request: Request) -> bool:
    return "application/pdf" in request.headers.get("accept", "")


async def pdf(request: Request, batch: CredentialsBatch, filename: str) -> Response:
    data = await render_letters_pdf(batch, locale=current_locale.get(),
                                    login_url=f"{request.app.state.settings.base_url}/login")
    return Response(data, media_type="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'})


def user_json(user: User, *, classes: bool = True) -> dict:
    data = {
        "id": str(user.public_id), "username": user.username, "given_name": user.given_name,
        "family_name": user.family_name, "role": user.role, "email": user.email,
        "birth_date": user.birth_date.isoformat() if user.birth_date else None, "active": user.active,
        "must_change_password": user.must_change_password, "external": bool(user.external_issuer),
        "left_at": user.left_at.isoformat() if user.left_at else None,
    }
    if classes and user.classes._fetched:
        data["classes"] = [{"id": c.id, "name": c.name, "school_year": c.school_year} for c in user.classes]
    return data


def member_json(user: User) -> dict:
    return {"id": str(user.public_id), "username": user.username, "given_name": user.given_name,
            "family_name": user.family_name, "role": user.role, "active": user.active}


def credentials_json(credentials: Credentials) -> dict:
    return {"username": credentials.username, "initial_password": credentials.password,
            "must_change_password": True}


def class_json(school_class: SchoolClass) -> dict:
    data = {"id": school_class.id, "name": school_class.name, "grade_level": school_class.grade_level,
            "school_year": school_class.school_year}
    if school_class.members._fetched:
        members = list(school_class.members)
        data["pupil_count"] = sum(1 for m in members if m.role == "pupil")
        data["teacher_count"] = len(members) - data["pupil_count"]
    return data


def course_json(course: Course) -> dict:
    data = {"id": course.id, "name": course.name, "subject": course.subject, "school_year": course.school_year}
    if course.teachers._fetched:
        data["teachers"] = [member_json(u) for u in course.teachers]
    if course.pupils._fetched:
        data["pupils"] = [member_json(u) for u in course.pupils]
    if course.classes._fetched:
        data["classes"] = [{"id": c.id, "name": c.name} for c in course.classes]
    return data


def school_json(school: School) -> dict:
    return {"id": school.id, "name": school.name, "school_number": school.school_number, "state": school.state,
            "active": school.active}


def page_json(page: Page, items: list) -> dict:
    return {"items": items, "total": page.total, "page": page.page, "per_page": page.per_page,
            "pages": page.pages}
