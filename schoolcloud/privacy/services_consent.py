"""Consent per person and purpose: give and withdraw one's own, record and withdraw a parent's (school
administrators, on paper receipt), and ``require_consent`` for the features that need it.

Checks read the database on every call (no cache in the session), so a withdrawal blocks the feature
from the very next request, in every open session and on every app instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import Role, School, User
from schoolcloud.accounts.services_base import record
from schoolcloud.accounts.services_users import Conflict, school_user
from schoolcloud.privacy import purposes
from schoolcloud.privacy.age_rules import PARENT, SELF, required_givers
from schoolcloud.privacy.models import Consent
from schoolcloud.privacy.purposes import Purpose
from schoolcloud.privacy.services_restriction import require_not_frozen
from schoolcloud.web.errors import AppError, Forbidden, NotFound
from schoolcloud.web.i18n import N_


class ConsentRequired(AppError):
    status_code = 403

    def __init__(self, purpose: Purpose):
        super().__init__("consent_required", N_("This feature needs consent that has not been given (or was "
                                                "withdrawn): \"%(purpose)s\". You can give it on the page "
                                                "Privacy (/privacy)."), purpose=purpose.title_en)
        self.purpose = purpose

    def text(self, locale: str) -> str:
        # The purpose's title comes from the registry in the reader's language, not from the catalogue.
        from schoolcloud.web.i18n import in_locale

        return in_locale(locale, self.message, purpose=self.purpose.title(locale))


def now() -> datetime:
    return datetime.now(timezone.utc)


def get_purpose(purpose_id: str) -> Purpose:
    purpose = purposes.get(purpose_id)
    if purpose is None:
        raise NotFound("purpose")
    return purpose


async def _state_of(user: User) -> str:
    if user.school_id is None:
        return ""
    school = getattr(user, "_school", None)
    if isinstance(school, School):
        return school.state
    return await School.filter(id=user.school_id).first().values_list("state", flat=True) or ""


async def givers_for(user: User, today: date | None = None) -> frozenset[str]:
    return required_givers(is_pupil=user.role == Role.PUPIL, birth_date=user.birth_date,
                           state=await _state_of(user), today=today or now().date())


@dataclass
class PurposeState:
    purpose: Purpose
    needed: frozenset[str]
    active: dict[str, Consent] = field(default_factory=dict)  # giver -> consent to the current text
    outdated: set[str] = field(default_factory=set)  # givers whose consent is to an older text

    @property
    def effective(self) -> bool:
        return bool(self.needed) and all(giver in self.active for giver in self.needed)

    @property
    def missing(self) -> list[str]:
        return sorted(giver for giver in self.needed if giver not in self.active)


async def _active_rows(user_ids: list[int], purpose_id: str) -> list[Consent]:
    return await Consent.filter(user_id__in=user_ids, purpose=purpose_id, withdrawn_at__isnull=True)


async def purpose_state(user: User, purpose: Purpose) -> PurposeState:
    state = PurposeState(purpose, await givers_for(user))
    for row in await _active_rows([user.id], purpose.id):
        if row.text_version == purpose.version:
            state.active[row.given_by] = row
        else:
            state.outdated.add(row.given_by)
    return state


async def overview(user: User) -> list[PurposeState]:
    """Every declared purpose with what the user has given and what is still missing."""
    return [await purpose_state(user, purpose) for purpose in purposes.PURPOSES.values()]


async def has_consent(user: User, purpose_id: str) -> bool:
    return (await purpose_state(user, get_purpose(purpose_id))).effective


async def require_consent(user: User, purpose_id: str) -> None:
    """Refuse (403, German and English) unless every consent the user's age needs is in place."""
    purpose = get_purpose(purpose_id)
    if not (await purpose_state(user, purpose)).effective:
        raise ConsentRequired(purpose)


async def consenting_ids(users: list[User], purpose_id: str) -> set[int]:
    """Which of these users have effective consent (two queries, whatever their number)."""
    purpose = get_purpose(purpose_id)
    states = dict(await School.filter(id__in={u.school_id for u in users if u.school_id})
                  .values_list("id", "state"))
    given: dict[int, set[str]] = {}
    for row in await _active_rows([u.id for u in users], purpose.id):
        if row.text_version == purpose.version:
            given.setdefault(row.user_id, set()).add(row.given_by)
    today = now().date()
    return {u.id for u in users
            if (needed := required_givers(is_pupil=u.role == Role.PUPIL, birth_date=u.birth_date,
                                          state=states.get(u.school_id, ""), today=today))
            and needed <= given.get(u.id, set())}


async def _give(actor: User, subject: User, purpose: Purpose, giver: str, note: str = "") -> tuple[Consent, bool]:
    await require_not_frozen(subject)  # no new processing while restricted (withdrawing stays possible)
    async with in_transaction() as conn:
        existing = await Consent.filter(user_id=subject.id, purpose=purpose.id, given_by=giver,
                                        withdrawn_at__isnull=True).using_db(conn)
        current = next((row for row in existing if row.text_version == purpose.version), None)
        if current is not None:
            return current, False  # given twice: keep the first, nothing changes
        stamp = now()
        for row in existing:  # consent to an older text is replaced by consent to the current one
            await Consent.filter(id=row.id).using_db(conn).update(withdrawn_at=stamp,
                                                                  withdrawn_by=str(actor.public_id))
        consent = await Consent.create(using_db=conn, school_id=subject.school_id, user_id=subject.id,
                                       purpose=purpose.id, given_by=giver, text_version=purpose.version,
                                       granted_at=stamp, recorded_by=str(actor.public_id), note=note)
    await record("consent.given", actor, school_id=subject.school_id, target_type="user",
                 target_id=subject.public_id, details={"purpose": purpose.id, "version": purpose.version,
                                                       "given_by": giver})
    return consent, True


async def _withdraw(actor: User, subject: User, purpose: Purpose, giver: str) -> int:
    count = await Consent.filter(user_id=subject.id, purpose=purpose.id, given_by=giver,
                                 withdrawn_at__isnull=True).update(withdrawn_at=now(),
                                                                   withdrawn_by=str(actor.public_id))
    if count:
        await record("consent.withdrawn", actor, school_id=subject.school_id, target_type="user",
                     target_id=subject.public_id, details={"purpose": purpose.id, "given_by": giver})
    return count


def _not_given() -> AppError:
    return Conflict("consent_not_given", N_("There is no consent to withdraw: it was not given or has "
                                            "already been withdrawn."))


async def give_own(user: User, purpose_id: str) -> tuple[Consent, bool]:
    """The user's own consent; ``False`` when it was already given (nothing changes)."""
    if not user.active or user.school_id is None:
        raise Forbidden()
    purpose = get_purpose(purpose_id)
    if SELF not in await givers_for(user):
        raise Conflict("own_consent_not_applicable",
                       N_("At your age a parent's consent is needed. Please ask your parents to return the "
                          "signed form to the school; the school records it."))
    return await _give(user, user, purpose, SELF)


async def withdraw_own(user: User, purpose_id: str) -> None:
    if user.school_id is None:
        raise Forbidden()
    if not await _withdraw(user, user, get_purpose(purpose_id), SELF):
        raise _not_given()


async def _pupil(admin: User, user_id) -> User:
    pupil = await school_user(admin, user_id)  # own school only; anything else is "not found"
    if pupil.role != Role.PUPIL:
        raise Conflict("parent_consent_not_applicable", N_("A parent's consent is only recorded for pupils."))
    return pupil


async def subject_overview(admin: User, user_id) -> tuple[User, list[PurposeState]]:
    """A pupil's consents, for their school's administrator."""
    pupil = await _pupil(admin, user_id)
    return pupil, await overview(pupil)


async def record_parent(admin: User, user_id, purpose_id: str, note: str = "") -> tuple[Consent, bool]:
    """A parent's consent, entered by a school administrator once the signed form has arrived."""
    pupil = await _pupil(admin, user_id)
    purpose = get_purpose(purpose_id)
    if PARENT not in await givers_for(pupil):
        raise Conflict("parent_consent_not_needed",
                       N_("From this age the pupil decides alone; a parent's consent is not recorded."))
    return await _give(admin, pupil, purpose, PARENT, note=" ".join(str(note or "").split())[:200])


async def withdraw_parent(admin: User, user_id, purpose_id: str) -> None:
    pupil = await _pupil(admin, user_id)
    if not await _withdraw(admin, pupil, get_purpose(purpose_id), PARENT):
        raise _not_given()


async def history(user: User) -> list[Consent]:
    """Every consent row of the user, newest first (for the export and the pages)."""
    return await Consent.filter(user_id=user.id).order_by("-granted_at", "-id")
