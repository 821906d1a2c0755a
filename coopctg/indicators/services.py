"""The fiche diagnostic of a collectivité: one service read by the page, the XLSX and PDF
documents, the command line, the API and the dashboard panel, so that they cannot disagree.

:func:`build_fiche` gathers, for a collectivité (an EPCI or a commune):

- each indicator of the catalogue that exists at its level, and its local indicators, by
  theme: the value of the year asked (or, failing it, the latest before it, with its year), its
  series over the years and its trend, and the value of the département (the Caf's) and of
  France **for the same year**;
- for an EPCI, its communes and their values for one commune-level indicator (the map).

Values are :class:`Point` s: the text exactly as published, its :class:`~decimal.Decimal`, its
year, and whether it comes from a sample file of invented values (« valeurs fictives de
démonstration »), which every page and document then says. The population is never stored:
the commune's value is the shipped INSEE figure, the EPCI's, the département's and France's are
the sums of their communes (a commune without a published population is left out, and the
line says how many). A ratio is computed from its two published values of the same year.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from coopctg.core.formats import format_number
from coopctg.indicators.catalogue import (
    FRANCE,
    LEVELS,
    THEMES,
    IndicatorDef,
    IndicatorSource,
    shipped_catalogue,
)
from coopctg.indicators.models import LocalIndicator, TerritorialValue
from coopctg.organisations.models import LocalAuthority
from coopctg.territories.models import Commune, Departement

DEMO_NOTE = "valeurs fictives de démonstration"
POPULATION = "population_municipale"


@dataclass(frozen=True)
class Point:
    """One value: its year, the text as published, its Decimal, and whether it is invented."""

    annee: int
    texte: str
    valeur: Decimal
    fictif: bool = False

    @property
    def display(self) -> str:
        """French display with every published decimal: ``57.40`` → ``57,40``."""
        return display_number(self.texte)


def display_number(text: str) -> str:
    _, _, decimals = text.partition(".")
    return format_number(Decimal(text), len(decimals))


@dataclass
class FicheLine:
    indicator: IndicatorDef
    annee: int | None = None
    valeur: Point | None = None
    departement: Point | None = None
    france: Point | None = None
    serie: list[Point] = field(default_factory=list)  # the collectivité's values, oldest first
    note: str = ""
    niveau: str | None = None  # the collectivité's level: its source names the datasets read

    @property
    def fictif(self) -> bool:
        return any(p is not None and p.fictif for p in (self.valeur, self.departement, self.france))

    @property
    def trend(self) -> str | None:
        """« en hausse », « en baisse » or « stable » from the previous value of the series
        (up to the year shown); None with fewer than two values."""
        shown = [p for p in self.serie if self.annee is None or p.annee <= self.annee]
        if len(shown) < 2:
            return None
        before, after = shown[-2].valeur, shown[-1].valeur
        if after > before:
            return "en hausse"
        if after < before:
            return "en baisse"
        return "stable"

    @property
    def trend_from(self) -> Point | None:
        shown = [p for p in self.serie if self.annee is None or p.annee <= self.annee]
        return shown[-2] if len(shown) >= 2 else None

    @property
    def has_departement(self) -> bool:
        return "departement" in self.indicator.niveaux

    @property
    def has_france(self) -> bool:
        return "france" in self.indicator.niveaux

    @property
    def source_text(self) -> str:
        text = source_text(self.indicator, self.niveau)
        return f"{text} — {DEMO_NOTE}" if self.fictif else text


def source_text(indicator: IndicatorDef, niveau: str | None = None) -> str:
    """Publisher, title, the datasets read (those of ``niveau``, the département and France,
    when given), how it is computed, licence."""
    source = indicator.source
    parts = [source.editeur, source.titre]
    all_datasets = shipped_catalogue().datasets
    read = {niveau, "departement", "france"}
    datasets = [
        code
        for code in indicator.datasets
        if niveau is None or code not in all_datasets or all_datasets[code].niveau in read
    ]
    if datasets:
        parts.append(("jeu " if len(datasets) == 1 else "jeux ") + ", ".join(datasets))
    text = ", ".join(parts)
    if indicator.calcul == "somme_communes":
        text += " ; somme des communes"
    elif indicator.calcul == "ratio" and indicator.ratio:
        text += f" ; calculé : {indicator.ratio.numerateur} / {indicator.ratio.denominateur}"
    if source.licence:
        text += f" ({source.licence})"
    return text


@dataclass
class ThemeBlock:
    code: str
    label: str
    lines: list[FicheLine]


@dataclass
class CommuneValue:
    commune: Commune
    point: Point | None
    classe: int | None = None  # 1 (lowest) to len(classes); None without a value


@dataclass
class CommuneMap:
    """The communes of an EPCI and their values for one commune-level indicator."""

    indicator: IndicatorDef
    annee: int | None
    rows: list[CommuneValue]
    classes: list[tuple[int, str]]  # (number, « de 319 à 1 198 »)
    choices: list[IndicatorDef]  # indicators the map may show

    @property
    def fictif(self) -> bool:
        return any(row.point is not None and row.point.fictif for row in self.rows)

    @property
    def missing(self) -> int:
        return sum(1 for row in self.rows if row.point is None)


@dataclass
class Fiche:
    collectivite: LocalAuthority
    code: str
    nom: str
    niveau: str  # "epci" or "commune"
    departement: Departement
    annee: int | None  # the year asked (None: the latest values)
    themes: list[ThemeBlock]
    communes: CommuneMap | None
    years: list[int]  # years with a value for the collectivité, newest first

    @property
    def lines(self) -> list[FicheLine]:
        return [line for block in self.themes for line in block.lines]

    @property
    def fictif(self) -> bool:
        return any(line.fictif for line in self.lines) or bool(
            self.communes and self.communes.fictif
        )

    @property
    def sources(self) -> list[tuple[IndicatorSource, list[str]]]:
        """Each catalogue source shown, with the pages of its datasets."""
        datasets = shipped_catalogue().datasets
        seen: dict[str, tuple[IndicatorSource, list[str]]] = {}
        for line in self.lines:
            if line.indicator.is_local:
                continue
            source = line.indicator.source
            entry = seen.setdefault(source.code, (source, []))
            for code in line.indicator.datasets:
                page = datasets[code].page
                if page not in entry[1]:
                    entry[1].append(page)
        return list(seen.values())

    @property
    def level_label(self) -> str:
        return LEVELS[self.niveau]


# --- Reading the values ----------------------------------------------------------------------


def territory_of(collectivite: LocalAuthority) -> tuple[str, str]:
    """(level, code) of a collectivité."""
    if collectivite.epci_id:
        return "epci", collectivite.epci.siren  # type: ignore[union-attr]
    return "commune", collectivite.commune.code_insee  # type: ignore[union-attr]


def _point(value: TerritorialValue) -> Point:
    return Point(value.annee, value.texte, Decimal(value.texte), value.lot.demonstration)


def _ratio(indicator: IndicatorDef, series: dict[str, dict[int, Point]]) -> dict[int, Point]:
    ratio = indicator.ratio
    assert ratio is not None
    numerators = series.get(ratio.numerateur, {})
    denominators = series.get(ratio.denominateur, {})
    quantum = Decimal(1).scaleb(-ratio.decimales)
    points = {}
    for year, numerator in numerators.items():
        denominator = denominators.get(year)
        if denominator is None or denominator.valeur == 0:
            continue
        value = (numerator.valeur / denominator.valeur * ratio.facteur).quantize(
            quantum, rounding=ROUND_HALF_UP
        )
        points[year] = Point(year, f"{value:f}", value, numerator.fictif or denominator.fictif)
    return points


@dataclass
class _Population:
    total: int
    missing: int  # communes without a published population
    communes: int


def _population_point(population: _Population | None, year: int | None) -> Point | None:
    if population is None or year is None or population.communes == population.missing:
        return None
    return Point(year, str(population.total), Decimal(population.total))


def _population_note(population: _Population | None) -> str:
    if population is None or not population.missing:
        return ""
    return (
        f"population non publiée pour {format_number(population.missing, 0)} commune"
        f"{'s' if population.missing > 1 else ''} sur {format_number(population.communes, 0)} :"
        " somme des autres"
    )


def _sum_population(communes: Iterable[Commune]) -> _Population:
    items = list(communes)
    known = [c.population_municipale for c in items if c.population_municipale is not None]
    return _Population(sum(known), len(items) - len(known), len(items))


def _aggregate_population(filter_: Q) -> _Population:
    row = Commune.objects.filter(filter_).aggregate(
        total=Sum("population_municipale"),
        communes=Count("pk"),
        known=Count("population_municipale"),
    )
    return _Population(row["total"] or 0, row["communes"] - row["known"], row["communes"])


def _sort_key(nom: str) -> str:
    """French alphabetical order, whatever the database collation: « Épeigné » with the E."""
    decomposed = unicodedata.normalize("NFKD", nom)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _pick(serie: list[Point], year: int | None) -> Point | None:
    candidates = [p for p in serie if year is None or p.annee <= year]
    return candidates[-1] if candidates else None


def build_fiche(
    collectivite: LocalAuthority,
    annee: int | None = None,
    carte: str | None = None,
    *,
    with_map: bool = True,
) -> Fiche:
    """The fiche diagnostic of ``collectivite`` (see the module's documentation).
    ``annee``: the year asked; ``carte``: the commune-level indicator of the map (an EPCI's);
    without ``with_map``, no map (nor contours) is read (the dashboard panel)."""
    niveau, code = territory_of(collectivite)
    departement = collectivite.caf.departement
    catalogue = shipped_catalogue()
    communes: list[Commune] = []
    if niveau == "epci":
        fields = ["code_insee", "nom", "population_municipale", "departement_id"]
        communes = sorted(
            Commune.objects.filter(epci_id=collectivite.epci_id).only(
                *fields, *(["geometrie"] if with_map else [])
            ),
            key=lambda c: _sort_key(c.nom),
        )
    commune_codes = [c.code_insee for c in communes] if with_map else []

    locals_ = list(LocalIndicator.objects.filter(collectivite=collectivite))
    local_defs = [local_definition(local, niveau, collectivite.nom) for local in locals_]
    wanted_codes = [
        *[c for c, d in catalogue.indicators.items() if niveau in d.niveaux],
        *[d.code for d in local_defs],
    ]
    filter_ = (
        Q(niveau=niveau, territoire=code)
        | Q(niveau="departement", territoire=departement.code)
        | Q(niveau="france", territoire=FRANCE)
    )
    if commune_codes:
        filter_ |= Q(niveau="commune", territoire__in=commune_codes)
    values = TerritorialValue.objects.filter(filter_).select_related("lot")
    # series[level][indicator][year] for the collectivité, its département and France;
    # commune_series[indicator][commune][year] for the communes of an EPCI.
    series: dict[str, dict[str, dict[int, Point]]] = defaultdict(lambda: defaultdict(dict))
    commune_series: dict[str, dict[str, dict[int, Point]]] = defaultdict(lambda: defaultdict(dict))
    for value in values:
        point = _point(value)
        if value.niveau == "commune" and niveau == "epci":
            commune_series[value.indicateur][value.territoire][value.annee] = point
        else:
            level = "self" if value.niveau == niveau else value.niveau
            series[level][value.indicateur][value.annee] = point
    for level in ("self", "departement", "france"):
        for definition in catalogue.indicators.values():
            if definition.calcul == "ratio":
                series[level][definition.code] = _ratio(definition, series[level])

    population = catalogue.indicators[POPULATION]
    census_year = population.source.millesime
    populations: dict[str, _Population | None] = {"self": None, "departement": None}
    if niveau == "epci":
        populations["self"] = _sum_population(communes)
    else:
        commune = collectivite.commune
        populations["self"] = _sum_population([commune] if commune else [])
    populations["departement"] = _aggregate_population(Q(departement_id=departement.pk))
    populations["france"] = _aggregate_population(Q())
    for level in ("self", "departement", "france"):
        census = _population_point(populations[level], census_year)
        series[level][POPULATION] = {census.annee: census} if census else {}

    lines_by_theme: dict[str, list[FicheLine]] = defaultdict(list)
    definitions = [catalogue.indicators[c] for c in wanted_codes if c in catalogue.indicators]
    for definition in [*definitions, *local_defs]:
        serie = sorted(series["self"].get(definition.code, {}).values(), key=lambda p: p.annee)
        chosen = _pick(serie, annee)
        line = FicheLine(indicator=definition, serie=serie, valeur=chosen, niveau=niveau)
        comparisons = {
            level: series[level].get(definition.code, {})
            for level in ("departement", "france")
            if level in definition.niveaux
        }
        if chosen is not None:
            line.annee = chosen.annee
        else:
            years = [
                year
                for points in comparisons.values()
                for year in points
                if annee is None or year <= annee
            ]
            line.annee = max(years) if years else None
        if line.annee is not None:
            line.departement = comparisons.get("departement", {}).get(line.annee)
            line.france = comparisons.get("france", {}).get(line.annee)
        if definition.code == POPULATION:
            line.note = _population_note(populations["self"])
        lines_by_theme[definition.theme].append(line)

    themes = [
        ThemeBlock(theme, label, lines_by_theme[theme])
        for theme, label in THEMES.items()
        if lines_by_theme.get(theme)
    ]
    years = sorted({year for points in series["self"].values() for year in points}, reverse=True)
    commune_map = None
    if niveau == "epci" and with_map:
        commune_map = _commune_map(
            communes, commune_series, catalogue.indicators, annee, carte, census_year
        )
    return Fiche(
        collectivite=collectivite,
        code=code,
        nom=collectivite.nom,
        niveau=niveau,
        departement=departement,
        annee=annee,
        themes=themes,
        communes=commune_map,
        years=years,
    )


def local_definition(local: LocalIndicator, niveau: str, owner: str) -> IndicatorDef:
    """A local indicator as an :class:`IndicatorDef` (its level only, source as typed)."""
    return IndicatorDef(
        code=local.code,
        libelle=local.libelle,
        unite=local.unite,
        theme=local.theme,
        niveaux=(niveau,),
        calcul="locale",
        source=IndicatorSource(
            code=local.code,
            editeur=owner,
            titre=local.source,
            licence="",
            page="",
        ),
        definition=local.definition,
    )


# --- The map of an EPCI's communes -----------------------------------------------------------

CLASSES = 4


def _commune_map(
    communes: list[Commune],
    commune_series: dict[str, dict[str, dict[int, Point]]],
    indicators: Any,
    annee: int | None,
    carte: str | None,
    census_year: int | None,
) -> CommuneMap:
    choices = [
        d
        for c, d in indicators.items()
        if "commune" in d.niveaux and (c == POPULATION or c in commune_series)
    ]
    indicator = next((d for d in choices if d.code == carte), indicators[POPULATION])
    if indicator.code == POPULATION:
        per_commune = {
            c.code_insee: (
                {}
                if c.population_municipale is None or census_year is None
                else {
                    census_year: Point(
                        census_year,
                        str(c.population_municipale),
                        Decimal(c.population_municipale),
                    )
                }
            )
            for c in communes
        }
    else:
        per_commune = commune_series.get(indicator.code, {})
    # One year for the whole map: the latest (up to the year asked) with a value.
    years = [
        year for points in per_commune.values() for year in points if annee is None or year <= annee
    ]
    year = max(years) if years else None
    rows = [
        CommuneValue(c, per_commune.get(c.code_insee, {}).get(year) if year else None)
        for c in communes
    ]
    classes = _classify(rows)
    return CommuneMap(indicator, year, rows, classes, choices)


def _classify(rows: list[CommuneValue]) -> list[tuple[int, str]]:
    """Up to :data:`CLASSES` classes of equal counts, from the lowest values; each row gets
    its class number, each class its bounds as text."""
    valued = sorted((r for r in rows if r.point is not None), key=lambda r: r.point.valeur)  # type: ignore[union-attr]
    if not valued:
        return []
    count = min(CLASSES, len(valued))
    classes = []
    for number in range(1, count + 1):
        start = (number - 1) * len(valued) // count
        end = number * len(valued) // count
        members = valued[start:end]
        for row in members:
            row.classe = number
        low, high = members[0].point, members[-1].point
        assert low is not None and high is not None
        label = low.display if low.valeur == high.valeur else f"de {low.display} à {high.display}"
        classes.append((number, label))
    return classes


# --- The JSON export (command line, API) -----------------------------------------------------


def fiche_json(fiche: Fiche) -> dict[str, Any]:
    """``{"collectivite": {"code", "nom"}, "indicateurs": [...]}``: values as published
    (decimal point), ``null`` where there is none."""

    def text(point: Point | None) -> str | None:
        return None if point is None else point.texte

    return {
        "collectivite": {"code": fiche.code, "nom": fiche.nom},
        "indicateurs": [
            {
                "code": line.indicator.code,
                "libelle": line.indicator.libelle,
                "unite": line.indicator.unite,
                "theme": line.indicator.theme,
                "annee": line.annee,
                "valeur": text(line.valeur),
                "departement": text(line.departement),
                "france": text(line.france),
                "source": line.source_text,
            }
            for line in fiche.lines
        ],
    }


def collectivite_by_code(code: str) -> LocalAuthority | None:
    """The collectivité of a SIREN (EPCI) or an INSEE code (commune)."""
    return (
        LocalAuthority.objects.select_related("caf__departement", "epci", "commune")
        .filter(Q(epci__siren=code) | Q(commune__code_insee=code))
        .first()
    )


def key_lines(fiche: Fiche, limit: int = 4) -> list[FicheLine]:
    """The few lines of the dashboard panel: population, then the first indicators with a
    value (the global coverage rate first)."""
    preferred = [POPULATION, "txcouv_global", "places_total", "txcouv_eaje"]
    by_code = {line.indicator.code: line for line in fiche.lines}
    chosen = [by_code[c] for c in preferred if c in by_code and by_code[c].valeur is not None]
    for line in fiche.lines:
        if len(chosen) >= limit:
            break
        if line.valeur is not None and line not in chosen:
            chosen.append(line)
    return chosen[:limit]


def theme_label(code: str) -> str:
    return THEMES.get(code, code)
