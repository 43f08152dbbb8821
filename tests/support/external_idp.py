"""An independent OpenID Connect provider for the relying-party tests.

It runs the npm package ``oidc-provider`` (8.x, see ``oidc_provider/package.json``) under Node.js
with ``oidc_provider/server.js``: authorization code flow with PKCE S256 required, refresh tokens,
userinfo, RP-initiated logout, a plain HTML login form, consent granted automatically, and a
one-shot "tamper" switch that makes the next token response carry a wrong id_token.

Usage::

    from tests.support.external_idp import ExternalIdP, login_at_provider

    with ExternalIdP(rp_base_url="http://testserver") as idp:   # the app's BASE_URL
        idp.issuer              # http://127.0.0.1:PORT
        idp.client_id, idp.client_secret
        ...                     # point the RP at idp.issuer, let it redirect to the provider
        response = await login_at_provider(http, authorize_url, "teacher", "teacher-pw")
        response.headers["location"]   # http://testserver/auth/callback?code=...&state=...
        idp.set_tamper("nonce")  # the next token response carries an id_token with a wrong nonce
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import html.parser
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

import httpx
from joserfc.jwk import RSAKey

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
SERVER_JS = PROVIDER_DIR / "server.js"

TAMPER_MODES = ("none", "nonce", "aud", "exp", "signature", "iss", "alg_none")

DEFAULT_CLIENT_ID = "schoolcloud"
DEFAULT_CLIENT_SECRET = "schoolcloud-test-secret"
DEFAULT_RP_BASE_URL = "http://testserver"
#: The app's relying-party routes under its BASE_URL (schoolcloud/auth/routes.py).
RP_CALLBACK_PATH = "/auth/callback"
RP_POST_LOGOUT_PATH = "/logged-out"

#: Accounts the provider knows unless told otherwise: login -> {password, claims}.
DEFAULT_ACCOUNTS: dict[str, dict[str, Any]] = {
    "teacher": {
        "password": "teacher-pw",
        "claims": {
            "sub": "ext-teacher-0001",
            "preferred_username": "teacher",
            "given_name": "Tina",
            "family_name": "Lehrer",
            "name": "Tina Lehrer",
            "email": "tina.lehrer@example.org",
            "email_verified": True,
            "roles": ["teacher"],
            "school": "gymnasium-musterstadt",
            "classes": ["5a", "7b"],
            "realm_access": {"roles": ["teacher", "offline_access"]},
        },
    },
    "student": {
        "password": "student-pw",
        "claims": {
            "sub": "ext-student-0001",
            "preferred_username": "student",
            "given_name": "Sam",
            "family_name": "Schüler",
            "name": "Sam Schüler",
            "email": "sam.schueler@example.org",
            "email_verified": True,
            "roles": ["student"],
            "school": "gymnasium-musterstadt",
            "classes": ["5a"],
            "realm_access": {"roles": ["student"]},
        },
    },
    "admin": {
        "password": "admin-pw",
        "claims": {
            "sub": "ext-admin-0001",
            "preferred_username": "admin",
            "given_name": "Ada",
            "family_name": "Admin",
            "name": "Ada Admin",
            "email": "ada.admin@example.org",
            "email_verified": True,
            "roles": ["school_admin"],
            "school": "gymnasium-musterstadt",
            "classes": [],
            "realm_access": {"roles": ["school_admin"]},
        },
    },
}


class ExternalIdPError(RuntimeError):
    """The provider could not be installed or started, or did not answer as expected."""


class LoginFailed(ExternalIdPError):
    """login_at_provider could not reach the relying party's redirect_uri."""

    def __init__(self, message: str, response: httpx.Response | None = None):
        super().__init__(message)
        self.response = response


# --- npm ---------------------------------------------------------------------------------------


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def _lock_digest() -> str:
    return hashlib.sha256((PROVIDER_DIR / "package-lock.json").read_bytes()).hexdigest()


def ensure_node_modules(*, timeout: float = 300.0) -> Path:
    """Install the provider's npm dependencies (``npm ci``) unless they are in place.

    Safe for concurrent processes (pytest-xdist workers, several test runs): an exclusive file lock
    serialises the install, and a marker file records which package-lock.json was installed, so a
    changed lock file installs again. Returns the node_modules folder.
    """
    import fcntl

    node_modules = PROVIDER_DIR / "node_modules"
    marker = node_modules / ".schoolcloud-npm-ci"
    digest = _lock_digest()
    if marker.exists() and marker.read_text().strip() == digest:
        return node_modules
    npm = shutil.which("npm")
    if npm is None:
        raise ExternalIdPError("npm is not installed; the external OIDC provider needs Node.js and npm")
    lock_path = Path(tempfile.gettempdir()) / (
        "schoolcloud-oidc-provider-npm-" + hashlib.sha256(str(PROVIDER_DIR).encode()).hexdigest()[:16] + ".lock"
    )
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if marker.exists() and marker.read_text().strip() == digest:
                return node_modules
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=PROVIDER_DIR,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            if result.returncode != 0:
                raise ExternalIdPError(
                    f"npm ci failed in {PROVIDER_DIR} (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
                )
            marker.write_text(digest + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return node_modules


# --- keys --------------------------------------------------------------------------------------


def generate_signing_jwk(kid: str | None = None) -> dict[str, Any]:
    """A fresh private RSA JWK (2048 bits) for RS256."""
    key = RSAKey.generate_key(
        2048,
        parameters={"kid": kid or "test-" + secrets.token_hex(6), "alg": "RS256", "use": "sig"},
        private=True,
    )
    return key.as_dict(private=True)


def _public_jwk(private_jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in private_jwk.items() if k not in {"d", "p", "q", "dp", "dq", "qi", "oth"}}


# --- the provider process ----------------------------------------------------------------------


class ExternalIdP:
    """An ``oidc-provider`` process on 127.0.0.1; use as a (sync) context manager or start()/stop().

    ``clients``: a list of client metadata dicts (client_id, client_secret, redirect_uris,
    post_logout_redirect_uris, and any further oidc-provider client metadata). Without it one client
    is made from ``client_id``, ``client_secret``, ``redirect_uris`` and ``post_logout_redirect_uris``
    (default: ``rp_base_url`` + ``/auth/callback`` and + ``/logged-out``, the app's routes), plus a second client ``other-client`` whose id the ``aud`` tamper mode uses as audience.
    ``accounts``: login -> {"password": ..., "claims": {...}}; DEFAULT_ACCOUNTS without it.
    ``claims_by_scope``: scope -> claim names; without it the standard scopes carry the standard
    claims and every other claim (roles, school, classes, realm_access, ...) comes with ``openid``.
    Claims go into the id_token as well as to userinfo.
    """

    def __init__(
        self,
        *,
        clients: list[dict[str, Any]] | None = None,
        accounts: dict[str, dict[str, Any]] | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        rp_base_url: str = DEFAULT_RP_BASE_URL,
        redirect_uris: list[str] | None = None,
        post_logout_redirect_uris: list[str] | None = None,
        claims_by_scope: dict[str, list[str]] | None = None,
        access_token_ttl: int = 120,
        id_token_ttl: int = 300,
        refresh_token_ttl: int = 3600,
        session_ttl: int = 3600,
        signing_jwk: dict[str, Any] | None = None,
        port: int = 0,
        startup_timeout: float = 30.0,
        install: bool = True,
    ) -> None:
        if clients is None:
            clients = [
                {
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "redirect_uris": list(redirect_uris or [rp_base_url.rstrip("/") + RP_CALLBACK_PATH]),
                    "post_logout_redirect_uris": list(
                        post_logout_redirect_uris or [rp_base_url.rstrip("/") + RP_POST_LOGOUT_PATH]
                    ),
                },
                {
                    "client_id": "other-client",
                    "client_secret": "other-client-secret",
                    "redirect_uris": ["http://other.invalid/callback"],
                },
            ]
        self.clients: list[dict[str, Any]] = copy.deepcopy(clients)
        self.accounts: dict[str, dict[str, Any]] = copy.deepcopy(accounts if accounts is not None else DEFAULT_ACCOUNTS)
        self.claims_by_scope = claims_by_scope
        self.ttl = {
            "access_token": access_token_ttl,
            "id_token": id_token_ttl,
            "refresh_token": refresh_token_ttl,
            "session": session_ttl,
        }
        self.signing_jwk: dict[str, Any] = signing_jwk or generate_signing_jwk()
        self.port = port
        self.startup_timeout = startup_timeout
        self.install = install
        self.issuer: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._log_path: Path | None = None

    # -- conveniences
    @property
    def client(self) -> dict[str, Any]:
        """The first (main) client's metadata."""
        return self.clients[0]

    @property
    def client_id(self) -> str:
        return self.clients[0]["client_id"]

    @property
    def client_secret(self) -> str | None:
        return self.clients[0].get("client_secret")

    @property
    def discovery_url(self) -> str:
        return f"{self._require_issuer()}/.well-known/openid-configuration"

    @property
    def public_jwks(self) -> dict[str, Any]:
        """The provider's public JWKS, as served at its jwks_uri."""
        return {"keys": [_public_jwk(self.signing_jwk)]}

    def password_of(self, login: str) -> str:
        return self.accounts[login]["password"]

    def claims_of(self, login: str) -> dict[str, Any]:
        return copy.deepcopy(self.accounts[login]["claims"])

    def config(self) -> dict[str, Any]:
        """The JSON config handed to server.js."""
        config: dict[str, Any] = {
            "port": self.port,
            "clients": self.clients,
            "accounts": self.accounts,
            "signing_jwk": self.signing_jwk,
            "ttl": self.ttl,
        }
        if self.claims_by_scope is not None:
            config["claims"] = self.claims_by_scope
        return config

    def log(self) -> str:
        """What the node process printed so far (stdout and stderr)."""
        if self._log_path and self._log_path.exists():
            return self._log_path.read_text(errors="replace")
        return ""

    # -- lifecycle
    def start(self) -> "ExternalIdP":
        if self._process is not None:
            return self
        node = shutil.which("node")
        if node is None:
            raise ExternalIdPError("node is not installed; the external OIDC provider needs Node.js")
        if self.install:
            ensure_node_modules()
        self._workdir = tempfile.TemporaryDirectory(prefix="schoolcloud-idp-")
        work = Path(self._workdir.name)
        config_path = work / "config.json"
        config_path.write_text(json.dumps(self.config()))
        self._log_path = work / "provider.log"
        env = {**os.environ, "NODE_ENV": "test"}
        env.pop("NODE_OPTIONS", None)
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(
                [node, str(SERVER_JS), str(config_path)],
                cwd=PROVIDER_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            for line in self.log().splitlines():
                if line.startswith("READY "):
                    self.issuer = line.split(" ", 1)[1].strip()
                    return self
            if self._process.poll() is not None:
                log_text = self.log()
                self._cleanup()
                raise ExternalIdPError(f"the OIDC provider exited with {self._process.returncode}:\n{log_text}")
            if time.monotonic() > deadline:
                log_text = self.log()
                self.stop()
                raise ExternalIdPError(f"the OIDC provider did not print READY in {self.startup_timeout}s:\n{log_text}")
            time.sleep(0.02)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._cleanup()
        self.issuer = None

    def _cleanup(self) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
            self._log_path = None

    def __enter__(self) -> "ExternalIdP":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _require_issuer(self) -> str:
        if self.issuer is None:
            raise ExternalIdPError("the provider is not running")
        return self.issuer

    # -- tampering
    def set_tamper(self, mode: str) -> None:
        """Make the next token response that carries an id_token carry a wrong one (one-shot).

        Modes: ``none`` (normal), ``nonce`` (another nonce, correctly signed), ``aud`` (issued to
        another client, correctly signed), ``exp`` (expired an hour ago, correctly signed),
        ``signature`` (signature bytes altered), ``iss`` (another issuer, correctly signed),
        ``alg_none`` (unsigned, ``alg: none``).
        """
        if mode not in TAMPER_MODES:
            raise ValueError(f"unknown tamper mode {mode!r}; one of {TAMPER_MODES}")
        response = httpx.post(f"{self._require_issuer()}/__test__/tamper", json={"mode": mode}, timeout=10)
        response.raise_for_status()

    async def aset_tamper(self, mode: str) -> None:
        """set_tamper for async code, without blocking the event loop."""
        if mode not in TAMPER_MODES:
            raise ValueError(f"unknown tamper mode {mode!r}; one of {TAMPER_MODES}")
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(f"{self._require_issuer()}/__test__/tamper", json={"mode": mode})
            response.raise_for_status()

    def tamper_mode(self) -> str:
        response = httpx.get(f"{self._require_issuer()}/__test__/tamper", timeout=10)
        response.raise_for_status()
        return response.json()["mode"]

    @contextlib.contextmanager
    def tampered(self, mode: str) -> Iterator["ExternalIdP"]:
        """``with idp.tampered("aud"): ...`` sets the mode and resets it to ``none`` afterwards."""
        self.set_tamper(mode)
        try:
            yield self
        finally:
            if self._process is not None:
                self.set_tamper("none")


# --- browser stand-ins -------------------------------------------------------------------------


class _FormParser(html.parser.HTMLParser):
    """Collects the forms of a page: action, method, and the named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._current = {
                "id": a.get("id", ""),
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": {},
            }
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and a.get("name"):
            self._current["fields"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _forms(page: str) -> list[dict[str, Any]]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


async def _walk_provider(
    client: httpx.AsyncClient,
    response: httpx.Response,
    provider_origin: tuple[str, str],
    on_page: Any,
    max_steps: int,
) -> httpx.Response:
    """Follow the provider's redirects; hand each HTML page to on_page (which returns the next
    response, or None); return the first redirect that leaves the provider."""
    for _ in range(max_steps):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if _origin(location) != provider_origin:
                return response
            response = await client.get(location, follow_redirects=False)
            continue
        next_response = await on_page(response)
        if next_response is None:
            raise LoginFailed(
                f"the provider answered {response.status_code} at {response.url}: {response.text[:500]}",
                response,
            )
        response = next_response
    raise LoginFailed(f"too many steps at the provider, last at {response.url}", response)


async def login_at_provider(
    client: httpx.AsyncClient, authorize_url: str, login: str, password: str, *, max_steps: int = 20
) -> httpx.Response:
    """Sign in at the provider as a browser would, starting from the authorization URL.

    ``client`` must reach the provider over the network (for an app under test behind an
    ASGITransport, mount the transport for the app's origin only). Cookies stay in ``client``, so a
    second authorization with the same client reuses the provider's session (no form then).
    Returns the provider's redirect response whose Location is the relying party's redirect_uri
    with ``code`` and ``state`` (or ``error``); it does not follow it. Raises LoginFailed when the
    credentials are refused or the provider answers with an error page.
    """
    provider_origin = _origin(authorize_url)
    submitted = False

    async def on_page(page: httpx.Response) -> httpx.Response | None:
        nonlocal submitted
        if page.status_code == 401 and submitted:
            raise LoginFailed(f"the provider refused the login {login!r}", page)
        if page.status_code != 200 or submitted:
            return None
        forms = [f for f in _forms(page.text) if "login" in f["fields"] or "password" in f["fields"]]
        if not forms:
            return None
        form = forms[0]
        fields = {**form["fields"], "login": login, "password": password}
        submitted = True
        return await client.post(
            urljoin(str(page.url), form["action"] or str(page.url)), data=fields, follow_redirects=False
        )

    response = await client.get(authorize_url, follow_redirects=False)
    return await _walk_provider(client, response, provider_origin, on_page, max_steps)


async def logout_at_provider(
    client: httpx.AsyncClient, end_session_url: str, *, max_steps: int = 10
) -> httpx.Response:
    """RP-initiated logout as a browser would: open the end_session URL, confirm "yes, sign me out",
    and return the redirect to the post_logout_redirect_uri (not followed). Without a
    post_logout_redirect_uri the provider's own "signed out" page (200) is returned instead.
    """
    provider_origin = _origin(end_session_url)
    confirmed = False

    async def on_page(page: httpx.Response) -> httpx.Response | None:
        nonlocal confirmed
        if page.status_code != 200:
            return None
        forms = [f for f in _forms(page.text) if "xsrf" in f["fields"]]
        if confirmed or not forms:
            raise _Done(page)
        form = forms[0]
        confirmed = True
        return await client.post(
            urljoin(str(page.url), form["action"]),
            data={**form["fields"], "logout": "yes"},
            follow_redirects=False,
        )

    response = await client.get(end_session_url, follow_redirects=False)
    try:
        return await _walk_provider(client, response, provider_origin, on_page, max_steps)
    except _Done as done:
        return done.response


class _Done(Exception):
    def __init__(self, response: httpx.Response):
        self.response = response
