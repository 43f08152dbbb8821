"""Login sessions of the relying party, kept server-side so that they can be revoked."""

from tortoise import fields
from tortoise.models import Model


class LoginSession(Model):
    # sha256 of the random id in the cookie: a leaked database row cannot be replayed as a cookie.
    id_hash = fields.CharField(max_length=64, primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    id_token = fields.TextField(default="")
    refresh_token = fields.TextField(default="")
    access_token_expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "login_session"
