"""Renaming and deleting teams over the real server: through the JSON API and the team pages (httpx, with
the confirmation page), who may do it, the refusal while the team's files are not empty, and that a
deleted team leaves nothing behind (members, space, nodes, versions, shares, links, objects)."""

from __future__ import annotations

import re

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import FileVersion, Node, Space
from schoolcloud.files.sharing_models import PublicLink, Share
from schoolcloud.privacy.models import AuditEvent
from schoolcloud.teams.models import Team, TeamMember
from storage.local import LocalStore
from tests.support import browser
from tests.support.data import make_member, make_school
from tests.support.files import api_client, personal_root, store_keys, upload
from tests.test_files_sharing_pages import notice


@pytest.mark.postgres
async def test_delete_team_through_the_api_refuses_while_files_remain_and_leaves_nothing(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL)
    async with api_client(app.base_url, teacher) as http:
        team = (await http.post("/api/v1/files/teams", json={"name": "Schülerzeitung"})).json()
        assert (await http.post(f"/api/v1/files/teams/{team['id']}/members", json={"user_id": pupil.id})).status_code == 201
        article = (await upload(http, team["root_id"], "Artikel.txt", b"Ausgabe 1")).json()
        folder = (await http.post(f"/api/v1/files/nodes/{team['root_id']}/folders", json={"name": "Bilder"})).json()
        await upload(http, folder["id"], "Bild.txt", b"Bild")
        link = (await http.post(f"/api/v1/files/nodes/{article['id']}/links", json={})).json()
        mine = (await upload(http, await personal_root(http), "Plan.txt", b"plan")).json()
        shared = await http.post(f"/api/v1/files/nodes/{mine['id']}/shares",
                                 json={"recipient": {"type": "team", "id": team["id"]}, "access": "read"})
        assert shared.status_code == 201
    keys = list(await FileVersion.filter(node__space_id=team["space_id"]).values_list("object_key", flat=True))
    assert len(keys) == 2

    async with api_client(app.base_url, pupil) as http:
        assert (await http.delete(f"/api/v1/files/teams/{team['id']}")).status_code == 403
        assert (await http.patch(f"/api/v1/files/teams/{team['id']}", json={"name": "Meins"})).status_code == 403
    async with api_client(app.base_url, teacher) as http:
        full = await http.delete(f"/api/v1/files/teams/{team['id']}")
        assert full.status_code == 409 and full.json()["error"]["code"] == "team_not_empty"
        assert "(entries: 3)" in full.json()["error"]["message_en"]
        assert await Team.filter(id=team["id"]).exists()
        # Emptied into the team's trash: now it goes, and the trash with it.
        assert (await http.delete(f"/api/v1/files/nodes/{article['id']}")).status_code == 200
        assert (await http.delete(f"/api/v1/files/nodes/{folder['id']}")).status_code == 200
        assert (await http.delete(f"/api/v1/files/teams/{team['id']}")).status_code == 204
        assert (await http.get(f"/api/v1/files/teams/{team['id']}")).status_code == 404
        assert (await http.get(f"/api/v1/files/nodes/{team['root_id']}/children")).status_code == 404
        assert (await http.get(f"/api/v1/files/nodes/{mine['id']}/shares")).json()["items"] == []
        assert (await http.get("/api/v1/files/content/" + str(mine["id"]))).content == b"plan"  # own file stays
    assert not await Team.filter(id=team["id"]).exists()
    assert not await TeamMember.filter(team_id=team["id"]).exists()
    assert not await Space.filter(id=team["space_id"]).exists()
    assert not await Node.filter(space_id=team["space_id"]).exists()
    assert not await FileVersion.filter(object_key__in=keys).exists()
    assert not await Share.filter(team_id=team["id"]).exists()
    assert not await PublicLink.filter(id=link["id"]).exists()
    remaining = set(await store_keys(LocalStore(app.var_dir / "objects")))
    assert not remaining & set(keys)
    event = await AuditEvent.filter(action="teams.delete", target_id=str(team["id"])).first()
    assert event is not None and event.details["trash_entries"] == 2 and event.details["objects"] == 2


async def test_rename_and_delete_on_the_team_pages_with_confirmation(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL)
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, teacher) as http:
        team = (await http.post("/api/v1/files/teams", json={"name": "Robotik AG"})).json()
        await http.post(f"/api/v1/files/teams/{team['id']}/members", json={"user_id": pupil.id})
        page = await http.get(f"/teams/{team['id']}")
        assert 'id="team-new-name"' in page.text and f'href="/teams/{team["id"]}/delete"' in page.text
        response = await http.post(f"/teams/{team['id']}/rename", data={"csrf_token": browser.csrf_from(page.text),
                                                                         "name": "Robotik-AG 2027"})
        assert response.status_code == 303
        page = await http.get(f"/teams/{team['id']}")
        assert "<h1>Robotik-AG 2027</h1>" in page.text and "Robotik-AG 2027" in notice(page.text)
        await http.post(f"/teams/{team['id']}/rename", data={"csrf_token": browser.csrf_from(page.text), "name": " "})
        page = await http.get(f"/teams/{team['id']}")
        assert notice(page.text)  # the summary at the top links to the field
        assert re.search(r'<a href="#team-new-name">[^<]*100 Zeichen', page.text)
        assert 'aria-invalid="true" aria-describedby="team-new-name-error"' in page.text
        assert re.search(r'<p class="field-error" id="team-new-name-error">[^<]*100 Zeichen', page.text)
        assert (await Team.get(id=team["id"])).name == "Robotik-AG 2027"

        await upload(http, team["root_id"], "Bauplan.txt", b"plan")
        confirm = await http.get(f"/teams/{team['id']}/delete")
        assert confirm.status_code == 200 and "nicht leer" in confirm.text and "Einträge: 1" in confirm.text
        assert 'action="/teams/{}/delete"'.format(team["id"]) not in confirm.text  # no button while not empty
        refused = await http.post(f"/teams/{team['id']}/delete", data={"csrf_token": browser.csrf_from(confirm.text)})
        assert refused.status_code == 303 and refused.headers["location"] == f"/teams/{team['id']}/delete"
        assert await Team.filter(id=team["id"]).exists()
    async with api_client(app.base_url, pupil) as http:
        page = await http.get(f"/teams/{team['id']}")
        assert 'id="team-new-name"' not in page.text and "/delete" not in page.text
        assert (await http.get(f"/teams/{team['id']}/delete")).status_code == 403
        response = await http.post(f"/teams/{team['id']}/delete", data={"csrf_token": browser.csrf_from(page.text)})
        assert response.status_code == 303 and await Team.filter(id=team["id"]).exists()
    async with api_client(app.base_url, admin) as http:  # the school's admins manage every team
        node = await Node.get(space__team_id=team["id"], name="Bauplan.txt")
        assert (await http.delete(f"/api/v1/files/nodes/{node.id}")).status_code == 200
        confirm = await http.get(f"/teams/{team['id']}/delete")
        assert "Papierkorb" in confirm.text and "Mitglieder: 2" in confirm.text
        response = await http.post(f"/teams/{team['id']}/delete", data={"csrf_token": browser.csrf_from(confirm.text)})
        assert response.status_code == 303 and response.headers["location"] == "/teams"
        listing = await http.get("/teams")
        assert "Robotik-AG 2027" in notice(listing.text) and f'href="/teams/{team["id"]}"' not in listing.text
    assert not await Team.filter(id=team["id"]).exists()
    assert not await Space.filter(team_id=team["id"]).exists()


def fsck_problems(app) -> list[str]:
    """What `schoolcloud fsck` reports besides the object count."""
    report = app.cli("fsck", check=False).stdout.splitlines()
    return [line for line in report if not line.startswith("objects in store:")]


@pytest.mark.postgres
async def test_deleting_a_team_and_uploading_into_it_at_once_always_ends_consistent(app):
    import asyncio

    teacher = await make_member(await make_school(), Role.TEACHER)
    store = LocalStore(app.var_dir / "objects")
    known_problems = fsck_problems(app)
    async with api_client(app.base_url, teacher) as http:
        for round_ in range(12):
            team = (await http.post("/api/v1/files/teams", json={"name": f"Team {round_}"})).json()
            before = set(await store_keys(store))
            # The delete starts 0 to 22 ms after the upload, so that its check, its commit and the upload's
            # commit meet in different orders (without the lock, some rounds lost the uploaded file).
            pause = round_ * 0.002

            async def body():
                yield b"Ergebnis "
                yield b"der Gruppe"

            async def delete_later():
                await asyncio.sleep(pause)
                return await http.delete(f"/api/v1/files/teams/{team['id']}")

            uploaded, deleted = await asyncio.gather(
                http.post(f"/api/v1/files/upload/{team['root_id']}", params={"name": "Ergebnis.txt"}, content=body()),
                delete_later())
            new_objects = set(await store_keys(store)) - before
            if deleted.status_code == 204:
                # the team went first: the upload was refused and left no row and no object
                assert uploaded.status_code == 404, uploaded.text
                assert not await Team.filter(id=team["id"]).exists()
                assert not await Space.filter(id=team["space_id"]).exists()
                assert not await Node.filter(space_id=team["space_id"]).exists()
                assert not new_objects
            else:
                # the upload went first: the team stays, with the file
                assert uploaded.status_code == 201, uploaded.text
                assert deleted.status_code == 409 and deleted.json()["error"]["code"] == "team_not_empty"
                node = await Node.get(id=uploaded.json()["id"], space_id=team["space_id"], trash_key=0)
                version = await FileVersion.get(node_id=node.id)
                assert new_objects == {version.object_key}
                assert (await Space.get(id=team["space_id"])).used_bytes == node.size == 19
    # fsck finds nothing new (the shared test server may hold other tests' deliberate damage)
    assert fsck_problems(app) == known_problems


@pytest.mark.postgres
async def test_creating_in_a_team_while_it_is_deleted_gives_a_clear_answer(app):
    """A folder, a resumable upload, a move, a share and a link made in a team's files at the moment the
    team is deleted: each either lands first (the deletion is then refused, 409) or finds the team gone
    (a clear 404 in German or English), never a 500, and nothing is left behind."""
    import asyncio

    from schoolcloud.files.models import TusUpload
    from tests.support.files import tus_metadata

    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    colleague = await make_member(school, Role.TEACHER)
    known_problems = fsck_problems(app)
    async with api_client(app.base_url, teacher) as http:
        mine = (await upload(http, await personal_root(http), "Verschieben.txt", b"hin und her")).json()
        actions = {
            "folder": lambda team: http.post(f"/api/v1/files/nodes/{team['root_id']}/folders", json={"name": "Neu"}),
            "tus": lambda team: http.post("/api/v1/files/tus", headers={
                "Tus-Resumable": "1.0.0", "Upload-Length": "10",
                "Upload-Metadata": tus_metadata(filename="Gross.bin", folder=str(team["root_id"]))}),
            "move": lambda team: http.patch(f"/api/v1/files/nodes/{mine['id']}", json={"parent_id": team["root_id"]}),
            "share": lambda team: http.post(f"/api/v1/files/nodes/{team['root_id']}/shares", json={
                "recipient": {"type": "user", "id": colleague.id}, "access": "read"}),
            "link": lambda team: http.post(f"/api/v1/files/nodes/{team['root_id']}/links", json={"mode": "drop"}),
        }
        for round_ in range(10):
            for what, action in actions.items():
                team = (await http.post("/api/v1/files/teams", json={"name": f"Team {what} {round_}"})).json()
                pause = round_ * 0.003

                async def delete_later():
                    await asyncio.sleep(pause)
                    return await http.delete(f"/api/v1/files/teams/{team['id']}")

                made, deleted = await asyncio.gather(action(team), delete_later())
                assert made.status_code < 500 and deleted.status_code < 500, (what, made.text, deleted.text)
                if deleted.status_code == 204:
                    assert made.status_code in (201, 404) if what in ("share", "link", "tus") else made.status_code == 404, \
                        (what, made.status_code, made.text)
                    if made.status_code == 404:
                        assert made.json()["error"]["message"], made.text
                    assert not await Space.filter(id=team["space_id"]).exists()
                    assert not await Node.filter(space_id=team["space_id"]).exists()
                    assert not await TusUpload.filter(folder_id=team["root_id"]).exists()
                    assert not await Share.filter(node_id=team["root_id"]).exists()
                    assert not await PublicLink.filter(node_id=team["root_id"]).exists()
                else:
                    assert deleted.status_code == 409 and made.status_code in (200, 201), (what, made.text)
                    if what == "move":  # back home for the next round
                        back = await http.patch(f"/api/v1/files/nodes/{mine['id']}",
                                                json={"parent_id": await personal_root(http)})
                        assert back.status_code == 200, back.text
    assert fsck_problems(app) == known_problems


@pytest.mark.postgres
@pytest.mark.parametrize("what", ["folder", "tus", "move", "share", "link"])
async def test_a_request_into_a_team_that_is_being_deleted_gets_a_clear_404(app, what):
    """The deletion has removed the team's rows but not committed yet (the test holds the team's row
    lock, which its last statement needs) when a request creates something in the team's root folder:
    once the deletion commits, the request answers 404 with a message (before: a foreign key error,
    500), and nothing of it is left."""
    import asyncio

    from schoolcloud.files.models import TusUpload
    from tests.conftest import BACKEND
    from tests.support.files import row_locked, tus_metadata, wait_for_lock_waiter

    if BACKEND != "postgres":
        pytest.skip("needs row locks to stop a request at a known point (PostgreSQL)")
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    colleague = await make_member(school, Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        mine = (await upload(http, await personal_root(http), "Verschieben.txt", b"hin und her")).json()
        team = (await http.post("/api/v1/files/teams", json={"name": f"Auflösung {what}"})).json()
        root = team["root_id"]
        action = {
            "folder": lambda: http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": "Neu"}),
            "tus": lambda: http.post("/api/v1/files/tus", headers={
                "Tus-Resumable": "1.0.0", "Upload-Length": "10",
                "Upload-Metadata": tus_metadata(filename="Gross.bin", folder=str(root))}),
            "move": lambda: http.patch(f"/api/v1/files/nodes/{mine['id']}", json={"parent_id": root}),
            "share": lambda: http.post(f"/api/v1/files/nodes/{root}/shares", json={
                "recipient": {"type": "user", "id": colleague.id}, "access": "read"}),
            "link": lambda: http.post(f"/api/v1/files/nodes/{root}/links", json={"mode": "drop"}),
        }[what]
        async with row_locked("team", team["id"]):
            deleting = asyncio.ensure_future(http.delete(f"/api/v1/files/teams/{team['id']}"))
            await wait_for_lock_waiter(1)
            making = asyncio.ensure_future(action())
            await wait_for_lock_waiter(2)
        deleted, made = await deleting, await making
        assert deleted.status_code == 204, deleted.text
        assert made.status_code == 404, made.text
        error = made.json()["error"]
        assert error["code"] == "not_found" and error["message_en"] == "This folder was deleted meanwhile."
        assert error["message"] == error["message_de"] == "Dieser Ordner wurde inzwischen gelöscht."
        if what == "move":
            assert (await http.get(f"/api/v1/files/nodes/{mine['id']}")).json()["parent_id"] == \
                await personal_root(http)
    assert not await Node.filter(space_id=team["space_id"]).exists()
    assert not await TusUpload.filter(folder_id=root).exists()
    assert not await Share.filter(node_id=root).exists() and not await PublicLink.filter(node_id=root).exists()
