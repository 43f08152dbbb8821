"""Teachers reset the passwords of pupils in their own classes, school admins anyone in their school."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from pypdf import PdfReader

from schoolcloud.accounts.models import Handover, Role, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
from tests.support.data import logged_in, make_class, make_member, make_school

PASSWORD_RE = re.compile(r'<td class="mono secret">([^<]+)</td>')


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


@pytest.mark.postgres
async def test_teacher_resets_own_pupil_who_then_must_choose_a_new_password(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL, given_name="Lotta", family_name="Lindqvist")
    school_class = await make_class(school, "4a", members=[teacher, pupil], grade_level=4)
    async with logged_in(app, pupil):
        pass
    assert await LoginSession.filter(user_id=pupil.id).exists()
    async with logged_in(app, teacher) as http:
        page = await http.get(f"/classes/{school_class.id}")
        action = f"/classes/{school_class.id}/pupils/{pupil.public_id}/password-reset"
        assert f'action="{action}"' in page.text
        response = await http.post(action, data={"csrf_token": browser.csrf_from(page.text),
                                                  "next": f"/classes/{school_class.id}"})
        assert response.status_code == 303 and response.headers["location"].startswith("/credentials")
        shown = await http.get(response.headers["location"])
        match = PASSWORD_RE.search(shown.text)
        assert match and pupil.username in shown.text
        password = unescape(match.group(1))
        assert password not in (await http.get("/credentials")).text  # shown once
        letter = await http.post("/credentials/letters", data={"csrf_token": browser.csrf_from(shown.text)})
        assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
        pages = pdf_pages(letter.content)
        assert len(pages) == 1 and password in pages[0].replace("\n", "") and "4a" in pages[0]
        again = await http.post("/credentials/letters", data={"csrf_token": browser.csrf_from(shown.text)})
        assert again.status_code == 410  # single use
    assert not await Handover.filter(actor_id=teacher.id).exists()
    await pupil.refresh_from_db()
    assert pupil.must_change_password
    assert not await LoginSession.filter(user_id=pupil.id).exists()
    event = await AuditEvent.filter(action="password.reset", target_id=str(pupil.public_id)).first()
    assert event.actor == str(teacher.public_id) and "Lotta" not in str(event.details)

    async with browser.client(app.base_url) as http:
        form = await browser.start_login(http)
        old = await browser.submit_login(http, form, pupil.username, "correct horse battery")
        assert old.status_code == 401
    async with browser.client(app.base_url) as http:
        form = await browser.start_login(http)
        response = await browser.submit_login(http, form, pupil.username, password)
        assert response.status_code == 303 and response.headers["location"].endswith("/idp/password")
    async with browser.client(app.base_url) as http:
        home = await browser.login(http, pupil.username, password, new_password="Lottas neues Passwort")
        assert home.status_code == 200 and "Lotta" in home.text


async def test_teacher_of_another_class_or_school_is_refused(app):
    school, other_school = await make_school(), await make_school()
    teacher = await make_member(school, Role.TEACHER)
    colleague_pupil = await make_member(school, Role.PUPIL)
    await make_class(school, "2a", members=[teacher])
    await make_class(school, "2b", members=[colleague_pupil])
    foreign_teacher = await make_member(other_school, Role.TEACHER)
    await make_class(other_school, "2a", members=[foreign_teacher])
    fellow_teacher = await make_member(school, Role.TEACHER)
    await make_class(school, "2c", members=[teacher, fellow_teacher])
    before = (await User.get(id=colleague_pupil.id)).password_hash
    async with logged_in(app, teacher) as http:
        response = await http.post(f"/api/v1/users/{colleague_pupil.public_id}/password-reset", headers=http.csrf)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        page = await http.get("/classes")
        form_post = await http.post(f"/admin/users/{colleague_pupil.public_id}/password-reset",
                                    data={"csrf_token": browser.csrf_from(page.text)})
        assert form_post.status_code == 403
        peer = await http.post(f"/api/v1/users/{fellow_teacher.public_id}/password-reset", headers=http.csrf)
        assert peer.status_code == 403  # teachers reset pupils only
    async with logged_in(app, foreign_teacher) as http:
        response = await http.post(f"/api/v1/users/{colleague_pupil.public_id}/password-reset", headers=http.csrf)
        assert response.status_code == 403
    assert (await User.get(id=colleague_pupil.id)).password_hash == before


async def test_admin_resets_anyone_in_the_school_via_api_as_json_or_pdf(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    teacher = await make_member(school, Role.TEACHER, given_name="Udo")
    async with logged_in(app, admin) as http:
        response = await http.post(f"/api/v1/users/{teacher.public_id}/password-reset", headers=http.csrf)
        assert response.status_code == 200
        body = response.json()
        assert body["username"] == teacher.username and body["must_change_password"] is True
        assert len(body["initial_password"]) == 17
        as_pdf = await http.post(f"/api/v1/users/{teacher.public_id}/password-reset",
                                 headers={**http.csrf, "Accept": "application/pdf"})
        assert as_pdf.status_code == 200 and as_pdf.headers["content-type"] == "application/pdf"
        assert len(pdf_pages(as_pdf.content)) == 1
    async with browser.client(app.base_url) as http:
        form = await browser.start_login(http)
        # The JSON password was replaced by the PDF's; only the latest one works.
        stale = await browser.submit_login(http, form, teacher.username, body["initial_password"])
        assert stale.status_code == 401
