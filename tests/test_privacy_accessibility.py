"""axe scans (WCAG 2.1 A/AA) of the privacy pages in headless Chromium, each also at 320 CSS pixels (no
sideways scrolling) and with no CSP violation or console error."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.jobs.models import Job, JobStatus
from schoolcloud.privacy import audit
from schoolcloud.privacy import services_consent as consent
from schoolcloud.privacy import services_restriction as restriction
from schoolcloud.privacy.models import DataExport
from schoolcloud.privacy.purposes import CLASS_DIRECTORY
from tests.support.chromium import browser  # noqa: F401  (browser: session fixture)
from tests.support.data import make_class, make_member, make_school
from tests.support.exports import running_export
from tests.support.page_checks import check_page, tabs

# (name, path, who, expected status); paths may name {pupil_id}.
PAGES = [
    ("audit trail, school admin", "/admin/audit", "admin", 200),
    ("audit trail filtered by kind, school admin", "/admin/audit?kind=files", "admin", 200),
    ("audit trail with a bad filter, school admin", "/admin/audit?from=gestern&actor=x", "admin", 422),
    ("privacy page with an export being prepared, pupil under 14", "/privacy", "pupil", 200),
    ("privacy page with consent given, pupil over 16", "/privacy", "teen", 200),
    ("privacy page, school admin", "/privacy", "admin", 200),
    ("a pupil's consents, school admin", "/admin/users/{pupil_id}/privacy", "admin", 200),
    ("a pupil's consents with a parent's consent, school admin", "/admin/users/{teen_id}/privacy", "admin", 200),
    ("class directory, pupil with consent", "/privacy/class-directory", "teen", 200),
    ("class directory refused without consent, pupil", "/privacy/class-directory", "pupil", 403),
    ("a frozen account's privacy page, school admin", "/admin/users/{frozen_id}/privacy", "admin", 200),
    ("record of processing activities, school admin", "/privacy/records/{school_id}", "admin", 200),
    ("retention rules and dry run, school admin", "/admin/retention", "admin", 200),
    ("school-year change preview, school admin", "/admin/school-year", "admin", 200),
]


@pytest.fixture(scope="module")
async def world(app):
    school = await make_school(state="NI")
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    pupil = await make_member(school, Role.PUPIL, given_name="Mia", family_name="Schulz", birth_date=date(2015, 3, 1))
    teen = await make_member(school, Role.PUPIL, given_name="Lea", family_name="Berg", birth_date=date(2011, 1, 1))
    await make_class(school, "7b", members=[pupil, teen])
    await consent.give_own(teen, CLASS_DIRECTORY.id)
    await consent.record_parent(admin, teen.public_id, CLASS_DIRECTORY.id, note="Formular vom 2.11.")
    frozen = await make_member(school, Role.PUPIL, given_name="Eis", family_name="Zeit")
    await restriction.freeze(admin, frozen.public_id, reason="Widerspruch")
    for n in range(3):
        await audit.record("files.trash", actor=pupil, school_id=school.id, target_type="file_node", target_id=n,
                           ip="10.0.0.7")
    await running_export(pupil)
    return {"admin": admin, "pupil": pupil, "teen": teen,
            "ids": {"school_id": school.id, "pupil_id": str(pupil.public_id), "teen_id": str(teen.public_id),
                    "frozen_id": str(frozen.public_id)}}


@pytest.fixture(scope="module")
async def tab_for(app, browser, world):
    async with tabs(app, browser, world) as opener:
        yield opener


@pytest.mark.parametrize(("name", "path", "who", "status"), PAGES, ids=[p[0] for p in PAGES])
async def test_page_is_accessible(app, world, tab_for, name, path, who, status):
    page, watch = await tab_for(who)
    response = await page.goto(f"{app.base_url}{path.format(**world['ids'])}")
    assert response is not None and response.status == status, f"{name}: answered {response and response.status}"
    await check_page(page, watch, name, status)


async def test_the_export_progress_bar_follows_the_job_and_turns_into_a_link(app, world, tab_for):
    page, watch = await tab_for("pupil")
    await page.goto(f"{app.base_url}/privacy")
    bar = page.locator(".export progress")
    assert await bar.get_attribute("value") == "300"
    export = await DataExport.get(subject_id=world["pupil"].id)
    await Job.filter(id=export.job_id).update(progress_done=650)
    await page.wait_for_function("() => document.querySelector('.export progress').value === 650", timeout=30_000)
    assert "65 %" in await page.locator("[data-export-text]").inner_text()
    # Ready: the script reloads the page, which now offers the download until the link expires.
    stamp = datetime.now(timezone.utc)
    await DataExport.filter(id=export.id).update(object_key="exports/aa/bb/elsewhere", size=1000, ready_at=stamp,
                                                 expires_at=stamp + timedelta(hours=48))
    await Job.filter(id=export.job_id).update(status=JobStatus.DONE, unique_key=None)
    link = page.locator(f"a[href='/privacy/exports/{export.public_id}/download']")
    await link.wait_for(timeout=30_000)
    await check_page(page, watch, "privacy page with an export ready, pupil under 14")
