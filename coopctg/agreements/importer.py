"""Import a signed Cof and its avenants from a JSON document (``coopctg cof importer``).

Format::

    {"collectivite": {"siren": "200073237"} | {"insee": "37233"},
     "numero"?: "COF-37-2022-001",            # default: the next free number
     "debut": "2022-01-01", "fin": "2025-12-31",
     "ctg"?: {"debut": "2022-01-01", "fin": "2026-12-31", "thematiques": [theme codes]},
     "versions": [
        {"effet": "2022-01-01", "signature"?: date, "motif"?: str,
         "base_cej"?: {"montant", "etp"}, "thematiques_ctg"?: [envelope codes],
         "personnes": [...]},                  # as in ``coopctg financement simuler``,
                                               # each person with "missions"?: ["M1.O2", …]
        ...]}

- ``versions[0]`` is the initial Cof (effective on ``debut``), each next one an avenant signed
  on its ``signature`` date (default: its ``effet``); effective dates strictly increase and stay
  within the Cof's period. Each version's ``base_cej``, ``thematiques_ctg`` and ``personnes``
  are read by :func:`~coopctg.funding.rules.parse_simulation_input` (same French messages,
  prefixed with ``versions[i].``). The figures are computed and frozen by
  :func:`~coopctg.agreements.services.sign_version`, with the Ctg's themes: a version's
  ``thematiques_ctg``, when given, must be envelopes that Ctg opens.
- A person's ``missions`` (optional): codes of the référentiel's objectives assigned to the
  post (« M1.O2 »), frozen with the version; an unknown code is an error.
- The collectivité is the :class:`LocalAuthority` of the EPCI (SIREN) or the commune (INSEE).
  When the territory exists but is not yet a collectivité, it becomes one, partner of the Caf
  of its département (for an EPCI, the département of most of its communes); no Caf: error.
- ``ctg`` names the collectivité's Ctg with those dates; it is created (signed on its first
  day, with those themes) when there is none; one with other themes is an error. Without
  ``ctg``, the collectivité's Ctg that covers the Cof's period is used (a signed one first);
  when there is none, one is created for the Cof's period, signed on its first day, with the
  themes the file implies: petite enfance, jeunesse and parentalité (every Ctg covers them),
  plus every theme of each envelope that a version uses (affectations or ``thematiques_ctg``).
  Inclusion handicap, transversal, opens no envelope: it is not derived.

Everything runs in one transaction: on any error (one French sentence, :class:`CofImportError`)
nothing is written. An existing ``numero`` is an error (« la Cof … existe déjà »), and so is a
period that a signed Cof of the collectivité already covers (one Cof in force per date).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count

from coopctg.agreements.models import FundingAgreement
from coopctg.agreements.services import (
    AgreementError,
    VersionInput,
    create_cof,
    overlap_message,
    overlapping_cof,
    sign_version,
)
from coopctg.core.params import ParameterError, format_date_fr, parse_iso_date
from coopctg.core.text import clean_line, clean_text
from coopctg.core.themes import REQUIRED_CTG_THEMES, Theme
from coopctg.ctg.models import Ctg
from coopctg.ctg.services import save_ctg
from coopctg.funding.rules import Architecture, Envelope, InvalidInput, parse_simulation_input
from coopctg.funding.rules.themes import THEME_ENVELOPE, envelopes_for_themes
from coopctg.funding.services import PersonRow
from coopctg.organisations.models import Caf, LocalAuthority
from coopctg.territories.models import Commune, Epci

TOP_KEYS = ("collectivite", "numero", "debut", "fin", "ctg", "versions")
COLLECTIVITE_KEYS = ("siren", "insee")
CTG_KEYS = ("debut", "fin", "thematiques")
VERSION_KEYS = ("effet", "signature", "motif", "base_cej", "thematiques_ctg", "personnes")
NUMERO_MAX_LENGTH = FundingAgreement._meta.get_field("numero").max_length or 50

_SIREN = re.compile(r"[0-9]{9}", re.ASCII)
_INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}", re.ASCII)


class CofImportError(AgreementError):
    """The document cannot be imported; the message is one French sentence naming the field."""


@dataclass(frozen=True)
class _CollectiviteRef:
    field: str  # "siren" or "insee"
    code: str


@dataclass(frozen=True)
class _CtgSpec:
    debut: dt.date
    fin: dt.date
    themes: list[str]  # in Theme order


@dataclass(frozen=True)
class _Version:
    effet: dt.date
    signature: dt.date
    motif: str
    architecture: Architecture
    missions: tuple[tuple[str, ...], ...] = ()  # per person, in order


@transaction.atomic
def import_cof(data: Any, user: Any = None, *, generate_documents: bool = True) -> FundingAgreement:
    """Create the Cof ``data`` describes, sign its versions, return it (see module doc)."""
    top = _object(data, "le document", TOP_KEYS)
    reference = _collectivite_ref(_required(top, "collectivite", "le document"))
    numero = _numero(top.get("numero"))
    debut = _date(_required(top, "debut", "le document"), "debut")
    fin = _date(_required(top, "fin", "le document"), "fin")
    if fin <= debut:
        raise CofImportError(
            f"fin : la fin de la Cof ({format_date_fr(fin)}) doit suivre son début "
            f"({format_date_fr(debut)})"
        )
    ctg_spec = _ctg_spec(top["ctg"]) if top.get("ctg") is not None else None
    versions = _versions(_required(top, "versions", "le document"), debut, fin)
    _check_missions(versions)

    if numero is not None and FundingAgreement.objects.filter(numero=numero).exists():
        raise CofImportError(f"numero : la Cof « {numero} » existe déjà")
    collectivite = _collectivite(reference)
    if (other := overlapping_cof(collectivite.pk, debut, fin)) is not None:
        raise CofImportError(f"debut : {overlap_message(other)}")
    if ctg_spec is not None:
        ctg = _named_ctg(user, collectivite, ctg_spec)
    else:
        ctg = _covering_ctg(user, collectivite, debut, fin, versions)
    opened = envelopes_for_themes(ctg.themes)
    for index, version in enumerate(versions):
        for envelope in version.architecture.ctg_envelopes or ():
            if envelope not in opened:
                raise CofImportError(
                    f"versions[{index}].thematiques_ctg : la Ctg « {ctg.intitule} » ne couvre "
                    f"pas l'enveloppe « {envelope.value} »"
                )
    try:
        cof = create_cof(
            user, ctg=ctg, collectivite=collectivite, debut=debut, fin=fin, numero=numero
        )
    except AgreementError as error:
        raise CofImportError(str(error)) from None
    for index, version in enumerate(versions):
        architecture = version.architecture
        base = architecture.cej_base
        try:
            sign_version(
                user,
                cof,
                VersionInput(
                    date_effet=version.effet,
                    rows=_rows(architecture, collectivite, version.missions),
                    base_montant=base.amount if base else None,
                    base_etp=base.etp if base else None,
                    motif=version.motif,
                ),
                date_signature=version.signature,
                generate_document=generate_documents,
            )
        except (AgreementError, ParameterError) as error:
            raise CofImportError(f"versions[{index}] : {error}") from None
    cof.refresh_from_db()
    return cof


# --- The document's parts -----------------------------------------------------------------


def _collectivite_ref(data: object) -> _CollectiviteRef:
    raw = _object(data, "collectivite", COLLECTIVITE_KEYS)
    given = [key for key in COLLECTIVITE_KEYS if raw.get(key) is not None]
    if len(given) != 1:
        raise CofImportError(
            "collectivite : un SIREN d'EPCI (« siren ») ou un code INSEE de commune (« insee ») "
            "est attendu, l'un ou l'autre"
        )
    key = given[0]
    code = raw[key]
    pattern, what = (
        (_SIREN, "un SIREN (9 chiffres)")
        if key == "siren"
        else (
            _INSEE,
            "un code INSEE de commune (5 caractères, par ex. 37233)",
        )
    )
    if not isinstance(code, str) or not pattern.fullmatch(code):
        raise CofImportError(f"collectivite.{key} : « {code} » n'est pas {what}")
    return _CollectiviteRef(key, code)


def _numero(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = clean_line(value)  # no control character in a number
    if not isinstance(value, str) or not value.strip():
        raise CofImportError("numero : un texte non vide est attendu")
    if len(value.strip()) > NUMERO_MAX_LENGTH:
        raise CofImportError(f"numero : au plus {NUMERO_MAX_LENGTH} caractères")
    return value.strip()


def _ctg_spec(data: object) -> _CtgSpec:
    raw = _object(data, "ctg", CTG_KEYS)
    debut = _date(_required(raw, "debut", "ctg"), "ctg.debut")
    fin = _date(_required(raw, "fin", "ctg"), "ctg.fin")
    if fin <= debut:
        raise CofImportError(
            f"ctg.fin : la fin de la Ctg ({format_date_fr(fin)}) doit suivre son début "
            f"({format_date_fr(debut)})"
        )
    themes = _required(raw, "thematiques", "ctg")
    codes = [theme.value for theme in Theme]
    if not isinstance(themes, list) or not themes:
        raise CofImportError("ctg.thematiques : une liste non vide de thématiques est attendue")
    for index, code in enumerate(themes):
        if not isinstance(code, str) or code not in codes:
            raise CofImportError(
                f"ctg.thematiques[{index}] : thématique inconnue « {code} » (codes possibles : "
                f"{', '.join(codes)})"
            )
        if code in themes[:index]:
            raise CofImportError(f"ctg.thematiques[{index}] : « {code} » figure deux fois")
    missing = [t.label for t in Theme if t in REQUIRED_CTG_THEMES and t.value not in themes]
    if missing:
        raise CofImportError(
            "ctg.thematiques : une Ctg couvre au moins la petite enfance, la jeunesse et la "
            f"parentalité ; manque : {', '.join(missing)}"
        )
    return _CtgSpec(debut, fin, [code for code in codes if code in themes])


def _versions(data: object, debut: dt.date, fin: dt.date) -> list[_Version]:
    if not isinstance(data, list) or not data:
        raise CofImportError(
            "versions : une liste non vide est attendue (la Cof initiale, puis ses avenants)"
        )
    versions: list[_Version] = []
    for index, item in enumerate(data):
        where = f"versions[{index}]"
        raw = _object(item, where, VERSION_KEYS)
        effet = _date(_required(raw, "effet", where), f"{where}.effet")
        if index == 0 and effet != debut:
            raise CofImportError(
                f"{where}.effet : la Cof initiale prend effet au début de la Cof "
                f"({format_date_fr(debut)}), pas le {format_date_fr(effet)}"
            )
        if not debut <= effet <= fin:
            raise CofImportError(
                f"{where}.effet : la date d'effet {format_date_fr(effet)} sort de la période de "
                f"la Cof ({format_date_fr(debut)} – {format_date_fr(fin)})"
            )
        if versions and effet <= versions[-1].effet:
            raise CofImportError(
                f"{where}.effet : un avenant prend effet après la version précédente "
                f"(versions[{index - 1}], le {format_date_fr(versions[-1].effet)}) ; les "
                "versions d'une Cof ne se chevauchent pas"
            )
        signature = effet
        if raw.get("signature") is not None:
            signature = _date(raw["signature"], f"{where}.signature")
        motif = raw.get("motif")
        if motif is not None and not isinstance(motif, str):
            raise CofImportError(f"{where}.motif : un texte est attendu")
        motif = clean_text(motif) if motif is not None else None  # no control character
        simulated: dict[str, object] = {"date": effet.isoformat()}
        simulated.update(
            (key, raw[key]) for key in ("base_cej", "thematiques_ctg", "personnes") if key in raw
        )
        missions: list[tuple[str, ...]] = []
        if isinstance(raw.get("personnes"), list):
            persons = []
            for rank, person in enumerate(raw["personnes"]):
                if isinstance(person, dict) and "missions" in person:
                    person = dict(person)
                    missions.append(_missions(person.pop("missions"), f"{where}.personnes[{rank}]"))
                else:
                    missions.append(())
                persons.append(person)
            simulated["personnes"] = persons
        try:
            architecture = parse_simulation_input(simulated)
        except InvalidInput as error:
            message = str(error)
            if message.startswith("le document : "):
                message = f"{where} : {message.removeprefix('le document : ')}"
            else:
                message = f"{where}.{message}"
            raise CofImportError(message) from None
        versions.append(_Version(effet, signature, motif or "", architecture, tuple(missions)))
    return versions


def _missions(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise CofImportError(f"{where}.missions : une liste de codes d'objectifs est attendue")
    return tuple(dict.fromkeys(code.strip() for code in value))


def _check_missions(versions: list[_Version]) -> None:
    from coopctg.funding.services import objectives_for_codes

    codes = {code for version in versions for codes in version.missions for code in codes}
    known = objectives_for_codes(codes) if codes else {}
    for index, version in enumerate(versions):
        for rank, person_codes in enumerate(version.missions):
            for code in person_codes:
                if code not in known:
                    raise CofImportError(
                        f"versions[{index}].personnes[{rank}].missions : objectif inconnu "
                        f"« {code} » du référentiel (codes comme M1.O2 ; le référentiel est-il "
                        "chargé ?)"
                    )


def _rows(
    architecture: Architecture,
    collectivite: LocalAuthority,
    missions: tuple[tuple[str, ...], ...] = (),
) -> list[PersonRow]:
    return [
        PersonRow(
            nom=person.name or person.id,
            fonction=person.function or "",
            employeur=collectivite.nom,
            type_poste=person.post_type.value,
            etp={assignment.envelope.value: assignment.etp for assignment in person.assignments},
            objectifs=missions[rank] if rank < len(missions) else (),
        )
        for rank, person in enumerate(architecture.persons)
    ]


# --- The database's side ---------------------------------------------------------------------


def _collectivite(reference: _CollectiviteRef) -> LocalAuthority:
    where = f"collectivite.{reference.field}"
    if reference.field == "siren":
        found = LocalAuthority.objects.filter(epci__siren=reference.code).first()
        if found is not None:
            return found
        epci = Epci.objects.filter(siren=reference.code).first()
        if epci is None:
            raise CofImportError(
                f"{where} : aucun EPCI de SIREN « {reference.code} » (les territoires sont-ils "
                "importés ? coopctg territoires importer)"
            )
        caf = (
            Caf.objects.filter(departement__communes__epci=epci)
            .annotate(communes=Count("departement__communes"))
            .order_by("-communes", "code")
            .first()
        )
        if caf is None:
            raise CofImportError(
                f"{where} : aucune Caf pour le département de l'EPCI « {epci.nom} »"
            )
        return LocalAuthority.objects.create(
            caf=caf, kind=LocalAuthority.Kind.EPCI, epci=epci, nom=epci.nom
        )
    found = LocalAuthority.objects.filter(commune__code_insee=reference.code).first()
    if found is not None:
        return found
    commune = (
        Commune.objects.select_related("departement").filter(code_insee=reference.code).first()
    )
    if commune is None:
        raise CofImportError(
            f"{where} : aucune commune de code INSEE « {reference.code} » (les territoires "
            "sont-ils importés ? coopctg territoires importer)"
        )
    caf = Caf.objects.filter(departement=commune.departement).first()
    if caf is None:
        raise CofImportError(
            f"{where} : aucune Caf pour le département {commune.departement} de la commune "
            f"« {commune.nom} »"
        )
    return LocalAuthority.objects.create(
        caf=caf, kind=LocalAuthority.Kind.COMMUNE, commune=commune, nom=f"Commune de {commune.nom}"
    )


def _named_ctg(user: Any, collectivite: LocalAuthority, spec: _CtgSpec) -> Ctg:
    ctg = (
        Ctg.objects.filter(signataires=collectivite, date_debut=spec.debut, date_fin=spec.fin)
        .order_by("pk")
        .first()
    )
    if ctg is None:
        return _create_ctg(user, collectivite, spec)
    if set(ctg.themes) != set(spec.themes):
        raise CofImportError(
            f"ctg.thematiques : la Ctg « {ctg.intitule} » existe déjà avec d'autres thématiques "
            f"({', '.join(ctg.themes)})"
        )
    return ctg


def _covering_ctg(
    user: Any, collectivite: LocalAuthority, debut: dt.date, fin: dt.date, versions: list[_Version]
) -> Ctg:
    candidates = list(
        Ctg.objects.filter(
            signataires=collectivite, date_debut__lte=debut, date_fin__gte=fin
        ).order_by("-date_debut", "pk")
    )
    if candidates:  # a signed one first, then the latest
        return min(candidates, key=lambda ctg: ctg.statut != Ctg.Status.SIGNEE)
    return _create_ctg(user, collectivite, _CtgSpec(debut, fin, derived_themes(versions)))


def derived_themes(versions: list[_Version]) -> list[str]:
    """Petite enfance, jeunesse, parentalité, and every theme of each envelope used."""
    used: set[Envelope] = set()
    for version in versions:
        used.update(version.architecture.ctg_envelopes or ())
        for person in version.architecture.persons:
            used.update(assignment.envelope for assignment in person.assignments)
    return [
        theme.value
        for theme in Theme
        if theme in REQUIRED_CTG_THEMES or THEME_ENVELOPE[theme] in used
    ]


def _create_ctg(user: Any, collectivite: LocalAuthority, spec: _CtgSpec) -> Ctg:
    ctg = Ctg(
        caf=collectivite.caf,
        intitule=f"Ctg {collectivite.nom} {spec.debut.year}-{spec.fin.year}",
        date_debut=spec.debut,
        date_fin=spec.fin,
        date_signature=spec.debut,
        themes=spec.themes,
        statut=Ctg.Status.SIGNEE,
    )
    return save_ctg(user, ctg, [collectivite])


# --- Field readers ----------------------------------------------------------------------------


def _object(data: object, where: str, keys: tuple[str, ...]) -> dict[str, object]:
    if not isinstance(data, dict):
        raise CofImportError(f"{where} : un objet JSON {{…}} est attendu")
    for key in data:
        if key not in keys:
            raise CofImportError(
                f"{where} : champ inconnu « {key} » (champs possibles : {', '.join(keys)})"
            )
    return data


def _required(data: dict[str, object], key: str, where: str) -> object:
    if data.get(key) is None:
        raise CofImportError(f"{where} : champ obligatoire « {key} » manquant")
    return data[key]


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise CofImportError(f"{where} : une date « AAAA-MM-JJ » est attendue")
    try:
        return parse_iso_date(value)
    except ValueError as error:
        raise CofImportError(f"{where} : {error}") from None
