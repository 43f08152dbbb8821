"""School carriers (Schulträger): operators create them, assign schools and carrier users; carrier users
see their schools' plans. A school belongs to at most one carrier, of the same Land."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tortoise.exceptions import IntegrityError

from schoolcloud.accounts import validation as v
from schoolcloud.accounts.models import Role, School, User
from schoolcloud.accounts.permissions import require_operator
from schoolcloud.accounts.services_base import Credentials, new_one_time_password, record
from schoolcloud.accounts.services_schools import new_account_fields
from schoolcloud.accounts.services_users import unique_username
from plans import model as plans_model
from schoolcloud.planning import access as acl
from schoolcloud.planning import domain
from schoolcloud.planning.lookup import by_id, whole_number
from schoolcloud.planning.models import Carrier, CarrierMember, CarrierSchool, PlanDocument, PlanStatus
from schoolcloud.web.errors import AppError, Forbidden, NotFound, ValidationError
from schoolcloud.web.i18n import N_

BUDGET_MAX = Decimal("999999999999.99")


def _budget(raw, errors: v.FieldErrors) -> Decimal | None:
    text = v.clean_text(raw).replace(" ", "")
    if not text:
        return None
    if "," in text:  # German notation: 1.234.567,89
        text = text.replace(".", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value > BUDGET_MAX:
        errors.add("budget", "budget_invalid", N_("Please enter an amount in euros, e.g. 250000 or 250.000,00."))
        return None
    return value.quantize(Decimal("0.01"))


def _fields(name, state, budget) -> tuple[str, str, Decimal | None]:
    errors = v.FieldErrors()
    name = v.plain_name(name, "name", errors, 200)
    state = v.state(state, errors)
    if not state and not errors.has("state"):
        errors.add("state", "required", N_("Please fill in this field."))
    amount = _budget(budget, errors)
    errors.raise_if_any()
    return name, state, amount


async def list_carriers(actor: User) -> list[Carrier]:
    require_operator(actor)
    return await Carrier.all().order_by("name", "id")


async def get_carrier(actor: User, carrier_id) -> Carrier:
    """Operators see every carrier; carrier users their own."""
    carrier = await by_id(Carrier, carrier_id, "carrier")
    if actor.role == Role.OPERATOR and actor.active:
        return carrier
    if carrier.id not in await acl.carrier_ids(actor):
        raise NotFound("carrier")
    return carrier


async def create_carrier(actor: User, *, name, state, budget=None) -> Carrier:
    require_operator(actor)
    name, state, amount = _fields(name, state, budget)
    carrier = await Carrier.create(name=name, state=state, budget=amount)
    await record("carriers.create", actor, school_id=None, target_type="carrier", target_id=carrier.id)
    return carrier


async def update_carrier(actor: User, carrier_id, *, name, state, budget=None) -> Carrier:
    require_operator(actor)
    carrier = await get_carrier(actor, carrier_id)
    carrier.name, carrier.state, carrier.budget = _fields(name, state, budget)
    await carrier.save()
    await record("carriers.update", actor, school_id=None, target_type="carrier", target_id=carrier.id)
    return carrier


async def schools_of(carrier: Carrier) -> list[School]:
    return await School.filter(carrier_link__carrier_id=carrier.id).order_by("name", "id")


async def unassigned_schools(carrier: Carrier) -> list[School]:
    """Schools of the carrier's Land (or without a Land) that belong to no carrier yet."""
    taken = await CarrierSchool.all().values_list("school_id", flat=True)
    return await School.filter(state__in=[carrier.state, ""], active=True).exclude(id__in=list(taken) or [0]) \
        .order_by("name", "id")


async def add_school(actor: User, carrier_id, school_id) -> School:
    require_operator(actor)
    carrier = await get_carrier(actor, carrier_id)
    school = await by_id(School, school_id, "school")
    if school.state and school.state != carrier.state:
        raise AppError("other_state", N_("The school is in another Land than the carrier."), status=422,
                       field="school_id")
    try:
        await CarrierSchool.create(carrier=carrier, school=school)
    except IntegrityError:
        raise AppError("school_has_carrier", N_("The school already belongs to a carrier."), status=409,
                       field="school_id") from None
    await record("carriers.school_add", actor, school_id=school.id, target_type="carrier", target_id=carrier.id)
    return school


async def remove_school(actor: User, carrier_id, school_id) -> None:
    require_operator(actor)
    carrier = await get_carrier(actor, carrier_id)
    deleted = await CarrierSchool.filter(carrier_id=carrier.id, school_id=whole_number(school_id, "school")).delete()
    if not deleted:
        raise NotFound("school")
    await record("carriers.school_remove", actor, school_id=int(school_id), target_type="carrier",
                 target_id=carrier.id)


async def members_of(carrier: Carrier) -> list[User]:
    return await User.filter(carrier_memberships__carrier_id=carrier.id).order_by("family_name", "given_name", "id")


async def create_member(actor: User, carrier_id, *, given_name, family_name, email=None,
                        username=None) -> tuple[User, Credentials]:
    """A new carrier user (no school) with a one-time password, returned once."""
    require_operator(actor)
    carrier = await get_carrier(actor, carrier_id)
    given, family, address, name = await new_account_fields(given_name, family_name, email, username)
    password, password_hash = await new_one_time_password()
    try:
        user = await User.create(school=None, role=Role.CARRIER, username=name or await unique_username(given, family),
                                 given_name=given, family_name=family, email=address, password_hash=password_hash,
                                 must_change_password=True)
    except IntegrityError:
        raise ValidationError([AppError("username_taken", N_("This username is already taken."),
                                        field="username")]) from None
    await CarrierMember.create(carrier=carrier, user=user)
    await record("user.created", actor, school_id=None, target_type="user", target_id=user.public_id,
                 details={"role": Role.CARRIER, "carrier": carrier.id})
    return user, Credentials(public_id=str(user.public_id), given_name=given, family_name=family,
                             username=user.username, password=password, role=Role.CARRIER)


async def remove_member(actor: User, carrier_id, user_id) -> None:
    """Ends the membership and deactivates the account (a carrier user has no other use)."""
    require_operator(actor)
    carrier = await get_carrier(actor, carrier_id)
    member = await CarrierMember.get_or_none(carrier_id=carrier.id, user_id=whole_number(user_id, "user")) \
        .select_related("user")
    if member is None:
        raise NotFound("user")
    await member.delete()
    if not await CarrierMember.filter(user_id=member.user_id).exists():
        member.user.active = False
        await member.user.save(update_fields=["active", "updated_at"])
    await record("carriers.member_remove", actor, school_id=None, target_type="carrier", target_id=carrier.id,
                 details={"user": str(member.user.public_id)})


async def my_carriers(actor: User) -> list[Carrier]:
    if actor.role != Role.CARRIER:
        raise Forbidden()
    return await Carrier.filter(id__in=await acl.carrier_ids(actor) or [0]).order_by("name", "id")


STATUS_RANK = {PlanStatus.APPROVED: 0, PlanStatus.SUBMITTED: 1, PlanStatus.RETURNED: 2, PlanStatus.DRAFT: 3}


@dataclass
class Consolidated:
    carrier: Carrier
    schools: list[tuple[School, PlanDocument | None]]  # every school with the plan that counts for it
    model: plans_model.Carrier  # the carrier with those plans, for the calculator and the exports


def counting_plan(plans: list[PlanDocument]) -> PlanDocument | None:
    """The plan that counts for a school: approved before submitted before returned before draft,
    then the most recently changed."""
    if not plans:
        return None
    return min(plans, key=lambda p: (STATUS_RANK[p.status], -p.updated_at.timestamp()))


async def consolidated(actor: User, carrier_id) -> Consolidated:
    """All schools of a carrier with their counting plans, as one ``plans.model.Carrier``."""
    carrier = await get_carrier(actor, carrier_id)
    if actor.role != Role.CARRIER:
        raise Forbidden()
    schools = await schools_of(carrier)
    by_school: dict[int, list[PlanDocument]] = {}
    for plan in await PlanDocument.filter(school_id__in=[s.id for s in schools] or [0]):
        by_school.setdefault(plan.school_id, []).append(plan)
    chosen = [(school, counting_plan(by_school.get(school.id, []))) for school in schools]
    models = [domain.parse(domain.load(plan.content)) for _school, plan in chosen if plan is not None]
    programmes = [m.programme.rule_pack_id for m in models if m.programme.rule_pack_id]
    programme = max(set(programmes), key=programmes.count) if programmes else ""
    land = plans_model.Land(carrier.state) if carrier.state in plans_model.Land.__members__ else None
    model = plans_model.Carrier(key=str(carrier.id), name=carrier.name, land=land, plans=models,
                                programme=plans_model.FundingProgramme(rule_pack_id=programme,
                                                                       allocated_budget=carrier.budget))
    return Consolidated(carrier, chosen, model)
