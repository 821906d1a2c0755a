"""Read a simulation request (a JSON document already decoded) into an :class:`Architecture`.

Format::

    {"date": "AAAA-MM-JJ", "collectivite"?: str, "base_cej"?: {"montant", "etp"},
     "thematiques_ctg"?: [envelope codes],
     "personnes": [{"id", "nom"?, "fonction"?, "type_poste",
                    "affectations": [{"enveloppe", "etp"}]}]}

Numbers may be JSON numbers or strings (``0.4``, ``"0.4"``); they are read through
``Decimal(str(x))``, so a binary float's noise (``0.30000000000000004``) is refused, as are
booleans, NaN, infinities and more than two decimals. Each problem raises :class:`InvalidInput`
with one French message naming the field (``personnes[1].affectations[0].etp``).
"""

from __future__ import annotations

import re
from decimal import Decimal

from coopctg.core.params import parse_iso_date
from coopctg.core.text import clean_line
from coopctg.funding.rules.model import (
    Architecture,
    Assignment,
    CejBase,
    Envelope,
    Person,
    PostType,
    has_places,
)

_DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)
#: Bounds that keep exact arithmetic small; far beyond any real Etp or amount.
MAX_ETP = Decimal(1000)
MAX_AMOUNT = Decimal(10) ** 12

_TOP_KEYS = ("date", "collectivite", "base_cej", "thematiques_ctg", "personnes")
_BASE_KEYS = ("montant", "etp")
_PERSON_KEYS = ("id", "nom", "fonction", "type_poste", "affectations")
_ASSIGNMENT_KEYS = ("enveloppe", "etp")


class InvalidInput(ValueError):
    """The request is not valid; the message is one French sentence naming the field."""


def parse_simulation_input(data: object) -> Architecture:
    """Validate a decoded JSON request and build the :class:`Architecture` it describes."""
    top = _object(data, "le document", _TOP_KEYS)
    raw_date = _required(top, "date", "le document")
    if not isinstance(raw_date, str):
        raise InvalidInput("date : une date « AAAA-MM-JJ » est attendue")
    try:
        date = parse_iso_date(raw_date)
    except ValueError as error:
        raise InvalidInput(f"date : {error}") from None
    collectivite = _optional_text(top, "collectivite", "collectivite")
    cej_base = None
    if top.get("base_cej") is not None:
        base = _object(top["base_cej"], "base_cej", _BASE_KEYS)
        cej_base = CejBase(
            amount=_number(_required(base, "montant", "base_cej"), "base_cej.montant", money=True),
            etp=_number(_required(base, "etp", "base_cej"), "base_cej.etp"),
        )
    ctg_envelopes = None
    if top.get("thematiques_ctg") is not None:
        ctg_envelopes = _ctg_envelopes(top["thematiques_ctg"])
    raw_persons = _required(top, "personnes", "le document")
    if not isinstance(raw_persons, list) or not raw_persons:
        raise InvalidInput("personnes : une liste non vide de personnes est attendue")
    persons: list[Person] = []
    for index, raw_person in enumerate(raw_persons):
        person = _person(raw_person, f"personnes[{index}]")
        if any(other.id == person.id for other in persons):
            raise InvalidInput(f"personnes[{index}].id : identifiant « {person.id} » en double")
        persons.append(person)
    return Architecture(
        date=date,
        persons=tuple(persons),
        collectivite=collectivite,
        cej_base=cej_base,
        ctg_envelopes=ctg_envelopes,
    )


def _person(data: object, where: str) -> Person:
    raw = _object(data, where, _PERSON_KEYS)
    person_id = _required(raw, "id", where)
    if not isinstance(person_id, str) or not clean_line(person_id).strip():
        raise InvalidInput(f"{where}.id : un identifiant texte non vide est attendu")
    person_id = clean_line(person_id)
    post_type = _code(_required(raw, "type_poste", where), PostType, f"{where}.type_poste")
    raw_assignments = _required(raw, "affectations", where)
    if not isinstance(raw_assignments, list) or not raw_assignments:
        raise InvalidInput(f"{where}.affectations : une liste non vide d'affectations est attendue")
    assignments: list[Assignment] = []
    for index, raw_assignment in enumerate(raw_assignments):
        place = f"{where}.affectations[{index}]"
        item = _object(raw_assignment, place, _ASSIGNMENT_KEYS)
        envelope = _code(_required(item, "enveloppe", place), Envelope, f"{place}.enveloppe")
        if any(other.envelope is envelope for other in assignments):
            raise InvalidInput(
                f"{place}.enveloppe : l'enveloppe « {envelope} » est déjà affectée à cette "
                "personne (une seule affectation par enveloppe)"
            )
        etp = _number(_required(item, "etp", place), f"{place}.etp")
        assignments.append(Assignment(envelope=envelope, etp=etp))
    return Person(
        id=person_id,
        post_type=post_type,
        assignments=tuple(assignments),
        name=_optional_text(raw, "nom", f"{where}.nom"),
        function=_optional_text(raw, "fonction", f"{where}.fonction"),
    )


def _ctg_envelopes(data: object) -> tuple[Envelope, ...]:
    if not isinstance(data, list):
        raise InvalidInput("thematiques_ctg : une liste de codes d'enveloppes est attendue")
    envelopes: list[Envelope] = []
    for index, raw in enumerate(data):
        envelope = _code(raw, Envelope, f"thematiques_ctg[{index}]")
        if envelope in envelopes:
            raise InvalidInput(f"thematiques_ctg[{index}] : « {envelope} » figure deux fois")
        envelopes.append(envelope)
    return tuple(envelopes)


# --- Field readers ----------------------------------------------------------------------------


def _object(data: object, where: str, keys: tuple[str, ...]) -> dict[str, object]:
    if not isinstance(data, dict):
        raise InvalidInput(f"{where} : un objet JSON {{…}} est attendu")
    for key in data:
        if key not in keys:
            raise InvalidInput(
                f"{where} : champ inconnu « {key} » (champs possibles : {', '.join(keys)})"
            )
    return data


def _required(data: dict[str, object], key: str, where: str) -> object:
    if data.get(key) is None:
        raise InvalidInput(f"{where} : champ obligatoire « {key} » manquant")
    return data[key]


def _optional_text(data: dict[str, object], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where} : un texte est attendu")
    return clean_line(value)  # a name, a function: one line, no control character


def _code[E: (Envelope, PostType)](value: object, enum: type[E], where: str) -> E:
    codes = ", ".join(member.value for member in enum)
    kind = "enveloppe inconnue" if enum is Envelope else "type de poste inconnu"
    if not isinstance(value, str) or value not in {member.value for member in enum}:
        shown = value if isinstance(value, str) else repr(value)
        raise InvalidInput(f"{where} : {kind} « {shown} » (codes possibles : {codes})")
    return enum(value)


def _number(value: object, where: str, *, money: bool = False) -> Decimal:
    """A positive Etp (or, with ``money``, an amount ≥ 0), at most two decimals."""
    what = "un montant en euros" if money else "un Etp"
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidInput(f"{where} : {what} est attendu, pas {_json_repr(value)}")
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            hint = " (point décimal attendu, pas de virgule)" if "," in value else ""
            raise InvalidInput(
                f"{where} : « {value} » n'est pas un nombre positif en chiffres{hint}"
            )
        number = Decimal(value)
    else:
        number = Decimal(str(value))  # a float's shortest repr, never its binary value
    if not number.is_finite():
        raise InvalidInput(f"{where} : « {value} » n'est pas un nombre fini")
    if not has_places(number):
        raise InvalidInput(f"{where} : « {value} » a plus de 2 décimales")
    if number < 0 or (number == 0 and not money):
        sign = "ne peut pas être négatif" if money else "doit être strictement positif"
        raise InvalidInput(f"{where} : « {value} » : {what} {sign}")
    if number > (MAX_AMOUNT if money else MAX_ETP):
        raise InvalidInput(
            f"{where} : « {value} » est hors limites (au plus {MAX_AMOUNT if money else MAX_ETP})"
        )
    return number.quantize(Decimal("0.01"))


def _json_repr(value: object) -> str:
    if isinstance(value, bool):
        return "« true »" if value else "« false »"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "un objet"
    return f"« {value} »"
