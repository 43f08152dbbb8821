"""The school's contact details and its data protection officer, which the record of processing
activities names (Art. 30(1)(a) GDPR: the controller's name and contact details and those of its data
protection officer). Entered by the school's own administrators on /privacy; every field is optional,
so a school can save what it has, and the record says plainly what is still missing.

A change is audited as an administrative change of the school (``school.contact_changed``) with the
names of the changed fields, not their values: the head's and the officer's names are personal data
that the trail does not need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schoolcloud.accounts import validation as v
from schoolcloud.accounts.models import School, User
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_base import record
from schoolcloud.web.i18n import N_

POSTAL_CODE = re.compile(r"[0-9]{5}")  # German postal codes (Postleitzahl)
PHONE = re.compile(r"\+?[0-9][0-9 ()/\-]{2,38}")


@dataclass(frozen=True)
class ContactField:
    name: str
    label: str  # N_() message id
    max_length: int
    kind: str = "text"  # text | postal_code | phone | email
    autocomplete: str = "off"


FIELDS: tuple[ContactField, ...] = (
    ContactField("head_name", N_("Head of school"), 200, autocomplete="name"),
    ContactField("street", N_("Street and number"), 200, autocomplete="street-address"),
    ContactField("postal_code", N_("Postal code"), 10, "postal_code", "postal-code"),
    ContactField("city", N_("City"), 100, autocomplete="address-level2"),
    ContactField("phone", N_("Phone"), 40, "phone", "tel"),
    ContactField("email", N_("Email address"), v.EMAIL_MAX, "email", "email"),
    ContactField("dpo_name", N_("Data protection officer"), 200),
    ContactField("dpo_email", N_("Data protection officer's email address"), v.EMAIL_MAX, "email"),
    ContactField("dpo_phone", N_("Data protection officer's phone"), 40, "phone"),
)
NAMES = tuple(f.name for f in FIELDS)
# The form's two parts: (legend, fields)
GROUPS = ((N_("School"), tuple(f for f in FIELDS if not f.name.startswith("dpo_"))),
          (N_("Data protection officer"), tuple(f for f in FIELDS if f.name.startswith("dpo_"))))


def values_of(school: School) -> dict[str, str]:
    return {name: getattr(school, name) or "" for name in NAMES}


def _check(field: ContactField, raw, errors: v.FieldErrors) -> str:
    if field.kind == "email":
        return v.email(raw, errors, field.name) or ""
    value = v.plain_name(raw, field.name, errors, field.max_length, required=False)
    if not value or errors.has(field.name):
        return value
    if field.kind == "postal_code" and not POSTAL_CODE.fullmatch(value):
        errors.add(field.name, "postal_code_invalid", N_("A postal code has five digits."))
    elif field.kind == "phone" and (not PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 3):
        errors.add(field.name, "phone_invalid", N_("Please enter a phone number: digits, spaces and + ( ) / -."))
    return value


def parse(raw) -> dict[str, str]:
    """Every field checked; all errors at once (422), nothing saved."""
    errors = v.FieldErrors()
    values = {field.name: _check(field, raw.get(field.name, ""), errors) for field in FIELDS}
    errors.raise_if_any()
    return values


async def school_of(actor: User) -> School:
    return await School.get(id=require_school_admin(actor))


async def update_contact(actor: User, raw) -> School:
    """Save the contact details of the administrator's own school."""
    school = await school_of(actor)
    values = parse(raw)
    changed = [name for name in NAMES if getattr(school, name) != values[name]]
    if changed:
        for name in changed:
            setattr(school, name, values[name])
        await school.save(update_fields=changed)
        await record("school.contact_changed", actor, school_id=school.id, target_type="school",
                     target_id=school.id, details={"fields": changed})
    return school
