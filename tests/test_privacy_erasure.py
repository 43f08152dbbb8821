"""Erasure (Art. 17): deleting an account removes its personal space with every object, unfinished
uploads, shares, links, sessions and consents; `schoolcloud fsck` finds nothing left; content in group
spaces stays without the name. Restriction (Art. 18): a frozen account cannot log in and is not changed."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Role, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.files.models import FileVersion, Node, Space, TusPart, TusUpload
from schoolcloud.files.sharing_models import PublicLink, Share
from schoolcloud.privacy import services_consent
from schoolcloud.privacy.models import AccountRestriction, AuditEvent, Consent
from schoolcloud.privacy.purposes import CLASS_DIRECTORY
from storage.local import LocalStore
from tests.support import browser
from tests.support.data import PASSWORD, logged_in, make_class, make_member, make_school
from tests.support.files import personal_root, spaces, store_keys, tus_metadata, upload

TUS = {"Tus-Resumable": "1.0.0"}


def fsck_problems(app) -> dict[str, set[str]]:
    """The orphan objects and missing versions fsck reports now (grace 0: every orphan counts)."""
    out = app.cli("fsck", "--grace-minutes", "0", check=False).stdout
    found = {"orphans": set(), "missing": set()}
    for line in out.splitlines():
        if line.startswith("objects without rows:"):
            found["orphans"] = set(line.split(": ", 2)[2].split(", "))
        elif line.startswith("versions without objects:"):
            found["missing"] = set(line.split(": ", 2)[2].split(", "))
    return found


@pytest.fixture
async def world(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    teacher = await make_member(school, Role.TEACHER, given_name="Greta", family_name="Geht")
    pupil = await make_member(school, Role.PUPIL, given_name="Paul", family_name="Bleibt")
    school_class = await make_class(school, "6a", members=[teacher, pupil])
    return dict(school=school, admin=admin, teacher=teacher, pupil=pupil, school_class=school_class)


@pytest.mark.postgres
async def test_deleting_an_account_erases_its_data_and_objects(app, world):
    teacher, admin = world["teacher"], world["admin"]
    store = LocalStore(app.var_dir / "objects")
    async with logged_in(app, teacher) as mine:
        mine.headers.update(mine.csrf)
        root = await personal_root(mine)
        notes = (await upload(mine, root, "Notizen.txt", b"v1")).json()
        assert (await upload(mine, root, "Notizen.txt", b"v2", on_conflict="overwrite")).status_code in (200, 201)
        old = (await upload(mine, root, "alt.txt", b"old")).json()
        assert (await mine.delete(f"/api/v1/files/nodes/{old['id']}")).status_code == 200
        class_root = next(s for s in await spaces(mine) if s["kind"] == "class")["root_id"]
        worksheet = (await upload(mine, class_root, "Arbeitsblatt.txt", b"fuer alle")).json()
        shared = await mine.post(f"/api/v1/files/nodes/{notes['id']}/shares",
                                 json={"recipient": {"type": "user", "id": world["pupil"].id}, "access": "read"})
        assert shared.status_code == 201, shared.text
        link = await mine.post(f"/api/v1/files/nodes/{worksheet['id']}/links", json={"mode": "download"})
        assert link.status_code == 201, link.text
        started = await mine.post("/api/v1/files/tus", headers={
            **TUS, "Upload-Length": "100", "Upload-Metadata": tus_metadata(filename="halb.bin", folder=str(root))})
        assert started.status_code == 201
        part = await mine.patch(started.headers["location"], content=b"x" * 40, headers={
            **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert part.status_code == 204
        await services_consent.give_own(teacher, CLASS_DIRECTORY.id)

        space = await Space.get(owner_id=teacher.id)
        node_ids = await Node.filter(space_id=space.id).values_list("id", flat=True)
        keys = set(await FileVersion.filter(node_id__in=node_ids).values_list("object_key", flat=True))
        keys |= set(await TusPart.filter(upload__user_id=teacher.id).values_list("object_key", flat=True))
        assert len(keys) == 4 and keys <= set(await store_keys(store))
        before = fsck_problems(app)

        async with logged_in(app, admin) as http:
            deleted = await http.delete(f"/api/v1/users/{teacher.public_id}", headers=http.csrf)
            assert deleted.status_code == 204, deleted.text
            again = await http.delete(f"/api/v1/users/{teacher.public_id}", headers=http.csrf)
            assert again.status_code == 410
            error = again.json()["error"]
            assert error["code"] == "already_deleted" and error["message_de"] != error["message_en"]
            page = await http.get(f"/admin/users/{teacher.public_id}/delete")
            assert page.status_code == 410
        # The erased person's own session is over.
        assert (await mine.get("/api/v1/me")).status_code == 401

    assert not keys & set(await store_keys(store))
    after = fsck_problems(app)
    assert not keys & after["orphans"] and after["orphans"] <= before["orphans"]
    assert after["missing"] <= before["missing"]
    assert not await User.filter(id=teacher.id).exists()
    assert not await Space.filter(id=space.id).exists() and not await Node.filter(space_id=space.id).exists()
    assert not await Share.filter(node_id=notes["id"]).exists()
    assert not await PublicLink.filter(node_id=worksheet["id"]).exists()
    assert not await TusUpload.filter(user_id=teacher.id).exists()
    assert not await LoginSession.filter(user_id=teacher.id).exists()
    assert not await Consent.filter(user_id=teacher.id).exists()
    # What the teacher gave the class stays, without their name.
    kept = await Node.get(id=worksheet["id"])
    assert kept.created_by_id is None
    event = await AuditEvent.filter(action="user.deleted", target_id=str(teacher.public_id)).first()
    assert event.details["objects"] == 3 and event.details["uploads"] == 1
    assert event.details["shares"] == 1 and event.details["links"] == 1


@pytest.mark.postgres
async def test_freezing_an_account(app, world):
    pupil, admin = world["pupil"], world["admin"]
    base = f"/api/v1/privacy/users/{pupil.public_id}/restriction"
    async with logged_in(app, pupil) as session:
        async with logged_in(app, admin) as http:
            page = await http.get(f"/admin/users/{pupil.public_id}/privacy")
            frozen = await http.post(f"/admin/users/{pupil.public_id}/freeze", follow_redirects=True,
                                     data={"csrf_token": browser.csrf_from(page.text), "reason": "Widerspruch vom 3.11."})
            assert frozen.status_code == 200 and 'id="restriction-status"' in frozen.text
            assert (await http.put(base, headers=http.csrf)).status_code == 200  # twice: nothing changes

            # Readable and exportable by the admin, but not changed.
            assert (await http.get(f"/api/v1/users/{pupil.public_id}")).status_code == 200
            assert (await http.post(f"/api/v1/privacy/users/{pupil.public_id}/export", headers=http.csrf)).status_code == 202
            for response in (
                await http.patch(f"/api/v1/users/{pupil.public_id}", headers=http.csrf, json={"given_name": "X"}),
                await http.patch(f"/api/v1/users/{pupil.public_id}", headers=http.csrf, json={"active": True}),
                await http.post(f"/api/v1/users/{pupil.public_id}/password-reset", headers=http.csrf),
                await http.delete(f"/api/v1/users/{pupil.public_id}", headers=http.csrf),
                await http.put(f"/api/v1/privacy/users/{pupil.public_id}/consents/{CLASS_DIRECTORY.id}/parent",
                               headers=http.csrf),
            ):
                assert response.status_code == 409, response.text
                assert response.json()["error"]["code"] == "account_frozen"
            await pupil.refresh_from_db()
            assert pupil.given_name == "Paul" and not pupil.active

            # The frozen pupil's session ended, and logging in again is refused.
            assert (await session.get("/api/v1/me")).status_code == 401
            async with browser.client(app.base_url) as other:
                form_page = await browser.start_login(other)
                await browser.submit_login(other, form_page, pupil.username, PASSWORD)
                assert (await other.get("/api/v1/me")).status_code == 401

            assert (await http.delete(base, headers=http.csrf)).status_code == 204
            twice = await http.delete(base, headers=http.csrf)
            assert twice.status_code == 409 and twice.json()["error"]["code"] == "not_frozen"
    await pupil.refresh_from_db()
    assert pupil.active and not await AccountRestriction.filter(user_id=pupil.id).exists()
    async with logged_in(app, pupil) as http:
        assert (await http.get("/api/v1/me")).status_code == 200
    actions = await AuditEvent.filter(target_id=str(pupil.public_id), action__startswith="account.") \
        .order_by("id").values_list("action", "details")
    assert actions == [("account.frozen", {"reason": "Widerspruch vom 3.11."}), ("account.unfrozen", {})]


@pytest.mark.postgres
async def test_freeze_and_delete_are_refused_outside_the_school(app, world):
    pupil = world["pupil"]
    other_admin = await make_member(await make_school(), Role.SCHOOL_ADMIN)
    async with logged_in(app, other_admin) as http:
        assert (await http.put(f"/api/v1/privacy/users/{pupil.public_id}/restriction",
                               headers=http.csrf)).status_code == 404
        assert (await http.delete(f"/api/v1/users/{pupil.public_id}", headers=http.csrf)).status_code == 404
    async with logged_in(app, world["teacher"]) as http:
        assert (await http.put(f"/api/v1/privacy/users/{pupil.public_id}/restriction",
                               headers=http.csrf)).status_code == 403
    assert await User.filter(id=pupil.id, active=True).exists()
    assert not await AccountRestriction.filter(user_id=pupil.id).exists()

