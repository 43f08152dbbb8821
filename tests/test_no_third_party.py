"""No third-party requests: headless Chromium loads every page type of the app (as a visitor, a pupil, a
teacher, a school administrator, an operator and a school carrier) and every request the pages make -
documents, styles, scripts, fonts, images, fetches, prefetches - must stay on the app's own origin.
Resource hints that Chromium may not report as requests (preconnect, dns-prefetch) and lazy images are
caught in the DOM instead.

Which pages exist is read from the app's routes: every GET route must be loaded by the walk (any request
of the walk that matches it counts) or be listed in SKIPPED with the reason, so a new page type cannot
escape this test unnoticed.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from starlette.routing import Mount, Route, compile_path

from schoolcloud.accounts.models import Role
from schoolcloud.app import create_app
from schoolcloud.config import load_settings
from schoolcloud.courses.models import Lesson
from schoolcloud.files import links, sharing, spaces, tree
from schoolcloud.files.models import Preview, PreviewStatus
from schoolcloud.planning import services_plans
from schoolcloud.planning.models import Carrier, CarrierMember, CarrierSchool
from schoolcloud.tasks import grading
from schoolcloud.tasks.models import Submission
from schoolcloud.teams import services as teams
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.courses import make_course
from tests.support.data import PASSWORD, make_class, make_member, make_school
from tests.support.files import api_client, upload
from tests.support.tasks import make_task
from tests.test_courses_blocks import course_root, png_bytes

# GET routes the walk need not load, with the reason. Prefixes end with "/".
SKIPPED_PREFIXES = {"/api/": "the JSON API: no HTML (its pages' fetches are recorded where pages make them)"}
SKIPPED = {
    "/healthz/live": "probe for Kubernetes, plain JSON",
    "/healthz/ready": "probe for Kubernetes, plain JSON",
    "/idp/.well-known/openid-configuration": "OpenID Connect discovery document (JSON)",
    "/idp/jwks": "signing keys (JSON)",
    "/idp/userinfo": "OpenID Connect userinfo (JSON, needs a bearer token)",
    "/admin/import/preview": "needs an uploaded CSV in the session; without one it redirects to /admin/import",
    "/admin/import/done": "needs a finished import in the session; without one it redirects to /admin/import",
    "/plans/{plan_id:int}/export/{fmt}": "a download (PDF, ODT, DOCX, XLSX, ODS, JSON), not a page",
    "/carrier/{carrier_id:int}/export/{fmt}": "a download, not a page",
    "/privacy/records/{school_id:int}.{fmt:str}": "a download (PDF, ODT), not a page",
    "/privacy/exports/{export_id}/status": "the status of a data export for its progress bar's script (JSON)",
    "/privacy/exports/{export_id}/download": "the ZIP of a data export (a download)",
    "/library/{entry_id:int}/file": "the file of a library entry (a download)",
    "/s/{token}/download": "a download of a public link",
    "/s/{token}/download/{node_id:int}": "a download from a public folder link",
    "/s/{token}/children": "a page of a folder link's entries for its script (JSON)",
    "/s/{token}/preview/{node_id:int}": "a thumbnail in a folder link (an image, only once previews are made)",
}
# Also an error page that is no route: an unknown address.
NOT_FOUND = "/no-such-page"


def page_routes(app) -> dict[str, re.Pattern]:
    """Every GET route of the app: its full path pattern and the regular expression matching it; the
    mounted JSON API and the static files left out."""
    found: dict[str, re.Pattern] = {}

    def walk(routes, prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                if f"{prefix}{route.path}/" not in SKIPPED_PREFIXES and route.routes:
                    walk(route.routes, prefix + route.path)
            elif isinstance(route, Route) and "GET" in (route.methods or ()):
                path = prefix + route.path
                if not any(path.startswith(p) for p in SKIPPED_PREFIXES):
                    found[path] = compile_path(path)[0]
    walk(app.routes, "")
    return found


def settings_of(app):
    return load_settings({k: v for k, v in app.env.items() if k.startswith("SCHOOLCLOUD_")})


def test_every_skipped_route_exists_and_says_why(app):
    routes = page_routes(create_app(settings_of(app)))
    assert not set(SKIPPED) - set(routes), f"stale entries in SKIPPED: {sorted(set(SKIPPED) - set(routes))}"
    assert all(reason.strip() for reason in [*SKIPPED.values(), *SKIPPED_PREFIXES.values()])


@pytest.fixture(scope="module")
async def world(app):
    """A school with something on every page: a class, a course with a published lesson (image block) and
    a task with a graded hand-in, files with a preview, shares and public links, a team, a plan with a
    school carrier, consent-free privacy pages."""
    school = await make_school(state="NI", name="Oberschule Am Hafen")
    admin = await make_member(school, Role.SCHOOL_ADMIN, given_name="Ada", family_name="Admin")
    teacher = await make_member(school, Role.TEACHER, given_name="Tanja", family_name="Lehmann")
    pupil = await make_member(school, Role.PUPIL, given_name="Pia", family_name="Schulz")
    # The operator must choose a new password: the walk passes the IdP's change-password page.
    operator = await make_member(None, Role.OPERATOR, must_change_password=True)
    carrier = await Carrier.create(name="Landkreis Hafen", state="NI")
    await CarrierSchool.create(carrier=carrier, school=school)
    carrier_user = await make_member(None, Role.CARRIER)
    await CarrierMember.create(carrier=carrier, user=carrier_user)
    school_class = await make_class(school, "7b", members=[teacher, pupil])
    course = await make_course(school, teachers=[teacher], pupils=[pupil], classes=[school_class], name="Biologie 7b")
    lesson = await Lesson.create(school=school, course=course, position=1, title="Zellen", date=date.today(),
                                 shared=True, publish_at=datetime.now(timezone.utc) - timedelta(hours=1))
    task = await make_task(teacher, course, title="Zellmodell")
    async with api_client(app.base_url, teacher) as http:
        root = await course_root(http, course.id)
        image = (await upload(http, root, "Zelle.png", png_bytes())).json()
        response = await http.post(f"/api/v1/lessons/{lesson.id}/blocks",
                                   json={"kind": "image", "node_id": image["id"], "title": "Zelle"})
        assert response.status_code == 201, response.text
        response = await http.post("/api/v1/library", json={
            "kind": "lesson", "lesson_id": lesson.id, "subject": "Biologie", "grade_from": 7, "grade_to": 8,
            "licence": "cc-by"})
        assert response.status_code == 201, response.text
    async with api_client(app.base_url, pupil) as http:
        response = await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "Mein Modell"})
        assert response.status_code in (200, 201), response.text
    submission = await Submission.get(task_id=task.id)
    await grading.save_feedback(teacher, submission.id, grade="2", feedback="Gut", release=True)

    personal = await spaces.root_of(await spaces.personal_space(teacher))
    folder = await tree.create_folder(teacher, personal.id, "Material")
    async with api_client(app.base_url, teacher) as http:
        picture = (await upload(http, folder.id, "Mikroskop.png", png_bytes())).json()
        old = (await upload(http, personal.id, "Alt.txt", b"weg damit")).json()
        assert (await http.delete(f"/api/v1/files/nodes/{old['id']}")).status_code in (200, 204)
    await sharing.create_share(teacher, folder.id, "user", pupil.id)
    file_link = await links.create_link(teacher, picture["id"])
    folder_link = await links.create_link(teacher, folder.id)
    team = await teams.create_team(teacher, "Schulgarten")
    await teams.add_member(teacher, team.id, pupil.id)
    plan = await services_plans.create_plan(admin, title="Medienkonzept", programme="dp1-ni")
    for _ in range(150):  # thumbnails are made in the background; the pages show them once ready
        if await Preview.filter(version__node_id=picture["id"], status=PreviewStatus.READY).exists():
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("no thumbnail of Mikroskop.png after 15 s")
    return {"users": {"pupil": pupil, "teacher": teacher, "admin": admin, "operator": operator,
                      "carrier": carrier_user},
            "ids": {"school": school.id, "class": school_class.id, "course": course.id, "lesson": lesson.id,
                    "task": task.id, "submission": submission.id, "folder": folder.id, "file": picture["id"],
                    "file_link": file_link.token, "folder_link": folder_link.token, "team": team.id,
                    "plan": plan.id, "carrier": carrier.id, "pupil": pupil.public_id}}


# Who loads which addresses (and the status each answers); {names} come from world["ids"].
WALK = {
    None: [("/", 200), ("/lang/en", 200), ("/lang/de", 200), ("/login", 200), ("/logged-out", 200),
           ("/auth/callback", 400), ("/idp/authorize?client_id=unknown", 400), ("/idp/logout", 200),
           ("/s/{file_link}", 200), ("/s/{folder_link}", 200),
           (NOT_FOUND, 404)],
    "pupil": [("/", 200), ("/files", 200), ("/files/shared", 200), ("/files/{folder}", 200), ("/courses", 200),
              ("/courses/{course}", 200), ("/courses/{course}/lessons/{lesson}", 200), ("/tasks", 200),
              ("/tasks/{task}", 200), ("/notifications", 200), ("/teams/{team}", 200), ("/privacy", 200),
              ("/privacy/class-directory", 403), ("/library", 403)],
    "teacher": [("/", 200), ("/files", 200), ("/files/personal", 200), ("/files/{folder}", 200),
                ("/files/{file}", 200), ("/files/{folder}/details", 200), ("/files/trash", 200),
                ("/teams", 200), ("/teams/{team}", 200), ("/teams/{team}/delete", 200), ("/classes", 200),
                ("/classes/{class}", 200), ("/courses", 200), ("/courses/shared", 200),
                ("/courses/{course}", 200), ("/courses/{course}/lessons/{lesson}", 200), ("/library", 200),
                ("/courses/{course}/tasks", 200), ("/courses/{course}/tasks/new", 200), ("/tasks", 200),
                ("/tasks/{task}", 200), ("/tasks/{task}/edit", 200), ("/tasks/{task}/submissions/{submission}", 200),
                ("/notifications", 200)],
    "admin": [("/", 200), ("/admin/users", 200), ("/admin/users/new", 200), ("/admin/users/{pupil}", 200),
              ("/admin/users/{pupil}/edit", 200), ("/admin/users/{pupil}/deactivate", 200),
              ("/admin/users/{pupil}/delete", 200), ("/admin/users/{pupil}/privacy", 200), ("/credentials", 200),
              ("/admin/classes", 200), ("/admin/classes/new", 200), ("/admin/classes/{class}", 200),
              ("/admin/classes/{class}/edit", 200), ("/admin/classes/{class}/delete", 200),
              ("/admin/courses", 200), ("/admin/courses/new", 200), ("/admin/courses/{course}", 200),
              ("/admin/courses/{course}/edit", 200), ("/admin/courses/{course}/delete", 200),
              ("/admin/import", 200), ("/admin/audit", 200), ("/privacy", 200), ("/privacy/records/{school}", 200),
              ("/admin/retention", 200), ("/admin/school-year", 200),
              ("/plans", 200), ("/plans/{plan}", 200), ("/plans/{plan}/steps/profile", 200),
              ("/plans/{plan}/steps/measures", 200), ("/plans/{plan}/versions", 200), ("/plans/{plan}/import", 200)],
    "operator": [("/operator/schools", 200), ("/operator/schools/new", 200), ("/operator/schools/{school}", 200),
                 ("/operator/schools/{school}/edit", 200), ("/operator/schools/{school}/deactivate", 200),
                 ("/operator/carriers", 200), ("/operator/carriers/{carrier}", 200)],
    "carrier": [("/carrier", 200), ("/carrier/{carrier}", 200)],
}

# Elements that make the browser fetch something, and the attributes holding the address.
RESOURCE_URLS = """() => {
  const found = [];
  const take = (el, attr) => { const v = el.getAttribute(attr); if (v) found.push([el.tagName, attr, v]); };
  document.querySelectorAll('script[src], img[src], iframe[src], embed[src], source[src], video[src], audio[src], track[src], input[type=image][src]')
    .forEach(el => take(el, 'src'));
  document.querySelectorAll('img[srcset], source[srcset]').forEach(el => take(el, 'srcset'));
  document.querySelectorAll('link[href]').forEach(el => take(el, 'href'));
  document.querySelectorAll('object[data]').forEach(el => take(el, 'data'));
  document.querySelectorAll('video[poster]').forEach(el => take(el, 'poster'));
  document.querySelectorAll('form[action]').forEach(el => take(el, 'action'));
  return found.map(([tag, attr, value]) => [tag, attr, new URL(value.split(/[ ,]/)[0] || '.', document.baseURI).href]);
}"""


async def test_no_page_makes_a_request_to_another_origin(app, browser, world):
    origin = app.base_url.rstrip("/")
    routes = page_routes(create_app(settings_of(app)))
    loaded: set[str] = set()
    outside_dom: list[str] = []
    for who, visits in WALK.items():
        context = await browser.new_context(locale="de-DE")
        context.set_default_timeout(15_000)
        watch = await Watch.attach(context, app.base_url)
        page = await context.new_page()
        if who:
            await login(page, app.base_url, world["users"][who].username, PASSWORD,
                        new_password="a brand-new password 1" if who == "operator" else None)
        for path, status in visits:
            url = f"{origin}{path.format(**world['ids'])}"
            response = await page.goto(url)
            assert response is not None and response.status == status, \
                f"{who or 'visitor'}: {url} answered {response and response.status}, expected {status}"
            for tag, attr, target in await page.evaluate(RESOURCE_URLS):
                if not target.startswith(origin + "/"):
                    outside_dom.append(f"{who or 'visitor'} {url}: <{tag.lower()} {attr}={target}>")
        await page.wait_for_load_state("networkidle")
        watch.console_errors = [e for e in watch.console_errors if "the server responded with a status of 4" not in e]
        assert not watch.foreign_requests, f"{who or 'visitor'}: requests outside {origin}: {watch.foreign_requests}"
        watch.assert_clean()
        loaded.update(urlsplit(u).path for u in watch.requests if u.startswith(origin + "/"))
        await context.close()
    assert not outside_dom, "resources from another origin in the pages:\n" + "\n".join(outside_dom)

    missing = sorted(path for path, regex in routes.items()
                     if path not in SKIPPED and not any(regex.match(p) for p in loaded))
    assert not missing, f"GET routes neither loaded by the walk nor listed in SKIPPED (with a reason): {missing}"
