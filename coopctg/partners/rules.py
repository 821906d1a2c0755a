"""Partners of a Caf and the networks of its chargé·es de coopération (pure module, no Django).

- the natures of a partner structure and their labels;
- the correspondence from the data·inclusion schema (``thematiques``, ``typologie``) to our
  8 thématiques and our natures, kept as data in ``data/correspondances-data-inclusion.yaml``;
- the check of one data·inclusion record (:func:`check_structure`, :func:`check_service`):
  the errors the importer reports with the file and line;
- the layout of the partner network of a Ctg drawn in SVG (:func:`circle_layout`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml

from coopctg.core.themes import Theme

DATA = Path(__file__).resolve().parent / "data" / "correspondances-data-inclusion.yaml"
SIRET = re.compile(r"[0-9]{14}", re.ASCII)
CODE_INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}", re.ASCII)
CODE_POSTAL = re.compile(r"[0-9]{5}", re.ASCII)
NAME_MAX = 200
ID_MAX = 200


class PartnerKind(StrEnum):
    ASSOCIATION = "association"
    SERVICE_COLLECTIVITE = "service_collectivite"
    CAF = "caf"
    DEPARTEMENT = "departement"
    ETAT = "etat"
    ECOLE = "ecole"
    EAJE = "eaje"
    CENTRE_SOCIAL = "centre_social"
    AUTRE = "autre"


PARTNER_KIND_LABELS: dict[PartnerKind, str] = {
    PartnerKind.ASSOCIATION: "Association",
    PartnerKind.SERVICE_COLLECTIVITE: "Service d'une collectivité",
    PartnerKind.CAF: "Caf",
    PartnerKind.DEPARTEMENT: "Département",
    PartnerKind.ETAT: "Service de l'État",
    PartnerKind.ECOLE: "École",
    PartnerKind.EAJE: "Établissement d'accueil du jeune enfant (EAJE)",
    PartnerKind.CENTRE_SOCIAL: "Centre social, espace de vie sociale",
    PartnerKind.AUTRE: "Autre",
}


class ActionRole(StrEnum):
    PILOTE = "pilote"
    CONTRIBUTEUR = "contributeur"
    SERVICE_INTERNE = "service_interne"


ACTION_ROLE_LABELS: dict[ActionRole, str] = {
    ActionRole.PILOTE: "Pilote",
    ActionRole.CONTRIBUTEUR: "Contributeur",
    ActionRole.SERVICE_INTERNE: "Service interne de la collectivité (transversalité)",
}


class Presence(StrEnum):
    PRESENT = "present"
    EXCUSE = "excuse"


PRESENCE_LABELS: dict[Presence, str] = {
    Presence.PRESENT: "Présent",
    Presence.EXCUSE: "Excusé",
}


class NetworkKind(StrEnum):
    THEMATIQUE = "thematique"
    METHODOLOGIE = "methodologie"
    DEPARTEMENTAL = "departemental"
    AUTRE = "autre"


NETWORK_KIND_LABELS: dict[NetworkKind, str] = {
    NetworkKind.THEMATIQUE: "Réseau thématique",
    NetworkKind.METHODOLOGIE: "Réseau portant sur la méthodologie de territoire",
    NetworkKind.DEPARTEMENTAL: "Réseau départemental des chargé·es de coopération",
    NetworkKind.AUTRE: "Autre réseau",
}


# --- Correspondences (data) ------------------------------------------------------------------


@dataclass(frozen=True)
class Correspondences:
    categories: frozenset[str]
    thematiques: Mapping[str, tuple[Theme, ...]]
    typologies: Mapping[str, PartnerKind]

    def is_known(self, code: str) -> bool:
        return code.split("--", 1)[0] in self.categories

    def themes_of(self, codes: Iterable[str]) -> list[str]:
        """Our theme codes for data·inclusion ``codes``, in the référentiel's order (a
        sub-thématique absent from the table takes its category's correspondence)."""
        found: set[Theme] = set()
        for code in codes:
            mapped = self.thematiques.get(code)
            if mapped is None:
                mapped = self.thematiques.get(code.split("--", 1)[0], ())
            found.update(mapped)
        return [theme.value for theme in Theme if theme in found]

    def kind_of(self, typologie: str) -> PartnerKind:
        return self.typologies.get(typologie, PartnerKind.AUTRE)


def parse_correspondences(data: object, source: str) -> Correspondences:
    if not isinstance(data, dict):
        raise ValueError(f"{source} : un dictionnaire est attendu")
    categories = frozenset(str(c) for c in data.get("categories") or [])
    thematiques: dict[str, tuple[Theme, ...]] = {}
    for code, themes in (data.get("thematiques") or {}).items():
        try:
            thematiques[str(code)] = tuple(Theme(t) for t in themes or [])
        except ValueError:
            raise ValueError(f"{source} : thématique inconnue pour « {code} »") from None
        if str(code).split("--", 1)[0] not in categories:
            raise ValueError(f"{source} : « {code} » n'appartient à aucune catégorie")
    typologies: dict[str, PartnerKind] = {}
    for code, kind in (data.get("typologies") or {}).items():
        try:
            typologies[str(code)] = PartnerKind(kind)
        except ValueError:
            raise ValueError(f"{source} : nature inconnue pour la typologie « {code} »") from None
    return Correspondences(categories, thematiques, typologies)


@functools.cache
def correspondences() -> Correspondences:
    """The shipped correspondences (read once)."""
    return parse_correspondences(yaml.safe_load(DATA.read_text(encoding="utf-8")), DATA.name)


# --- Checking one record ---------------------------------------------------------------------


def split_list(value: str) -> list[str]:
    """A list cell: a JSON list (``["famille", "handicap"]``, as the JSON export writes it),
    or codes separated by commas, semicolons or ``|`` (as a CSV export flattens them)."""
    text = value.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            return [str(item).strip() for item in items if str(item).strip()]
    return [part.strip().strip("\"'{}") for part in re.split(r"[,;|]", text) if part.strip()]


@dataclass
class Record:
    """A checked data·inclusion record, ready to be written."""

    source: str
    identifiant: str
    nom: str
    date_maj: dt.date
    siret: str = ""
    code_insee: str = ""
    commune: str = ""
    code_postal: str = ""
    adresse: str = ""
    typologie: str = ""
    thematiques_source: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    publics: list[str] = field(default_factory=list)
    description: str = ""
    structure_id: str = ""  # services only


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _common(
    row: Mapping[str, str],
    known_communes: Mapping[str, str],
    errors: list[str],
    table: Correspondences,
) -> Record | None:
    for column in ("id", "nom", "source", "date_maj"):
        if not (row.get(column) or "").strip():
            errors.append(f"« {column} » manquant")
    nom = (row.get("nom") or "").strip()
    if len(nom) > NAME_MAX:
        errors.append(f"« nom » trop long ({NAME_MAX} caractères au plus)")
    identifiant = (row.get("id") or "").strip()
    if len(identifiant) > ID_MAX:
        errors.append(f"« id » trop long ({ID_MAX} caractères au plus)")
    day = None
    if (row.get("date_maj") or "").strip():
        day = _date(row["date_maj"].strip())
        if day is None:
            errors.append(f"« date_maj » : « {row['date_maj']} » n'est pas une date AAAA-MM-JJ")
    code_insee = (row.get("code_insee") or "").strip()
    commune = (row.get("commune") or "").strip()
    if code_insee:
        if code_insee not in known_communes:
            errors.append(f"« code_insee » : « {code_insee} » n'est pas le code d'une commune")
        else:
            commune = known_communes[code_insee]
    code_postal = (row.get("code_postal") or "").strip()
    if code_postal and not CODE_POSTAL.fullmatch(code_postal):
        errors.append(f"« code_postal » : « {code_postal} » n'a pas 5 chiffres")
    thematiques = split_list(row.get("thematiques") or "")
    unknown = [code for code in thematiques if not table.is_known(code)]
    if unknown:
        errors.append(f"« thematiques » : code inconnu du schéma data·inclusion « {unknown[0]} »")
    if errors or day is None:
        return None
    return Record(
        source=row["source"].strip(),
        identifiant=identifiant,
        nom=nom,
        date_maj=day,
        code_insee=code_insee,
        commune=commune,
        code_postal=code_postal,
        adresse=" ".join(
            part
            for part in (
                (row.get("adresse") or "").strip(),
                (row.get("complement_adresse") or "").strip(),
            )
            if part
        ),
        thematiques_source=thematiques,
        themes=table.themes_of(thematiques),
        publics=split_list(row.get("publics") or ""),
    )


def check_structure(
    row: Mapping[str, str], known_communes: Mapping[str, str], table: Correspondences
) -> tuple[Record | None, list[str]]:
    """One record of a ``structures`` file: the record, or the list of its errors."""
    errors: list[str] = []
    siret = (row.get("siret") or "").strip()
    if siret and not SIRET.fullmatch(siret):
        errors.append(f"« siret » : « {siret} » n'a pas 14 chiffres")
    record = _common(row, known_communes, errors, table)
    if record is None:
        return None, errors
    record.siret = siret
    record.typologie = (row.get("typologie") or "").strip()
    record.description = (row.get("presentation_resume") or "").strip()
    return record, []


def check_service(
    row: Mapping[str, str], known_communes: Mapping[str, str], table: Correspondences
) -> tuple[Record | None, list[str]]:
    """One record of a ``services`` file (``structure_id`` required too)."""
    errors: list[str] = []
    if not (row.get("structure_id") or "").strip():
        errors.append("« structure_id » manquant")
    record = _common(row, known_communes, errors, table)
    if record is None:
        return None, errors
    record.structure_id = row["structure_id"].strip()
    record.description = (row.get("description") or row.get("presentation_resume") or "").strip()
    return record, []


def is_services_file(columns: Iterable[str]) -> bool:
    """A data·inclusion ``services`` file has a ``structure_id`` column."""
    return "structure_id" in set(columns)


# --- The network graph -----------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def circle_layout(count: int, *, size: int = 560, margin: int = 90) -> list[Point]:
    """``count`` points evenly on a circle (the first at the top, clockwise), rounded to the
    tenth so that the SVG is stable from one drawing to the next."""
    if count <= 0:
        return []
    centre = size / 2
    radius = centre - margin
    if count == 1:
        return [Point(centre, centre)]
    return [
        Point(
            round(centre + radius * math.sin(2 * math.pi * i / count), 1),
            round(centre - radius * math.cos(2 * math.pi * i / count), 1),
        )
        for i in range(count)
    ]
