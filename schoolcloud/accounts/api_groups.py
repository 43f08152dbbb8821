"""JSON API: classes (/classes) and courses (/courses) of the caller's school."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import services
from schoolcloud.accounts.api_common import body_fields, caller, class_json, course_json, member_json, no_content, ok

CLASS_FIELDS = ("name", "grade_level", "school_year")
COURSE_FIELDS = ("name", "subject", "school_year")
COURSE_SETS = ("teacher_ids", "pupil_ids", "class_ids")


async def list_classes(request: Request):
    """
    summary: Classes of the caller's school (teachers - the classes they are members of).
    parameters:
      - {name: school_year, in: query, schema: {type: string, example: 2026/27}}
    responses:
      200: {description: "{items: [{id, name, grade_level, school_year, pupil_count, teacher_count}]}"}
      403: {description: Pupils and operators.}
    """
    user = await caller(request)
    classes = await services.list_classes(user, school_year=request.query_params.get("school_year") or None)
    return ok({"items": [class_json(c) for c in classes]})


async def create_class(request: Request):
    """
    summary: Create a class (school admins).
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [name, grade_level, school_year]
            properties:
              name: {type: string, maxLength: 32, example: 5a}
              grade_level: {type: integer, minimum: 1, maximum: 13}
              school_year: {type: string, example: 2026/27}
    responses:
      201: {description: The class.}
      422: {description: "Invalid fields, or the name exists in that school year (code class_exists)."}
    """
    user = await caller(request)
    body = await body_fields(request, CLASS_FIELDS)
    school_class = await services.create_class(user, **{name: body.get(name, "") for name in CLASS_FIELDS})
    return ok(class_json(school_class), status=201)


async def get_class(request: Request):
    """
    summary: One class with its members.
    parameters:
      - {name: class_id, in: path, required: true, schema: {type: integer}}
    responses:
      200: {description: "The class with pupils and teachers."}
      404: {description: No such class in the caller's school (or, for teachers, not one of theirs).}
    """
    user = await caller(request)
    school_class, pupils, teachers = await services.class_members(user, request.path_params["class_id"])
    return ok({**class_json(school_class), "pupils": [member_json(u) for u in pupils],
               "teachers": [member_json(u) for u in teachers]})


async def update_class(request: Request):
    """
    summary: Change a class (school admins); only the given fields change.
    parameters:
      - {name: class_id, in: path, required: true, schema: {type: integer}}
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            properties:
              name: {type: string}
              grade_level: {type: integer}
              school_year: {type: string}
    responses:
      200: {description: The class.}
      404: {description: No such class in the caller's school.}
      422: {description: Invalid fields.}
    """
    user = await caller(request)
    body = await body_fields(request, CLASS_FIELDS)
    return ok(class_json(await services.update_class(user, request.path_params["class_id"], **body)))


async def delete_class(request: Request):
    """
    summary: Delete a class (school admins) with its files; the members' accounts stay.
    parameters:
      - {name: class_id, in: path, required: true, schema: {type: integer}}
    responses:
      204: {description: Deleted.}
      404: {description: No such class in the caller's school.}
    """
    user = await caller(request)
    await services.delete_class(user, request.path_params["class_id"], files=request.app.state.files)
    return no_content()


async def class_members(request: Request):
    """
    summary: Members of a class.
    parameters:
      - {name: class_id, in: path, required: true, schema: {type: integer}}
    responses:
      200: {description: "{pupils: [...], teachers: [...]}"}
      404: {description: No such class in the caller's school.}
    """
    user = await caller(request)
    _class, pupils, teachers = await services.class_members(user, request.path_params["class_id"])
    return ok({"pupils": [member_json(u) for u in pupils], "teachers": [member_json(u) for u in teachers]})


async def add_class_members(request: Request):
    """
    summary: Add pupils and teachers of the same school to a class (school admins).
    parameters:
      - {name: class_id, in: path, required: true, schema: {type: integer}}
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [user_ids]
            properties:
              user_ids: {type: array, items: {type: string, format: uuid}}
    responses:
      200: {description: "{added: n}"}
      404: {description: No such class in the caller's school.}
      422: {description: "An id is not a pupil or teacher of the school (code user_invalid or member_role)."}
    """
    user = await caller(request)
    body = await body_fields(request, ("user_ids",))
    added = await services.add_class_members(user, request.path_params["class_id"], body.get("user_ids"))
    return ok({"added": added})


async def remove_class_member(request: Request):
    """
    summary: Remove one member from a class (school admins).
    parameters:
      - {name: class_id, in: path, required: true, schema: {type: integer}}
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      204: {description: Removed (or was no member).}
      404: {description: No such class in the caller's school.}
    """
    user = await caller(request)
    await services.remove_class_members(user, request.path_params["class_id"], [request.path_params["user_id"]])
    return no_content()


async def list_courses(request: Request):
    """
    summary: Courses of the caller's school (teachers - the courses they teach).
    parameters:
      - {name: school_year, in: query, schema: {type: string}}
    responses:
      200: {description: "{items: [{id, name, subject, school_year, teachers, pupils, classes}]}"}
    """
    user = await caller(request)
    courses = await services.list_courses(user, school_year=request.query_params.get("school_year") or None)
    return ok({"items": [course_json(c) for c in courses]})


async def create_course(request: Request):
    """
    summary: Create a course (school admins).
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [name, school_year]
            properties:
              name: {type: string, maxLength: 100}
              subject: {type: string, maxLength: 100}
              school_year: {type: string, example: 2026/27}
              teacher_ids: {type: array, items: {type: string, format: uuid}}
              pupil_ids: {type: array, items: {type: string, format: uuid}}
              class_ids: {type: array, items: {type: integer}, description: Pupils of these classes belong to the course.}
    responses:
      201: {description: The course.}
      422: {description: Invalid fields or ids.}
    """
    user = await caller(request)
    body = await body_fields(request, (*COURSE_FIELDS, *COURSE_SETS))
    course = await services.create_course(
        user, name=body.get("name", ""), subject=body.get("subject", ""), school_year=body.get("school_year", ""),
        **{name: body[name] for name in COURSE_SETS if name in body})
    return ok(course_json(await services.get_course(user, course.id)), status=201)


async def get_course(request: Request):
    """
    summary: One course with teachers, pupils, linked classes and the ids of all members.
    parameters:
      - {name: course_id, in: path, required: true, schema: {type: integer}}
    responses:
      200: {description: "The course; member_count counts teachers, pupils and the pupils of linked classes."}
      404: {description: No such course in the caller's school.}
    """
    user = await caller(request)
    course = await services.get_course(user, request.path_params["course_id"])
    return ok({**course_json(course), "member_count": len(await services.course_member_ids(course))})


async def update_course(request: Request):
    """
    summary: Change a course (school admins); teacher_ids, pupil_ids and class_ids replace those sets.
    parameters:
      - {name: course_id, in: path, required: true, schema: {type: integer}}
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            properties:
              name: {type: string}
              subject: {type: string}
              school_year: {type: string}
              teacher_ids: {type: array, items: {type: string, format: uuid}}
              pupil_ids: {type: array, items: {type: string, format: uuid}}
              class_ids: {type: array, items: {type: integer}}
    responses:
      200: {description: The course.}
      404: {description: No such course in the caller's school.}
      422: {description: Invalid fields or ids.}
    """
    user = await caller(request)
    body = await body_fields(request, (*COURSE_FIELDS, *COURSE_SETS))
    course = await services.update_course(user, request.path_params["course_id"], **body)
    return ok(course_json(await services.get_course(user, course.id)))


async def delete_course(request: Request):
    """
    summary: Delete a course (school admins) with its tasks, files and task records; the members' accounts stay.
    parameters:
      - {name: course_id, in: path, required: true, schema: {type: integer}}
    responses:
      204: {description: Deleted.}
      404: {description: No such course in the caller's school.}
    """
    user = await caller(request)
    await services.delete_course(user, request.path_params["course_id"], files=request.app.state.files)
    return no_content()


routes = [
    Route("/classes", list_classes, methods=["GET"]),
    Route("/classes", create_class, methods=["POST"]),
    Route("/classes/{class_id:int}", get_class, methods=["GET"]),
    Route("/classes/{class_id:int}", update_class, methods=["PATCH"]),
    Route("/classes/{class_id:int}", delete_class, methods=["DELETE"]),
    Route("/classes/{class_id:int}/members", class_members, methods=["GET"]),
    Route("/classes/{class_id:int}/members", add_class_members, methods=["POST"]),
    Route("/classes/{class_id:int}/members/{user_id}", remove_class_member, methods=["DELETE"]),
    Route("/courses", list_courses, methods=["GET"]),
    Route("/courses", create_course, methods=["POST"]),
    Route("/courses/{course_id:int}", get_course, methods=["GET"]),
    Route("/courses/{course_id:int}", update_course, methods=["PATCH"]),
    Route("/courses/{course_id:int}", delete_course, methods=["DELETE"]),
]
