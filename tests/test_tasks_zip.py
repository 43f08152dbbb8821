"""All submissions of a task as one ZIP: one folder per pupil or group with safe, unique names, the
latest version's files, written while the objects are read (memory stays at about one chunk)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from schoolcloud.accounts.models import Role, School
from schoolcloud.files import content
from schoolcloud.files.context import MB, FilesContext, Limits
from schoolcloud.tasks import downloads, submissions, workfolders
from schoolcloud.tasks.downloads import safe_name, unique_in
from schoolcloud.tasks.models import WorkPurpose
from storage.local import LocalStore
from tests.support.data import make_member
from tests.support.tasks import course_with, make_task


def test_safe_names():
    assert safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert safe_name("CON") == "_CON" and safe_name("nul.txt") == "_nul.txt"
    assert safe_name('a:b*c?"d<e>f|g\\h') == "a_b_c__d_e_f_g_h"
    assert safe_name(" Bericht. ") == "Bericht"
    assert safe_name("\x00\x1f") == "__" and safe_name("") == "_" and safe_name("...") == "_"
    assert len(safe_name("x" * 300)) == 100
    taken: set[str] = set()
    assert [unique_in(n, taken) for n in ("Abgabe.txt", "abgabe.TXT", "Abgabe.txt", "README")] == \
        ["Abgabe.txt", "abgabe (2).TXT", "Abgabe (3).txt", "README"]


async def _chunks(data: bytes, size: int = 256 * 1024):
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def test_zip_has_a_folder_per_pupil_and_streams_in_small_pieces(app):
    course, teacher, (anna, ben) = await course_with()
    # a second pupil with the very same name: the username keeps the folders apart
    twin = await make_member(await School.get(id=course.school_id), Role.PUPIL, given_name=anna.given_name,
                             family_name=anna.family_name)
    await course.pupils.add(twin)
    task = await make_task(teacher, course, title="Foto/Projekt: Teil 1")
    # The app's own store: the version rows land in the shared test database, where a later fsck of the
    # app must find their objects.
    ctx = FilesContext(LocalStore(app.var_dir / "objects"),
                       Limits(max_upload_bytes=100 * MB, quota_pupil_bytes=100 * MB, quota_teacher_bytes=100 * MB,
                              quota_group_bytes=100 * MB, trash_days=30, upload_expiry=timedelta(hours=1)))
    big = bytes(range(256)) * (12 * 1024 * 16)  # 12 MiB
    for pupil, files in ((anna, {"bild.jpg": big, "../böse.txt": b"x"}), (twin, {"bild.jpg": b"zwilling"})):
        folder = await workfolders.work_folder(pupil, task, WorkPurpose.SUBMISSION)
        for name, data in files.items():
            await content.upload(ctx, pupil, folder.id, name.replace("/", "_"), _chunks(data))
        await submissions.submit(pupil, task.id, f"Text von {pupil.username}")
    name, entries = await downloads.zip_entries(teacher, task.id)
    assert name == f"{course.name} - Foto_Projekt_ Teil 1.zip"
    pieces = []
    async for piece in downloads.zip_stream(ctx, entries):
        pieces.append(len(piece))
    assert max(pieces) < 2 * MB, max(pieces)  # never the whole 12 MiB file at once
    archive = b"".join([chunk async for chunk in downloads.zip_stream(ctx, entries)])
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert zf.testzip() is None
        names = sorted(zf.namelist())
        anna_folder = f"{anna.family_name}, {anna.given_name} ({anna.username})"
        twin_folder = f"{twin.family_name}, {twin.given_name} ({twin.username})"
        assert names == sorted([f"{anna_folder}/Abgabe.txt", f"{anna_folder}/_böse.txt", f"{anna_folder}/bild.jpg",
                                f"{twin_folder}/Abgabe.txt", f"{twin_folder}/bild.jpg"])
        assert zf.read(f"{anna_folder}/bild.jpg") == big
        assert zf.read(f"{twin_folder}/bild.jpg") == b"zwilling"
        assert all(".." not in part for n in names for part in n.split("/")[:-1])
    await ctx.store.close()
