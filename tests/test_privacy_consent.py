"""Consent: the age rules, one's own consent, a parent's consent recorded by the school administrator,
the class directory gated by it (withdrawal blocks it from the next request on), audit of every change."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.privacy.age_rules import PARENT, SELF, AgeRule, required_givers
from schoolcloud.privacy.models import AuditEvent, Consent
from schoolcloud.privacy.purposes import CLASS_DIRECTORY
from tests.support import browser
from tests.support.data import logged_in, make_class, make_member, make_school

TODAY = date(2026, 11, 27)
PURPOSE = CLASS_DIRECTORY.id
OWN = f"/api/v1/privacy/consents/{PURPOSE}"
DIRECTORY = "/api/v1/privacy/class-directory"


def born(age: int) -> date:
    """A birth date that makes the person ``age`` years old today (a year after their birthday)."""
    today = datetime.now(timezone.utc).date()
    return date(today.year - age - 1, 12, 31) if (today.month, today.day) != (12, 31) else date(today.year - age, 1, 1)


def test_age_rules():
    def givers(age, state="", table=None, pupil=True):
        birth = None if age is None else date(TODAY.year - age, 1, 1)
        return required_givers(is_pupil=pupil, birth_date=birth, state=state, today=TODAY, table=table)

    assert givers(10) == {PARENT}
    assert givers(13) == {PARENT}
    assert givers(14) == {SELF, PARENT}
    assert givers(15) == {SELF, PARENT}
    assert givers(16) == {SELF}
    assert givers(None) == {SELF, PARENT}  # unknown birth date: both
    assert givers(30, pupil=False) == {SELF}
    assert givers(None, pupil=False) == {SELF}
    # The day before the 14th birthday still counts as 13.
    assert required_givers(is_pupil=True, birth_date=date(2012, 11, 28), state="", today=TODAY) == {PARENT}
    assert required_givers(is_pupil=True, birth_date=date(2012, 11, 27), state="", today=TODAY) == {SELF, PARENT}
    # Per Land: a table keyed by School.state, other Länder keep the default.
    table = {"XY": AgeRule(own_from=13, parent_until=15)}
    assert givers(13, "XY", table) == {SELF, PARENT}
    assert givers(15, "xy", table) == {SELF}
    assert givers(15, "NI", table) == {SELF, PARENT}


@pytest.fixture
async def world(app):
    school = await make_school(state="NI")
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    teen = await make_member(school, Role.PUPIL, given_name="Lea", family_name="Sechzehn", birth_date=born(16))
    child = await make_member(school, Role.PUPIL, given_name="Tim", family_name="Zwoelf", birth_date=born(12))
    middle = await make_member(school, Role.PUPIL, given_name="Ada", family_name="Fuenfzehn", birth_date=born(15))
    silent = await make_member(school, Role.PUPIL, given_name="Nils", family_name="Ohne", birth_date=born(17))
    teacher = await make_member(school, Role.TEACHER, given_name="Frau", family_name="Lehrerin")
    await make_class(school, "8a", members=[teen, child, middle, silent, teacher])
    return dict(school=school, admin=admin, teen=teen, child=child, middle=middle, silent=silent, teacher=teacher)


async def _page_post(http, page_path: str, action: str, **data):
    page = await http.get(page_path)
    assert page.status_code == 200, page.text
    return await http.post(action, data={"csrf_token": browser.csrf_from(page.text), **data}, follow_redirects=True)


@pytest.mark.postgres
async def test_own_consent_gates_the_directory_and_withdrawal_acts_mid_session(app, world):
    teen = world["teen"]
    async with logged_in(app, teen) as http:
        refused = await http.get(DIRECTORY)
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["code"] == "consent_required"
        assert CLASS_DIRECTORY.title_de in error["message_de"] and CLASS_DIRECTORY.title_en in error["message_en"]
        page = await http.get("/privacy/class-directory")
        assert page.status_code == 403 and CLASS_DIRECTORY.title_de in page.text

        state = (await http.get("/api/v1/privacy/consents")).json()["items"][0]
        assert state["needed"] == ["self"] and state["effective"] is False

        given = await http.put(OWN, headers=http.csrf)
        assert given.status_code == 201 and given.json()["effective"] is True
        again = await http.put(OWN, headers=http.csrf)  # twice: nothing new
        assert again.status_code == 200
        assert await Consent.filter(user_id=teen.id, withdrawn_at__isnull=True).count() == 1

        listed = (await http.get(DIRECTORY)).json()["classes"]
        assert [m["given_name"] for m in listed[0]["members"]] == ["Lea"]  # only those who agreed

        # Withdrawn in another session (another device): this session is blocked at its next request.
        async with logged_in(app, teen) as other:
            assert (await other.delete(OWN, headers=other.csrf)).status_code == 204
            twice = await other.delete(OWN, headers=other.csrf)
            assert twice.status_code == 409 and twice.json()["error"]["code"] == "consent_not_given"
        assert (await http.get(DIRECTORY)).status_code == 403
        assert (await http.get("/privacy/class-directory")).status_code == 403

    actions = await AuditEvent.filter(target_id=str(teen.public_id), action__startswith="consent.") \
        .order_by("id").values_list("action", "actor", "details")
    assert [a for a, _, _ in actions] == ["consent.given", "consent.withdrawn"]
    assert all(actor == str(teen.public_id) for _, actor, _ in actions)
    assert actions[0][2] == {"purpose": PURPOSE, "version": CLASS_DIRECTORY.version, "given_by": "self"}
    rows = await Consent.filter(user_id=teen.id)
    assert len(rows) == 1 and rows[0].withdrawn_at is not None  # history kept


@pytest.mark.postgres
async def test_parent_consent_recorded_by_the_admin(app, world):
    child, middle, admin = world["child"], world["middle"], world["admin"]
    async with logged_in(app, child) as http:
        own = await http.put(OWN, headers=http.csrf)
        assert own.status_code == 409 and own.json()["error"]["code"] == "own_consent_not_applicable"
        page = await _page_post(http, "/privacy", f"/privacy/consents/{PURPOSE}/give")
        assert page.status_code == 200 and "In deinem Alter ist die Einwilligung" in page.text
        assert (await http.get(DIRECTORY)).status_code == 403

    async with logged_in(app, admin) as http:
        page_path = f"/admin/users/{child.public_id}/privacy"
        recorded = await _page_post(http, page_path, f"/admin/users/{child.public_id}/consents/{PURPOSE}/parent", note="Formular vom 20.11.")
        assert recorded.status_code == 200 and "wurde eingetragen" in recorded.text
        again = await _page_post(http, page_path, f"/admin/users/{child.public_id}/consents/{PURPOSE}/parent")
        assert "nichts geändert" in again.text
        data = (await http.get(f"/api/v1/privacy/users/{child.public_id}/consents")).json()
        assert data["items"][0]["effective"] is True and data["items"][0]["needed"] == ["parent"]
        assert data["history"][0]["note"] == "Formular vom 20.11."
        assert data["history"][0]["recorded_by"] == str(admin.public_id)

        # 15: a parent's consent alone is not enough.
        url = f"/api/v1/privacy/users/{middle.public_id}/consents/{PURPOSE}/parent"
        assert (await http.put(url, headers=http.csrf)).status_code == 201
        state = (await http.get(f"/api/v1/privacy/users/{middle.public_id}/consents")).json()["items"][0]
        assert state["effective"] is False and state["missing"] == ["self"]

        # 16 and over: no parent's consent is recorded; teachers: not pupils.
        over = await http.put(f"/api/v1/privacy/users/{world['teen'].public_id}/consents/{PURPOSE}/parent",
                              headers=http.csrf)
        assert over.status_code == 409 and over.json()["error"]["code"] == "parent_consent_not_needed"
        teacher = await http.get(f"/api/v1/privacy/users/{world['teacher'].public_id}/consents")
        assert teacher.status_code == 409

    async with logged_in(app, middle) as http:
        assert (await http.put(OWN, headers=http.csrf)).status_code == 201
        assert (await http.get(DIRECTORY)).status_code == 200
    async with logged_in(app, child) as http:
        names = [m["given_name"] for m in (await http.get(DIRECTORY)).json()["classes"][0]["members"]]
        assert names == ["Ada", "Tim"]  # Lea and Nils never agreed

    async with logged_in(app, admin) as http:
        withdrawn = await http.delete(f"/api/v1/privacy/users/{child.public_id}/consents/{PURPOSE}/parent",
                                      headers=http.csrf)
        assert withdrawn.status_code == 204
    async with logged_in(app, world["middle"]) as http:
        names = [m["given_name"] for m in (await http.get(DIRECTORY)).json()["classes"][0]["members"]]
        assert names == ["Ada"]
    parent_events = await AuditEvent.filter(target_id=str(child.public_id), action__startswith="consent.") \
        .order_by("id").values_list("action", "actor", "details")
    assert [(a, d["given_by"]) for a, _, d in parent_events] == [("consent.given", "parent"),
                                                                 ("consent.withdrawn", "parent")]
    assert {actor for _, actor, _ in parent_events} == {str(admin.public_id)}


@pytest.mark.postgres
async def test_consent_to_an_old_text_no_longer_counts(app, world):
    teen = world["silent"]
    await Consent.create(school=world["school"], user=teen, purpose=PURPOSE, given_by="self", text_version="old",
                         granted_at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    async with logged_in(app, teen) as http:
        state = (await http.get("/api/v1/privacy/consents")).json()["items"][0]
        assert state["effective"] is False and state["outdated"] == ["self"]
        assert (await http.get(DIRECTORY)).status_code == 403
        assert (await http.put(OWN, headers=http.csrf)).status_code == 201
        assert (await http.get(DIRECTORY)).status_code == 200
    rows = await Consent.filter(user_id=teen.id).order_by("id")
    assert [r.text_version for r in rows] == ["old", CLASS_DIRECTORY.version]
    assert rows[0].withdrawn_at is not None and rows[1].withdrawn_at is None


@pytest.mark.postgres
async def test_consents_of_other_schools_and_by_other_roles_are_refused(app, world):
    other_admin = await make_member(await make_school(), Role.SCHOOL_ADMIN)
    child = world["child"]
    async with logged_in(app, other_admin) as http:
        assert (await http.get(f"/api/v1/privacy/users/{child.public_id}/consents")).status_code == 404
        url = f"/api/v1/privacy/users/{child.public_id}/consents/{PURPOSE}/parent"
        assert (await http.put(url, headers=http.csrf)).status_code == 404
        assert (await http.get(f"/admin/users/{child.public_id}/privacy")).status_code == 404
    async with logged_in(app, world["teacher"]) as http:
        url = f"/api/v1/privacy/users/{child.public_id}/consents/{PURPOSE}/parent"
        assert (await http.put(url, headers=http.csrf)).status_code == 403
        assert (await http.get(f"/admin/users/{child.public_id}/privacy")).status_code == 403
        assert (await http.put("/api/v1/privacy/consents/no_such_purpose", headers=http.csrf)).status_code == 404
    assert not await Consent.filter(user_id=child.id).exists()
