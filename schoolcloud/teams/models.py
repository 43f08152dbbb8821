"""Teams: self-organised groups of pupils and teachers of one school, created by teachers (or school
admins). Each team has a group space (``Space.kind == "team"``) where its members write."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class TeamRole:
    OWNER = "owner"  # manages members and the team; the creator is the first owner
    MEMBER = "member"
    ALL = (OWNER, MEMBER)


class Team(Model):
    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="teams", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=100)
    created_by = fields.ForeignKeyField("models.User", related_name="created_teams", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team"
        indexes = (("school_id", "name"),)


class TeamMember(Model):
    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="memberships", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="team_memberships", on_delete=fields.CASCADE)
    role = fields.CharField(max_length=16, default=TeamRole.MEMBER)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team_member"
        unique_together = (("team", "user"),)
