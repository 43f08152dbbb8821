"""Pages: classes and courses for school admins (/admin/classes, /admin/courses) and the class view for
teachers (/classes) with the password reset of their pupils."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import services
from schoolcloud.accounts.models import Role
from schoolcloud.accounts.pages import actor, errors_by_field, form, form_values, notify, redirect, take_notice
from schoolcloud.accounts.routes_users import user_password_reset
from schoolcloud.accounts.permissions import is_school_admin, require_school_admin, require_staff
from schoolcloud.accounts.validation import current_school_year
from schoolcloud.auth.current import page
from schoolcloud.web.errors import ValidationError
from schoolcloud.web.i18n import N_
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

CLASS_FIELDS = ("name", "grade_level", "school_year")
COURSE_FIELDS = ("name", "subject", "school_year")
SEARCH_RESULTS = 25


async def _search(user, params, exclude_ids: set[int]) -> tuple[dict, list]:
    """Accounts to add as members: pupils and teachers of the school matching the search."""
    query = {"q": params.get("q", ""), "role": params.get("role", "")}
    if not query["q"] and not query["role"]:
        return query, []
    role = query["role"] if query["role"] in (Role.PUPIL, Role.TEACHER) else None
    found = await services.list_users(user, q=query["q"], role=role, active=True, per_page=SEARCH_RESULTS * 2)
    results = [u for u in found.items if u.role in (Role.PUPIL, Role.TEACHER) and u.id not in exclude_ids]
    return query, results[:SEARCH_RESULTS]


# --- classes (admin) ------------------------------------------------------------------------------------


@page
async def classes_admin(request: Request):
    user = actor(request)
    require_school_admin(user)
    year = request.query_params.get("year", "")
    classes = await services.list_classes(user, school_year=year or None)
    return render(request, "accounts/classes_admin.html", page_title=_("Classes"), classes=classes, year=year,
                  years=await services.school_years(user), notice=take_notice(request))


async def _class_form(request: Request, user, school_class=None):
    if school_class is None:
        values = {"school_year": current_school_year(), "grade_level": ""}
    else:
        values = {name: getattr(school_class, name) for name in CLASS_FIELDS}
    errors: dict = {}
    if request.method == "POST":
        values = form_values(await form(request), CLASS_FIELDS)
        try:
            if school_class is None:
                school_class = await services.create_class(user, **values)
                notify(request, N_("The class was created."))
            else:
                await services.update_class(user, school_class.id, **values)
                notify(request, N_("The changes were saved."))
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            return redirect(f"/admin/classes/{school_class.id}")
    return render(request, "accounts/class_form.html", status_code=422 if errors else 200,
                  page_title=_("Edit class") if school_class else _("New class"), values=values, errors=errors,
                  school_class=school_class)


@page
async def class_new(request: Request):
    user = actor(request)
    require_school_admin(user)
    return await _class_form(request, user)


@page
async def class_edit(request: Request):
    user = actor(request)
    require_school_admin(user)
    return await _class_form(request, user, await services.get_class(user, request.path_params["class_id"]))


@page
async def class_detail(request: Request):
    user = actor(request)
    require_school_admin(user)
    school_class, pupils, teachers = await services.class_members(user, request.path_params["class_id"])
    query, results = await _search(user, request.query_params, {u.id for u in (*pupils, *teachers)})
    return render(request, "accounts/class_detail.html", page_title=_("Class %(name)s", name=school_class.name),
                  school_class=school_class, pupils=pupils, teachers=teachers, query=query, results=results,
                  notice=take_notice(request))


@page
async def class_members_add(request: Request):
    user = actor(request)
    submitted = await form(request)
    class_id = request.path_params["class_id"]
    added = await services.add_class_members(user, class_id, submitted.getlist("user_ids"))
    notify(request, N_("Members added: %(count)d."), count=added)
    return redirect(f"/admin/classes/{class_id}")


@page
async def class_members_remove(request: Request):
    user = actor(request)
    submitted = await form(request)
    class_id = request.path_params["class_id"]
    await services.remove_class_members(user, class_id, submitted.getlist("user_id"))
    notify(request, N_("The member was removed from the class."))
    return redirect(f"/admin/classes/{class_id}")


@page
async def class_delete(request: Request):
    user = actor(request)
    require_school_admin(user)
    school_class = await services.get_class(user, request.path_params["class_id"])
    if request.method == "POST":
        await form(request)
        await services.delete_class(user, school_class.id, files=request.app.state.files)
        notify(request, N_("The class was deleted."))
        return redirect("/admin/classes")
    return render(request, "accounts/confirm.html", page_title=_("Delete class"),
                  question=_("Delete the class %(name)s (%(year)s)?", name=school_class.name,
                             year=school_class.school_year),
                  explanation=_("The accounts of its members stay; only the class and its memberships go."),
                  action=f"/admin/classes/{school_class.id}/delete", button=_("Delete class"),
                  back=f"/admin/classes/{school_class.id}", danger=True)


# --- courses (admin) ------------------------------------------------------------------------------------


@page
async def courses_admin(request: Request):
    user = actor(request)
    require_school_admin(user)
    year = request.query_params.get("year", "")
    courses = await services.list_courses(user, school_year=year or None)
    return render(request, "accounts/courses_admin.html", page_title=_("Courses"), courses=courses, year=year,
                  years=await services.school_years(user), notice=take_notice(request))


async def _course_form(request: Request, user, course=None):
    values = {name: getattr(course, name) for name in COURSE_FIELDS} if course else \
        {"school_year": current_school_year(), "subject": "", "name": ""}
    errors: dict = {}
    if request.method == "POST":
        values = form_values(await form(request), COURSE_FIELDS)
        try:
            if course is None:
                course = await services.create_course(user, **values)
                notify(request, N_("The course was created."))
            else:
                await services.update_course(user, course.id, **values)
                notify(request, N_("The changes were saved."))
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            return redirect(f"/admin/courses/{course.id}")
    return render(request, "accounts/course_form.html", status_code=422 if errors else 200,
                  page_title=_("Edit course") if course else _("New course"), values=values, errors=errors,
                  course=course)


@page
async def course_new(request: Request):
    user = actor(request)
    require_school_admin(user)
    return await _course_form(request, user)


@page
async def course_edit(request: Request):
    user = actor(request)
    require_school_admin(user)
    return await _course_form(request, user, await services.get_course(user, request.path_params["course_id"]))


@page
async def course_detail(request: Request):
    user = actor(request)
    require_school_admin(user)
    course = await services.get_course(user, request.path_params["course_id"])
    teachers = sorted(course.teachers, key=lambda u: (u.family_name, u.given_name))
    pupils = sorted(course.pupils, key=lambda u: (u.family_name, u.given_name))
    linked = sorted(course.classes, key=lambda c: (c.grade_level, c.name))
    linked_ids = {c.id for c in linked}
    other_classes = [c for c in await services.list_classes(user, school_year=course.school_year)
                     if c.id not in linked_ids]
    query, results = await _search(user, request.query_params, {u.id for u in (*teachers, *pupils)})
    return render(request, "accounts/course_detail.html", page_title=course.name, course=course, teachers=teachers,
                  pupils=pupils, linked=linked, other_classes=other_classes, query=query, results=results,
                  member_count=len(await services.course_member_ids(course)), notice=take_notice(request))


@page
async def course_members(request: Request):
    user = actor(request)
    submitted = await form(request)
    course_id = request.path_params["course_id"]
    await services.change_course_members(
        user, course_id, add_users=submitted.getlist("user_ids"), add_classes=submitted.getlist("class_ids"),
        remove_users=submitted.getlist("remove_user"), remove_classes=submitted.getlist("remove_class"))
    notify(request, N_("The course members were updated."))
    return redirect(f"/admin/courses/{course_id}")


@page
async def course_delete(request: Request):
    user = actor(request)
    require_school_admin(user)
    course = await services.get_course(user, request.path_params["course_id"])
    if request.method == "POST":
        await form(request)
        await services.delete_course(user, course.id, files=request.app.state.files)
        notify(request, N_("The course was deleted."))
        return redirect("/admin/courses")
    return render(request, "accounts/confirm.html", page_title=_("Delete course"),
                  question=_("Delete the course %(name)s (%(year)s)?", name=course.name, year=course.school_year),
                  explanation=_("The accounts of its members stay; only the course and its memberships go."),
                  action=f"/admin/courses/{course.id}/delete", button=_("Delete course"),
                  back=f"/admin/courses/{course.id}", danger=True)


# --- classes (teachers) ---------------------------------------------------------------------------------


@page
async def my_classes(request: Request):
    user = actor(request)
    require_staff(user)
    classes = await services.list_classes(user)
    return render(request, "accounts/my_classes.html", page_title=_("Classes"), classes=classes,
                  is_admin=is_school_admin(user), notice=take_notice(request))


@page
async def my_class(request: Request):
    user = actor(request)
    require_staff(user)
    school_class, pupils, teachers = await services.class_members(user, request.path_params["class_id"])
    return render(request, "accounts/my_class.html", page_title=_("Class %(name)s", name=school_class.name),
                  school_class=school_class, pupils=pupils, teachers=teachers, is_admin=is_school_admin(user),
                  notice=take_notice(request))


routes = [
    Route("/admin/classes", classes_admin),
    Route("/admin/classes/new", class_new, methods=["GET", "POST"]),
    Route("/admin/classes/{class_id:int}", class_detail),
    Route("/admin/classes/{class_id:int}/edit", class_edit, methods=["GET", "POST"]),
    Route("/admin/classes/{class_id:int}/delete", class_delete, methods=["GET", "POST"]),
    Route("/admin/classes/{class_id:int}/members/add", class_members_add, methods=["POST"]),
    Route("/admin/classes/{class_id:int}/members/remove", class_members_remove, methods=["POST"]),
    Route("/admin/courses", courses_admin),
    Route("/admin/courses/new", course_new, methods=["GET", "POST"]),
    Route("/admin/courses/{course_id:int}", course_detail),
    Route("/admin/courses/{course_id:int}/edit", course_edit, methods=["GET", "POST"]),
    Route("/admin/courses/{course_id:int}/delete", course_delete, methods=["GET", "POST"]),
    Route("/admin/courses/{course_id:int}/members", course_members, methods=["POST"]),
    Route("/classes", my_classes),
    Route("/classes/{class_id:int}", my_class),
    Route("/classes/{class_id:int}/pupils/{user_id}/password-reset", user_password_reset, methods=["POST"]),
]
