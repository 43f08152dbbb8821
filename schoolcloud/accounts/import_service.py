"""Class-list import: preview (nothing written), then commit in one transaction.

The preview adds what only the database knows to csv_import's row checks: which rows update an existing
account (matched by csv_import.match_key within the school), which create one, which usernames are taken.
The commit repeats the preview, refuses if anything is wrong, hashes the new one-time passwords outside the
transaction (argon2 is slow, and SQLite would block every other writer meanwhile), then writes everything
in one transaction after checking that the plan still holds. Nothing is written if any step fails.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schoolcloud.accounts import csv_import
from schoolcloud.accounts.csv_import import Message, RosterPreview, RosterRow, match_key
from schoolcloud.accounts.models import Role, School, SchoolClass, User
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_base import Credentials, CredentialsBatch, new_one_time_password, record
from schoolcloud.accounts.services_users import Conflict, unique_username
from schoolcloud.auth import sessions
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
_HASHING_THREADS = max(1, min(4, os.cpu_count() or 1))  # argon2 takes 19 MiB per running hash


def _message(message: Message | AppError) -> dict:
    if isinstance(message, Message):
        return {"code": message.code, "field": message.field, "message_de": message.de, "message_en": message.en}
    return {"code": message.code, "field": message.field, "message_de": message.text("de"),
            "message_en": message.text("en")}


def localized(message: dict, locale: str) -> dict:
    return {**message, "message": message["message_en" if locale == "en" else "message_de"]}


@dataclass
class PlannedRow:
    row: RosterRow
    action: str | None = None  # create | update | unchanged; None while the row has errors
    user: User | None = None
    changes: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def username(self) -> str | None:
        return self.user.username if self.user else self.row.username


@dataclass
class ImportPreview:
    roster: RosterPreview
    rows: list[PlannedRow]
    new_classes: list[tuple[str, str]]

    @property
    def file_errors(self) -> list[dict]:
        return [_message(m) for m in self.roster.file_errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.roster.file_errors and all(not r.errors for r in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict(self.roster.counts)
        counts["rows_with_errors"] = sum(1 for r in self.rows if r.errors)
        counts["errors"] = sum(len(r.errors) for r in self.rows) + len(self.roster.file_errors)
        for action in (CREATE, UPDATE, UNCHANGED):
            counts[action] = sum(1 for r in self.rows if r.action == action)
        counts["new_classes"] = len(self.new_classes)
        return counts

    def as_json(self, locale: str) -> dict:
        return {
            "ok": self.ok,
            "school_year": self.roster.school_year,
            "encoding": self.roster.encoding,
            "delimiter": self.roster.delimiter,
            "ignored_columns": self.roster.ignored_columns,
            "counts": self.counts,
            "new_classes": [{"school_year": year, "name": name} for year, name in self.new_classes],
            "file_errors": [localized(m, locale) for m in self.file_errors],
            "rows": [{
                "line": r.row.line_no, "family_name": r.row.family_name, "given_name": r.row.given_name,
                "role": r.row.role, "class_name": r.row.class_name, "school_year": r.row.school_year,
                "birth_date": r.row.birth_date.isoformat() if r.row.birth_date else None,
                "email": r.row.email, "username": r.username, "action": r.action, "changes": r.changes,
                "user_id": str(r.user.public_id) if r.user else None,
                "errors": [localized(m, locale) for m in r.errors],
            } for r in self.rows],
        }


class ImportRejected(AppError):
    """The file has errors: 422 with every file and row error, in German and English."""

    status_code = 422

    def __init__(self, preview: ImportPreview):
        super().__init__("import_invalid", N_("The file has errors. Nothing was imported."))
        self.preview = preview

    def as_json(self, locale: str = "de") -> dict:
        body = super().as_json(locale)
        body["error"]["file_errors"] = [localized(m, locale) for m in self.preview.file_errors]
        body["error"]["rows"] = [{"line": r.row.line_no, "errors": [localized(m, locale) for m in r.errors]}
                                 for r in self.preview.rows if r.errors]
        return body


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    classes_created: int
    credentials: CredentialsBatch

    def as_json(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "classes_created": self.classes_created, "passwords_issued": len(self.credentials.items)}


# --- planning -------------------------------------------------------------------------------------------


def _names_key(person) -> tuple[str, str]:
    key = match_key(person)
    return key[0], key[1]


async def _plan(school_id: int, roster: RosterPreview) -> tuple[list[PlannedRow], list[tuple[str, str]]]:
    users = await User.filter(school_id=school_id)
    by_key: dict[tuple, list[User]] = defaultdict(list)
    undated: dict[tuple, list[User]] = defaultdict(list)  # accounts made by hand without a birth date
    for user in users:
        by_key[match_key(user)].append(user)
        if user.birth_date is None:
            undated[(*_names_key(user), user.role)].append(user)
    years = sorted({row.school_year for row in roster.rows if row.school_year})
    classes = await SchoolClass.filter(school_id=school_id, school_year__in=years).prefetch_related("members")
    existing_classes = {(c.school_year, c.name) for c in classes}
    memberships: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for school_class in classes:
        for member in school_class.members:
            memberships[member.id].add((school_class.school_year, school_class.name))
    wanted_usernames = [row.username for row in roster.rows if row.username]
    taken = set(await User.filter(username__in=wanted_usernames).values_list("username", flat=True)) \
        if wanted_usernames else set()

    planned: list[PlannedRow] = []
    claimed: dict[int, int] = {}
    new_classes: list[tuple[str, str]] = []
    for row in roster.rows:
        item = PlannedRow(row, errors=[_message(m) for m in row.errors])
        planned.append(item)
        if row.errors:
            continue
        candidates = by_key.get(match_key(row), [])
        if not candidates and row.birth_date is not None:
            candidates = undated.get((*_names_key(row), row.role), [])
        if len(candidates) > 1:
            item.errors.append(_message(AppError(
                "ambiguous_match", N_("Several accounts of the school have this name and birth date; "
                                      "please tidy them up first."))))
        elif candidates:
            user = candidates[0]
            if user.id in claimed:
                item.errors.append(_message(AppError(
                    "duplicate_match", N_("The same account as in line %(line)d."), line=claimed[user.id])))
            elif user.role != row.role:
                item.errors.append(_message(AppError(
                    "role_mismatch", N_("An account with this name and birth date exists with another role."),
                    field="role")))
            else:
                claimed[user.id] = row.line_no
                item.user = user
                item.changes = _changes(row, user, memberships[user.id])
                item.action = UPDATE if item.changes else UNCHANGED
        elif row.username and row.username in taken:
            item.errors.append(_message(AppError("username_taken", N_("This username is already taken."),
                                                 field="username")))
        else:
            item.action = CREATE
        if not item.errors and row.class_name and (row.school_year, row.class_name) not in existing_classes:
            existing_classes.add((row.school_year, row.class_name))
            new_classes.append((row.school_year, row.class_name))
    return planned, new_classes


def _changes(row: RosterRow, user: User, classes: set[tuple[str, str]]) -> list[str]:
    changes = [name for name in ("family_name", "given_name") if getattr(row, name) != getattr(user, name)]
    if row.birth_date is not None and row.birth_date != user.birth_date:
        changes.append("birth_date")
    if row.email and row.email != user.email:
        changes.append("email")
    if row.class_name:
        same_year = {name for year, name in classes if year == row.school_year}
        moved = row.role == Role.PUPIL and same_year != {row.class_name}
        if moved or row.class_name not in same_year:
            changes.append("class_name")
    return changes


async def preview_import(actor: User, data: bytes, *, school_year: str, max_bytes: int,
                         today: date | None = None) -> ImportPreview:
    """Parse and check a class list against the school's accounts. Writes nothing."""
    school_id = require_school_admin(actor)
    roster = csv_import.parse_roster(data, default_school_year=school_year, max_bytes=max_bytes, today=today)
    rows, new_classes = await _plan(school_id, roster)
    return ImportPreview(roster, rows, new_classes)


# --- commit ---------------------------------------------------------------------------------------------


async def _hash_many(count: int) -> list[tuple[str, str]]:
    limit = asyncio.Semaphore(_HASHING_THREADS)

    async def one() -> tuple[str, str]:
        async with limit:
            return await new_one_time_password()

    return list(await asyncio.gather(*(one() for _ in range(count))))


def _signature(rows: list[PlannedRow]) -> list[tuple]:
    return [(r.row.line_no, r.action == CREATE, r.user.id if r.user else None) for r in rows]


async def commit_import(actor: User, data: bytes, *, school_year: str, max_bytes: int,
                        reset_passwords: bool = False, today: date | None = None) -> ImportResult:
    """Create or update the accounts of a valid class list in one transaction.

    New accounts get a one-time password; with ``reset_passwords`` every imported account does (and its
    sessions end). The passwords are returned once, in ``credentials``, for the access letters.
    """
    school_id = require_school_admin(actor)
    preview = await preview_import(actor, data, school_year=school_year, max_bytes=max_bytes, today=today)
    if not preview.ok:
        raise ImportRejected(preview)
    school = await School.get(id=school_id)
    rows = preview.rows
    needs_password = [r for r in rows if r.action == CREATE or reset_passwords]
    passwords = dict(zip((r.row.line_no for r in needs_password), await _hash_many(len(needs_password))))
    batch = CredentialsBatch(school.name)
    try:
        async with in_transaction():
            again, _ = await _plan(school_id, preview.roster)
            if any(r.errors for r in again) or _signature(again) != _signature(rows):
                raise Conflict("import_changed", N_("Accounts of the school changed meanwhile. Please check the "
                                                    "preview again."))
            created, updated, classes_created = await _write(actor, school_id, rows, passwords, batch)
            await record("import.committed", actor, school_id=school_id, target_type="school",
                         target_id=school_id, details={
                             "rows": len(rows), "created": len(created), "updated": len(updated),
                             "classes_created": classes_created, "passwords_issued": len(batch.items),
                             "reset_passwords": reset_passwords})
    except IntegrityError:
        raise Conflict("import_changed", N_("Accounts of the school changed meanwhile. Please check the preview "
                                            "again.")) from None
    counts = preview.counts
    return ImportResult(len(created), counts[UPDATE], counts[UNCHANGED], classes_created, batch)


async def _write(actor: User, school_id: int, rows: list[PlannedRow], passwords: dict[int, tuple[str, str]],
                 batch: CredentialsBatch) -> tuple[list[User], list[User], int]:
    years = sorted({r.row.school_year for r in rows if r.row.class_name})
    classes = {(c.school_year, c.name): c
               for c in await SchoolClass.filter(school_id=school_id, school_year__in=years)}
    classes_created = 0
    for r in rows:
        key = (r.row.school_year, r.row.class_name)
        if r.row.class_name and key not in classes:
            classes[key] = await SchoolClass.create(school_id=school_id, name=r.row.class_name,
                                                    grade_level=r.row.grade_level, school_year=r.row.school_year)
            classes_created += 1
            await record("class.created", actor, school_id=school_id, target_type="class",
                         target_id=classes[key].id, details={"source": "import"})

    created: list[User] = []
    updated: list[User] = []
    # Usernames the file asks for are reserved first, so that no generated one takes them.
    assigned: set[str] = {r.row.username for r in rows if r.action == CREATE and r.row.username}
    placed: dict[int, list[User]] = defaultdict(list)
    for r in rows:
        row = r.row
        password = passwords.get(row.line_no)
        if r.action == CREATE:
            login = row.username or await unique_username(row.given_name, row.family_name, assigned)
            assigned.add(login)
            user = await User.create(school_id=school_id, role=row.role, username=login,
                                     given_name=row.given_name, family_name=row.family_name,
                                     birth_date=row.birth_date, email=row.email, password_hash=password[1],
                                     must_change_password=True)
            created.append(user)
        else:
            user = r.user
            fields = []
            for name in r.changes:
                if name != "class_name":
                    setattr(user, name, getattr(row, name))
                    fields.append(name)
            if password is not None:
                user.password_hash, user.must_change_password = password[1], True
                fields += ["password_hash", "must_change_password"]
            if fields:
                await user.save(update_fields=[*fields, "updated_at"])
            if password is not None:
                await sessions.end_all_for(user.id)
            if r.action == UPDATE or password is not None:
                updated.append(user)
        if row.class_name:
            target = classes[(row.school_year, row.class_name)]
            if row.role == Role.PUPIL and r.action != CREATE and "class_name" in r.changes:
                # Moved: a pupil is in one class per school year (earlier years stay as history).
                others = await SchoolClass.filter(school_id=school_id, school_year=row.school_year,
                                                  members__id=user.id).exclude(id=target.id)
                for school_class in others:
                    await school_class.members.remove(user)
            if r.action == CREATE or "class_name" in r.changes:
                placed[target.id].append(user)
        if password is not None:
            batch.items.append(Credentials(
                public_id=str(user.public_id), given_name=user.given_name, family_name=user.family_name,
                username=user.username, password=password[0],
                class_name=row.class_name if row.role == Role.PUPIL else None, role=row.role))
    by_id = {c.id: c for c in classes.values()}
    for class_id, members in placed.items():
        school_class = by_id[class_id]
        present = set(await school_class.members.filter(id__in=[u.id for u in members]).values_list("id", flat=True))
        new = [u for u in members if u.id not in present]
        if new:
            await school_class.members.add(*new)

    for user in created:
        await record("user.created", actor, school_id=school_id, target_type="user", target_id=user.public_id,
                     details={"role": user.role, "source": "import"})
    with_password = {c.public_id for c in batch.items}
    for user in updated:
        await record("user.updated", actor, school_id=school_id, target_type="user", target_id=user.public_id,
                     details={"source": "import", "password_reset": str(user.public_id) in with_password})
    return created, updated, classes_created
