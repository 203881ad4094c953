"""How the minutes name organisations and people, as the secretariat's reports do.

An organisation is written out the first time it is mentioned, its acronym in brackets ("the
United Nations Institute for Training and Research (UNITAR)"; a secretariat's acronym before
the word: "the Strategic Approach to International Chemicals Management (SAICM) Secretariat"),
with its `unit` if it has one ("... and the Pollution and Health Unit of UN Environment"); then
by its acronym. An organisation whose name is two words or fewer ("UN Environment") is called
by its name throughout. A person is "Ms. Marit Nilses from <the organisation>" the first time,
then "Ms. Marit Nilses"; the Chair, named in the introduction, is "the Chair" after that.

Annex I lists the organisation as the reports do: its acronym ("UNITAR"), a secretariat as
"BRS Secretariat", a unit as "SAICM/Pollution and Health Unit (UN Environment)", a short name
as it is ("UN Environment").
"""

from __future__ import annotations

from typing import Protocol

from digests.minutes.speech import CHAIR


class Org(Protocol):
    acronym: str
    name: str
    kind: str
    unit: str
    parent_id: int | None


def is_short(org: Org) -> bool:
    return len(org.name.split()) <= 2


def _the(name: str) -> str:
    """'the' before a name, except names that take none ('UN Environment')."""
    return name if name.split()[0] in ("UN", "UN-Habitat") else f"the {name}"


def short_name(org: Org) -> str:
    """How the minutes call the organisation once it has been introduced."""
    return _the(org.name) if is_short(org) else org.acronym


def full_name(org: Org, parent: Org | None = None) -> str:
    """The organisation written out, for its first mention."""
    if is_short(org):
        base = _the(org.name)
    elif org.name.endswith(" Secretariat") and not org.name.startswith("Secretariat"):
        base = _the(f"{org.name.removesuffix(' Secretariat')} ({org.acronym}) Secretariat")
    else:
        base = _the(f"{org.name} ({org.acronym})")
    if org.unit:
        return f"{base} and the {org.unit} of {short_name(parent)}" if parent else \
            f"{base} ({org.unit})"
    return base


def annex_name(org: Org, parent: Org | None = None) -> str:
    """The organisation as Annex I lists it."""
    if org.unit:
        within = f" ({annex_name(parent)})" if parent else ""
        return f"{org.acronym}/{org.unit}{within}"
    if is_short(org):
        return org.name
    if org.kind == "secretariat" or "secretariat" in org.name.lower().split():
        return f"{org.acronym} Secretariat"
    return org.acronym


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class Mentions:
    """Who has been mentioned so far, in the order the minutes are read: the first mention of
    an organisation or a person is written out, later ones are short."""

    def __init__(self, orgs: dict[int, Org]):
        self.orgs = orgs
        self._orgs: set[int] = set()
        self._people: set[str] = set()
        self.chair_named = False

    def org(self, org_id: int) -> str:
        org = self.orgs[org_id]
        if org_id in self._orgs:
            return short_name(org)
        self._orgs.add(org_id)
        return full_name(org, self.orgs.get(org.parent_id))

    def person(self, name: str, org_id: int | None, org_text: str = "") -> str:
        """'Ms. Marit Nilses from the United Nations ... (UNESCAP)', then 'Ms. Marit Nilses'."""
        if name in self._people:
            return name
        self._people.add(name)
        if org_id in self.orgs:
            return f"{name} from {self.org(org_id)}"
        return f"{name} ({org_text})" if org_text else name

    def chair(self, name: str, org_id: int | None) -> str:
        """The Chair: named once (in the introduction), 'the Chair' after that."""
        if self.chair_named:
            return CHAIR
        self.chair_named = True
        self._people.add(name)
        return f"{name} of {self.org(org_id)}" if org_id in self.orgs else name
