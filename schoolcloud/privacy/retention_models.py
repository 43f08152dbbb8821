"""Retention rules of a school and the record of its school-year changes."""

from tortoise import fields
from tortoise.models import Model


class RetentionPolicy(Model):
    """How long a school keeps what it no longer needs, in days (privacy/RETENTION.md), one row per school.
    A school without a row uses the defaults of ``retention_rules.RULES``. (No semicolon in the first line:
    Tortoise splits migration SQL at them, table comments included.)"""

    id = fields.IntField(primary_key=True)
    school = fields.OneToOneField("models.School", related_name="retention_policy", on_delete=fields.CASCADE)
    leavers_days = fields.IntField()
    # None: the instance's SCHOOLCLOUD_TRASH_DAYS.
    trash_days = fields.IntField(null=True)
    audit_days = fields.IntField()
    links_days = fields.IntField()
    notifications_days = fields.IntField()
    # None: task records of erased teachers are kept as long as their task (tasks/records.py).
    task_records_days = fields.IntField(null=True)
    # Names of the rules an administrator saved (saw on the form and agreed to): a rule whose default
    # deletes is applied only once confirmed (privacy/RETENTION.md "New rules"). NULL: none.
    confirmed = fields.JSONField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.CharField(max_length=64, default="", description="pseudonym (public id)")

    class Meta:
        table = "privacy_retention_policy"


class SchoolYearChange(Model):
    """One school-year change of one school: the unique key makes a second run for the same year fail."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="school_year_changes", on_delete=fields.CASCADE)
    from_year = fields.CharField(max_length=9)
    to_year = fields.CharField(max_length=9)
    done_at = fields.DatetimeField()
    done_by = fields.CharField(max_length=64, default="", description="pseudonym (public id)")
    summary = fields.JSONField(default=dict)

    class Meta:
        table = "privacy_school_year_change"
        unique_together = (("school", "from_year"),)
