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

    class Meta:
        table = "audit_event"
