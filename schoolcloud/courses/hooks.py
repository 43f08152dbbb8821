"""Where other domains (tasks) plug into the course pages without courses importing them.

- ``course_sections``: each entry renders an extra section of the course page. Register at import time
  of your routes module: ``hooks.add_course_section("tasks/_course_tasks.html", load)`` where
  ``async def load(user, course_view) -> dict | None`` returns the template's context (``None``: nothing
  to show). The course page includes the template with that dict as ``section``.
- ``task_links``: one function that names the tasks of lesson task blocks: ``async def resolve(user,
  course, task_ids) -> {task_id: (title, url)}`` with only the tasks the user may see. Without it, task
  blocks show to the course's editors as "Task <id>" and to pupils not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from schoolcloud.accounts.models import Course, User

SectionLoader = Callable[[User, object], Awaitable[dict | None]]
TaskResolver = Callable[[User, Course, list[int]], Awaitable[dict[int, tuple[str, str]]]]

course_sections: list[tuple[str, SectionLoader]] = []
task_links: list[TaskResolver] = []


def add_course_section(template: str, load: SectionLoader) -> None:
    if all(existing != template for existing, _ in course_sections):
        course_sections.append((template, load))


def set_task_links(resolve: TaskResolver) -> None:
    task_links[:] = [resolve]


async def sections_for(user: User, course_view) -> list[tuple[str, dict]]:
    shown = []
    for template, load in course_sections:
        context = await load(user, course_view)
        if context is not None:
            shown.append((template, context))
    return shown


async def tasks_named(user: User, course: Course, task_ids: list[int]) -> dict[int, tuple[str, str]] | None:
    """Titles and URLs of the tasks the user may see, or None when no tasks domain is plugged in."""
    if not task_links or not task_ids:
        return None if not task_links else {}
    return await task_links[0](user, course, task_ids)
