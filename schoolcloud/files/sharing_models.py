"""Shares (a node given to users, classes, courses or teams) and public links (download or file drop).

See the "Sharing" section of ``schoolcloud/files/README.md``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RecipientKind:
    USER = "user"
    CLASS = "class"
    COURSE = "course"
    TEAM = "team"
    ALL = (USER, CLASS, COURSE, TEAM)


class Share(Model):
    """Read (or read-write) access to a node and everything below it for one recipient: exactly one of
    ``user`` / ``school_class`` / ``course`` / ``team`` is set."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="file_shares", on_delete=fields.CASCADE)
    node = fields.ForeignKeyField("models.Node", related_name="shares", on_delete=fields.CASCADE)
    created_by = fields.ForeignKeyField("models.User", related_name="created_file_shares", null=True,
                                        on_delete=fields.SET_NULL)
    user = fields.ForeignKeyField("models.User", related_name="received_file_shares", null=True,
                                  on_delete=fields.CASCADE)
    school_class = fields.ForeignKeyField("models.SchoolClass", related_name="file_shares", null=True,
                                          on_delete=fields.CASCADE)
    course = fields.ForeignKeyField("models.Course", related_name="file_shares", null=True,
                                    on_delete=fields.CASCADE)
    team = fields.ForeignKeyField("models.Team", related_name="file_shares", null=True, on_delete=fields.CASCADE)
    # "user:12", "class:3", "course:7" or "team:5": the recipient in one column, so that the unique
    # (node, recipient_key) makes a second identical share impossible, also when two are created at the
    # same moment (a unique index over the four nullable columns would not: NULLs never collide).
    recipient_key = fields.CharField(max_length=32)
    can_write = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "file_share"
        indexes = (("user_id",), ("school_class_id",), ("course_id",), ("team_id",))
        unique_together = (("node", "recipient_key"),)

    @property
    def recipient_kind(self) -> str:
        if self.user_id:
            return RecipientKind.USER
        if self.school_class_id:
            return RecipientKind.CLASS
        if self.course_id:
            return RecipientKind.COURSE
        return RecipientKind.TEAM

    @property
    def recipient_id(self) -> int:
        return self.user_id or self.school_class_id or self.course_id or self.team_id


def recipient_key(kind: str, recipient_id: int) -> str:
    return f"{kind}:{recipient_id}"


class LinkMode:
    DOWNLOAD = "download"  # read the file, or the folder and everything below it
    DROP = "drop"  # upload-only into a folder; nothing can be seen
    ALL = (DOWNLOAD, DROP)


class PublicLink(Model):
    """A link anyone holding the random ``token`` can use, without an account."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True)
    school = fields.ForeignKeyField("models.School", related_name="file_links", on_delete=fields.CASCADE)
    node = fields.ForeignKeyField("models.Node", related_name="public_links", on_delete=fields.CASCADE)
    created_by = fields.ForeignKeyField("models.User", related_name="created_file_links", null=True,
                                        on_delete=fields.SET_NULL)
    mode = fields.CharField(max_length=16, default=LinkMode.DOWNLOAD)
    # Shown to the link's visitors as its title (e.g. "Abgabe Erörterung bis Freitag"); empty: the name of
    # the linked file or folder. The only thing of the owner's a visitor sees is what the owner chose.
    label = fields.CharField(max_length=100, default="", db_default="")
    password_hash = fields.CharField(max_length=255, null=True)
    expires_at = fields.DatetimeField(null=True)
    max_downloads = fields.IntField(null=True)
    downloads = fields.IntField(default=0)  # counted by a conditional UPDATE, never past max_downloads
    uploads = fields.IntField(default=0)
    failed_attempts = fields.IntField(default=0)  # wrong passwords since the last lockout
    locked_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "file_public_link"
        indexes = (("node_id",),)
