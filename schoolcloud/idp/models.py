"""State of the embedded OpenID Connect provider."""

from tortoise import fields
from tortoise.models import Model


class SigningKey(Model):
    kid = fields.CharField(max_length=64, primary_key=True)
    private_pem = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "idp_signing_key"


class AuthorizationCode(Model):
    code_hash = fields.CharField(max_length=64, primary_key=True)
    client_id = fields.CharField(max_length=100)
    user = fields.ForeignKeyField("models.User", related_name="idp_codes", on_delete=fields.CASCADE)
    redirect_uri = fields.TextField()
    scope = fields.CharField(max_length=255)
    nonce = fields.CharField(max_length=255, default="")
    code_challenge = fields.CharField(max_length=128)
    auth_time = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "idp_authorization_code"


class RefreshToken(Model):
    token_hash = fields.CharField(max_length=64, primary_key=True)
    client_id = fields.CharField(max_length=100)
    user = fields.ForeignKeyField("models.User", related_name="idp_refresh_tokens", on_delete=fields.CASCADE)
    scope = fields.CharField(max_length=255)
    auth_time = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # Codes replayed after use revoke every token that came from them.
    code_hash = fields.CharField(max_length=64, default="", db_index=True)

    class Meta:
        table = "idp_refresh_token"


class LoginThrottle(Model):
    """Failed-login counters: per account+IP, per account, per IP (see idp/throttle.py)."""

    key = fields.CharField(max_length=200, primary_key=True)
    failures = fields.IntField(default=0)
    window_start = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "idp_login_throttle"
