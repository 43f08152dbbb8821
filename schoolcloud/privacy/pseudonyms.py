"""Pseudonyms of deleted accounts in content that others keep (Art. 17 GDPR).

When an account is deleted, the content it made for others stays (lessons, library entries, tasks, plan
versions and status steps; files in group spaces, hand-in versions, feedback and the task material kept
in the course's task records keep no name, only a NULL author). Where that content names its author, the name is replaced by "Ehemaliges Mitglied 3f2a" /
"Former member 3f2a": the short tag is random, the same for all content of one deleted person (so
readers can tell two former members apart) and leads back to nobody; the audit event ``user.deleted``
carries it beside the account's public id, for the school's administrators.
"""

from __future__ import annotations

import secrets

from schoolcloud.web.i18n import gettext_ as _


def new_tag() -> str:
    return secrets.token_hex(2)


def former_member(tag: str) -> str:
    return _("Former member %(tag)s", tag=tag)


def person_name(user, pseudonym: str = "") -> str:
    """Who made something: the account's name, its pseudonym once the account is deleted, else ""."""
    if user is not None:
        return user.display_name
    return former_member(pseudonym) if pseudonym else ""
