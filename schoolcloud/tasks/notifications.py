"""In-app notifications: new tasks, due dates coming up, new feedback.

Feedback notices are written when feedback is released. New-task and due-soon notices depend on time
(a task may become visible at 8:00, a due date comes closer on its own), so they are computed when the
pupil reads: ``sync`` adds what is missing in two queries and one insert, at most every
``SYNC_SECONDS`` per session (and always on the notifications page). The ``(user, key)`` unique index
keeps one notice per event even when two requests sync at once.

A notice names only the task and its course: never other pupils.
"""

from __future__ import annotations

from datetime import timedelta

from schoolcloud.accounts.models import Role, User
from schoolcloud.tasks import access, pupil_rows
from schoolcloud.tasks.access import now
from schoolcloud.tasks.models import Notification, NotificationKind, Submission, Task, TaskMember

DUE_SOON = timedelta(hours=24)
NEW_WINDOW = timedelta(days=14)  # tasks older than this are not announced any more
SYNC_SECONDS = 120
SESSION_KEY = "tasks_notified_at"
PAGE_SIZE = 50


async def sync(user: User) -> int:
    """Add the new-task and due-soon notices the pupil is missing; returns how many were added."""
    if user.role != Role.PUPIL or user.school_id is None:
        return 0
    at = now()
    # Which are missing: one hand-written statement (pupil_rows), as this runs on the first page of a login.
    new, soon = await pupil_rows.missing_notices(user, at, at - NEW_WINDOW, at + DUE_SOON)
    rows = [Notification(user_id=user.id, kind=NotificationKind.NEW_TASK, key=f"new_task:{task_id}",
                         task_id=task_id, created_at=available_from) for task_id, available_from in new]
    rows += [Notification(user_id=user.id, kind=NotificationKind.DUE_SOON, key=f"due_soon:{task_id}",
                          task_id=task_id, created_at=at) for task_id in soon]
    if rows:
        await Notification.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


async def feedback_released(task: Task, submissions: list[Submission]) -> None:
    """Tell each pupil whose feedback was just released (every member for a group submission)."""
    at = now()
    pupils: list[tuple[int, Submission]] = [(s.pupil_id, s) for s in submissions if s.pupil_id]
    group_ids = [s.group_id for s in submissions if s.group_id]
    if group_ids:
        by_group = {s.group_id: s for s in submissions if s.group_id}
        for member in await TaskMember.filter(group_id__in=group_ids):
            pupils.append((member.pupil_id, by_group[member.group_id]))
    rows = [Notification(user_id=pupil_id, kind=NotificationKind.FEEDBACK, task_id=task.id, created_at=at,
                         key=f"feedback:{s.id}:{int(s.feedback_released_at.timestamp())}")
            for pupil_id, s in pupils]
    if rows:
        await Notification.bulk_create(rows, ignore_conflicts=True)


async def unread_count(user: User) -> int:
    return await pupil_rows.unread_count(user.id)


async def nav_count(session: dict, user: User) -> int:
    """For the navigation on every page: sync now and then, then count (one query most of the time)."""
    if user.role == Role.PUPIL:
        stamp = session.get(SESSION_KEY)
        current = int(now().timestamp())
        if not isinstance(stamp, int) or current - stamp >= SYNC_SECONDS:
            await sync(user)
            session[SESSION_KEY] = current
    return await unread_count(user)


async def recent(user: User, offset: int = 0) -> tuple[list[Notification], bool]:
    """Newest first with their tasks and courses (one query); syncs first."""
    await sync(user)
    rows = await Notification.filter(user_id=user.id).select_related("task__course") \
        .order_by("-created_at", "-id").offset(offset).limit(PAGE_SIZE + 1)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def mark_read(user: User, notification_id=None) -> int:
    query = Notification.filter(user_id=user.id, read_at=None)
    if notification_id is not None:
        query = query.filter(id=access.as_int(notification_id, "notification"))
    return await query.update(read_at=now())
