"""Import of measures, inventory devices or rooms from CSV/XLSX into a plan, through ``plans.csv_import``.

All or nothing: a file with any row or column error writes nothing and every problem is reported (row
number as in the file, the column as headed there, German and English message). A good file replaces
the plan's list (or is added to it) as one new revision on top of the newest version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from plans import csv_import, serialize
from schoolcloud.accounts.models import User
from schoolcloud.planning import access as acl
from schoolcloud.planning import domain, services_plans
from schoolcloud.planning.models import PlanDocument
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_

KINDS = {"measures": N_("Measures"), "devices": N_("Devices of the inventory"),
         "rooms": N_("Rooms with network, WLAN and display")}
MODES = ("replace", "append")


class ImportRejected(AppError):
    """The file has errors; nothing was written."""

    status_code = 422

    def __init__(self, problems: list[csv_import.ImportProblem]):
        super().__init__("import_rejected", N_("The file has %(count)d errors. Nothing was imported."),
                         count=len(problems))
        self.problems = problems

    def as_json(self, locale: str = "de") -> dict:
        body = super().as_json(locale)
        body["error"]["rows"] = [{"row": p.row, "column": p.column, "code": p.code, "message_de": p.message_de,
                                  "message_en": p.message_en} for p in self.problems]
        return body


@dataclass
class Imported:
    plan: PlanDocument
    count: int


def _fresh_ids(existing: set[str], rows: list) -> None:
    """Added rows must not take the id of a row already in the plan."""
    for row in rows:
        if row.id in existing or not row.id:
            row.id = uuid.uuid4().hex[:8]
        existing.add(row.id)


async def import_table(actor: User, plan_id, kind, data: bytes, filename: str, mode: str = "replace") -> Imported:
    plan, _access = await acl.plan_to_write(actor, plan_id)
    if kind not in KINDS:
        raise NotFound("import")
    if mode not in MODES:
        raise AppError("invalid_parameter", N_("The parameter %(name)s has an invalid value."), status=422,
                       field="mode", name="mode")
    model = domain.parse(domain.load(plan.content))
    if kind == "measures":
        result = csv_import.import_measures(data, filename, domain.pack(model.programme.rule_pack_id))
    elif kind == "devices":
        result = csv_import.import_devices(data, filename)
    else:
        result = csv_import.import_rooms(data, filename)
    if not result.ok:
        raise ImportRejected(result.errors)
    rows = result.rows
    if kind == "measures":
        if mode == "append":
            _fresh_ids({m.id for m in model.measures}, rows)
        model.measures = (model.measures if mode == "append" else []) + rows
    elif kind == "devices":
        model.inventory.devices = (model.inventory.devices if mode == "append" else []) + rows
    else:
        keep = mode == "append"
        new_ids = {r.room.id for r in rows}
        model.profile.rooms = [r for r in model.profile.rooms if keep and r.id not in new_ids] + [r.room for r in rows]
        model.inventory.rooms = [r for r in model.inventory.rooms if keep and r.room_id not in new_ids] + \
            [r.equipment for r in rows]
    saved = await services_plans.save_plan(actor, plan.id, base_revision=plan.revision,
                                           content=serialize.to_data(model), note="import")
    return Imported(saved.plan, len(rows))
