"""Spaces, the folder/file tree inside them, file versions and resumable (tus) uploads.

See ``schoolcloud/files/README.md`` for how the pieces fit and what later work (sharing, links, teams,
previews) hooks into.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SpaceKind:
    PERSONAL = "personal"
    CLASS = "class"
    COURSE = "course"
    TEAM = "team"
    # A course's task material and given feedback, kept for its pupils when the teacher who uploaded
    # them is erased (tasks/records.py). Nobody reaches it through the files layer: only the tasks'
    # own rules serve its files.
    TASK_RECORDS = "task_records"
    ALL = (PERSONAL, CLASS, COURSE, TEAM, TASK_RECORDS)


class NodeKind:
    FOLDER = "folder"
    FILE = "file"


class Space(Model):
    """A storage area with its own quota and root folder: a personal, class or course space.

    A user's personal space, the group space of a class, course or team, or a course's task records.
    Exactly one of ``owner``, ``school_class``, ``course``, ``team``, ``records_course`` is set, matching
    ``kind``; each has at most one space (unique), created lazily on first use."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="file_spaces", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=16)
    owner = fields.ForeignKeyField("models.User", related_name="personal_spaces", null=True, unique=True,
                                   on_delete=fields.CASCADE)
    school_class = fields.ForeignKeyField("models.SchoolClass", related_name="file_spaces", null=True,
                                          unique=True, on_delete=fields.CASCADE)
    course = fields.ForeignKeyField("models.Course", related_name="file_spaces", null=True, unique=True,
                                    on_delete=fields.CASCADE)
    team = fields.ForeignKeyField("models.Team", related_name="file_spaces", null=True, unique=True,
                                  on_delete=fields.CASCADE)
    records_course = fields.ForeignKeyField("models.Course", related_name="task_record_spaces", null=True,
                                            unique=True, on_delete=fields.CASCADE)
    pupils_may_write = fields.BooleanField(default=False)
    # None: the default for the kind (and, for personal spaces, the owner's role) from the settings.
    quota_bytes = fields.BigIntField(null=True)
    # Sum of the sizes of every version of every file in the space, trash included; changed only in the
    # transaction that adds or removes version rows (conditional update, so the quota holds across
    # concurrent uploads on several app instances). `schoolcloud fsck` recomputes it.
    used_bytes = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "file_space"
        indexes = (("school_id", "kind"),)


class Node(Model):
    """A folder or file in the tree of a space.

    The root folder of a space has no parent and an empty name; every other node has a parent in the
    same space.

    Trash: deleting a node sets ``trashed_at`` on it and ``trash_key`` = its id on it and on every live
    node below it; live nodes have ``trash_key`` 0. Names are unique per (parent, name_key) among live
    nodes through the unique index including ``trash_key``; trashed subtrees keep their own names.
    ``name_key`` is the case-folded name, so "Bericht.pdf" and "bericht.pdf" cannot sit side by side
    (Windows and macOS clients could not tell them apart).

    Files carry the size, type and sha256 of their current (= latest) version, so that listings need no
    join.
    """

    id = fields.IntField(primary_key=True)
    space = fields.ForeignKeyField("models.Space", related_name="nodes", on_delete=fields.CASCADE)
    parent = fields.ForeignKeyField("models.Node", related_name="children", null=True,
                                    on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=8)
    name = fields.CharField(max_length=255)
    name_key = fields.CharField(max_length=1024)
    size = fields.BigIntField(default=0)
    content_type = fields.CharField(max_length=255, default="")
    sha256 = fields.CharField(max_length=64, default="")
    trash_key = fields.IntField(default=0)
    trashed_at = fields.DatetimeField(null=True)
    trashed_by = fields.ForeignKeyField("models.User", related_name="trashed_file_nodes", null=True,
                                        on_delete=fields.SET_NULL)
    created_by = fields.ForeignKeyField("models.User", related_name="created_file_nodes", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Last change of the content (files) or of the entries (folders); not touched by a rename.
    modified_at = fields.DatetimeField()

    class Meta:
        table = "file_node"
        unique_together = (("parent", "trash_key", "name_key"),)
        indexes = (
            # listing a folder: folders first, then by name
            ("parent_id", "trash_key", "kind", "name_key"),
            # search by name within spaces, and the space's root
            ("space_id", "trash_key", "name_key"),
            # trash listings and the purge
            ("trashed_at",),
        )

    @property
    def is_folder(self) -> bool:
        return self.kind == NodeKind.FOLDER

    @property
    def is_trashed(self) -> bool:
        return self.trash_key != 0


class FileVersion(Model):
    """The bytes of one state of a file: an object in the store.

    The latest row of a node is its current content; overwriting adds a row, restoring an old version adds a copy of it as a new row.

    The row is written only after the object exists ("Data that must not be lost"); an object without
    a row is an orphan that `schoolcloud fsck --repair` removes.
    """

    id = fields.IntField(primary_key=True)
    node = fields.ForeignKeyField("models.Node", related_name="versions", on_delete=fields.CASCADE)
    object_key = fields.CharField(max_length=255, unique=True)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    content_type = fields.CharField(max_length=255)
    created_by = fields.ForeignKeyField("models.User", related_name="file_versions", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Set by `schoolcloud fsck --repair` when the object is gone; cleared again if it reappears (a
    # restored backup). The row is kept: deleting rows because a store looked empty would turn a
    # misconfigured bucket into data loss.
    missing_at = fields.DatetimeField(null=True)

    class Meta:
        table = "file_version"
        indexes = (("node_id", "id"),)


class TusUpload(Model):
    """A resumable upload (tus 1.0) in progress or recently finished.

    Everything lives in the database and the object store, never in the memory or on the disk of one app instance, so any instance can continue it: each
    PATCH body becomes one part object (a ``TusPart`` row); on the last byte the parts are concatenated
    into the file's object and removed. A finished upload keeps its row (``completed_at``, ``node``)
    until it expires, so a client asking for the offset again learns that it is done.

    An upload belongs to a logged-in ``user``, or (file drops, no account) to the ``link`` it came
    through; revoking the link removes its unfinished uploads (a finished one keeps its row, ``link`` null)."""

    id = fields.CharField(max_length=32, primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="tus_uploads", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="tus_uploads", null=True, on_delete=fields.CASCADE)
    link = fields.ForeignKeyField("models.PublicLink", related_name="tus_uploads", null=True,
                                  on_delete=fields.SET_NULL)
    folder = fields.ForeignKeyField("models.Node", related_name="tus_uploads", on_delete=fields.CASCADE)
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=255, default="")
    on_conflict = fields.CharField(max_length=16, default="fail")
    total_size = fields.BigIntField()  # Upload-Length
    received = fields.BigIntField(default=0)  # Upload-Offset: bytes stored in parts so far
    node = fields.ForeignKeyField("models.Node", related_name="finished_tus_uploads", null=True,
                                  on_delete=fields.SET_NULL)
    completed_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "file_tus_upload"


class TusPart(Model):
    """One received piece of a tus upload: bytes ``first_byte`` .. ``first_byte + size`` of the file."""

    id = fields.IntField(primary_key=True)
    upload = fields.ForeignKeyField("models.TusUpload", related_name="parts", on_delete=fields.CASCADE)
    first_byte = fields.BigIntField()
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)  # of this part: a one-part upload becomes the version as is
    object_key = fields.CharField(max_length=255, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "file_tus_part"
        unique_together = (("upload", "first_byte"),)


class PreviewStatus:
    PENDING = "pending"
    WORKING = "working"
    READY = "ready"
    FAILED = "failed"


class Preview(Model):
    """The thumbnail of one file version (images, the first page of PDFs), made in the background.

    The background worker (``schoolcloud.files.previews``) adds a ``pending`` row for every new version
    of a previewable type, claims it with a conditional UPDATE (so several app instances never work on
    the same row), and stores the small WebP thumbnail in the row itself: it is a few KB, goes away with
    its version (cascade), and leaves the object store (and ``schoolcloud fsck``) untouched."""

    id = fields.IntField(primary_key=True)
    version = fields.OneToOneField("models.FileVersion", related_name="preview", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=8, default=PreviewStatus.PENDING)
    attempts = fields.IntField(default=0)
    claimed_at = fields.DatetimeField(null=True)
    content_type = fields.CharField(max_length=32, default="")
    data = fields.BinaryField(null=True)
    error = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "file_preview"
        indexes = (("status", "id"),)


class DataKey(Model):
    """A data key of encryption at rest (see ``keyring.py``): 32 random bytes, stored only wrapped by the
    master key ``SCHOOLCLOUD_ENCRYPTION_KEY``. One per scope: ``school:<id>``, or ``instance`` for
    objects written outside any school. The id is what an encrypted object's header names."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharField(max_length=64, unique=True)
    wrapped = fields.CharField(max_length=128, description="base64 of nonce + AES-GCM(master key, data key)")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "files_data_key"
