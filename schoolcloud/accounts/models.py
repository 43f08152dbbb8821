"""Schools and the people in them. Every row that belongs to a school carries its ``school`` key."""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.models import Model


class Role:
    PUPIL = "pupil"
    TEACHER = "teacher"
    SCHOOL_ADMIN = "school_admin"
    OPERATOR = "operator"
    ALL = (PUPIL, TEACHER, SCHOOL_ADMIN, OPERATOR)
    # Acts for a school carrier (Schulträger), without a school: see schoolcloud/planning.
    CARRIER = "carrier"


class School(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    # Amtliche Schulnummer; external IdPs name the school by it.
    school_number = fields.CharField(max_length=32, unique=True, null=True)
    state = fields.CharField(max_length=2, default="", description="Land code, e.g. NI, NW, BY")
    # The controller's contact details and its data protection officer, for the record of processing
    # activities (Art. 30(1)(a) GDPR); entered by the school's administrators (privacy/school_contact.py).
    street = fields.CharField(max_length=200, default="", db_default="")
    postal_code = fields.CharField(max_length=10, default="", db_default="")
    city = fields.CharField(max_length=100, default="", db_default="")
    phone = fields.CharField(max_length=40, default="", db_default="")
    email = fields.CharField(max_length=254, default="", db_default="")
    head_name = fields.CharField(max_length=200, default="", db_default="")
    dpo_name = fields.CharField(max_length=200, default="", db_default="")
    dpo_email = fields.CharField(max_length=254, default="", db_default="")
    dpo_phone = fields.CharField(max_length=40, default="", db_default="")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "school"


class User(Model):
    id = fields.IntField(primary_key=True)
    # Stable, non-guessable subject identifier (OIDC `sub` of the embedded IdP, pseudonym in logs).
    public_id = fields.UUIDField(default=uuid.uuid4, unique=True)
    school = fields.ForeignKeyField("models.School", related_name="users", null=True, on_delete=fields.CASCADE)
    role = fields.CharField(max_length=16, db_index=True)
    username = fields.CharField(max_length=150, unique=True)
    given_name = fields.CharField(max_length=100)
    family_name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=254, null=True)
    birth_date = fields.DateField(null=True)
    password_hash = fields.CharField(max_length=255, null=True)
    must_change_password = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)
    # When the person left the school (set by the school-year change); a leaver cannot log in, and the
    # school's retention rule deletes the account that many days later (privacy/RETENTION.md).
    left_at = fields.DatetimeField(null=True)
    # Set for accounts provisioned by an external IdP.
    external_issuer = fields.CharField(max_length=255, null=True)
    external_subject = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "user_account"
        unique_together = (("external_issuer", "external_subject"),)
        indexes = (("school_id", "role", "family_name"),)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class SchoolClass(Model):
    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="classes", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=32)
    grade_level = fields.SmallIntField()
    school_year = fields.CharField(max_length=9, description="e.g. 2026/27")
    members = fields.ManyToManyField(
        "models.User", related_name="classes", through="class_member", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "school_class"
        unique_together = (("school", "school_year", "name"),)


class Course(Model):
    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="courses", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=100)
    subject = fields.CharField(max_length=100, default="")
    school_year = fields.CharField(max_length=9)
    classes = fields.ManyToManyField(
        "models.SchoolClass", related_name="courses", through="course_class", on_delete=fields.CASCADE
    )
    teachers = fields.ManyToManyField(
        "models.User", related_name="taught_courses", through="course_teacher", on_delete=fields.CASCADE
    )
    pupils = fields.ManyToManyField(
        "models.User", related_name="attended_courses", through="course_pupil", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "course"
        unique_together = (("school", "school_year", "name"),)


class Handover(Model):
    """A short-lived, single-use, encrypted hand-over between two requests (see accounts/handover.py).

    Holds an uploaded class list between preview and commit, and freshly generated one-time passwords
    between the request that made them and the one that prints them. The key is not stored here: it
    travels with the token the client holds, so a database dump alone reveals nothing.
    """

    id = fields.CharField(max_length=32, primary_key=True)
    kind = fields.CharField(max_length=32)
    actor = fields.ForeignKeyField("models.User", related_name="handovers", on_delete=fields.CASCADE)
    ciphertext = fields.BinaryField()
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_handover"
