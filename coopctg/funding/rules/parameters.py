"""A Caf's funding parameters: dated YAML files read with :mod:`coopctg.core.params`.

A Caf's folder (``coopctg/funding/parametres/caf-37/``) holds one file per parameter:

- ``forfait_etp.yaml``: the flat rate per Etp, in euros (at most 2 decimals);
- ``seuil_affectation.yaml``: the minimum Etp per assignment and per post (≤ 2 decimals);
- ``enveloppes.yaml``: the four envelopes, ``[{code, libelle}]``, in the référentiel's order;
- ``types_poste.yaml``: the three post types, ``[{code, libelle, seuil_par_affectation,
  temps_plein_finance, reparti_sur_les_enveloppes, temps_plein_exclu_si_seulement}]``: whether
  each assignment must reach the threshold (the general coordination post, spread over the
  four envelopes, is exempt), whether a full-time post (1 Etp) of that type may be funded,
  whether the post must be spread over every envelope of the Ctg (the general coordination
  post), and the envelopes which, when they are a full-time post's only ones, make it
  unfundable (a local coordination post only on petite enfance / enfance-jeunesse).

Every dated value is checked at load, so a Caf administrator's mistake shows at once, not on
the first simulation that reaches its date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from coopctg.core.params import (
    Parameter,
    ParameterError,
    ParameterFileError,
    ParameterSet,
    ParameterValue,
    load_parameters,
)
from coopctg.funding.rules.model import Envelope, PostType, has_places

FLAT_RATE = "forfait_etp"
THRESHOLD = "seuil_affectation"
ENVELOPES = "enveloppes"
POST_TYPES = "types_poste"
REQUIRED = (FLAT_RATE, THRESHOLD, ENVELOPES, POST_TYPES)

_CAF_FOLDER = re.compile(r"caf-([0-9A-Za-z]+)", re.ASCII)


@dataclass(frozen=True)
class Sourced[T]:
    """A parameter's value in force on a date, with its effective date and its source."""

    value: T
    since: dt.date
    reference: str


@dataclass(frozen=True)
class EnvelopeInfo:
    code: Envelope
    label: str


@dataclass(frozen=True)
class PostTypeInfo:
    code: PostType
    label: str
    per_assignment_threshold: bool  # each assignment must reach the threshold
    full_time_funded: bool  # a post of 1 Etp or more of this type may be funded
    spread_over_envelopes: bool = False  # must hold an assignment in every Ctg envelope
    #: A full-time post of this type whose assignments all lie in these envelopes is not
    #: funded (empty: no such restriction).
    full_time_excluded_if_only: frozenset[Envelope] = frozenset()


@dataclass(frozen=True)
class FundingParameters:
    """The parameters in force on ``date`` for one Caf."""

    caf: str
    date: dt.date
    flat_rate: Sourced[Decimal]  # euros per Etp
    threshold: Sourced[Decimal]  # Etp
    envelopes: Sourced[tuple[EnvelopeInfo, ...]]
    post_types: Sourced[tuple[PostTypeInfo, ...]]

    def envelope_label(self, code: Envelope) -> str:
        return next(info.label for info in self.envelopes.value if info.code is code)

    def post_type(self, code: PostType) -> PostTypeInfo:
        return next(info for info in self.post_types.value if info.code is code)


@dataclass(frozen=True)
class FundingParameterSet:
    """All the dated funding parameters of one Caf; :meth:`at` picks those of a date."""

    caf: str
    parameters: ParameterSet

    def at(self, when: dt.date) -> FundingParameters:
        """The parameters in force on ``when``.

        Raises :class:`~coopctg.core.params.ParameterNotInForce` (French message) for a date
        before a parameter's first value or after its end.
        """
        return FundingParameters(
            caf=self.caf,
            date=when,
            flat_rate=_sourced(self.parameters[FLAT_RATE], when, _money),
            threshold=_sourced(self.parameters[THRESHOLD], when, _etp),
            envelopes=_sourced(self.parameters[ENVELOPES], when, _envelopes),
            post_types=_sourced(self.parameters[POST_TYPES], when, _post_types),
        )


def load_funding_parameters(
    folder: Path | ParameterSet, caf: str | None = None
) -> FundingParameterSet:
    """Load and check a Caf's parameter folder; ``caf`` defaults to ``37`` for ``caf-37``.

    Raises :class:`~coopctg.core.params.ParameterFileError` (French message) when a file is
    missing or malformed, or when one of its dated values has the wrong shape.
    """
    parameters = folder if isinstance(folder, ParameterSet) else load_parameters(folder)
    for name, convert in _CONVERTERS.items():
        parameter = parameters[name]
        for entry in parameter.values:
            if entry.value is not None:
                try:
                    convert(entry.value, f"{parameter.source}, valeur du {entry.start}")
                except ParameterError as error:
                    raise ParameterFileError(str(error)) from None
    if caf is None:
        match = _CAF_FOLDER.fullmatch(parameters.folder.name)
        caf = match.group(1) if match else parameters.folder.name
    return FundingParameterSet(caf=caf, parameters=parameters)


# --- Conversion of the YAML values ----------------------------------------------------------


def _sourced[T](
    parameter: Parameter, when: dt.date, convert: Callable[[ParameterValue, str], T]
) -> Sourced[T]:
    entry = parameter.entry_at(when)
    assert entry.value is not None and entry.reference is not None  # entry_at, parse_parameter
    value = convert(entry.value, f"{parameter.source}, valeur du {entry.start}")
    return Sourced(value=value, since=entry.start, reference=entry.reference)


def _money(value: ParameterValue, where: str) -> Decimal:
    if not (isinstance(value, Decimal) and has_places(value) and value >= 0):
        raise ParameterError(f"{where} : un montant positif au centime est attendu")
    return value


def _etp(value: ParameterValue, where: str) -> Decimal:
    if not (isinstance(value, Decimal) and has_places(value) and value > 0):
        raise ParameterError(f"{where} : un Etp positif (au plus 2 décimales) est attendu")
    return value


def _items(
    value: ParameterValue, where: str, keys: tuple[str, ...]
) -> list[Mapping[str, ParameterValue]]:
    if not isinstance(value, tuple) or not all(isinstance(item, Mapping) for item in value):
        raise ParameterError(
            f"{where} : une liste de dictionnaires ({', '.join(keys)}) est attendue"
        )
    items = [item for item in value if isinstance(item, Mapping)]
    for item in items:
        if set(item) != set(keys):
            raise ParameterError(f"{where} : chaque élément doit avoir les clés {', '.join(keys)}")
        if not isinstance(item["libelle"], str) or not item["libelle"].strip():
            raise ParameterError(f"{where} : « libelle » doit être un texte non vide")
    return items


def _codes[E: (Envelope, PostType)](
    items: list[Mapping[str, ParameterValue]], enum: type[E], where: str
) -> list[E]:
    expected = [member.value for member in enum]
    if [item["code"] for item in items] != expected:
        raise ParameterError(
            f"{where} : les codes doivent être exactement {', '.join(expected)}, dans cet ordre "
            "(les règles de calcul ne connaissent que ceux-là)"
        )
    return [enum(str(item["code"])) for item in items]


def _envelopes(value: ParameterValue, where: str) -> tuple[EnvelopeInfo, ...]:
    items = _items(value, where, ("code", "libelle"))
    codes = _codes(items, Envelope, where)
    return tuple(
        EnvelopeInfo(code=code, label=str(item["libelle"]))
        for code, item in zip(codes, items, strict=True)
    )


def _post_types(value: ParameterValue, where: str) -> tuple[PostTypeInfo, ...]:
    flags = (
        "seuil_par_affectation",
        "temps_plein_finance",
        "reparti_sur_les_enveloppes",
    )
    keys = ("code", "libelle", *flags, "temps_plein_exclu_si_seulement")
    items = _items(value, where, keys)
    codes = _codes(items, PostType, where)
    for item in items:
        if not all(isinstance(item[key], bool) for key in flags):
            raise ParameterError(f"{where} : {', '.join(flags)} doivent valoir true ou false")
    return tuple(
        PostTypeInfo(
            code=code,
            label=str(item["libelle"]),
            per_assignment_threshold=item["seuil_par_affectation"] is True,
            full_time_funded=item["temps_plein_finance"] is True,
            spread_over_envelopes=item["reparti_sur_les_enveloppes"] is True,
            full_time_excluded_if_only=_envelope_codes(
                item["temps_plein_exclu_si_seulement"],
                f"{where}, {code.value}, temps_plein_exclu_si_seulement",
            ),
        )
        for code, item in zip(codes, items, strict=True)
    )


def _envelope_codes(value: ParameterValue, where: str) -> frozenset[Envelope]:
    known = [member.value for member in Envelope]
    if not isinstance(value, tuple) or not all(
        isinstance(code, str) and code in known for code in value
    ):
        raise ParameterError(
            f"{where} : une liste de codes d'enveloppes ({', '.join(known)}) est attendue"
        )
    return frozenset(Envelope(str(code)) for code in value)


_CONVERTERS: dict[str, Callable[[ParameterValue, str], object]] = {
    FLAT_RATE: _money,
    THRESHOLD: _etp,
    ENVELOPES: _envelopes,
    POST_TYPES: _post_types,
}
