"""The catalogue of the diagnostic's indicators, kept as versioned data.

``data/catalogue-indicateurs.yaml`` lists the sources (publisher, title, licence, page), the
published datasets the importer recognises (their columns, exactly as the publisher names
them) and the indicators (code, label, unit, theme, territorial levels, how each is computed).
:func:`catalogue` reads it once and checks everything: an unknown or duplicate key, theme,
level, computation, source or dataset raises :class:`CatalogueError` with one French line
naming the place. The file's header documents the format.

Indicators added by a collectivité itself (« indicateurs locaux »,
:class:`coopctg.indicators.models.LocalIndicator`) are not in the file; their code is
``local-<id>``. :func:`known_codes` and :func:`indicator_label` know both kinds, so that other
apps (the enjeux of a diagnostic) refer to any indicator by its code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from coopctg.core.parsing import DocumentError, load_yaml
from coopctg.core.themes import THEME_LABELS, Theme

CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "catalogue-indicateurs.yaml"

#: Territorial levels, from the finest; ``france`` has one territory, code :data:`FRANCE`.
LEVELS: dict[str, str] = {
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "france": "France",
}
FRANCE = "FR"

#: How a value is obtained.
COMPUTATIONS: dict[str, str] = {
    "publie": "valeur publiée",
    "somme_communes": "somme des communes",
    "ratio": "ratio",
}

#: The theme of context data common to every theme (the population), besides the 8 of a Ctg.
CADRAGE = "cadrage"
THEMES: dict[str, str] = {
    CADRAGE: "Données de cadrage",
    **{theme.value: THEME_LABELS[theme] for theme in Theme},
}

LOCAL_PREFIX = "local-"
_LOCAL_CODE = re.compile(r"local-([1-9][0-9]{0,17})", re.ASCII)
_CODE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message is one French line."""


@dataclass(frozen=True)
class IndicatorSource:
    """Where an indicator comes from: publisher, title, licence, page."""

    code: str
    editeur: str
    titre: str
    licence: str
    page: str
    millesime: int | None = None  # the year of shipped data (the INSEE populations)

    def __str__(self) -> str:
        return f"{self.editeur}, {self.titre} ({self.licence})"


@dataclass(frozen=True)
class Dataset:
    """A dataset as its publisher distributes it, and the indicators its columns hold."""

    code: str
    titre: str
    source: IndicatorSource
    page: str
    niveau: str
    colonne_territoire: str | None  # None for the France file
    colonne_annee: str
    colonnes_requises: tuple[str, ...]
    colonnes: Mapping[str, str]  # column → indicator code

    @property
    def recognised_by(self) -> tuple[str, ...]:
        """The columns that identify the dataset."""
        key = (self.colonne_territoire,) if self.colonne_territoire else ()
        return (*key, self.colonne_annee, *self.colonnes_requises)


@dataclass(frozen=True)
class Ratio:
    numerateur: str
    denominateur: str
    facteur: Decimal
    decimales: int


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator of the catalogue (or a collectivité's local indicator)."""

    code: str
    libelle: str
    unite: str
    theme: str  # a Theme value, or CADRAGE
    niveaux: tuple[str, ...]
    calcul: str  # a key of COMPUTATIONS ("locale" for a local indicator)
    source: IndicatorSource
    definition: str = ""
    ratio: Ratio | None = None
    datasets: tuple[str, ...] = field(default=())  # codes of the datasets that publish it

    @property
    def theme_label(self) -> str:
        return THEMES.get(self.theme, self.theme)

    @property
    def calcul_label(self) -> str:
        return COMPUTATIONS.get(self.calcul, "saisie par la collectivité")

    @property
    def is_local(self) -> bool:
        return self.code.startswith(LOCAL_PREFIX)


@dataclass(frozen=True)
class Catalogue:
    version: str
    titre: str
    date_publication: dt.date
    sources: Mapping[str, IndicatorSource]
    datasets: Mapping[str, Dataset]
    indicators: Mapping[str, IndicatorDef]  # in the file's order


# --- Reading ---------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Rejects duplicate keys; dates stay text (checked below)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"clé « {key} » en double", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> CatalogueError:
        place = f"{self.path.name}, {where}" if where else self.path.name
        return CatalogueError(f"{place} : {problem}")

    def mapping(
        self, value: Any, where: str, required: set[str], optional: set[str]
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "un dictionnaire est attendu")
        unknown = sorted(str(key) for key in value if key not in required | optional)
        if unknown:
            raise self.fail(where, f"clé inconnue « {unknown[0]} »")
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(where, f"clé « {missing[0]} » manquante")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "un texte non vide est attendu")
        return " ".join(value.split())

    def code(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _CODE.fullmatch(value):
            raise self.fail(where, f"code « {value} » invalide (a-z, 0-9 et « _ »)")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "une liste non vide est attendue")
        return value


def read_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Read and check a catalogue file; raise :class:`CatalogueError`."""
    reader = _Reader(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), loader=_StrictLoader)
    except OSError as error:
        raise reader.fail("", f"lecture impossible ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise reader.fail("", "le fichier n'est pas encodé en UTF-8") from None
    except DocumentError as error:
        raise reader.fail("", str(error)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"ligne {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "YAML invalide"
        raise reader.fail(where, problem) from None

    top = reader.mapping(
        data, "", {"version", "titre", "date_publication", "sources", "jeux", "indicateurs"}, set()
    )
    version = reader.text(top["version"], "version")
    published = reader.text(top["date_publication"], "date_publication")
    try:
        date_publication = dt.date.fromisoformat(published)
    except ValueError:
        raise reader.fail("date_publication", f"date « {published} » invalide") from None

    sources: dict[str, IndicatorSource] = {}
    for number, raw in enumerate(reader.items(top["sources"], "sources"), start=1):
        where = f"source n° {number}"
        item = reader.mapping(
            raw, where, {"code", "editeur", "titre", "licence", "page"}, {"millesime"}
        )
        code = reader.text(item["code"], f"{where}, code")
        if code in sources:
            raise reader.fail(where, f"source « {code} » en double")
        millesime = item.get("millesime")
        if millesime is not None and (not isinstance(millesime, int) or millesime < 1900):
            raise reader.fail(where, "millesime : une année est attendue")
        sources[code] = IndicatorSource(
            code=code,
            editeur=reader.text(item["editeur"], f"{where}, editeur"),
            titre=reader.text(item["titre"], f"{where}, titre"),
            licence=reader.text(item["licence"], f"{where}, licence"),
            page=reader.text(item["page"], f"{where}, page"),
            millesime=millesime,
        )

    raw_indicators = reader.items(top["indicateurs"], "indicateurs")
    indicator_codes = set()
    for raw in raw_indicators:
        if isinstance(raw, dict) and isinstance(raw.get("code"), str):
            indicator_codes.add(raw["code"])

    datasets: dict[str, Dataset] = {}
    published_by: dict[str, list[str]] = {}
    for number, raw in enumerate(reader.items(top["jeux"], "jeux"), start=1):
        where = f"jeu n° {number}"
        item = reader.mapping(
            raw,
            where,
            {"code", "titre", "source", "page", "niveau", "colonne_annee"},
            {"colonne_territoire", "colonnes_requises", "colonnes"},
        )
        code = reader.text(item["code"], f"{where}, code")
        where = f"jeu « {code} »"
        if code in datasets:
            raise reader.fail(where, "jeu en double")
        source = sources.get(item["source"])
        if source is None:
            raise reader.fail(where, f"source « {item['source']} » inconnue")
        niveau = item["niveau"]
        if niveau not in LEVELS:
            raise reader.fail(where, f"niveau « {niveau} » inconnu ({', '.join(LEVELS)})")
        key_column = item.get("colonne_territoire")
        if (niveau == "france") != (key_column is None):
            raise reader.fail(
                where, "colonne_territoire : absente pour la France, obligatoire sinon"
            )
        columns = item.get("colonnes") or {}
        if not isinstance(columns, dict) or not columns:
            raise reader.fail(where, "colonnes : un dictionnaire colonne → indicateur est attendu")
        for column, indicator in columns.items():
            if not isinstance(column, str) or not _COLUMN.fullmatch(column):
                raise reader.fail(where, f"colonne « {column} » invalide")
            if indicator not in indicator_codes:
                raise reader.fail(
                    where, f"colonne « {column} » : indicateur « {indicator} » inconnu"
                )
            published_by.setdefault(indicator, []).append(code)
        required = item.get("colonnes_requises") or []
        if not isinstance(required, list) or not required:
            raise reader.fail(where, "colonnes_requises : une liste non vide est attendue")
        for column in required:
            if column not in columns:
                raise reader.fail(where, f"colonne requise « {column} » absente de « colonnes »")
        datasets[code] = Dataset(
            code=code,
            titre=reader.text(item["titre"], f"{where}, titre"),
            source=source,
            page=reader.text(item["page"], f"{where}, page"),
            niveau=niveau,
            colonne_territoire=key_column,
            colonne_annee=reader.text(item["colonne_annee"], f"{where}, colonne_annee"),
            colonnes_requises=tuple(required),
            colonnes=MappingProxyType(dict(columns)),
        )
    recognition: dict[frozenset[str], str] = {}
    for dataset in datasets.values():
        signature = frozenset(dataset.recognised_by)
        if signature in recognition:
            raise reader.fail(
                f"jeu « {dataset.code} »",
                f"mêmes colonnes de reconnaissance que « {recognition[signature]} »",
            )
        recognition[signature] = dataset.code

    indicators: dict[str, IndicatorDef] = {}
    for number, raw in enumerate(raw_indicators, start=1):
        where = f"indicateur n° {number}"
        item = reader.mapping(
            raw,
            where,
            {"code", "libelle", "unite", "theme", "niveaux", "calcul", "source"},
            {"definition", "numerateur", "denominateur", "facteur", "decimales"},
        )
        code = reader.code(item["code"], f"{where}, code")
        where = f"indicateur « {code} »"
        if code in indicators:
            raise reader.fail(where, "indicateur en double")
        theme = item["theme"]
        if theme not in THEMES:
            raise reader.fail(where, f"thème « {theme} » inconnu ({', '.join(THEMES)})")
        niveaux = reader.items(item["niveaux"], f"{where}, niveaux")
        for niveau in niveaux:
            if niveau not in LEVELS:
                raise reader.fail(where, f"niveau « {niveau} » inconnu ({', '.join(LEVELS)})")
        if len(set(niveaux)) != len(niveaux):
            raise reader.fail(where, "niveau en double")
        calcul = item["calcul"]
        if calcul not in COMPUTATIONS:
            raise reader.fail(where, f"calcul « {calcul} » inconnu ({', '.join(COMPUTATIONS)})")
        source = sources.get(item["source"])
        if source is None:
            raise reader.fail(where, f"source « {item['source']} » inconnue")
        ratio_keys = {"numerateur", "denominateur", "facteur", "decimales"}
        ratio = None
        if calcul == "ratio":
            missing = sorted(ratio_keys - set(item))
            if missing:
                raise reader.fail(where, f"clé « {missing[0]} » manquante (calcul ratio)")
            for part in ("numerateur", "denominateur"):
                if item[part] not in indicator_codes or item[part] == code:
                    raise reader.fail(where, f"{part} : indicateur « {item[part]} » inconnu")
            facteur, decimales = item["facteur"], item["decimales"]
            if not isinstance(facteur, int) or isinstance(facteur, bool) or facteur <= 0:
                raise reader.fail(where, "facteur : un entier positif est attendu")
            if not isinstance(decimales, int) or not 0 <= decimales <= 6:
                raise reader.fail(where, "decimales : un entier de 0 à 6 est attendu")
            ratio = Ratio(item["numerateur"], item["denominateur"], Decimal(facteur), decimales)
        elif ratio_keys & set(item):
            raise reader.fail(where, "numerateur, denominateur… : seulement pour un calcul ratio")
        if calcul == "publie" and code not in published_by:
            raise reader.fail(where, "valeur publiée, mais aucun jeu de données ne la contient")
        indicators[code] = IndicatorDef(
            code=code,
            libelle=reader.text(item["libelle"], f"{where}, libelle"),
            unite=reader.text(item["unite"], f"{where}, unite"),
            theme=theme,
            niveaux=tuple(niveaux),
            calcul=calcul,
            source=source,
            definition=reader.text(item["definition"], where) if "definition" in item else "",
            ratio=ratio,
            datasets=tuple(published_by.get(code, ())),
        )
    for dataset in datasets.values():
        for indicator in dataset.colonnes.values():
            if dataset.niveau not in indicators[indicator].niveaux:
                raise reader.fail(
                    f"jeu « {dataset.code} »",
                    f"l'indicateur « {indicator} » n'existe pas au niveau {dataset.niveau}",
                )
    return Catalogue(
        version=version,
        titre=reader.text(top["titre"], "titre"),
        date_publication=date_publication,
        sources=MappingProxyType(sources),
        datasets=MappingProxyType(datasets),
        indicators=MappingProxyType(indicators),
    )


@cache
def shipped_catalogue() -> Catalogue:
    """The catalogue shipped with the application (read once)."""
    return read_catalogue(CATALOGUE_FILE)


# --- The contract other apps use ----------------------------------------------------------


def catalogue() -> dict[str, IndicatorDef]:
    """The catalogue's indicators by code, in the file's order (cached; local ones aside)."""
    return dict(shipped_catalogue().indicators)


def is_local_code(code: str) -> bool:
    return bool(_LOCAL_CODE.fullmatch(code))


def local_id(code: str) -> int | None:
    """``local-12`` → 12; None for another code."""
    match = _LOCAL_CODE.fullmatch(code)
    return int(match.group(1)) if match else None


def known_codes(collectivite_ids: Iterable[int] | None = None) -> set[str]:
    """Codes of the catalogue, and ``local-<id>`` of the local indicators (of the given
    collectivités only, when given)."""
    from coopctg.indicators.models import LocalIndicator

    locals_ = LocalIndicator.objects.all()
    if collectivite_ids is not None:
        locals_ = locals_.filter(collectivite_id__in=list(collectivite_ids))
    return set(shipped_catalogue().indicators) | {
        f"{LOCAL_PREFIX}{pk}" for pk in locals_.values_list("pk", flat=True)
    }


def indicator_labels(codes: Iterable[str]) -> dict[str, str]:
    """Label of each code (one query for all the local ones); an unknown code gets
    « indicateur inconnu (code) »."""
    from coopctg.indicators.models import LocalIndicator

    codes = list(codes)
    indicators = shipped_catalogue().indicators
    ids = {pk for code in codes if (pk := local_id(code)) is not None}
    local = (
        dict(LocalIndicator.objects.filter(pk__in=ids).values_list("pk", "libelle")) if ids else {}
    )
    labels = {}
    for code in codes:
        if code in indicators:
            labels[code] = indicators[code].libelle
        elif (pk := local_id(code)) is not None and pk in local:
            labels[code] = f"{local[pk]} (indicateur local)"
        else:
            labels[code] = f"indicateur inconnu ({code})"
    return labels


def indicator_label(code: str) -> str:
    """The label of a catalogue or local indicator."""
    return indicator_labels([code])[code]
