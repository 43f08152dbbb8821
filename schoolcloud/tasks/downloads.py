"""Files of a task for the people who may see them: material, handed-in files, feedback files, and all
submissions of a task as one ZIP.

Pupils' and teachers' files live in their owners' personal spaces; here the task's rules decide
(``access``), and a handed-in file is served in exactly the version that was handed in.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace

from schoolcloud.accounts.models import User
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import FileVersion
from schoolcloud.tasks import access, workfolders
from schoolcloud.tasks.models import FeedbackFile, Submission, SubmissionVersion, SubmittedFile, TaskMember
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_
from storage import ObjectNotFound, StorageError

def file_gone() -> AppError:
    return AppError("file_gone", N_("This file is no longer available: its owner has deleted it."), status=410)


@dataclass
class Served:
    """What to hand to ``serving.file_response``: a name and the exact file version."""

    node: SimpleNamespace
    version: FileVersion


async def attachment(user: User, task_id, node_id) -> Served:
    view = await access.task_view(user, task_id)
    node_id = access.as_int(node_id, "file")
    for state in await workfolders.attachments(view.task.id):
        if state.node.id == node_id:
            return Served(SimpleNamespace(name=state.node.name), state.version)
    raise NotFound("file")


async def submitted_file(user: User, file_id) -> Served:
    row = await SubmittedFile.get_or_none(id=access.as_int(file_id, "file")).select_related("version", "file_version")
    if row is None:
        raise NotFound("file")
    await access.submission_view(user, row.version.submission_id)
    if row.file_version is None:
        raise file_gone()
    return Served(SimpleNamespace(name=row.name), row.file_version)


async def feedback_file(user: User, file_id) -> Served:
    row = await FeedbackFile.get_or_none(id=access.as_int(file_id, "file")).select_related("submission", "file_version")
    if row is None:
        raise NotFound("file")
    view, submission = await access.submission_view(user, row.submission_id)
    if not view.is_teacher and submission.feedback_released_at is None:
        raise NotFound("file")
    if row.file_version is None:
        raise file_gone()
    return Served(SimpleNamespace(name=row.name), row.file_version)


# -- all submissions as one ZIP -----------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_name(text: str, fallback: str = "_") -> str:
    """A path segment every unzip tool and file system accepts: no separators, control or reserved
    characters, no trailing dots or spaces, no DOS device names, at most 100 characters."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", text or ""))
    name = " ".join(name.split()).strip(" .")[:100].strip(" .")
    if not name or name.split(".")[0].upper() in _RESERVED:
        name = f"_{name}" if name else fallback
    return name


def unique_in(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    stem, dot, ext = name.rpartition(".")
    while candidate.casefold() in taken:
        candidate = f"{stem} ({number}).{ext}" if dot and stem else f"{name} ({number})"
        number += 1
    taken.add(candidate.casefold())
    return candidate


@dataclass
class ZipEntry:
    path: str
    version: FileVersion | None = None
    text: str | None = None


class _Sink:
    """A write-only, non-seekable file for zipfile: it collects what was written until taken. zipfile
    then writes data descriptors after each entry, so nothing needs to be seeked back."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.position = 0

    def write(self, data) -> int:
        self.buffer += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


async def zip_entries(user: User, task_id) -> tuple[str, list[ZipEntry]]:
    """The archive's name and entries: one folder per pupil (or group) with the latest version's
    files and its text, for the task's teachers only."""
    view = await access.teacher_view(user, task_id)
    task = view.task
    submissions = await Submission.filter(task_id=task.id).select_related("pupil", "group")
    newest: dict[int, SubmissionVersion] = {}
    for version in await SubmissionVersion.filter(submission_id__in=[s.id for s in submissions]) \
            .order_by("submission_id", "number"):
        newest[version.submission_id] = version  # the highest number wins
    files: dict[int, list[SubmittedFile]] = {}
    for row in await SubmittedFile.filter(version_id__in=[v.id for v in newest.values()]) \
            .select_related("file_version").order_by("name", "id"):
        files.setdefault(row.version_id, []).append(row)
    members: dict[int, list[str]] = {}
    if task.group_submission:
        for m in await TaskMember.filter(task_id=task.id, group_id__not_isnull=True).select_related("pupil"):
            members.setdefault(m.group_id, []).append(m.pupil.display_name)
    folders: set[str] = set()
    entries: list[ZipEntry] = []
    for submission in sorted(submissions, key=lambda s: _label(s).casefold()):
        version = newest.get(submission.id)
        if version is None:
            continue
        folder = unique_in(safe_name(_label(submission)), folders)
        names: set[str] = set()
        text = version.text
        if task.group_submission:
            text = "\n".join([", ".join(members.get(submission.group_id, [])), "", text]).strip()
        if text:
            entries.append(ZipEntry(f"{folder}/{unique_in('Abgabe.txt', names)}", text=text + "\n"))
        for row in files.get(version.id, []):
            name = unique_in(safe_name(row.name, "Datei"), names)
            if row.file_version is None:
                entries.append(ZipEntry(f"{folder}/{name}.fehlt.txt",
                                        text="Die Datei wurde von ihrer Besitzerin oder ihrem Besitzer gelöscht.\n"
                                             "The file was deleted by its owner.\n"))
            else:
                entries.append(ZipEntry(f"{folder}/{name}", version=row.file_version))
    archive = safe_name(f"{task.course.name} - {task.title}", "Abgaben") + ".zip"
    return archive, entries


def _label(submission: Submission) -> str:
    if submission.group_id is not None:
        return submission.group.name
    pupil = submission.pupil
    return f"{pupil.family_name}, {pupil.given_name} ({pupil.username})"


def _info(path: str, size: int, when: datetime) -> zipfile.ZipInfo:
    local = when.astimezone(timezone.utc)
    info = zipfile.ZipInfo(path, date_time=(max(local.year, 1980), local.month, local.day, local.hour,
                                            local.minute, local.second))
    info.compress_type = zipfile.ZIP_STORED  # pupils' files are mostly compressed already; no CPU spent
    info.file_size = size  # lets zipfile choose ZIP64 for entries over 4 GB
    return info


async def zip_stream(ctx: FilesContext, entries: list[ZipEntry]) -> AsyncIterator[bytes]:
    """The archive, written as the objects are read: memory stays at about one chunk of the store."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True)
    for entry in entries:
        if entry.version is None:
            data = entry.text.encode("utf-8")
            with archive.open(_info(entry.path, len(data), datetime.now(timezone.utc)), "w") as out:
                out.write(data)
            yield sink.take()
            continue
        version = entry.version
        try:
            stream = await ctx.store.open(version.object_key)
        except (ObjectNotFound, StorageError):
            data = "Die Datei fehlt im Speicher. / The file is missing from the storage.\n".encode()
            with archive.open(_info(entry.path + ".fehlt.txt", len(data), datetime.now(timezone.utc)), "w") as out:
                out.write(data)
            yield sink.take()
            continue
        async with stream:
            with archive.open(_info(entry.path, version.size, version.created_at), "w") as out:
                async for chunk in stream:
                    out.write(chunk)
                    if len(sink.buffer) >= 64 * 1024:
                        yield sink.take()
        yield sink.take()
    archive.close()
    yield sink.take()
