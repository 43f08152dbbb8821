"""Pieces every accounts service uses: paging, audit with the request's address, one-time passwords,
access letters."""

from __future__ import annotations

import contextvars
import math
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from schoolcloud.accounts import csv_import, letters
from schoolcloud.accounts.models import SchoolClass, User
from schoolcloud.accounts.passwords import hash_one_time_password
from schoolcloud.privacy import audit

T = TypeVar("T")
MAX_PER_PAGE = 200

# The client address of the current request, for the audit trail (truncated there). Routes set it; the
# CLI leaves it empty. A context variable keeps it out of every service signature.
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("accounts_client_ip", default=None)


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def page_bounds(page: int | str | None, per_page: int | str | None, default: int = 50) -> tuple[int, int]:
    def number(value, fallback: int) -> int:
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            return fallback

    return number(page, 1), min(MAX_PER_PAGE, number(per_page, default))


async def record(action: str, actor: User, *, school_id: int | None, target_type: str = "",
                 target_id: str | int = "", details: dict | None = None) -> None:
    """Audit without names: the actor and targets appear by public id / row id only."""
    await audit.record(action, actor=actor, school_id=school_id, target_type=target_type,
                       target_id=str(target_id), details=details or {}, ip=client_ip.get())


@dataclass
class Credentials:
    """A one-time password just set for an account; exists only until it is shown or printed."""

    public_id: str
    given_name: str
    family_name: str
    username: str
    password: str
    class_name: str | None = None
    role: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def letter(self) -> letters.AccessLetter:
        return letters.AccessLetter(given_name=self.given_name, family_name=self.family_name,
                                    class_name=self.class_name or None, username=self.username,
                                    password=self.password)


@dataclass
class CredentialsBatch:
    school_name: str
    items: list[Credentials] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"school_name": self.school_name, "items": [c.as_dict() for c in self.items]}

    @classmethod
    def from_dict(cls, data: dict) -> "CredentialsBatch":
        return cls(data["school_name"], [Credentials(**item) for item in data["items"]])


async def new_one_time_password() -> tuple[str, str]:
    """(password, hash); hashing runs in a worker thread so the event loop stays free."""
    password = csv_import.initial_password()
    return password, await run_in_threadpool(hash_one_time_password, password)


async def current_class_name(user: User) -> str | None:
    """The class a pupil is in for the latest school year (letters print it)."""
    school_class = await SchoolClass.filter(members__id=user.id).order_by("-school_year", "name").first()
    return school_class.name if school_class else None


async def render_letters_pdf(batch: CredentialsBatch, *, locale: str, login_url: str) -> bytes:
    """One page per account, grouped by class (WeasyPrint runs in a worker thread)."""
    locale = locale if locale in letters.TEXTS else "de"
    return await run_in_threadpool(letters.render_access_letters, batch.school_name,
                                   [c.letter() for c in batch.items], locale=locale, login_url=login_url)
