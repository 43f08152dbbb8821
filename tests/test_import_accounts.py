"""Class-list import: upload, preview (nothing written), commit in one transaction, access letters."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from schoolcloud.accounts.models import Handover, Role, SchoolClass, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
from tests.support.data import logged_in, make_class, make_member, make_school

DATA = Path("/work/shared/data")
UTF8 = DATA / "pupils-utf8.csv"
CP1252 = DATA / "pupils-cp1252.csv"
YEAR = "2026/27"

SMALL = (
    "Nachname;Vorname;Klasse;Geburtsdatum;Rolle\r\n"
    "Bauer;Björn;6a;02.02.2015;Schüler\r\n"
    "Öztürk;Elif;6a;14.07.2015;Schülerin\r\n"
    "Sommer;Sina;;;Lehrkraft\r\n"
).encode()
WITH_ERRORS = (
    "Nachname;Vorname;Klasse;Geburtsdatum;Rolle\n"
    "Bauer;Björn;6a;02.02.2015;Schüler\n"
    ";Anna;6a;01.01.2015;Schüler\n"
    "Klein;Kai;;03.03.2014;Schüler\n"
    "Lang;Lea;6a;31.02.2015;Schüler\n"
).encode()


def pdf_page_count(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def csv_headers(http) -> dict:
    return {**http.csrf, "Content-Type": "text/csv"}


async def upload_page(http, content: bytes, year: str = YEAR):
    page = await http.get("/admin/import")
    assert page.status_code == 200
    return await http.post("/admin/import", data={"csrf_token": browser.csrf_from(page.text), "school_year": year},
                           files={"file": ("klassenliste.csv", content, "text/csv")})


@pytest.mark.postgres
async def test_preview_shows_row_errors_writes_nothing_and_cannot_be_committed(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    users_before = await User.filter(school_id=school.id).count()
    async with logged_in(app, admin, headers={"Accept-Language": "en"}) as http:
        uploaded = await upload_page(http, WITH_ERRORS)
        assert uploaded.status_code == 303 and uploaded.headers["location"] == "/admin/import/preview"
        preview = await http.get("/admin/import/preview")
        assert preview.status_code == 200
        assert preview.text.count('class="has-error"') == 3
        assert "Pupils need a class." in preview.text
        assert 'action="/admin/import/commit"' not in preview.text  # no way to confirm
        forced = await http.post("/admin/import/commit", data={"csrf_token": browser.csrf_from(preview.text)})
        assert forced.status_code == 422

        api = await http.post("/api/v1/imports/preview", headers=csv_headers(http), content=WITH_ERRORS)
        assert api.status_code == 200
        body = api.json()
        assert body["ok"] is False and "preview_token" not in body
        errors = {row["line"]: [e["code"] for e in row["errors"]] for row in body["rows"] if row["errors"]}
        assert errors == {3: ["name_empty"], 4: ["pupil_without_class"], 5: ["birth_date_invalid"]}
        assert body["rows"][0]["action"] == "create"
        assert all(e["message_de"] and e["message_en"] for row in body["rows"] for e in row["errors"])

        commit = await http.post("/api/v1/imports", headers=csv_headers(http), content=WITH_ERRORS)
        assert commit.status_code == 422
        error = commit.json()["error"]
        assert error["code"] == "import_invalid" and len(error["rows"]) == 3
    assert await User.filter(school_id=school.id).count() == users_before
    assert not await SchoolClass.filter(school_id=school.id).exists()
    assert not await AuditEvent.filter(school_id=school.id, action="import.committed").exists()


@pytest.mark.postgres
async def test_utf8_sample_through_the_pages_then_cp1252_sample_updates(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with logged_in(app, admin) as http:
        assert (await upload_page(http, UTF8.read_bytes())).status_code == 303
        preview = await http.get("/admin/import/preview")
        assert preview.status_code == 200 and 'class="has-error"' not in preview.text
        assert "Björn" in preview.text and "Ömer" in preview.text
        assert 'action="/admin/import/commit"' in preview.text
        assert await User.filter(school_id=school.id).count() == 1  # a preview writes nothing
        committed = await http.post("/admin/import/commit", data={"csrf_token": browser.csrf_from(preview.text)})
        assert committed.status_code == 303 and committed.headers["location"] == "/admin/import/done"
        done = await http.get("/admin/import/done")
        assert done.status_code == 200 and 'action="/admin/import/letters"' in done.text
        letters = await http.post("/admin/import/letters", data={"csrf_token": browser.csrf_from(done.text)})
        assert letters.status_code == 200 and letters.headers["content-type"] == "application/pdf"
        assert pdf_page_count(letters.content) == 63
        assert (await http.post("/admin/import/letters",
                                data={"csrf_token": browser.csrf_from(done.text)})).status_code == 410
        # The same class list as Windows-1252 (four names it cannot encode are missing): only updates.
        preview = await http.post("/api/v1/imports/preview", headers=csv_headers(http), content=CP1252.read_bytes())
        body = preview.json()
        assert body["ok"] and body["encoding"] == "cp1252"
        assert body["counts"]["create"] == 0 and body["counts"]["unchanged"] == 59
        assert any(row["given_name"] == "Björn" for row in body["rows"])
        again = await http.post("/api/v1/imports", headers=http.csrf, json={"preview_token": body["preview_token"]})
        assert again.status_code == 200, again.text
        assert again.json()["created"] == 0 and again.json()["letters_token"] is None
    pupils = await User.filter(school_id=school.id, role=Role.PUPIL).count()
    teachers = await User.filter(school_id=school.id, role=Role.TEACHER).count()
    assert (pupils, teachers) == (60, 3)
    classes = await SchoolClass.filter(school_id=school.id).order_by("name").values_list("name", "grade_level")
    assert len(classes) == 5 and ("10b", 10) in classes
    bjoern = await User.get(school_id=school.id, given_name="Björn", family_name="Bauer")
    assert bjoern.username == "bjoern.bauer" and bjoern.must_change_password
    assert [c.name for c in await bjoern.classes.all()] == ["6a"]
    assert await AuditEvent.filter(school_id=school.id, action="import.committed").count() == 2
    assert not await Handover.filter(actor_id=admin.id).exists()


async def test_reimport_updates_instead_of_duplicating_and_moves_pupils(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    manual = await make_member(school, Role.PUPIL, given_name="Elif", family_name="Öztürk")  # no birth date
    old_class = await make_class(school, "6a", members=[manual], school_year="2025/26", grade_level=6)
    async with logged_in(app, admin) as http:
        first = await http.post("/api/v1/imports", headers=csv_headers(http), content=SMALL)
        assert first.status_code == 200, first.text
        assert first.json() == {"created": 2, "updated": 1, "unchanged": 0, "classes_created": 1,
                                "passwords_issued": 2, "letters_token": first.json()["letters_token"]}
        letters = await http.post("/api/v1/imports/letters", headers=http.csrf,
                                  json={"letters_token": first.json()["letters_token"]})
        assert letters.status_code == 200 and pdf_page_count(letters.content) == 2
        count = await User.filter(school_id=school.id).count()

        moved = SMALL.replace(b"Bauer;Bj\xc3\xb6rn;6a", b"Bauer;Bj\xc3\xb6rn;6b").replace(b"Sommer;Sina;;", b"Sommer;Sina;6b;")
        preview = (await http.post("/api/v1/imports/preview", headers=csv_headers(http), content=moved)).json()
        actions = {row["given_name"]: (row["action"], row["changes"]) for row in preview["rows"]}
        assert actions == {"Björn": ("update", ["class_name"]), "Elif": ("unchanged", []),
                           "Sina": ("update", ["class_name"])}
        second = await http.post("/api/v1/imports", headers=http.csrf, json={"preview_token": preview["preview_token"]})
        assert second.json()["created"] == 0 and second.json()["updated"] == 2
        reused = await http.post("/api/v1/imports", headers=http.csrf, json={"preview_token": preview["preview_token"]})
        assert reused.status_code == 410  # a preview token works once
    assert await User.filter(school_id=school.id).count() == count
    await manual.refresh_from_db()
    assert manual.birth_date.isoformat() == "2015-07-14"  # the hand-made account was matched and completed
    assert await old_class.members.filter(id=manual.id).exists()  # last year's class stays as history
    bjoern = await User.get(school_id=school.id, given_name="Björn")
    assert [c.name for c in await bjoern.classes.all()] == ["6b"]
    sina = await User.get(school_id=school.id, given_name="Sina")
    assert [c.name for c in await sina.classes.all()] == ["6b"]


async def test_reset_passwords_for_all_imported_accounts_ends_their_sessions(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with logged_in(app, admin) as http:
        assert (await http.post("/api/v1/imports", headers=csv_headers(http), content=SMALL)).status_code == 200
    teacher = await User.get(school_id=school.id, given_name="Sina")
    await User.filter(id=teacher.id).update(must_change_password=False)
    async with logged_in(app, admin) as http:
        uploaded = await upload_page(http, SMALL)
        preview = await http.get(uploaded.headers["location"])
        assert "Set new one-time passwords for all accounts in the file" in preview.text or \
            'name="reset_passwords"' in preview.text
        committed = await http.post("/admin/import/commit", data={
            "csrf_token": browser.csrf_from(preview.text), "reset_passwords": "1"})
        assert committed.status_code == 303
        done = await http.get("/admin/import/done")
        letters = await http.post("/admin/import/letters", data={"csrf_token": browser.csrf_from(done.text)})
        assert pdf_page_count(letters.content) == 3
        via_api = await http.post("/api/v1/imports", params={"reset_passwords": "true"}, headers=csv_headers(http),
                                  content=SMALL)
        assert {k: v for k, v in via_api.json().items() if k != "letters_token"} == {
            "created": 0, "updated": 0, "unchanged": 3, "classes_created": 0, "passwords_issued": 3}
    await teacher.refresh_from_db()
    assert teacher.must_change_password
    assert not await LoginSession.filter(user_id=teacher.id).exists()


async def test_import_hand_overs_belong_to_their_admin_and_refuse_bad_files(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    colleague = await make_member(school, Role.SCHOOL_ADMIN)
    async with logged_in(app, admin) as http:
        token = (await http.post("/api/v1/imports/preview", headers=csv_headers(http),
                                 content=SMALL)).json()["preview_token"]
        xlsx = await http.post("/api/v1/imports/preview", headers=http.csrf,
                               files={"file": ("liste.xlsx", b"PK\x03\x04rest", "application/octet-stream")},
                               data={"school_year": YEAR})
        assert xlsx.status_code == 200 and xlsx.json()["file_errors"][0]["code"] == "file_not_csv"
        bad_year = await http.post("/api/v1/imports/preview", headers=http.csrf,
                                   files={"file": ("l.csv", SMALL, "text/csv")}, data={"school_year": "2026"})
        assert bad_year.status_code == 422 and bad_year.json()["error"]["fields"][0]["field"] == "school_year"
        json_body = await http.post("/api/v1/imports/preview", headers=http.csrf, json={"csv": "x"})
        assert json_body.status_code == 415
    row = await Handover.get(id=token.split(".")[0])
    assert b"Bauer" not in bytes(row.ciphertext) and b"Sommer" not in bytes(row.ciphertext)
    async with logged_in(app, colleague) as http:
        stolen = await http.post("/api/v1/imports", headers=http.csrf, json={"preview_token": token})
        assert stolen.status_code == 410
        forged = await http.post("/api/v1/imports", headers=http.csrf,
                                 json={"preview_token": token.split(".")[0] + ".AAAA"})
        assert forged.status_code == 410
    assert not await User.filter(school_id=school.id, given_name="Björn").exists()
