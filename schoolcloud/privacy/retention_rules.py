"""The retention rules a school sets: defaults, sane bounds and the check of submitted values.

The bounds keep a rule from deleting everything: none is 0 days, the audit trail stays at least 90 days
and read notifications at least as long as a task is announced (tasks/notifications.py NEW_WINDOW).
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolcloud.accounts.validation import FieldErrors
from schoolcloud.web.i18n import N_


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    hint: str
    default: int | None
    low: int
    high: int
    optional: bool = False  # may be empty: "the instance's setting" (trash) or "keep" (the hint says which)


RULES: tuple[Rule, ...] = (
    Rule("leavers_days", N_("Pupils who left: delete their accounts after (days)"),
         N_("Counted from the day the school-year change (or an administrator) marked them as left. Their "
            "files, shares and sessions go with the account."), 90, 7, 3650),
    Rule("trash_days", N_("Trash: delete for good after (days)"),
         N_("Empty: the setting of this installation (%(days)d days)."), None, 7, 365, optional=True),
    Rule("audit_days", N_("Audit events: remove their content after (days)"),
         N_("At least 90 days. The integrity check of the audit trail keeps working."), 365, 90, 3650),
    Rule("links_days", N_("Expired public links: delete after (days)"),
         N_("Counted from the link's expiry date."), 30, 1, 365),
    Rule("notifications_days", N_("Read notifications: delete after (days)"),
         N_("Counted from when they were read; at least 14 days."), 90, 14, 365),
    # Empty by default: the records stay as long as their task, as before the rule existed (a new rule
    # never deletes what the school did not decide to delete).
    Rule("task_records_days", N_("Task records of deleted teachers: delete after (days)"),
         N_("Task material and feedback files of teachers whose accounts were deleted, counted from that "
            "deletion. Records of tasks that still accept work are kept. Empty: kept as long as their task "
            "exists."), None, 30, 3650, optional=True),
)
BY_NAME = {rule.name: rule for rule in RULES}
# What each rule deletes, by the key of the run's counts.
COUNTED_BY = {"leavers": "leavers_days", "trash": "trash_days", "links": "links_days",
              "notifications": "notifications_days", "task_records": "task_records_days",
              "audit_events": "audit_days"}


def pending(values: dict[str, int | None], confirmed) -> list[str]:
    """The rules that would delete by a value no administrator of the school agreed to: set to a number
    (an empty rule keeps, or follows the installation's own trash setting) and never saved by them. A
    school that never saved its rules, and a rule added by an upgrade, are in this state."""
    agreed = set(confirmed or ())
    return [rule.name for rule in RULES if values.get(rule.name) is not None and rule.name not in agreed]


def defaults() -> dict[str, int | None]:
    return {rule.name: rule.default for rule in RULES}


def parse(raw) -> dict[str, int | None]:
    """Whole days within each rule's bounds; every bad field is named (422, German and English)."""
    errors = FieldErrors()
    values: dict[str, int | None] = {}
    for rule in RULES:
        text = str(raw.get(rule.name, "") or "").strip()
        if not text and rule.optional:
            values[rule.name] = None
            continue
        if not text:
            errors.add(rule.name, "required", N_("Please fill in this field."))
            continue
        try:
            days = int(text)
        except ValueError:
            errors.add(rule.name, "days_invalid", N_("Please enter a whole number of days."))
            continue
        if not rule.low <= days <= rule.high:
            errors.add(rule.name, "days_out_of_range",
                       N_("Please enter a number of days from %(low)d to %(high)d."), low=rule.low, high=rule.high)
            continue
        values[rule.name] = days
    errors.raise_if_any()
    return values
