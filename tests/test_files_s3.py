"""The main upload and download paths against S3: a second app server with SCHOOLCLOUD_STORAGE=s3 on
the SeaweedFS the tests start, sharing the main test database."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import FileVersion, Node, Space
from storage.s3 import S3Store
from tests.support.files import api_client, listing, person, personal_root, spaces, store_keys, tus_metadata, upload
from tests.support.server import AppServer

# The session fixture `seaweedfs`, shared with the storage tests.
pytest_plugins = ["tests.support.seaweedfs"]


@pytest.fixture(scope="module")
def s3_settings(seaweedfs):
    return {"SCHOOLCLOUD_STORAGE": "s3", "SCHOOLCLOUD_S3_ENDPOINT": seaweedfs.endpoint,
            "SCHOOLCLOUD_S3_ACCESS_KEY": seaweedfs.access_key, "SCHOOLCLOUD_S3_SECRET_KEY": seaweedfs.secret_key,
            "SCHOOLCLOUD_S3_BUCKET": f"files-{uuid.uuid4().hex[:10]}", "SCHOOLCLOUD_S3_SECURE": "false"}


@pytest.fixture(scope="module")
def s3_app(app, s3_settings, tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("s3-app"), database_url=app.database_url,
                       extra_env=s3_settings).start()
    yield server
    server.stop()


@pytest.fixture
async def bucket(s3_settings):
    store = S3Store(s3_settings["SCHOOLCLOUD_S3_ENDPOINT"], s3_settings["SCHOOLCLOUD_S3_ACCESS_KEY"],
                    s3_settings["SCHOOLCLOUD_S3_SECRET_KEY"], s3_settings["SCHOOLCLOUD_S3_BUCKET"], secure=False)
    yield store
    await store.close()


@pytest.mark.postgres
async def test_upload_download_range_and_trash_on_s3(s3_app, bucket):
    user = await person(Role.TEACHER)
    data = os.urandom(6 * 1024 * 1024 + 123)  # more than one S3 part
    async with api_client(s3_app.base_url, user) as http:
        root = await personal_root(http)
        created = await upload(http, root, "Grosse Datei.bin", data)
        assert created.status_code == 201, created.text
        node = created.json()
        version = await FileVersion.get(node_id=node["id"])
        assert version.sha256 == hashlib.sha256(data).hexdigest()
        assert await bucket.exists(version.object_key)

        url = f"/api/v1/files/content/{node['id']}"
        full = await http.get(url)
        assert full.status_code == 200 and full.content == data
        assert (await http.get(url, headers={"If-None-Match": full.headers["etag"]})).status_code == 304
        part = await http.get(url, headers={"Range": "bytes=5242870-5242889"})
        assert part.status_code == 206 and part.content == data[5242870:5242890]
        assert (await http.get(url, headers={"Range": f"bytes={len(data)}-"})).status_code == 416

        await http.delete(f"/api/v1/files/nodes/{node['id']}")
        assert (await http.delete(f"/api/v1/files/trash/{node['id']}")).status_code == 204
        assert not await bucket.exists(version.object_key)


@pytest.mark.postgres
async def test_quota_exceeded_mid_stream_leaves_nothing_on_s3(s3_app, bucket):
    user = await person(Role.PUPIL)
    async with api_client(s3_app.base_url, user) as http:
        root = await personal_root(http)
        await Space.filter(owner_id=user.id).update(quota_bytes=3 * 1024 * 1024)
        before = await store_keys(bucket)

        async def body():
            for _ in range(100):
                yield b"q" * 65536  # 6.25 MiB, without Content-Length

        refused = await http.post(f"/api/v1/files/upload/{root}", params={"name": "zu-gross.bin"}, content=body())
        assert refused.status_code == 507
        assert not await Node.filter(name="zu-gross.bin").exists()
        assert await store_keys(bucket) == before
        assert bucket.incomplete_uploads() == []


@pytest.mark.postgres
async def test_tus_upload_on_s3(s3_app, bucket):
    user = await person(Role.TEACHER)
    data = os.urandom(700_000)
    async with api_client(s3_app.base_url, user) as http:
        root = await personal_root(http)
        created = await http.post("/api/v1/files/tus", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
            "Upload-Metadata": tus_metadata(filename="Hausaufgabe.pdf", folder=str(root))})
        assert created.status_code == 201
        url = created.headers["location"]
        for start in range(0, len(data), 300_000):
            response = await http.patch(url, content=data[start:start + 300_000], headers={
                "Tus-Resumable": "1.0.0", "Upload-Offset": str(start),
                "Content-Type": "application/offset+octet-stream"})
            assert response.status_code == 204, response.text
        node = (await listing(http, root))["items"][0]
        assert node["content_type"] == "application/pdf"
        assert (await http.get(f"/api/v1/files/content/{node['id']}")).content == data
        version = await FileVersion.get(node_id=node["id"])
        assert [k for k in await store_keys(bucket) if k.startswith("tus/")] == []
        assert await bucket.exists(version.object_key)


@pytest.mark.postgres
@pytest.mark.parametrize("group", ["course", "class"])
async def test_deleting_a_course_or_class_removes_its_objects_from_s3(s3_app, bucket, group):
    """Files, older versions and the trash of a course's or class's space go from the bucket with the
    group, and fsck on S3 finds no orphan right after (before, they stayed until `fsck --repair`)."""
    from schoolcloud.accounts.models import Course
    from tests.support.data import make_class, make_member, make_school
    from tests.test_privacy_erasure import fsck_problems

    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    teacher = await make_member(school, Role.TEACHER)
    if group == "course":
        target = await Course.create(school=school, name="Physik", subject="Physik", school_year="2026/27")
        await target.teachers.add(teacher)
    else:
        target = await make_class(school, "7b", members=[teacher])
    async with api_client(s3_app.base_url, teacher) as http:
        root = next(s["root_id"] for s in await spaces(http) if s["kind"] == group)
        assert (await upload(http, root, "Plan.txt", b"v1")).status_code == 201
        assert (await upload(http, root, "Plan.txt", b"v2", on_conflict="overwrite")).status_code in (200, 201)
        old = (await upload(http, root, "Alt.txt", b"weg")).json()
        assert (await http.delete(f"/api/v1/files/nodes/{old['id']}")).status_code == 200
    space = await Space.get(**{"course_id" if group == "course" else "school_class_id": target.id})
    keys = set(await FileVersion.filter(node__space_id=space.id).values_list("object_key", flat=True))
    assert len(keys) == 3 and keys <= set(await store_keys(bucket))
    before = fsck_problems(s3_app)

    async with api_client(s3_app.base_url, admin) as http:
        path = f"/api/v1/courses/{target.id}" if group == "course" else f"/api/v1/classes/{target.id}"
        assert (await http.delete(path)).status_code == 204

    assert not await Space.filter(id=space.id).exists()
    assert not keys & set(await store_keys(bucket))
    assert fsck_problems(s3_app)["orphans"] <= before["orphans"]
