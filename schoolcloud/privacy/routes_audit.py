"""Page: the audit trail of the administrator's school (/admin/audit), with filters, CSV export and the
state of the hash chain."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.pages import actor, errors_by_field
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_base import Page
from schoolcloud.auth.current import page
from schoolcloud.privacy import services_audit
from schoolcloud.privacy.services_audit import FILTER_FIELDS, AuditFilter
from schoolcloud.web.errors import ValidationError
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render


def kind_choices(actions: list[str]) -> list[tuple[str, str]]:
    """Categories ("files": every files.* event) first, then the single actions."""
    categories = sorted({a.split(".", 1)[0] for a in actions if "." in a})
    return [*((c, _("%(category)s (all)", category=c)) for c in categories), *((a, a) for a in actions)]


@page
async def audit_index(request: Request):
    user = actor(request)
    require_school_admin(user)
    raw = {name: request.query_params.get(name, "") for name in FILTER_FIELDS}
    errors: dict = {}
    try:
        wanted = services_audit.parse_filter(raw)
    except ValidationError as exc:
        errors = errors_by_field(exc)
        wanted = None
    if wanted is None:
        result = Page([], 0, 1, 50)
    else:
        result = await services_audit.list_events(user, wanted, page=request.query_params.get("page"))
    query = AuditFilter().query_dict(raw)
    return render(request, "privacy/audit.html", status_code=422 if errors else 200,
                  page_title=_("Audit trail"), page=result, values=raw, errors=errors, query=query,
                  kinds=kind_choices(await services_audit.kinds(user)), chain=await services_audit.chain_status(user),
                  export_url="/api/v1/privacy/audit-events.csv" + (f"?{urlencode(query)}" if query else ""))


routes = [Route("/admin/audit", audit_index, methods=["GET"])]
