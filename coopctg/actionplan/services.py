"""The plan d'actions of a Ctg: reading it, changing it, importing it, summarising it.

Each change writes its history rows (:func:`coopctg.core.audit.record_change`: who, when,
before, after) in the same transaction.

Public functions for other parts of the application:

- :func:`plan_summary` (and :func:`plan_summaries` for many Ctg in one query): per thématique
  and overall, the number of actions, their mean progress and the number late (dashboards);
- :func:`plan_actions`: the actions of a Ctg with their objectives, indicators and values, in
  a fixed number of queries (4), whatever the size of the plan.

Deleting an action (from the page or by an import that no longer lists it) is refused when it
has *dependent data* (:func:`dependent_data`): recorded indicator values, or a row of another
part of the application that refers to it. Such an action is kept with the status
« abandonnée », or its values are emptied first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Prefetch

from coopctg.actionplan.models import Action, Indicator, IndicatorValue
from coopctg.actionplan.rules import ActionFacts, summarize
from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot, to_json
from coopctg.core.formats import format_number
from coopctg.core.models import AuditEntry
from coopctg.ctg.models import Ctg
from coopctg.framework.loader import versions_newest_first
from coopctg.framework.models import FrameworkVersion, Objective

ACTION_FIELDS = [
    "code",
    "titre",
    "description",
    "themes",
    "pilote",
    "partenaires",
    "date_debut",
    "date_fin",
    "statut",
    "avancement",
]
INDICATOR_FIELDS = ["libelle", "unite", "valeur_reference", "cible"]


# --- Reading ---------------------------------------------------------------------------------


def ordered_objectives() -> Any:
    return Objective.objects.order_by("mission__version_id", "mission__position", "position")


def plan_actions(ctg: Ctg) -> list[Action]:
    """The actions of ``ctg`` in the plan's order; ``objectifs``, ``indicateurs`` and their
    ``valeurs`` (by year) prefetched: 4 queries whatever the number of actions."""
    values = IndicatorValue.objects.order_by("year")
    indicators = Indicator.objects.order_by("position", "id").prefetch_related(
        Prefetch("valeurs", queryset=values)
    )
    return list(
        Action.objects.filter(ctg=ctg)
        .order_by("position", "code", "id")
        .prefetch_related(
            Prefetch("objectifs", queryset=ordered_objectives()),
            Prefetch("indicateurs", queryset=indicators),
        )
    )


def current_framework(caf: Any = None) -> FrameworkVersion | None:
    """The référentiel whose objectives the plan's forms, workbook and bilans offer: the
    Caf's own version when it has chosen one (``coopctg caf ajouter --referentiel``), else
    the newest."""
    if caf is not None and caf.referentiel_id is not None:
        return caf.referentiel
    return versions_newest_first().first()


def objectives_by_code(version: FrameworkVersion | None) -> dict[str, Objective]:
    if version is None:
        return {}
    return {o.code: o for o in ordered_objectives().filter(mission__version=version)}


def next_code(ctg: Ctg) -> str:
    """The first free reference « A01 », « A02 »… after the highest one of that form."""
    codes = set(Action.objects.filter(ctg=ctg).values_list("code", flat=True))
    numbers = [int(c[1:]) for c in codes if c[:1] == "A" and c[1:].isdigit()]
    number = max(numbers, default=0) + 1
    while f"A{number:02d}" in codes:  # pragma: no cover - only with odd codes
        number += 1
    return f"A{number:02d}"


def plan_years(ctg: Ctg, actions: Iterable[Action] = ()) -> list[int]:
    """The years of the Ctg's period, widened to the years that have values."""
    years = {v.year for a in actions for i in a.indicateurs.all() for v in i.valeurs.all()}
    first = min([ctg.date_debut.year, *years])
    last = max([ctg.date_fin.year, *years])
    return list(range(first, last + 1))


# --- Summary for the dashboards ----------------------------------------------------------------


def plan_summaries(ctgs: Iterable[Ctg], today: dt.date) -> dict[int, dict[str, Any]]:
    """:func:`plan_summary` of many Ctg in one query: {ctg pk: summary}."""
    ids = [ctg.pk for ctg in ctgs]
    facts: dict[int, list[ActionFacts]] = {pk: [] for pk in ids}
    rows = Action.objects.filter(ctg_id__in=ids).values_list(
        "ctg_id", "themes", "statut", "avancement", "date_fin"
    )
    for ctg_id, themes, statut, avancement, date_fin in rows:
        facts[ctg_id].append(ActionFacts(tuple(themes or ()), statut, avancement, date_fin))
    return {pk: summarize(facts[pk], today) for pk in ids}


def plan_summary(ctg: Ctg, today: dt.date) -> dict[str, Any]:
    """The state of the plan d'actions of ``ctg`` on ``today`` (one query)::

        {
          "today": date,
          "overall": {"actions": 12, "mean_progress": Decimal("47.5") | None,
                      "overdue": 2, "by_status": {"a_lancer": 3, "en_cours": 6,
                                                  "realisee": 2, "abandonnee": 1}},
          "by_theme": {"petite_enfance": {"label": "Petite enfance", "actions": 4,
                                          "mean_progress": …, "overdue": 1,
                                          "by_status": {…}},
                       … the 8 thématiques, in their order, even without action},
          "without_theme": {"actions": 0, "mean_progress": None, "overdue": 0, …},
        }

    An action with several thématiques counts in each; overall, once. ``mean_progress`` is
    the mean of the avancement (percent, rounded half up to one decimal) of the actions that
    are not abandoned, None when there are none. ``overdue``: end date before ``today`` and
    neither réalisée nor abandonnée (:func:`coopctg.actionplan.rules.is_overdue`).
    """
    return plan_summaries([ctg], today)[ctg.pk]


# --- Snapshots for the history -----------------------------------------------------------------


def action_snapshot(action: Action, objective_codes: Iterable[str]) -> dict[str, Any]:
    return snapshot(action, ACTION_FIELDS) | {"objectifs": sorted(objective_codes)}


def indicator_snapshot(indicator: Indicator, values: dict[int, Decimal]) -> dict[str, Any]:
    return snapshot(indicator, INDICATOR_FIELDS) | {
        "valeurs": {str(year): to_json(values[year]) for year in sorted(values)}
    }


def _record(user: Any, obj: Any, action: str, before: Any, after: Any, caf_id: int) -> bool:
    """Write the history row; True when something changed."""
    return record_change(user, obj, action, before=before, after=after, caf_id=caf_id) is not None


# --- Dependent data ---------------------------------------------------------------------------


def dependent_data(actions: Sequence[Action]) -> dict[int, list[str]]:
    """{action pk: what depends on it} for the given actions that have dependent data: the
    years of recorded indicator values, and rows of other models that refer to an action
    (any foreign key or many-to-many to :class:`Action` added later by another part of the
    application is found here)."""
    ids = [a.pk for a in actions if a.pk]
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    years: dict[int, set[int]] = {}
    for action_id, year in IndicatorValue.objects.filter(indicator__action_id__in=ids).values_list(
        "indicator__action_id", "year"
    ):
        years.setdefault(action_id, set()).add(year)
    for action_id, action_years in years.items():
        listed = ", ".join(str(y) for y in sorted(action_years))
        found.setdefault(action_id, []).append(f"valeurs d'indicateurs saisies ({listed})")
    for relation in Action._meta.related_objects:
        if relation.related_model is Indicator:
            continue
        model = relation.related_model
        name = relation.field.name
        referring = model._default_manager.filter(**{f"{name}__in": ids})  # type: ignore[union-attr]
        for action_id in set(referring.values_list(name, flat=True)):
            found.setdefault(action_id, []).append(
                f"référencée par : {model._meta.verbose_name_plural}"  # type: ignore[union-attr]
            )
    return found


class ActionProtected(Exception):
    """The action has dependent data: it is not deleted. The message is French."""


# --- Changes from the pages --------------------------------------------------------------------


@dataclass
class IndicatorInput:
    """An indicator as edited in the action form: ``instance`` is None for a new one."""

    libelle: str
    unite: str = ""
    valeur_reference: Decimal | None = None
    cible: Decimal | None = None
    instance: Indicator | None = None


@transaction.atomic
def save_action(
    user: Any,
    action: Action,
    objectives: Iterable[Objective],
    indicators: Sequence[IndicatorInput] = (),
    deleted_indicators: Sequence[Indicator] = (),
) -> Action:
    """Create or update a fiche action, its objectives and indicators (in the given order);
    delete ``deleted_indicators`` (with their values). Writes the history rows."""
    objectives = list(objectives)
    creating = action.pk is None
    caf_id = action.ctg.caf_id
    before = None
    if not creating:
        stored = Action.objects.get(pk=action.pk)
        before = action_snapshot(stored, stored.objectifs.values_list("code", flat=True))
    elif not action.position:
        last = Action.objects.filter(ctg=action.ctg).aggregate(last=Max("position"))["last"]
        action.position = (last or 0) + 1
    action.save()
    action.objectifs.set(objectives)
    _record(
        user,
        action,
        AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
        before,
        action_snapshot(action, [o.code for o in objectives]),
        caf_id,
    )
    for indicator in deleted_indicators:
        _delete_indicator(user, indicator, caf_id)
    for position, item in enumerate(indicators, start=1):
        indicator = item.instance or Indicator(action=action)
        new = indicator.pk is None
        values = {} if new else indicator.values_by_year()
        before_indicator = None if new else indicator_snapshot(indicator, values)
        indicator.libelle, indicator.unite = item.libelle, item.unite
        indicator.valeur_reference, indicator.cible = item.valeur_reference, item.cible
        indicator.position = position
        indicator.save()
        _record(
            user,
            indicator,
            AuditEntry.Action.CREATION if new else AuditEntry.Action.MODIFICATION,
            before_indicator,
            indicator_snapshot(indicator, values),
            caf_id,
        )
    return action


def _delete_indicator(user: Any, indicator: Indicator, caf_id: int) -> None:
    before = indicator_snapshot(indicator, indicator.values_by_year())
    record_change(
        user, indicator, AuditEntry.Action.SUPPRESSION, before=before, after=None, caf_id=caf_id
    )
    indicator.delete()


@transaction.atomic
def delete_action(user: Any, action: Action) -> None:
    """Delete a fiche action and its indicators; raises :class:`ActionProtected` when it has
    dependent data (:func:`dependent_data`)."""
    depending = dependent_data([action]).get(action.pk)
    if depending:
        raise ActionProtected(
            f"La fiche action {action.code} n'est pas supprimée : elle a des données "
            f"dépendantes ({' ; '.join(depending)}). Passez-la au statut « abandonnée », ou "
            "videz d'abord les valeurs de ses indicateurs."
        )
    caf_id = action.ctg.caf_id
    for indicator in action.indicateurs.all():
        _delete_indicator(user, indicator, caf_id)
    before = action_snapshot(action, action.objectifs.values_list("code", flat=True))
    record_change(
        user, action, AuditEntry.Action.SUPPRESSION, before=before, after=None, caf_id=caf_id
    )
    action.delete()


def ctg_indicators(ctg: Ctg) -> list[Indicator]:
    """The indicators of the plan, in the plan's order, with their action and values (2
    queries)."""
    return list(
        Indicator.objects.filter(action__ctg=ctg)
        .select_related("action")
        .prefetch_related(Prefetch("valeurs", queryset=IndicatorValue.objects.order_by("year")))
        .order_by("action__position", "action__code", "action_id", "position", "id")
    )


@transaction.atomic
def save_indicator_values(user: Any, ctg: Ctg, year: int, values: dict[int, Decimal | None]) -> int:
    """Set the values of ``year`` ({indicator pk: value, None to remove it}) of the plan's
    indicators; returns the number of indicators changed. Unknown pks are ignored."""
    indicators = {i.pk: i for i in ctg_indicators(ctg)}
    changed = 0
    for pk, value in values.items():
        indicator = indicators.get(pk)
        if indicator is None:
            continue
        current = indicator.values_by_year()
        if current.get(year) == value:
            continue
        before = indicator_snapshot(indicator, current)
        if value is None:
            IndicatorValue.objects.filter(indicator=indicator, year=year).delete()
            current.pop(year, None)
        else:
            IndicatorValue.objects.update_or_create(
                indicator=indicator, year=year, defaults={"value": value}
            )
            current[year] = value
        _record(
            user,
            indicator,
            AuditEntry.Action.MODIFICATION,
            before,
            indicator_snapshot(indicator, current),
            ctg.caf_id,
        )
        changed += 1
    return changed


# --- Import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem of an imported workbook: its sheet, its line (1 = the header row; None for
    the whole sheet or file) and a French message."""

    sheet: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if not self.sheet:
            return self.message
        where = self.sheet if self.line is None else f"{self.sheet}, ligne {self.line}"
        return f"{where} : {self.message}"


class PlanImportError(Exception):
    """The workbook has errors; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: Sequence[ImportIssue]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.errors:
            return "import impossible"
        count = len(self.errors)
        first = str(self.errors[0])
        return first if count == 1 else f"{first} ({format_number(count, 0)} erreurs au total)"


@dataclass(frozen=True)
class ActionRow:
    """A valid row of the « Actions » sheet."""

    line: int
    code: str
    titre: str
    description: str
    themes: list[str]
    objectifs: list[str]  # codes of the current référentiel
    pilote: str
    partenaires: str
    date_debut: dt.date | None
    date_fin: dt.date | None
    statut: str
    avancement: int


@dataclass(frozen=True)
class IndicatorRow:
    """A valid row of the « Indicateurs » sheet."""

    line: int
    action: str  # the action's code
    libelle: str
    unite: str
    valeur_reference: Decimal | None
    cible: Decimal | None
    valeurs: dict[int, Decimal]


@dataclass(frozen=True)
class PlanData:
    """A whole plan read from a workbook, every row valid."""

    actions: list[ActionRow]
    indicators: list[IndicatorRow]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportReport:
    actions: Counts = field(default_factory=Counts)
    indicators: Counts = field(default_factory=Counts)
    values: int = 0  # yearly values in the file

    def summary(self) -> str:
        """« Plan d'actions importé : 12 actions (3 créées, 2 modifiées, 7 inchangées,
        1 supprimée) ; 20 indicateurs (…) ; 45 valeurs annuelles. »"""

        def part(counts: Counts, noun: str, feminine: bool) -> str:
            e = "e" if feminine else ""

            def n(value: int, word: str) -> str:
                return f"{format_number(value, 0)} {word}{'s' if value > 1 else ''}"

            details = [n(counts.created, f"créé{e}"), n(counts.updated, f"modifié{e}")]
            if counts.unchanged:
                details.append(n(counts.unchanged, f"inchangé{e}"))
            if counts.deleted:
                details.append(n(counts.deleted, f"supprimé{e}"))
            return f"{n(counts.total, noun)} ({', '.join(details)})"

        values = format_number(self.values, 0)
        plural = "s" if self.values > 1 else ""
        return (
            f"Plan d'actions importé : {part(self.actions, 'action', True)} ; "
            f"{part(self.indicators, 'indicateur', False)} ; "
            f"{values} valeur{plural} annuelle{plural}."
        )


ACTIONS_SHEET = "Actions"
INDICATORS_SHEET = "Indicateurs"


@transaction.atomic
def import_plan(user: Any, ctg: Ctg, data: PlanData) -> ImportReport:
    """Replace the plan d'actions of ``ctg`` by ``data``, in one transaction.

    Actions are matched by code (they keep their primary key), indicators by action and label;
    the file's order becomes the plan's order. Actions absent from the file are deleted with
    their indicators, and indicators absent from the file with their values, unless they
    have dependent data (recorded values, references from elsewhere): then nothing is written
    and :class:`PlanImportError` lists them.
    """
    # One import at a time per Ctg (PostgreSQL; SQLite serialises writers anyway).
    list(Ctg.objects.select_for_update().filter(pk=ctg.pk).values_list("pk", flat=True))
    existing = {a.code: a for a in plan_actions(ctg)}
    wanted_codes = {row.code for row in data.actions}
    labels_by_action: dict[str, set[str]] = {}
    for indicator_row in data.indicators:
        labels_by_action.setdefault(indicator_row.action, set()).add(indicator_row.libelle)

    errors: list[ImportIssue] = []
    removed = [a for code, a in existing.items() if code not in wanted_codes]
    for action_id, depending in dependent_data(removed).items():
        action = next(a for a in removed if a.pk == action_id)
        errors.append(
            ImportIssue(
                ACTIONS_SHEET,
                None,
                f"l'action {action.code} « {action.titre} », absente du fichier, n'est pas "
                f"supprimée : elle a des données dépendantes ({' ; '.join(depending)}). "
                "Remettez sa ligne (au besoin avec le statut « abandonnée »).",
            )
        )
    for code, action in existing.items():
        if code not in wanted_codes:
            continue
        for indicator in action.indicateurs.all():
            values = indicator.values_by_year()
            if indicator.libelle not in labels_by_action.get(code, set()) and values:
                years = ", ".join(str(y) for y in sorted(values))
                errors.append(
                    ImportIssue(
                        INDICATORS_SHEET,
                        None,
                        f"l'indicateur « {indicator.libelle} » de l'action {code}, absent du "
                        f"fichier, n'est pas supprimé : il a des valeurs saisies ({years}). "
                        "Remettez sa ligne, ou videz d'abord ses valeurs. Pour renommer un "
                        "indicateur, modifiez la fiche action.",
                    )
                )
    if errors:
        raise PlanImportError(errors)

    report = ImportReport(values=sum(len(row.valeurs) for row in data.indicators))
    caf_id = ctg.caf_id
    objectives = objectives_by_code(current_framework())

    for action in removed:
        for indicator in action.indicateurs.all():
            _delete_indicator(user, indicator, caf_id)
            report.indicators.deleted += 1
        before = action_snapshot(action, [o.code for o in action.objectifs.all()])
        record_change(
            user, action, AuditEntry.Action.SUPPRESSION, before=before, after=None, caf_id=caf_id
        )
        action.delete()
        report.actions.deleted += 1

    indicators_of: dict[str, list[IndicatorRow]] = {}
    for indicator_row in data.indicators:
        indicators_of.setdefault(indicator_row.action, []).append(indicator_row)

    for position, row in enumerate(data.actions, start=1):
        action = existing.get(row.code) or Action(ctg=ctg)
        creating = action.pk is None
        before = (
            None if creating else action_snapshot(action, [o.code for o in action.objectifs.all()])
        )
        wanted_objectives = [objectives[code] for code in row.objectifs]
        changed_position = action.position != position
        for name in ACTION_FIELDS:
            setattr(action, name, getattr(row, name))
        action.position = position
        after = action_snapshot(action, row.objectifs)
        if creating or after != before or changed_position:
            action.save()
        if creating or sorted(o.pk for o in action.objectifs.all()) != sorted(
            o.pk for o in wanted_objectives
        ):
            action.objectifs.set(wanted_objectives)
        if creating:
            report.actions.created += 1
        elif after != before:
            report.actions.updated += 1
        else:
            report.actions.unchanged += 1
        _record(
            user,
            action,
            AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
            before,
            after,
            caf_id,
        )
        _import_indicators(user, action, indicators_of.get(row.code, []), report, caf_id)
    return report


def _import_indicators(
    user: Any, action: Action, rows: list[IndicatorRow], report: ImportReport, caf_id: int
) -> None:
    existing = {i.libelle: i for i in action.indicateurs.all()} if action.pk else {}
    wanted = {row.libelle for row in rows}
    for label, indicator in existing.items():
        if label not in wanted:  # no values: checked before writing
            _delete_indicator(user, indicator, caf_id)
            report.indicators.deleted += 1
    for position, row in enumerate(rows, start=1):
        indicator = existing.get(row.libelle) or Indicator(action=action)
        creating = indicator.pk is None
        values = {} if creating else indicator.values_by_year()
        before = None if creating else indicator_snapshot(indicator, values)
        fields_before = snapshot(indicator, INDICATOR_FIELDS), indicator.position
        indicator.libelle, indicator.unite = row.libelle, row.unite
        indicator.valeur_reference, indicator.cible = row.valeur_reference, row.cible
        indicator.position = position
        if creating or (snapshot(indicator, INDICATOR_FIELDS), position) != fields_before:
            indicator.save()
        after = indicator_snapshot(indicator, row.valeurs)
        _sync_values(indicator, values, row.valeurs)
        if creating:
            report.indicators.created += 1
        elif after != before:
            report.indicators.updated += 1
        else:
            report.indicators.unchanged += 1
        _record(
            user,
            indicator,
            AuditEntry.Action.CREATION if creating else AuditEntry.Action.MODIFICATION,
            before,
            after,
            caf_id,
        )


def _sync_values(
    indicator: Indicator, current: dict[int, Decimal], wanted: dict[int, Decimal]
) -> None:
    gone = [year for year in current if year not in wanted]
    if gone:
        IndicatorValue.objects.filter(indicator=indicator, year__in=gone).delete()
    new = [
        IndicatorValue(indicator=indicator, year=year, value=value)
        for year, value in wanted.items()
        if year not in current
    ]
    with versions.writing_for(row=indicator):
        if new:
            IndicatorValue.objects.bulk_create(new)
        for year, value in wanted.items():
            if year in current and current[year] != value:
                IndicatorValue.objects.filter(indicator=indicator, year=year).update(value=value)
