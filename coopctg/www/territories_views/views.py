"""Territory pages: a département and its EPCI, the map of its EPCI, an EPCI and its communes.

Every object goes through :mod:`coopctg.accounts.access` (404 when not visible). Each page
runs a fixed number of SQL queries, whatever the size of the territory.
"""

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from coopctg.accounts.access import (
    get_departement_for_user,
    get_epci_for_user,
    visible_collectivites,
    visible_departements,
)
from coopctg.territories import svgmap
from coopctg.territories.models import Commune, Departement, Epci

EPCI_PREFIXES = (
    "Communauté de communes ",
    "Communauté d'agglomération ",
    "Communauté urbaine ",
    "Métropole ",
)
ARTICLES = ("de la ", "de l'", "des ", "du ", "de ", "d'")
LABEL_LINE = 18  # characters; longer labels are split on two lines
#: viewBox width of the département map: the stylesheet sets labels at 11 units, legible when
#: the map (at most 75 % of the window high) is some 600 pixels wide.
MAP_WIDTH = 600


def short_name(nom: str) -> str:
    """« Communauté de communes du Castelrenaudais » → « Castelrenaudais »."""
    for prefix in EPCI_PREFIXES:
        if nom.startswith(prefix):
            rest = nom.removeprefix(prefix)
            for article in ARTICLES:
                if rest.startswith(article):
                    rest = rest.removeprefix(article)
                    break
            return rest[:1].upper() + rest[1:]
    return nom


def sort_key(nom: str) -> str:
    """French alphabetical order, whatever the database collation: « Île » with the I."""
    decomposed = unicodedata.normalize("NFKD", nom)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def epci_sort_key(epci: Epci) -> str:
    """EPCI by their distinctive name: « CC du Castelrenaudais » with the C."""
    return sort_key(short_name(epci.nom))


def label_lines(text: str, width: int = LABEL_LINE) -> list[str]:
    """One line, or two split at the space nearest the middle."""
    if len(text) <= width or " " not in text:
        return [text]
    middle = len(text) / 2
    cut = min((i for i, char in enumerate(text) if char == " "), key=lambda i: abs(i - middle))
    return [text[:cut], text[cut + 1 :]]


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("Accueil", reverse("home")), *items]


def _departement_epcis(departement: Departement, geometry: bool = False) -> QuerySet[Epci]:
    """The EPCI with at least one commune in ``departement``, annotated with the number of
    those communes (``nb_communes``) and their population (``population``)."""
    queryset = (
        Epci.objects.filter(communes__departement=departement)
        .annotate(
            nb_communes=Count("communes"),
            population=Sum("communes__population_municipale"),
        )
        .order_by("nom")
    )
    return queryset if geometry else queryset.defer("geometrie")


def _outside_epci(departement: Departement) -> dict[str, Any]:
    return dict(
        Commune.objects.filter(departement=departement, epci__isnull=True).aggregate(
            nb_communes=Count("id"), population=Sum("population_municipale")
        )
    )


def _totals(epcis: list[Epci], outside: dict[str, Any]) -> dict[str, int]:
    return {
        "nb_epci": len(epcis),
        "nb_communes": sum(e.nb_communes for e in epcis) + outside["nb_communes"],
        "population": sum(e.population or 0 for e in epcis) + (outside["population"] or 0),
    }


def departement_detail(request: HttpRequest, code: str) -> HttpResponse:
    departement = get_departement_for_user(request.user, code)
    epcis = sorted(_departement_epcis(departement), key=epci_sort_key)
    outside = _outside_epci(departement)
    return render(
        request,
        "territories/departement.html",
        {
            "departement": departement,
            "epcis": epcis,
            "outside": outside,
            "totals": _totals(epcis, outside),
            "crumbs": _crumbs((str(departement), None)),
        },
    )


@dataclass
class MapRow:
    epci: Epci
    shape: svgmap.Shape | None
    label: list[str]


def _map_page(request: HttpRequest, departement: Departement) -> HttpResponse:
    epcis = sorted(_departement_epcis(departement, geometry=True), key=epci_sort_key)
    svg_map = svgmap.build_map(
        ((epci.siren, epci.geometrie) for epci in epcis), width=MAP_WIDTH, padding=6
    )
    shapes = {shape.key: shape for shape in svg_map.shapes}
    rows = [
        MapRow(epci, shapes.get(epci.siren), label_lines(short_name(epci.nom))) for epci in epcis
    ]
    outside = _outside_epci(departement)
    return render(
        request,
        "territories/map.html",
        {
            "departement": departement,
            "svg_map": svg_map,
            "rows": rows,
            "epcis": epcis,
            "missing": [row.epci for row in rows if row.shape is None],
            "outside": outside,
            "totals": _totals(epcis, outside),
            "crumbs": _crumbs(
                (str(departement), reverse("territories:departement", args=[departement.code])),
                ("Carte des EPCI", None),
            ),
        },
    )


def departement_map(request: HttpRequest, code: str) -> HttpResponse:
    return _map_page(request, get_departement_for_user(request.user, code))


def my_map(request: HttpRequest) -> HttpResponse:
    """The map of the département of the user's Caf (the first one, for staff of several)."""
    departement = visible_departements(request.user).order_by("code").first()
    if departement is None:
        raise Http404("Page introuvable.")
    return _map_page(request, departement)


def departement_geojson(request: HttpRequest, code: str) -> JsonResponse:
    """The département's EPCI contours as a GeoJSON FeatureCollection, for other tools."""
    departement = get_departement_for_user(request.user, code)
    features = [
        {
            "type": "Feature",
            "id": epci.siren,
            "properties": {
                "siren": epci.siren,
                "nom": epci.nom,
                "nature": epci.nature,
                "departement": departement.code,
                "communes_dans_departement": epci.nb_communes,
                "population_dans_departement": epci.population,
            },
            "geometry": epci.geometrie,
        }
        for epci in _departement_epcis(departement, geometry=True)
        if epci.geometrie
    ]
    response = JsonResponse(
        {"type": "FeatureCollection", "features": features},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Disposition"] = f'inline; filename="epci-{departement.code}.geojson"'
    return response


def epci_detail(request: HttpRequest, siren: str) -> HttpResponse:
    epci = get_epci_for_user(request.user, siren)
    communes = sorted(
        epci.communes.select_related("departement"), key=lambda commune: sort_key(commune.nom)
    )
    departements: dict[str, Departement] = {}
    for commune in communes:
        departements.setdefault(commune.departement.code, commune.departement)
    visible_codes = set(
        visible_departements(request.user)
        .filter(code__in=departements)
        .values_list("code", flat=True)
    )
    collectivite = visible_collectivites(request.user).filter(epci=epci).first()
    collectivite_url = None
    if collectivite is not None:
        try:
            collectivite_url = reverse("organisations:collectivite", args=[collectivite.pk])
        except NoReverseMatch:
            collectivite_url = None
    svg_map = svgmap.build_map((c.code_insee, c.geometrie) for c in communes)
    shapes = {shape.key: shape for shape in svg_map.shapes}
    home_departement = next(
        (departements[code] for code in sorted(departements) if code in visible_codes), None
    )
    crumbs = _crumbs((epci.nom, None))
    if home_departement is not None:
        crumbs.insert(
            1,
            (
                str(home_departement),
                reverse("territories:departement", args=[home_departement.code]),
            ),
        )
    return render(
        request,
        "territories/epci.html",
        {
            "epci": epci,
            "communes": communes,
            "commune_shapes": [
                (c, shapes[c.code_insee]) for c in communes if c.code_insee in shapes
            ],
            "svg_map": svg_map,
            "departements": [
                (departement, departement.code in visible_codes)
                for _, departement in sorted(departements.items())
            ],
            "population": sum(c.population_municipale or 0 for c in communes),
            "unknown_population": sum(1 for c in communes if c.population_municipale is None),
            "collectivite": collectivite,
            "collectivite_url": collectivite_url,
            "crumbs": crumbs,
        },
    )
