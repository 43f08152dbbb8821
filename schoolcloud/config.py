"""Settings, read only from SCHOOLCLOUD_* environment variables.

Every variable is declared once in VARIABLES; the README's configuration table is generated from the same
declarations (``schoolcloud config-table``), so the two cannot drift apart.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PREFIX = "SCHOOLCLOUD_"


class ConfigError(Exception):
    """A configuration value is wrong; the message names the variable."""


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None
    help: str
    kind: str = "str"  # str | int | bool | url | choice | path | secret (a base64 key)
    choices: tuple[str, ...] = ()


VARIABLES: tuple[Variable, ...] = (
    Variable("BASE_URL", "http://127.0.0.1:8000", "Public URL of the app, as browsers reach it.", "url"),
    Variable("HOST", "127.0.0.1", "Address `schoolcloud run` and `serve` bind to."),
    Variable("PORT", "8000", "Port `schoolcloud run` and `serve` listen on.", "int"),
    Variable("WORKERS", "1", "Server processes `schoolcloud run` and `serve` start; each uses up to one core "
             "(SQLite and PostgreSQL both take several). On Kubernetes, scale with replicas instead.", "int"),
    Variable("TRUSTED_PROXIES", "127.0.0.1,::1", "Addresses or networks (or `*`) of reverse proxies whose "
             "`X-Forwarded-For` names the client; login throttling counts by that address."),
    Variable("VAR_DIR", "var", "Folder for local state (SQLite file, local objects, dev secret).", "path"),
    Variable("DATABASE_URL", "", "Tortoise database URL; empty means SQLite at VAR_DIR/schoolcloud.sqlite3. "
             "Production: `postgres://user:pass@host:5432/db`."),
    Variable("SECRET_KEY", "", "Signs session cookies and CSRF tokens (at least 32 characters). Required "
             "unless BASE_URL is a loopback address, where one is generated into VAR_DIR."),
    Variable("REDIS_URL", "", "Redis shared by all app instances for the login-throttle counters and background-job "
             "wake-ups, e.g. `redis://redis:6379/0` (`rediss://` for TLS); empty: counters in the database, "
             "jobs found by polling."),
    Variable("REDIS_PREFIX", "schoolcloud:", "Prefix of every Redis key, so that several installations (or "
             "test runs) can share one Redis."),
    Variable("STORAGE", "local", "Object store backend.", "choice", ("local", "s3")),
    Variable("STORAGE_PATH", "", "Folder of the local object store; empty means VAR_DIR/objects.", "path"),
    Variable("S3_ENDPOINT", "", "S3 endpoint as host:port (with STORAGE=s3)."),
    Variable("S3_BUCKET", "schoolcloud", "S3 bucket (with STORAGE=s3)."),
    Variable("S3_ACCESS_KEY", "", "S3 access key (with STORAGE=s3)."),
    Variable("S3_SECRET_KEY", "", "S3 secret key (with STORAGE=s3)."),
    Variable("S3_REGION", "", "S3 region, e.g. `eu-central-1` (optional)."),
    Variable("S3_SECURE", "true", "Use HTTPS to reach S3.", "bool"),
    Variable("ENCRYPTION_KEY", "", "Master key of encryption at rest for file content: base64 of 32 random "
             "bytes (`openssl rand -base64 32`); empty means new files are stored unencrypted. Keep it safe: "
             "without it no encrypted file can be read (see schoolcloud/files/README.md).", "secret"),
    Variable("MAX_UPLOAD_MB", "2048", "Largest file one upload may bring, in MB (MiB).", "int"),
    Variable("QUOTA_PUPIL_MB", "1024", "Storage of a pupil's personal space, in MB (MiB).", "int"),
    Variable("QUOTA_TEACHER_MB", "10240", "Storage of the personal space of teachers and staff, in MB (MiB).",
             "int"),
    Variable("QUOTA_GROUP_MB", "20480", "Storage of each class or course space, in MB (MiB).", "int"),
    Variable("TRASH_DAYS", "30", "Days a deleted file stays in the trash before the daily purge (or "
             "`schoolcloud purge-trash`) removes it for good.", "int"),
    Variable("EXPORT_EXPIRY_HOURS", "48", "Hours the download link of a data export (Art. 15/20 GDPR) works; "
             "then the archive is deleted. A new export can be requested at any time.", "int"),
    Variable("UPLOAD_EXPIRY_HOURS", "24", "Hours an unfinished resumable (tus) upload is kept before it is "
             "removed.", "int"),
    Variable("OIDC_ISSUER", "", "Issuer URL of an external OpenID Connect provider; empty means the "
             "embedded IdP at BASE_URL/idp.", "url"),
    Variable("OIDC_CLIENT_ID", "schoolcloud", "Client id at the OpenID Connect provider."),
    Variable("OIDC_CLIENT_SECRET", "", "Client secret at an external provider (the embedded IdP derives "
             "its own from SECRET_KEY)."),
    Variable("OIDC_SCOPES", "openid profile email", "Scopes requested at login."),
    Variable("OIDC_ROLE_CLAIM", "roles", "Claim holding the role(s); dotted paths reach into nested "
             "claims, e.g. `realm_access.roles`."),
    Variable("OIDC_ROLE_MAP", "pupil=pupil,student=pupil,teacher=teacher,staff=teacher,"
             "school_admin=school_admin,schooladmin=school_admin,LERN=pupil,LEHR=teacher,LEIT=school_admin",
             "Comma-separated `claim value=role` pairs; roles: pupil, teacher, school_admin, operator."),
    Variable("OIDC_SCHOOL_CLAIM", "school", "Claim holding the school number (Schulnummer)."),
    Variable("OIDC_CLASSES_CLAIM", "classes", "Claim holding the user's class names (optional)."),
    Variable("OIDC_USERNAME_CLAIM", "preferred_username", "Claim used as login name."),
    Variable("SESSION_IDLE_MINUTES", "60", "A session ends after this many minutes without a request.", "int"),
    Variable("SESSION_MAX_HOURS", "12", "A session ends this many hours after login, active or not.", "int"),
    Variable("MAX_FORM_BYTES", "1048576", "Largest accepted form or JSON body.", "int"),
    Variable("MAX_IMPORT_BYTES", "10485760", "Largest accepted CSV import.", "int"),
    Variable("DEFAULT_LOCALE", "de", "Language when the browser asks for none we have.", "choice", ("de", "en")),
    Variable("BOOTSTRAP_SCHOOL", "Demo-Schule", "Name of the school created on first start."),
    Variable("PROCESSOR_NAME", "", "Name of the operator of this installation (the schools' processor, Art. 28 "
             "GDPR), for the record of processing activities (Art. 30(2)(a)); empty: the record says it is still "
             "to be filled in."),
    Variable("PROCESSOR_ADDRESS", "", "The operator's postal address, for the record of processing activities."),
    Variable("PROCESSOR_CONTACT", "", "The operator's contact for the schools (e-mail address and/or phone), for "
             "the record of processing activities."),
    Variable("PROCESSOR_DPO", "", "The operator's data protection officer: name and contact, for the record of "
             "processing activities."),
    Variable("LOG_LEVEL", "info", "Log level.", "choice", ("debug", "info", "warning", "error")),
)


def parse_master_key(env_name: str, raw: str) -> bytes:
    import base64
    import binascii

    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError(f"{env_name} must be base64 of exactly 32 bytes (e.g. from `openssl rand -base64 32`)")
    return key


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def _parse(var: Variable, raw: str):
    env_name = PREFIX + var.name
    if var.kind == "int":
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{env_name} must be a whole number, got {raw!r}") from None
        if value <= 0:
            raise ConfigError(f"{env_name} must be positive, got {raw!r}")
        return value
    if var.kind == "bool":
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{env_name} must be true or false, got {raw!r}")
    if var.kind == "url":
        if raw:
            parts = urlsplit(raw)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"{env_name} must be an http(s) URL, got {raw!r}")
        return raw.rstrip("/")
    if var.kind == "choice":
        if raw not in var.choices:
            raise ConfigError(f"{env_name} must be one of {', '.join(var.choices)}, got {raw!r}")
        return raw
    if var.kind == "path":
        return Path(raw) if raw else None
    if var.kind == "secret":
        return parse_master_key(env_name, raw.strip()) if raw.strip() else None
    return raw


@dataclass(frozen=True)
class Settings:
    base_url: str
    host: str
    port: int
    workers: int
    trusted_proxies: str
    var_dir: Path
    database_url: str
    secret_key: str
    redis_url: str
    redis_prefix: str
    storage: str
    storage_path: Path
    s3_endpoint: str
    s3_bucket: str
    s3_access_key: str
    s3_secret_key: str
    s3_region: str
    s3_secure: bool
    encryption_key: bytes | None = field(repr=False)  # the master key; never in logs or tracebacks
    max_upload_mb: int
    quota_pupil_mb: int
    quota_teacher_mb: int
    quota_group_mb: int
    trash_days: int
    upload_expiry_hours: int
    export_expiry_hours: int
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str
    oidc_scopes: str
    oidc_role_claim: str
    oidc_role_map: dict[str, str]
    oidc_school_claim: str
    oidc_classes_claim: str
    oidc_username_claim: str
    session_idle_minutes: int
    session_max_hours: int
    max_form_bytes: int
    max_import_bytes: int
    default_locale: str
    bootstrap_school: str
    processor_name: str
    processor_address: str
    processor_contact: str
    processor_dpo: str
    log_level: str
    extra: dict = field(default_factory=dict)

    @property
    def embedded_idp(self) -> bool:
        return not self.oidc_issuer

    @property
    def issuer(self) -> str:
        return self.oidc_issuer or f"{self.base_url}/idp"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def client_secret(self) -> str:
        if self.embedded_idp:
            # Derived, so the embedded IdP and its relying party agree without another variable.
            import hashlib
            import hmac

            return hmac.new(self.secret_key.encode(), b"embedded-oidc-client", hashlib.sha256).hexdigest()
        return self.oidc_client_secret


ROLES = ("pupil", "teacher", "school_admin", "operator")


def _role_map(raw: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in raw.split(","))):
        claim_value, sep, role = pair.partition("=")
        if not sep or role.strip() not in ROLES or not claim_value.strip():
            raise ConfigError(
                f"{PREFIX}OIDC_ROLE_MAP: {pair!r} is not `claim value=role` with a role of {', '.join(ROLES)}"
            )
        mapping[claim_value.strip()] = role.strip()
    return mapping


def _dev_secret(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    known = {PREFIX + v.name for v in VARIABLES}
    unknown = sorted(k for k in env if k.startswith(PREFIX) and k not in known)
    if unknown:
        raise ConfigError(f"unknown variable {unknown[0]} (known: see the README's configuration table)")
    values = {}
    for var in VARIABLES:
        raw = env.get(PREFIX + var.name, var.default or "")
        values[var.name.lower()] = _parse(var, raw)

    var_dir: Path = values["var_dir"]
    values["var_dir"] = var_dir.resolve()
    if values["storage_path"] is None:
        values["storage_path"] = values["var_dir"] / "objects"
    if not values["database_url"]:
        values["database_url"] = f"sqlite://{values['var_dir'] / 'schoolcloud.sqlite3'}"
    elif not values["database_url"].startswith(("sqlite://", "postgres://", "asyncpg://", "psql://")):
        raise ConfigError(f"{PREFIX}DATABASE_URL must start with sqlite:// or postgres://")
    if not values["secret_key"]:
        if not _is_loopback(values["base_url"]):
            raise ConfigError(f"{PREFIX}SECRET_KEY is required when {PREFIX}BASE_URL is not a loopback address")
        values["secret_key"] = _dev_secret(values["var_dir"])
    elif len(values["secret_key"]) < 32:
        raise ConfigError(f"{PREFIX}SECRET_KEY must be at least 32 characters long")
    if values["redis_url"] and not values["redis_url"].startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{PREFIX}REDIS_URL must start with redis://, rediss:// or unix://")
    if values["storage"] == "s3":
        for name in ("s3_endpoint", "s3_access_key", "s3_secret_key"):
            if not values[name]:
                raise ConfigError(f"{PREFIX}{name.upper()} is required with {PREFIX}STORAGE=s3")
    if values["oidc_issuer"] and not values["oidc_client_secret"]:
        raise ConfigError(f"{PREFIX}OIDC_CLIENT_SECRET is required with {PREFIX}OIDC_ISSUER")
    values["oidc_role_map"] = _role_map(values["oidc_role_map"])
    return Settings(**values)


def config_table() -> str:
    lines = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for var in VARIABLES:
        default = f"`{var.default}`" if var.default else "(empty)"
        if var.name == "OIDC_ROLE_MAP":
            default = "see below"
        lines.append(f"| `{PREFIX}{var.name}` | {default} | {var.help} |")
    return "\n".join(lines)
