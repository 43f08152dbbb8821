"""Login against an external OpenID Connect provider: the npm package oidc-provider, an implementation
independent of ours (tests/support/external_idp.py), with one-shot id_token tampering.

Two app servers share the `app` fixture's database and the provider: one maps SchulConnex-style role
codes from a flat `roles` claim (the defaults), the other a Keycloak / UCS@school realm
(`realm_access.roles`, school number and classes from attribute claims), as auth/README.md documents.

Every refusal is checked on the relying party: the "login failed" page with status 400, no session and
no new account, and the server's log names the check that failed.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from schoolcloud.accounts.models import Role, School, SchoolClass, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.auth.provisioning import claim
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
from tests.support.data import make_school
from tests.support.external_idp import ExternalIdP, login_at_provider, logout_at_provider, node_available
from tests.support.server import AppServer, free_port

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CLIENT_ID = "schoolcloud"
CLIENT_SECRET = "external-client-secret"
TAMPERED = {  # tamper mode -> what the relying party's log names as the reason
    "nonce": "Invalid claim: 'nonce'",
    "aud": "Invalid claim: 'aud'",
    "exp": "ExpiredTokenError",
    "signature": "BadSignatureError",
    "iss": "Invalid claim: 'iss'",
    "alg_none": "Algorithm of 'none' is not allowed",
}


@dataclass
class World:
    idp: ExternalIdP
    schulconnex: AppServer  # roles from `roles` with LERN/LEHR/LEIT
    keycloak: AppServer  # roles from realm_access.roles, school from `schulnummer`, classes from `klassen`
    school: School
    decoy: School  # a school whose internal id an unknown school number happens to equal
    run: str

    def sub(self, login: str) -> str:
        return self.idp.claims_of(login)["sub"]


def _account(run: str, login: str, school: str, **claims) -> dict:
    return {"password": f"{login}-pw", "claims": {
        "sub": f"ext-{login}-{run}", "preferred_username": login, "given_name": login.title(),
        "family_name": "Extern", "email": f"{login}@example.org", "school": school, **claims}}


@pytest.fixture(scope="module")
async def world(app, tmp_path_factory):
    if not node_available():
        if IN_CI:
            pytest.fail("Node.js and npm are required for the external OpenID Connect provider (CI=true)")
        pytest.skip("Node.js and npm are not installed: no external OpenID Connect provider")
    run = uuid.uuid4().hex[:8]
    school = await make_school(school_number=f"NI-{run}")
    await SchoolClass.create(school=school, name="5a", grade_level=5, school_year="2026/27")
    await SchoolClass.create(school=school, name="7b", grade_level=7, school_year="2026/27")
    decoy = await make_school(school_number=f"decoy-{run}")
    number = school.school_number
    accounts = {
        "pupil": _account(run, "pupil", number, roles=["LERN"], classes=["5a", "9z-not-here"]),
        "returning": _account(run, "returning", number, roles=["LEHR"], classes=["5a", "7b"]),
        "kc-teacher": _account(run, "kc-teacher", "", schulnummer=number, klassen=["7b"],
                               realm_access={"roles": ["offline_access", "uma_authorization", "teacher"]}),
        "kc-admin": _account(run, "kc-admin", "", schulnummer=number,
                             realm_access={"roles": ["teacher", "school_admin"]}),
        "no-role": _account(run, "no-role", number, roles=["EXTERN"]),
        "no-school": _account(run, "no-school", str(decoy.id), roles=["LERN"]),
        "twice": _account(run, "twice", number, roles=["LEHR"]),
        "refresher": _account(run, "refresher", number, roles=["LEHR"]),
        "leaver": _account(run, "leaver", number, roles=["LEIT"]),
        "state": _account(run, "state", number, roles=["LERN"]),
        **{f"tamper-{mode}": _account(run, f"tamper-{mode}", number, roles=["LERN"]) for mode in TAMPERED},
    }
    ports = {"schulconnex": free_port(), "keycloak": free_port()}
    bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    idp = ExternalIdP(accounts=accounts, clients=[
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
         "redirect_uris": [f"{base}/auth/callback" for base in bases.values()],
         "post_logout_redirect_uris": [f"{base}/logged-out" for base in bases.values()]},
        {"client_id": "other-client", "client_secret": "other-client-secret",
         "redirect_uris": ["http://other.invalid/callback"]},
    ]).start()
    common = {"SCHOOLCLOUD_OIDC_ISSUER": idp.issuer, "SCHOOLCLOUD_OIDC_CLIENT_ID": CLIENT_ID,
              "SCHOOLCLOUD_OIDC_CLIENT_SECRET": CLIENT_SECRET}
    servers = []
    try:
        servers.append(AppServer(tmp_path_factory.mktemp("schulconnex"), database_url=app.database_url,
                                 port=ports["schulconnex"], extra_env=common).start())
        servers.append(AppServer(tmp_path_factory.mktemp("keycloak"), database_url=app.database_url,
                                 port=ports["keycloak"], extra_env={
                                     **common,
                                     "SCHOOLCLOUD_OIDC_ROLE_CLAIM": "realm_access.roles",
                                     "SCHOOLCLOUD_OIDC_ROLE_MAP": "student=pupil,teacher=teacher,"
                                                                  "school_admin=school_admin",
                                     "SCHOOLCLOUD_OIDC_SCHOOL_CLAIM": "schulnummer",
                                     "SCHOOLCLOUD_OIDC_CLASSES_CLAIM": "klassen",
                                 }).start())
        yield World(idp, servers[0], servers[1], school, decoy, run)
    finally:
        for server in servers:
            server.stop()
        idp.stop()


def client(server: AppServer) -> httpx.AsyncClient:
    return browser.client(server.base_url, headers={"Accept-Language": "en"})


async def callback_url(http: httpx.AsyncClient, server: AppServer, world: World, login: str) -> str:
    """/login, then sign in at the provider; returns the callback URL the provider sends the browser to."""
    start = await http.get("/login")
    assert start.status_code == 302, start.text[:300]
    authorize = start.headers["location"]
    assert authorize.startswith(world.idp.issuer + "/")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0] and query["state"][0]
    at_provider = await login_at_provider(http, authorize, login, world.idp.password_of(login))
    location = at_provider.headers["location"]
    assert location.startswith(f"{server.base_url}/auth/callback?"), location
    return location


async def log_in(http: httpx.AsyncClient, server: AppServer, world: World, login: str) -> httpx.Response:
    response = await http.get(await callback_url(http, server, world, login))
    assert response.status_code == 303, response.text[:500]
    return response


async def user_of(world: World, login: str) -> User | None:
    return await User.get_or_none(external_issuer=world.idp.issuer, external_subject=world.sub(login))


def assert_login_failed(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text[:500]
    assert "Login failed" in response.text


async def assert_not_logged_in(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/me")).status_code == 401


# --- provisioning -----------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_first_login_provisions_the_user_from_schulconnex_codes(world):
    server = world.schulconnex
    assert await user_of(world, "pupil") is None
    async with client(server) as http:
        response = await log_in(http, server, world, "pupil")
        assert response.headers["location"] == "/"
        me = (await http.get("/api/v1/me")).json()
    user = await user_of(world, "pupil")
    assert user is not None
    await user.fetch_related("school", "classes")
    assert me["id"] == str(user.public_id)
    assert user.role == Role.PUPIL
    assert user.school_id == world.school.id
    assert user.username == "pupil"
    assert (user.given_name, user.family_name, user.email) == ("Pupil", "Extern", "pupil@example.org")
    assert user.password_hash is None
    assert sorted(c.name for c in user.classes) == ["5a"]  # classes the school does not have are left out
    assert await LoginSession.filter(user=user).count() == 1
    assert await AuditEvent.filter(action="account.provisioned", actor=str(user.public_id)).exists()


@pytest.mark.postgres
async def test_keycloak_realm_roles_and_attribute_claims(world):
    server = world.keycloak
    async with client(server) as http:
        await log_in(http, server, world, "kc-teacher")
        assert (await http.get("/api/v1/me")).json()["role"] == "teacher"
    async with client(server) as http:
        await log_in(http, server, world, "kc-admin")
    teacher, admin = await user_of(world, "kc-teacher"), await user_of(world, "kc-admin")
    await teacher.fetch_related("classes")
    assert (teacher.role, teacher.school_id) == (Role.TEACHER, world.school.id)
    assert [c.name for c in teacher.classes] == ["7b"]
    assert admin.role == Role.SCHOOL_ADMIN  # the highest mapped role wins


@pytest.mark.postgres
async def test_second_login_updates_the_same_account(world):
    server = world.schulconnex
    async with client(server) as http:
        await log_in(http, server, world, "returning")
    user = await user_of(world, "returning")
    await user.fetch_related("classes")
    assert sorted(c.name for c in user.classes) == ["5a", "7b"]
    # Changed here meanwhile: the IdP's claims win at the next login.
    await User.filter(id=user.id).update(given_name="Changed", role=Role.PUPIL, school_id=world.decoy.id)
    await user.classes.clear()
    async with client(server) as http:
        await log_in(http, server, world, "returning")
    assert await User.filter(external_issuer=world.idp.issuer, external_subject=world.sub("returning")).count() == 1
    assert not await User.filter(username__startswith="returning", id__not=user.id).exists()
    await user.refresh_from_db()
    await user.fetch_related("classes")
    assert (user.given_name, user.role, user.school_id, user.username) == (
        "Returning", Role.TEACHER, world.school.id, "returning")
    assert sorted(c.name for c in user.classes) == ["5a", "7b"]


@pytest.mark.postgres
async def test_claims_that_map_to_no_role_are_refused(world):
    server = world.schulconnex
    async with client(server) as http:
        response = await http.get(await callback_url(http, server, world, "no-role"))
        assert response.status_code == 403
        assert "Login failed" in response.text and "has no role in schoolcloud" in response.text
        await assert_not_logged_in(http)
    assert await user_of(world, "no-role") is None
    refusal = await AuditEvent.filter(action="login.refused").order_by("-id").first()
    assert refusal.details["reason"] == "no_role"


async def test_unknown_school_is_refused_even_if_the_number_equals_an_internal_id(world):
    server = world.schulconnex
    assert world.idp.claims_of("no-school")["school"] == str(world.decoy.id)
    async with client(server) as http:
        response = await http.get(await callback_url(http, server, world, "no-school"))
        assert response.status_code == 403
        assert "Your school is not set up in schoolcloud yet" in response.text
        await assert_not_logged_in(http)
    assert await user_of(world, "no-school") is None
    assert not await User.filter(school=world.decoy).exists()


# --- refusals on the relying party ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("mode", list(TAMPERED))
async def test_tampered_id_token_is_refused(world, mode):
    server, login = world.schulconnex, f"tamper-{mode}"
    log_size = len(server.log())
    async with client(server) as http:
        callback = await callback_url(http, server, world, login)
        await world.idp.aset_tamper(mode)
        response = await http.get(callback)
        assert world.idp.tamper_mode() == "none", "the provider answered no token request"
        assert_login_failed(response)
        await assert_not_logged_in(http)
    assert await user_of(world, login) is None
    assert not await LoginSession.filter(user__external_subject=world.sub(login)).exists()
    reason = [line for line in server.log()[log_size:].splitlines() if "login callback refused" in line]
    assert reason and TAMPERED[mode] in reason[-1], reason


@pytest.mark.postgres
async def test_wrong_state_is_refused(world):
    server = world.schulconnex
    async with client(server) as http:
        callback = await callback_url(http, server, world, "state")
        parts = urlsplit(callback)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        forged = f"{server.base_url}/auth/callback?" + urlencode({**query, "state": query["state"][:-2] + "xx"})
        assert_login_failed(await http.get(forged))
        await assert_not_logged_in(http)
        assert await user_of(world, "state") is None
        missing = f"{server.base_url}/auth/callback?" + urlencode({"code": query["code"]})
        assert_login_failed(await http.get(missing))
        assert await user_of(world, "state") is None
        # Control: the same code with the right state is accepted, so the state alone made the difference.
        assert (await http.get(callback)).status_code == 303
    assert await user_of(world, "state") is not None


@pytest.mark.postgres
async def test_replayed_code_is_refused(world):
    server = world.schulconnex
    async with client(server) as http:
        callback = await callback_url(http, server, world, "twice")
        assert (await http.get(callback)).status_code == 303
        user = await user_of(world, "twice")
        assert await LoginSession.filter(user=user).count() == 1
        # The same callback again, as a browser's back button or an attacker with the URL would send it.
        assert_login_failed(await http.get(callback))
        assert await LoginSession.filter(user=user).count() == 1
    # In another browser with a login of its own under way (so the state matches), the used code is
    # refused by the provider, and the relying party shows the failure.
    async with client(server) as attacker:
        start = await attacker.get("/login")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        code = parse_qs(urlsplit(callback).query)["code"][0]
        log_size = len(server.log())
        replay = await attacker.get("/auth/callback", params={"code": code, "state": state,
                                                               "iss": world.idp.issuer})
        assert_login_failed(replay)
        assert "invalid_grant" in server.log()[log_size:]
        await assert_not_logged_in(attacker)
    assert await LoginSession.filter(user=user).count() == 1


# --- during and at the end of a session -------------------------------------------------------------


async def _expire_access_token(user: User) -> LoginSession:
    await LoginSession.filter(user=user).update(
        access_token_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    return await LoginSession.get(user=user)


@pytest.mark.postgres
async def test_expired_access_token_is_refreshed_and_a_revoked_grant_ends_the_session(world):
    server = world.schulconnex
    async with client(server) as http:
        await log_in(http, server, world, "refresher")
        user = await user_of(world, "refresher")
        before = await _expire_access_token(user)
        assert (await http.get("/api/v1/me")).status_code == 200
        after = await LoginSession.get(user=user)
        assert after.access_token_expires_at > datetime.now(timezone.utc) + timedelta(seconds=60)
        assert after.id_token and after.id_token != before.id_token
        # The provider revokes the grant (as after a deactivation there): the next refresh fails and
        # the session ends.
        async with httpx.AsyncClient(timeout=10) as backchannel:
            revoked = await backchannel.post(f"{world.idp.issuer}/token/revocation", auth=(CLIENT_ID, CLIENT_SECRET),
                                             data={"token": after.refresh_token,
                                                   "token_type_hint": "refresh_token"})
            assert revoked.status_code == 200
        await _expire_access_token(user)
        assert (await http.get("/api/v1/me")).status_code == 401
    assert not await LoginSession.filter(user=user).exists()


@pytest.mark.postgres
async def test_logout_reaches_the_providers_end_session_endpoint(world):
    server = world.schulconnex
    async with client(server) as http:
        await log_in(http, server, world, "leaver")
        user = await user_of(world, "leaver")
        row = await LoginSession.get(user=user)
        csrf = (await http.get("/api/v1/me")).json()["csrf_token"]
        response = await http.post("/logout", data={"csrf_token": csrf})
        assert response.status_code == 303
        end_session = response.headers["location"]
        assert end_session.startswith(f"{world.idp.issuer}/session/end?")
        query = parse_qs(urlsplit(end_session).query)
        assert query["id_token_hint"] == [row.id_token]
        assert query["post_logout_redirect_uri"] == [f"{server.base_url}/logged-out"]
        assert not await LoginSession.filter(user=user).exists()
        back = await logout_at_provider(http, end_session)
        assert back.status_code in (302, 303)
        assert back.headers["location"].startswith(f"{server.base_url}/logged-out?state=")
        final = await http.get(back.headers["location"])
        assert final.status_code == 200 and "You have been logged out" in final.text
        await assert_not_logged_in(http)
    # The provider ended its side too: the session's refresh token is dead there.
    async with httpx.AsyncClient(timeout=10) as backchannel:
        refused = await backchannel.post(f"{world.idp.issuer}/token", auth=(CLIENT_ID, CLIENT_SECRET),
                                         data={"grant_type": "refresh_token", "refresh_token": row.refresh_token})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


# --- claim paths --------------------------------------------------------------------------------------


def test_claim_paths_reach_into_nested_claims_and_lists():
    claims = {
        "realm_access": {"roles": ["offline_access", "teacher"]},
        "personenkontexte": [
            {"rolle": "LEHR", "organisation": {"kennung": "NI_12345"},
             "gruppen": [{"gruppe": {"bezeichnung": "5a"}}, {"gruppe": {"bezeichnung": "6b"}}]},
        ],
        "school": "",
    }
    assert claim(claims, "realm_access.roles") == ["offline_access", "teacher"]
    assert claim(claims, "personenkontexte.rolle") == ["LEHR"]
    assert claim(claims, "personenkontexte.organisation.kennung") == ["NI_12345"]
    assert claim(claims, "personenkontexte.gruppen.gruppe.bezeichnung") == ["5a", "6b"]
    assert claim(claims, "school") == [] and claim(claims, "missing.path") == []
