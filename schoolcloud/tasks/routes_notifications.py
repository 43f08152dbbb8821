"""The notifications page (/notifications): newest first; opening it marks what it shows as read."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.files.routes import actor, take_notice
from schoolcloud.tasks import notifications
from schoolcloud.tasks.access import now
from schoolcloud.tasks.models import Notification
from schoolcloud.tasks.pages import helpers
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render


@page
async def notification_page(request: Request):
    user = actor(request)
    try:
        offset = max(0, int(request.query_params.get("offset") or 0))
    except ValueError:
        offset = 0
    rows, more = await notifications.recent(user, offset)
    unread = [r.id for r in rows if r.read_at is None]
    if unread:
        await Notification.filter(id__in=unread, user_id=user.id).update(read_at=now())
        request.state.nav_unread = max(0, (getattr(request.state, "nav_unread", 0) or 0) - len(unread))
    return render(request, "tasks/notifications.html", page_title=_("Notifications"), rows=rows, unread=set(unread),
                  offset=offset, more=more, page_size=notifications.PAGE_SIZE, notice=take_notice(request),
                  nav_unread=getattr(request.state, "nav_unread", None), **helpers())


routes = [
    Route("/notifications", notification_page),
]
