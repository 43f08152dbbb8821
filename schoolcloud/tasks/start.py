"""The logged-in start page's sections that come from tasks (see ``home`` for the queries)."""

from __future__ import annotations

from schoolcloud.accounts.models import User
from schoolcloud.courses.display import lesson_when
from schoolcloud.tasks import home
from schoolcloud.tasks.pages import helpers


async def start_sections(user: User) -> dict:
    return {"open_tasks": await home.open_tasks(user), "new_feedback": await home.new_feedback(user),
            "waiting": await home.tasks_with_new_work(user), "todays_lessons": await home.todays_lessons(user),
            "upcoming_lessons": await home.upcoming_lessons(user), "lesson_when": lesson_when, **helpers()}
