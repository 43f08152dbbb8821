"""The class directory: the optional feature gated by the ``class_directory`` consent.

Members of a person's classes see each other's names here only when both sides have agreed: the viewer
needs the consent to open the page, and only members with the consent are listed. Pupils see no class
list anywhere else, so without consent nothing about them is shown to classmates.
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolcloud.accounts.models import Role, SchoolClass, User
from schoolcloud.privacy.purposes import CLASS_DIRECTORY
from schoolcloud.privacy.services_consent import consenting_ids, require_consent
from schoolcloud.web.errors import Forbidden


@dataclass
class DirectoryClass:
    school_class: SchoolClass
    members: list[User]


async def class_directory(user: User) -> list[DirectoryClass]:
    if not user.active or user.school_id is None or user.role not in (Role.PUPIL, Role.TEACHER):
        raise Forbidden()
    await require_consent(user, CLASS_DIRECTORY.id)
    classes = await SchoolClass.filter(school_id=user.school_id, members__id=user.id).distinct() \
        .order_by("-school_year", "name").prefetch_related("members")
    people = {m.id: m for c in classes for m in c.members if m.active}
    agreed = await consenting_ids(list(people.values()), CLASS_DIRECTORY.id)
    return [DirectoryClass(c, sorted((m for m in c.members if m.id in agreed and m.active),
                                     key=lambda m: (m.role != Role.TEACHER, m.family_name, m.given_name)))
            for c in classes]
