"""Synthetic staff of an office: invented German names per role, drawn from the seed.

Resources are kept as ``(role, index)`` until export; the dialect then writes them as the office's case
software would ("Krause, Anja", "hk.krause", "A. Krause", "KRAUSE_A", "u1042"). System events (DEMIS
import, transport job, LUA) have a system user or none, as the dialect says.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

FIRST = (
    "Anja",
    "Jürgen",
    "Björn",
    "Ines",
    "Katrin",
    "Thomas",
    "Sabine",
    "Uwe",
    "Stefanie",
    "Andreas",
    "Claudia",
    "Frank",
    "Heike",
    "Jens",
    "Kerstin",
    "Lars",
    "Manuela",
    "Matthias",
    "Nicole",
    "Peter",
    "Petra",
    "Ralf",
    "Sandra",
    "Silke",
    "Steffen",
    "Susanne",
    "Torsten",
    "Ute",
    "Daniel",
    "Anne",
    "Lisa",
    "Paul",
    "Marie",
    "Felix",
    "Johanna",
    "Max",
    "Sophie",
    "Tom",
    "Lena",
    "Jan",
    "Grit",
    "Maik",
)
LAST = (
    "Krause",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Lehmann",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Berger",
    "Winkler",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Ludwig",
    "Seidel",
    "Kühn",
    "Pohl",
    "Voigt",
    "Ullrich",
    "Kretzschmar",
    "Böhme",
    "Hänel",
    "Teichmann",
)
ROLE_PREFIX = {
    "Sachbearbeitung": "sb",
    "Hygienekontrolleur/in": "hk",
    "Ärztin/Arzt Infektionsschutz": "ar",
    "Amtsärztin/Amtsarzt": "aa",
    "MFA": "mfa",
    "Kasse": "ka",
}
#: Roles whose events a person does; the rest are systems or outsiders.
STAFF_ROLES = tuple(ROLE_PREFIX)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    role: str
    number: int  # a stable user number within the office


def ascii_fold(text: str) -> str:
    """ "Schäfer" → "schaefer" (user ids are ASCII)."""
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def staff(sizes: dict[str, int], seed: int) -> dict[str, tuple[Person, ...]]:
    """People per role; surnames are unique within the office."""
    rnd = random.Random(seed)
    used: set[str] = set()
    out: dict[str, tuple[Person, ...]] = {}
    number = 1000 + rnd.randrange(9000)
    for role in STAFF_ROLES:
        people = []
        for _ in range(sizes.get(role, 0)):
            while True:
                name = (FIRST[int(rnd.random() * len(FIRST))], LAST[int(rnd.random() * len(LAST))])
                if name[1] not in used:  # unique surnames: every resource style stays unique
                    break
            used.add(name[1])
            number += 1 + int(rnd.random() * 7)
            people.append(Person(name[0], name[1], role, number))
        out[role] = tuple(people)
    return out


def render(person: Person, style: str) -> str:
    """A person as a resource value in the dialect's ``style``."""
    first, last = person.first, person.last
    if style == "name":
        return f"{last}, {first}"
    if style == "role_dotted":
        return f"{ROLE_PREFIX[person.role]}.{ascii_fold(last).lower()}"
    if style == "initial":
        return f"{first[0]}. {last}"
    if style == "upper":
        return f"{ascii_fold(last).upper()}_{ascii_fold(first)[0].upper()}"
    if style == "userid":
        return f"{ascii_fold(first)[0].lower()}{ascii_fold(last).lower()}"
    if style == "number":
        return f"u{person.number}"
    raise ValueError(f"unknown resource style {style}")
