"""The school-year change: the preview proposes 5a -> 6a and ends the final grade, the administrator
corrects a name, the confirmation moves the classes and marks the leavers (they can no longer log in, their
data stays); a second change of the same year is refused; another school is untouched."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Role, SchoolClass, User
from schoolcloud.privacy.models import AuditEvent
from tests.support.data import logged_in, make_class, make_member, make_school


@pytest.mark.postgres
async def test_classes_move_up_and_leavers_are_marked_once(app):
    school, other = await make_school(), await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    teacher = await make_member(school, Role.TEACHER)
    five = [await make_member(school, Role.PUPIL) for _ in range(2)]
    seven = await make_member(school, Role.PUPIL)
    final = [await make_member(school, Role.PUPIL) for _ in range(2)]
    repeater = final[1]  # repeats grade 10: already put into next year's 10a
    a5 = await make_class(school, "5a", members=[teacher, *five], school_year="2025/26", grade_level=5)
    await make_class(school, "7c", members=[seven], school_year="2025/26", grade_level=7)
    await make_class(school, "10a", members=final, school_year="2025/26", grade_level=10)
    await make_class(school, "10a", members=[repeater], school_year="2026/27", grade_level=10)
    elsewhere = await make_class(other, "5a", members=[await make_member(other, Role.PUPIL)], school_year="2025/26")
    fields = {f"class_{c.id}": c for c in await SchoolClass.filter(school_id=school.id, school_year="2025/26")}
    by_name = {c.name: key for key, c in fields.items()}

    async with logged_in(app, final[0]) as leaver_session:
        async with logged_in(app, admin, headers={"Accept-Language": "en"}) as http:
            page = await http.get("/admin/school-year", params={"from_year": "2025/26"})
            assert page.status_code == 200
            assert f'name="{by_name["5a"]}" type="text" maxlength="32" value="6a"' in page.text
            assert f'name="{by_name["10a"]}" type="text" maxlength="32" value=""' in page.text
            assert "1 pupil will be marked as left." in page.text  # the repeater stays
            token = http.csrf["X-CSRF-Token"]
            names = {by_name["5a"]: "6b", by_name["7c"]: "8c", by_name["10a"]: ""}
            clash = await http.post("/admin/school-year", data={
                "from_year": "2025/26", "action": "confirm", "csrf_token": token, **names, by_name["7c"]: "6b"})
            assert clash.status_code == 422 and "Two classes cannot get the same name." in clash.text
            assert not await SchoolClass.filter(school_id=school.id, school_year="2026/27", name="6b").exists()

            done = await http.post("/admin/school-year", data={
                "from_year": "2025/26", "action": "confirm", "csrf_token": token, **names})
            assert done.status_code == 303, done.text
            again = await http.post("/admin/school-year", data={
                "from_year": "2025/26", "action": "confirm", "csrf_token": token, **names},
                headers={"Accept-Language": "de"})
            assert again.status_code == 409 and "wurde bereits" in again.text
            assert (await http.get(f"/api/v1/users/{final[0].public_id}")).json()["left_at"] is not None
            assert "left the school on" in (await http.get(f"/admin/users/{final[0].public_id}")).text
        assert (await leaver_session.get("/api/v1/me")).status_code == 401  # the leaver's session ended

    new = {c.name: c for c in await SchoolClass.filter(school_id=school.id, school_year="2026/27")
           .prefetch_related("members")}
    assert set(new) == {"6b", "8c", "10a"}
    assert {u.id for u in new["6b"].members} == {teacher.id, *(p.id for p in five)} and new["6b"].grade_level == 6
    assert {u.id for u in new["8c"].members} == {seven.id} and new["8c"].grade_level == 8
    assert {u.id for u in new["10a"].members} == {repeater.id}
    assert set(await a5.members.all().values_list("id", flat=True)) == {teacher.id, *(p.id for p in five)}
    gone = await User.get(id=final[0].id)
    assert gone.left_at is not None and not gone.active
    assert all(u.left_at is None and u.active for u in await User.filter(id__in=[repeater.id, seven.id, teacher.id]))
    event = await AuditEvent.get(action="school_year.changed", school_id=school.id)
    assert event.details["classes_moved"] == 2 and event.details["classes_ended"] == 1 and event.details["leavers"] == 1
    assert await SchoolClass.filter(school_id=other.id).count() == 1 and await elsewhere.members.all().count() == 1
