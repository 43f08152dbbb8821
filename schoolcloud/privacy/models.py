"""The audit trail: who did what, chained by hashes so that an edited or removed row shows."""

from tortoise import fields
from tortoise.models import Model


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="audit_events", null=True,
                                    on_delete=fields.SET_NULL)
    # Pseudonymous: the actor's public id, not a foreign key, so erasure keeps the chain intact.
    actor = fields.CharField(max_length=64, default="")
    action = fields.CharField(max_length=64, db_index=True)
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=64, default="")
    details = fields.JSONField(default=dict)
    ip = fields.CharField(max_length=64, default="", description="truncated: /24 for IPv4, /48 for IPv6")
    created_at = fields.DatetimeField()
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64, unique=True)
    # Set when the school's retention rule removed the event's content: the row keeps only what the chain
    # needs (ids, school, time, hashes); the ``audit.pruned`` event of that id vouches for it (audit.py).
    pruned_by = fields.BigIntField(null=True)

    class Meta:
        table = "audit_event"


class Consent(Model):
    """One consent to one processing purpose (see purposes.py), given by the person themselves or, for a
    minor, by a parent (recorded by a school administrator on receipt of the signed form).

    Rows are never deleted while the account exists: a withdrawal stamps ``withdrawn_at``, so the history
    of who agreed to which text version, and when, stays provable.
    """

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="consents", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="consents", on_delete=fields.CASCADE)
    purpose = fields.CharField(max_length=64)
    given_by = fields.CharField(max_length=16, description="self | parent")
    text_version = fields.CharField(max_length=32)
    granted_at = fields.DatetimeField()
    # Pseudonyms (public ids) like the audit trail: who entered it, who withdrew it.
    recorded_by = fields.CharField(max_length=64, default="")
    note = fields.CharField(max_length=200, default="", description="e.g. the paper form's date or reference")
    withdrawn_at = fields.DatetimeField(null=True)
    withdrawn_by = fields.CharField(max_length=64, default="")

    class Meta:
        table = "privacy_consent"
        indexes = (("user_id", "purpose", "withdrawn_at"),)


class AccountRestriction(Model):
    """Art. 18 restriction: the account is frozen, it cannot log in and nobody changes it or its data.
    School administrators still read it. Lifting the restriction restores the previous ``active``.
    (No semicolon in the first line: Tortoise splits migration SQL at them, table comments included.)"""

    id = fields.IntField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="restriction", on_delete=fields.CASCADE)
    school = fields.ForeignKeyField("models.School", related_name="account_restrictions", on_delete=fields.CASCADE)
    frozen_at = fields.DatetimeField()
    frozen_by = fields.CharField(max_length=64, default="", description="pseudonym (public id)")
    reason = fields.CharField(max_length=200, default="")
    was_active = fields.BooleanField(default=True)

    class Meta:
        table = "privacy_account_restriction"


class PrivacyLock(Model):
    """One running export or erasure per account across app instances: the insert of the key is the
    claim, and a lock older than its lease (a crashed instance) may be taken over."""

    key = fields.CharField(max_length=80, primary_key=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "privacy_lock"


class DataExport(Model):
    """One requested copy of all data about a person (Art. 15/20): built by a background job into the
    object store (bytes first under a fresh key, then ``object_key`` here), downloadable by whoever
    requested it until ``expires_at``; a periodic job then removes the row and the object."""

    id = fields.IntField(primary_key=True)
    public_id = fields.UUIDField(unique=True, description="in URLs")
    school = fields.ForeignKeyField("models.School", related_name="data_exports", null=True, on_delete=fields.CASCADE)
    subject = fields.ForeignKeyField("models.User", related_name="data_exports", on_delete=fields.CASCADE)
    requested_by = fields.ForeignKeyField("models.User", related_name="requested_exports", null=True,
                                          on_delete=fields.CASCADE)
    job = fields.ForeignKeyField("models.Job", related_name="data_exports", null=True, on_delete=fields.SET_NULL)
    object_key = fields.CharField(max_length=255, default="")
    size = fields.BigIntField(default=0)
    downloads = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    ready_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "privacy_export"
        indexes = (("subject_id", "requested_by_id"),)
