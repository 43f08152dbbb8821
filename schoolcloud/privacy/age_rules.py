"""Whose consent a pupil's consent needs, by age, per Land (School.state).

The default follows the common reading in German school law and data protection guidance: under 14 a
parent decides, from 14 to 15 the pupil and a parent both, from 16 the pupil alone. A Land with other
ages gets an entry in AGE_RULES.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SELF = "self"
PARENT = "parent"


@dataclass(frozen=True)
class AgeRule:
    own_from: int  # from this age the pupil's own consent is needed
    parent_until: int  # below this age a parent's consent is needed too

    def givers(self, age: int | None) -> frozenset[str]:
        if age is None:  # birth date unknown: ask for both rather than assume an age
            return frozenset({SELF, PARENT})
        needed = set()
        if age >= self.own_from:
            needed.add(SELF)
        if age < self.parent_until:
            needed.add(PARENT)
        return frozenset(needed)


DEFAULT = AgeRule(own_from=14, parent_until=16)
# Land code (School.state) -> rule; Länder not listed use DEFAULT.
AGE_RULES: dict[str, AgeRule] = {}


def age_on(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def rule_for(state: str | None, table: dict[str, AgeRule] | None = None) -> AgeRule:
    table = AGE_RULES if table is None else table
    return table.get((state or "").upper(), DEFAULT)


def required_givers(*, is_pupil: bool, birth_date: date | None, state: str | None, today: date,
                    table: dict[str, AgeRule] | None = None) -> frozenset[str]:
    """``{"self"}``, ``{"parent"}`` or both. Teachers and staff are adults: their own consent."""
    if not is_pupil:
        return frozenset({SELF})
    return rule_for(state, table).givers(age_on(birth_date, today))
