"""Issue 3's bad input, each through real HTTP, answered with its status, a stable code and a message in
German and English: quota exceeded, wrong tus offsets, oversized and truncated bodies, expired links and
wrong link passwords, a share to someone outside the school. (That nothing is half-written is checked
where each refusal is made: test_files_api, test_files_tus, test_files_links, test_files_drop_tus.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import Node, Space
from schoolcloud.files.sharing_models import PublicLink
from storage.local import LocalStore
from tests.support.data import make_member, make_school
from tests.support.files import (
    api_client, broken_request, mkdir, personal_root, store_keys, tmp_emptied, tus_metadata, upload)
from tests.test_files_tus import TUS, patch


def refused(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message_de"] and error["message_en"] and error["message_de"] != error["message_en"], error
    return error


@pytest.mark.postgres
async def test_each_bad_input_gets_a_clear_german_and_english_error(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    foreign = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        sheet = (await upload(http, root, "Blatt.txt", b"Aufgabe")).json()
        await Space.filter(owner_id=teacher.id).update(quota_bytes=10_000)
        error = refused(await upload(http, root, "gross.bin", b"x" * 20_000), 507, "quota_exceeded")
        assert "Speicherplatz" in error["message_de"]

        await Space.filter(owner_id=teacher.id).update(quota_bytes=None)
        over = await http.post("/api/v1/files/tus", headers={
            **TUS, "Upload-Length": str(3 * 1024 ** 3), "Upload-Metadata": tus_metadata(filename="a.bin", folder=str(root))})
        assert "2048" in refused(over, 413, "file_too_large")["message_de"]
        made = await http.post("/api/v1/files/tus", headers={
            **TUS, "Upload-Length": "10", "Upload-Metadata": tus_metadata(filename="b.txt", folder=str(root))})
        url = made.headers["location"]
        refused(await patch(http, url, 5, b"12345"), 409, "tus_offset")
        refused(await patch(http, url, 0, b"x" * 11), 413, "tus_too_much")

        outside = await http.post(f"/api/v1/files/nodes/{sheet['id']}/shares",
                                  json={"recipient": {"type": "user", "id": foreign.id}, "access": "read"})
        refused(outside, 422, "share_outside_school")

        guarded = (await http.post(f"/api/v1/files/nodes/{sheet['id']}/links", json={"password": "richtig"})).json()
        expiring = (await http.post(f"/api/v1/files/nodes/{sheet['id']}/links", json={
            "expires_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()})).json()
        inbox = await mkdir(http, root, "Briefkasten")
        drop = (await http.post(f"/api/v1/files/nodes/{inbox['id']}/links", json={"mode": "drop"})).json()
    await PublicLink.filter(id=expiring["id"]).update(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    async with httpx.AsyncClient(base_url=app.base_url, timeout=30) as anon:
        wrong = await anon.get(guarded["url"], headers={"X-Link-Password": "falsch"})
        unknown = await anon.get("/s/" + "W" * 43, headers={"X-Link-Password": "falsch"})
        refused(wrong, 404, "link_unavailable")
        assert wrong.content == unknown.content  # a wrong password tells nothing about the link
        refused(await anon.get(expiring["url"]), 410, "link_expired")

    # A drop upload whose body breaks off: nothing stays (the client is gone, so no answer reaches it).
    store = LocalStore(app.var_dir / "objects")
    before = await store_keys(store)
    await broken_request(app, f"POST {drop['url']}/upload?name=halb.bin", {"Content-Length": "100000"}, b"a" * 40_000)
    await tmp_emptied(store)
    assert not await Node.filter(parent_id=inbox["id"]).exists()
    assert await store_keys(store) == before
