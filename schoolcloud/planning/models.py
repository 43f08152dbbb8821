"""Stored plans, their revisions and status changes, plan editors, and school carriers (Schulträger).

A plan's content is the JSON text of ``plans``' serialiser; the database only knows its envelope
(school, title, programme, status, revision). Every save keeps the full JSON as a revision, so any two
versions can be compared and nothing is lost when two people edit at once.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class PlanStatus:
    DRAFT = "draft"
    SUBMITTED = "submitted"  # to the carrier, which returns or approves it
    RETURNED = "returned"  # with the carrier's comments; the school edits and submits again
    APPROVED = "approved"
    ALL = (DRAFT, SUBMITTED, RETURNED, APPROVED)
    EDITABLE = (DRAFT, RETURNED)


class Carrier(Model):
    """A Schulträger (municipality or county) with its schools and its users."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    state = fields.CharField(max_length=2, description="Land code, e.g. NI, NW, BY")
    # The carrier's funding budget for all its schools (EUR); empty while unknown.
    budget = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "plan_carrier"


class CarrierSchool(Model):
    """A school belongs to at most one carrier."""

    id = fields.IntField(primary_key=True)
    carrier = fields.ForeignKeyField("models.Carrier", related_name="school_links", on_delete=fields.CASCADE)
    school = fields.OneToOneField("models.School", related_name="carrier_link", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "plan_carrier_school"


class CarrierMember(Model):
    """A user who acts for a carrier: sees its schools' plans, returns or approves them."""

    id = fields.IntField(primary_key=True)
    carrier = fields.ForeignKeyField("models.Carrier", related_name="members", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="carrier_memberships", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "plan_carrier_member"
        unique_together = (("carrier", "user"),)


class PlanDocument(Model):
    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="plans", on_delete=fields.CASCADE)
    title = fields.CharField(max_length=200)
    programme = fields.CharField(max_length=64, description="rule pack id of plans.rules, e.g. dp1-ni")
    status = fields.CharField(max_length=16, default=PlanStatus.DRAFT)
    content = fields.TextField(description="the plan as JSON (plans' serialiser)")
    # Optimistic concurrency: a save names the revision it was based on and fails if this moved on.
    revision = fields.IntField(default=1)
    created_by = fields.ForeignKeyField("models.User", related_name="created_plans", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "plan_document"
        indexes = (("school_id", "status"),)


class PlanRevision(Model):
    """The full plan as it was after one save (revision 1 is the plan as created or imported)."""

    id = fields.IntField(primary_key=True)
    plan = fields.ForeignKeyField("models.PlanDocument", related_name="revisions", on_delete=fields.CASCADE)
    number = fields.IntField()
    author = fields.ForeignKeyField("models.User", related_name="plan_revisions", null=True,
                                    on_delete=fields.SET_NULL)
    # Erasure (Art. 17): the pseudonym of the deleted author (privacy/pseudonyms.py), shown instead of a name.
    author_pseudonym = fields.CharField(max_length=8, default="", db_default="")
    title = fields.CharField(max_length=200)
    content = fields.TextField()
    note = fields.CharField(max_length=32, default="save", description="save, create, import")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "plan_revision"
        unique_together = (("plan", "number"),)


class PlanEditor(Model):
    """A teacher invited by a school administrator to edit one plan."""

    id = fields.IntField(primary_key=True)
    plan = fields.ForeignKeyField("models.PlanDocument", related_name="editors", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="plan_invitations", on_delete=fields.CASCADE)
    invited_by = fields.ForeignKeyField("models.User", related_name="plan_invitations_sent", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "plan_editor"
        unique_together = (("plan", "user"),)


class PlanStatusChange(Model):
    """One step of the status flow, with the comment the carrier or school gave (also in the audit)."""

    id = fields.IntField(primary_key=True)
    plan = fields.ForeignKeyField("models.PlanDocument", related_name="status_changes", on_delete=fields.CASCADE)
    from_status = fields.CharField(max_length=16)
    to_status = fields.CharField(max_length=16)
    actor = fields.ForeignKeyField("models.User", related_name="plan_status_changes", null=True,
                                   on_delete=fields.SET_NULL)
    # Erasure (Art. 17): the pseudonym of the deleted actor (privacy/pseudonyms.py), shown instead of a name.
    actor_pseudonym = fields.CharField(max_length=8, default="", db_default="")
    comment = fields.TextField(default="")
    revision = fields.IntField(description="the plan revision the step was taken on")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "plan_status_change"
