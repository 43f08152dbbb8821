"""The plan editor in headless Chromium: axe scans (WCAG 2.1 A/AA) of its pages, each also at 320 CSS
pixels without sideways scrolling, and the autosave script: typing saves in the background, a new
row gets its id and a fresh empty row, a conflict is shown instead of overwriting."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from plans import serialize
from plans.model import DeviceKind, DeviceStock, Measure, Room, RoomEquipment, TargetItem
from schoolcloud.accounts.models import Role
from schoolcloud.planning import domain, services_editors, services_plans
from schoolcloud.planning.models import Carrier, CarrierMember, CarrierSchool, PlanDocument
from tests.support.axe import WCAG_TAGS, describe, scan
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.data import PASSWORD, make_member, make_school

PHONE_320 = {"width": 320, "height": 640}
SAVED = re.compile(r"^Gespeichert")  # not "Wird gespeichert" nor "Nicht gespeichert"


@pytest.fixture(scope="module")
async def setting(app):
    """A Lower Saxony school with a filled-in plan, an invited teacher, a carrier with its user."""
    school = await make_school(state="NI", name="Grundschule am See", school_number="98765")
    admin = await make_member(school, Role.SCHOOL_ADMIN, given_name="Ada", family_name="Admin")
    teacher = await make_member(school, Role.TEACHER, given_name="Tim", family_name="Teach")
    carrier = await Carrier.create(name="Landkreis Seeland", state="NI", budget=Decimal("500000"))
    await CarrierSchool.create(carrier=carrier, school=school)
    carrier_user = await make_member(None, Role.CARRIER, given_name="Tara", family_name="Träger")
    await CarrierMember.create(carrier=carrier, user=carrier_user)
    operator = await make_member(None, Role.OPERATOR)
    plan = await services_plans.create_plan(admin, title="Medienkonzept 2026", programme="dp1-ni")
    model = domain.parse(services_plans.content_of(plan))
    model.profile.pupils, model.profile.classes, model.profile.teachers = 400, 16, 30
    model.profile.rooms = [Room(id="r1", name="Raum 101"), Room(id="r2", name="Raum 102")]
    model.inventory.rooms = [RoomEquipment(room_id="r1", wlan=True)]
    model.inventory.devices = [DeviceStock(kind=DeviceKind.DESKTOP, count=12)]
    model.target.items = [TargetItem(id="t1", kind=DeviceKind.TABLET, quantity=60, description="Tablets",
                                     pedagogical_reason="Recherche und Präsentation in allen Fächern")]
    model.measures = [Measure(id="m1", year=2026, category="wlan", description="Access Points", quantity=Decimal(16),
                              unit="Stück", unit_price=Decimal("450")),
                      Measure(id="m2", year=2027, category="mobile_devices", description="Tablets",
                              quantity=Decimal(60), unit_price=Decimal("420"), target_item_id="t1")]
    await services_plans.save_plan(admin, plan.id, base_revision=1, content=serialize.to_data(model))
    await services_editors.invite(admin, plan.id, teacher.id)
    return {"plan": plan, "carrier": carrier, "users": {"admin": admin, "teacher": teacher, "carrier": carrier_user,
                                                         "operator": operator}}


@pytest.fixture(scope="module")
async def tabs(app, browser, setting):
    opened = {}

    async def tab(who: str):
        if who not in opened:
            context = await browser.new_context(locale="de-DE")
            context.set_default_timeout(10_000)
            watch = await Watch.attach(context, app.base_url)
            page = await context.new_page()
            await login(page, app.base_url, setting["users"][who].username, PASSWORD)
            opened[who] = (context, page, watch)
        context, page, watch = opened[who]
        watch.reset()
        await page.set_viewport_size({"width": 1280, "height": 800})
        return page, watch

    yield tab
    for context, _page, _watch in opened.values():
        await context.close()


PAGES = [
    ("plans list, admin", "/plans", "admin"),
    ("plan overview with charts, admin", "/plans/{plan}", "admin"),
    *[(f"step {key}, admin", f"/plans/{{plan}}/steps/{key}", "admin")
      for key in ("profile", "inventory", "pedagogy", "target", "training", "support", "measures", "evaluation")],
    ("table import, admin", "/plans/{plan}/import", "admin"),
    ("versions with a comparison, admin", "/plans/{plan}/versions?from=1&to=2", "admin"),
    ("step measures, invited teacher", "/plans/{plan}/steps/measures", "teacher"),
    ("plan overview, carrier", "/plans/{plan}", "carrier"),
    ("step measures read-only, carrier", "/plans/{plan}/steps/measures", "carrier"),
    ("carrier view with totals and charts", "/carrier/{carrier}", "carrier"),
    ("school carriers, operator", "/operator/carriers", "operator"),
    ("school carrier details, operator", "/operator/carriers/{carrier}", "operator"),
]


async def assert_accessible_here(page, name: str) -> None:
    violations = await scan(page)
    if violations:
        pytest.fail(f"axe ({', '.join(WCAG_TAGS)}) found problems on {name}:\n{describe(violations)}", pytrace=False)
    await page.set_viewport_size(PHONE_320)
    sizes = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{name}: {sizes[0]}px of content in a {sizes[1]}px wide window"


@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[p[0] for p in PAGES])
async def test_planning_page_is_accessible(app, setting, tabs, name, path, who):
    page, watch = await tabs(who)
    url = app.base_url + path.format(plan=setting["plan"].id, carrier=setting["carrier"].id)
    response = await page.goto(url)
    assert response.status == 200, f"{name}: {response.status}"
    await assert_accessible_here(page, name)
    watch.assert_clean()


async def test_step_with_unreadable_values_is_accessible(app, setting, tabs):
    page, watch = await tabs("admin")
    await page.goto(f"{app.base_url}/plans/{setting['plan'].id}/steps/profile")
    await page.evaluate("() => document.querySelector('form[data-autosave]').removeAttribute('data-autosave')")
    await page.locator("#f-profile-classes").fill("sechzehn")
    async with page.expect_navigation():
        await page.locator(".plan-save button[value=stay]").click()
    field = page.locator("#f-profile-classes")
    assert await field.get_attribute("aria-invalid") == "true"
    assert "f-profile-classes-error" in await field.get_attribute("aria-describedby")
    await assert_accessible_here(page, "step with an unreadable value")
    watch.assert_clean()


async def test_import_errors_are_accessible(app, setting, tabs):
    page, watch = await tabs("admin")
    await page.goto(f"{app.base_url}/plans/{setting['plan'].id}/import")
    broken = "Jahr;Kategorie;Beschreibung;Menge;Einzelpreis\n2026;Raumschiffe;X;-1;viel\n"
    await page.locator("#import-file").set_input_files(
        {"name": "massnahmen.csv", "mimeType": "text/csv", "buffer": broken.encode()})
    async with page.expect_navigation():
        await page.locator("main form[enctype] button[type=submit]").click()
    assert await page.locator("tr.has-error").count() >= 3
    await assert_accessible_here(page, "table import with errors")
    watch.console_errors = [e for e in watch.console_errors if "status of 422" not in e]
    watch.assert_clean()


async def test_autosave_saves_in_the_background_and_shows_a_conflict(app, setting, tabs):
    plan_id = setting["plan"].id
    page, watch = await tabs("teacher")
    await page.goto(f"{app.base_url}/plans/{plan_id}/steps/training")
    before = (await PlanDocument.get(id=plan_id)).revision
    status = page.locator("#autosave-status")
    await page.locator("#f-training-items-0-topic").fill("Tablets im Unterricht")
    await page.locator("#f-training-items-0-hours").fill("6")
    await status.filter(has_text=SAVED).wait_for()
    saved = await PlanDocument.get(id=plan_id)
    assert saved.revision > before and "Tablets im Unterricht" in saved.content
    # The new row now has its id, and a fresh empty row is offered below it.
    assert await page.locator("input[name='training.items.0.id']").input_value()
    await page.locator("#f-training-items-1-topic").fill("Datenschutz")
    await status.filter(has_text=re.compile(rf"^Gespeichert \(Version {saved.revision + 1}\)")).wait_for()
    saved = await PlanDocument.get(id=plan_id)
    assert saved.content.count('"topic":') == 2 and "Datenschutz" in saved.content

    # Meanwhile the admin changes the same step: the teacher's next change is a conflict.
    admin = setting["users"]["admin"]
    model = domain.parse(services_plans.content_of(saved))
    model.training.note = "Fortbildungstag im Februar"
    await services_plans.save_plan(admin, plan_id, base_revision=saved.revision, content=serialize.to_data(model))
    await page.locator("#f-training-note").fill("Meine Notiz")
    await status.filter(has_text="Nicht gespeichert").wait_for()
    assert "Fortbildungstag im Februar" in (await PlanDocument.get(id=plan_id)).content
    await status.get_by_role("button").click()  # keep my entries: saves on top of the newest version
    await status.filter(has_text=SAVED).wait_for()
    assert "Meine Notiz" in (await PlanDocument.get(id=plan_id)).content
    watch.console_errors = [e for e in watch.console_errors if "409" not in e]
    watch.assert_clean()
