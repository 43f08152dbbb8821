"""Plans: create, read, save with optimistic concurrency, revisions and their comparison, JSON import.

A save names the revision it was based on. The row is updated only if that is still the current one
(compare-and-set in one UPDATE); otherwise the save is refused with 409 and what changed meanwhile, so
nobody overwrites another person's work unseen. Every successful save keeps the full plan as a revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from schoolcloud.accounts import validation as v
from schoolcloud.accounts.models import School, User
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_base import record
from schoolcloud.planning import access as acl
from plans import serialize
from schoolcloud.planning import diff, domain
from schoolcloud.planning.lookup import whole_number
from schoolcloud.planning.models import PlanDocument, PlanRevision, PlanStatus
from schoolcloud.privacy.pseudonyms import former_member
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_

TITLE_MAX = 200


class PlanConflict(AppError):
    """Someone saved the plan since the revision this save was based on."""

    status_code = 409

    def __init__(self, base: int, current: int, changes: list[diff.Change], authors: list[str]):
        super().__init__("conflict", N_("Someone else saved this plan in the meantime (now at version "
                                        "%(current)d). Your changes were not saved."), current=current)
        self.base, self.current, self.changes, self.authors = base, current, changes, authors

    def as_json(self, locale: str = "de") -> dict:
        body = super().as_json(locale)
        body["error"]["conflict"] = {"base_revision": self.base, "current_revision": self.current,
                            "changed_by": self.authors, "changes": [c.as_json() for c in self.changes]}
        return body


class PlanLocked(AppError):
    status_code = 409

    def __init__(self):
        super().__init__("plan_locked", N_("This plan was submitted to the school carrier and cannot be changed "
                                           "now."))


def clean_title(raw, errors: v.FieldErrors) -> str:
    return v.plain_name(raw, "title", errors, TITLE_MAX)


def check_programme(raw, errors: v.FieldErrors) -> str:
    value = v.clean_text(raw)
    known = dict(domain.programmes())
    if not value:
        errors.add("programme", "required", N_("Please fill in this field."))
    elif known and value not in known or len(value) > 64:
        errors.add("programme", "programme_unknown", N_("Please choose one of the offered values."))
    return value


@dataclass
class Saved:
    plan: PlanDocument
    changed: bool


async def _store_new(actor: User, school: School, title: str, programme: str, content: dict, note: str) -> PlanDocument:
    text = domain.dump(content)
    async with in_transaction() as conn:
        plan = await PlanDocument.create(using_db=conn, school_id=school.id, title=title, programme=programme,
                                         content=text, revision=1, created_by=actor)
        await PlanRevision.create(using_db=conn, plan=plan, number=1, author=actor, title=title, content=text,
                                  note=note)
    await record(f"plans.{note}", actor, school_id=school.id, target_type="plan", target_id=plan.id,
                 details={"programme": programme})
    return plan


async def create_plan(actor: User, *, title, programme) -> PlanDocument:
    """A new, empty draft of the actor's school (school administrators)."""
    school_id = require_school_admin(actor)
    errors = v.FieldErrors()
    title = clean_title(title, errors)
    programme = check_programme(programme, errors)
    errors.raise_if_any()
    school = await School.get(id=school_id)
    return await _store_new(actor, school, title, programme, domain.new_plan(school, programme, title), "create")


async def import_plan(actor: User, text: str | bytes) -> PlanDocument:
    """A plan from its JSON export (``export_json``), as a new draft of the actor's school."""
    school_id = require_school_admin(actor)
    try:
        plan = serialize.plan_from_json(text)
    except serialize.PlanFormatError as exc:
        raise domain.PlanFormatProblem(exc) from None
    errors = v.FieldErrors()
    title = clean_title(plan.title, errors)
    programme = check_programme(plan.programme.rule_pack_id, errors)
    errors.raise_if_any()
    return await _store_new(actor, await School.get(id=school_id), title, programme, serialize.to_data(plan),
                            "import")


async def list_plans(actor: User) -> list[PlanDocument]:
    query = acl.visible_plans(actor, await acl.carrier_school_ids(actor))
    return await query.select_related("school").order_by("school__name", "-updated_at", "id") \
        .only("id", "title", "programme", "status", "revision", "updated_at", "school_id", "school__name")


async def get_plan(actor: User, plan_id) -> tuple[PlanDocument, str]:
    return await acl.plan_for(actor, plan_id)


def content_of(plan: PlanDocument | PlanRevision) -> dict:
    return domain.load(plan.content)


def export_json(plan: PlanDocument) -> str:
    """Complete and re-importable: ``import_plan(export_json(p))`` gives the same plan."""
    return serialize.plan_to_json(domain.parse(content_of(plan)))


def revision_number(raw) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).isdigit():
        raise AppError("base_revision_missing", N_("The save must name the version it is based on."),
                       status=422, field="base_revision")
    return int(raw)


async def save_plan(actor: User, plan_id, *, base_revision, content, title=None, note: str = "save") -> Saved:
    """Save the whole plan. Drafts may be invalid; only unreadable data is refused."""
    plan, _access = await acl.plan_to_write(actor, plan_id)
    if plan.status not in PlanStatus.EDITABLE:
        raise PlanLocked()
    base = revision_number(base_revision)
    data = domain.normalise(content)
    errors = v.FieldErrors()
    if title is not None:
        data["title"] = title
    # The envelope mirrors the plan's own title and programme; an empty one keeps the stored value.
    new_title = clean_title(data["title"], errors) if v.clean_text(data["title"]) else plan.title
    errors.raise_if_any()
    data["title"] = new_title
    data["programme"]["rule_pack_id"] = v.clean_text(data["programme"]["rule_pack_id"])[:64] or plan.programme
    text = domain.dump(data)
    if base == plan.revision and text == plan.content and new_title == plan.title:
        return Saved(plan, changed=False)
    if base != plan.revision:
        raise await _conflict(plan, base)
    now = datetime.now(timezone.utc)
    async with in_transaction() as conn:
        updated = await PlanDocument.filter(id=plan.id, revision=base).using_db(conn).update(
            content=text, title=new_title, programme=data["programme"]["rule_pack_id"], revision=base + 1,
            updated_at=now)
        if updated:
            await PlanRevision.create(using_db=conn, plan_id=plan.id, number=base + 1, author=actor,
                                      title=new_title, content=text, note=note)
    if not updated:  # another save won the race between our read and this write
        raise await _conflict(await PlanDocument.get(id=plan.id), base)
    plan.content, plan.title, plan.revision, plan.updated_at = text, new_title, base + 1, now
    plan.programme = data["programme"]["rule_pack_id"]
    return Saved(plan, changed=True)


async def _conflict(current: PlanDocument, base: int) -> PlanConflict:
    """What changed between the revision the saver started from and the current one."""
    older = await PlanRevision.get_or_none(plan_id=current.id, number=base)
    if older is None or base > current.revision:
        raise AppError("base_revision_unknown", N_("The plan has no version %(number)d."), status=422,
                       field="base_revision", number=base)
    authors = await PlanRevision.filter(plan_id=current.id, number__gt=base).order_by("number") \
        .values_list("author__given_name", "author__family_name", "author_pseudonym")
    names = list(dict.fromkeys(filter(None, (_author(*row) for row in authors))))
    changes = diff.compare(content_of(older), content_of(current))
    return PlanConflict(base, current.revision, changes, names)


async def revisions(actor: User, plan_id) -> list[dict]:
    plan, _access = await acl.plan_for(actor, plan_id, fields=("revision",))
    rows = await PlanRevision.filter(plan_id=plan.id).order_by("-number").values(
        "number", "note", "title", "created_at", "author__given_name", "author__family_name", "author_pseudonym")
    return [{"number": r["number"], "note": r["note"], "title": r["title"], "created_at": r["created_at"],
             "author": _author(r["author__given_name"], r["author__family_name"], r["author_pseudonym"])}
            for r in rows]


def _author(given: str | None, family: str | None, pseudonym: str) -> str:
    """A revision's author from joined columns: the name, or the pseudonym once the account is deleted."""
    name = f"{given or ''} {family or ''}".strip()
    return name or (former_member(pseudonym) if pseudonym else "")


async def revision(actor: User, plan_id, number) -> PlanRevision:
    plan, _access = await acl.plan_for(actor, plan_id, fields=("revision",))
    found = await PlanRevision.get_or_none(plan_id=plan.id, number=whole_number(number, "revision")) \
        .select_related("author")
    if found is None:
        raise NotFound("revision")
    return found


async def compare_revisions(actor: User, plan_id, old, new) -> list[diff.Change]:
    """Field by field, from revision ``old`` to revision ``new``."""
    before = await revision(actor, plan_id, old)
    after = await revision(actor, plan_id, new)
    return diff.compare(content_of(before), content_of(after))


async def delete_plan(actor: User, plan_id) -> None:
    """School administrators delete drafts of their school (submitted and approved plans stay)."""
    plan, access = await acl.plan_to_write(actor, plan_id)
    if access != acl.Access.ADMIN:
        raise acl.Forbidden()
    if plan.status not in PlanStatus.EDITABLE:
        raise PlanLocked()
    await plan.delete()
    await record("plans.delete", actor, school_id=plan.school_id, target_type="plan", target_id=plan.id)
