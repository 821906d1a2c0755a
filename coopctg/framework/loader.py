"""Load a version of the référentiel from its YAML file; export a version as JSON-ready data.

The file (see ``data/referentiel-touraine-2022-01.yaml``)::

    version: touraine-2022-01            # code of the version: a-z, 0-9, « . », « _ », « - »
    titre: "…"
    source: "…"
    date_publication: 2022-01-01         # AAAA-MM-JJ
    fonctions:          [{code: F1, titre, description}, …]
    spheres:            [{code: S1, titre, description}, …]
    attendus_generaux:  [{code: AG1, texte}, …]
    missions:
      - code: M1
        titre: "…"
        objectifs:
          - code: M1.O1                  # starts with its mission's code
            titre: "…"
            sous_titre: "…"              # optional
            attendus:
              - code: M1.O1.A1           # starts with its objective's code
                texte: "…"
                precision: "…"           # optional

:func:`parse_framework` checks everything before anything is written: unknown, missing, empty
or mistyped fields, malformed or duplicate codes, codes that do not start with their parent's
code, duplicate YAML keys. Each problem raises :class:`FrameworkFileError` with one French line
naming the file and the place (``mission n° 2 (M2) › objectif n° 3``). Texts are stripped of
surrounding blanks, nothing else.

:func:`load_framework` writes a version in one transaction. Reloading a version updates its
texts in place: an element keeps its primary key as long as its code is unchanged, so whatever
refers to an attendu keeps pointing at it. A new version code is created beside the others and
never touches them. An element of a loaded version that has disappeared from its file is not
deleted (something may refer to it): the load is refused (:class:`FrameworkConflictError`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from django.db import models, transaction
from django.db.models import Prefetch

from coopctg.core.parsing import DocumentError, load_yaml
from coopctg.framework.models import (
    CompetenceSphere,
    ExpectedOutput,
    FrameworkVersion,
    Function,
    GeneralExpectation,
    Mission,
    Objective,
)

DEFAULT_FRAMEWORK_FILE = (
    Path(__file__).resolve().parent / "data" / "referentiel-touraine-2022-01.yaml"
)


class FrameworkFileError(ValueError):
    """A référentiel file cannot be loaded. The message is one French line."""


class FrameworkConflictError(FrameworkFileError):
    """Reloading a version would remove elements that are already in the database."""


# --- The parsed file ---------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionData:
    code: str
    titre: str
    description: str


@dataclass(frozen=True)
class SphereData:
    code: str
    titre: str
    description: str


@dataclass(frozen=True)
class GeneralExpectationData:
    code: str
    texte: str


@dataclass(frozen=True)
class ExpectedOutputData:
    code: str
    texte: str
    precision: str = ""


@dataclass(frozen=True)
class ObjectiveData:
    code: str
    titre: str
    sous_titre: str
    attendus: tuple[ExpectedOutputData, ...]


@dataclass(frozen=True)
class MissionData:
    code: str
    titre: str
    objectifs: tuple[ObjectiveData, ...]


@dataclass(frozen=True)
class FrameworkData:
    version: str
    titre: str
    source: str
    date_publication: dt.date
    fonctions: tuple[FunctionData, ...]
    spheres: tuple[SphereData, ...]
    attendus_generaux: tuple[GeneralExpectationData, ...]
    missions: tuple[MissionData, ...]

    def objectives(self) -> Iterator[ObjectiveData]:
        for mission in self.missions:
            yield from mission.objectifs

    def expected_outputs(self) -> Iterator[ExpectedOutputData]:
        for objective in self.objectives():
            yield from objective.attendus


# --- Parsing -------------------------------------------------------------------------------

_VERSION_CODE = re.compile(r"[a-z0-9][a-z0-9._-]*", re.ASCII)
_NUMBER = r"[1-9][0-9]*"
_TOP_KEYS = (
    "version",
    "titre",
    "source",
    "date_publication",
    "fonctions",
    "spheres",
    "attendus_generaux",
    "missions",
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_CODE_MAX_LENGTH = Mission._meta.get_field("code").max_length or 20


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loader that rejects duplicate keys and keeps dates as text (checked later)."""

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


def _type_name(value: object) -> str:
    if value is None:
        return "vide"
    if isinstance(value, bool):
        return "un booléen"
    if isinstance(value, int | float):
        return "un nombre"
    if isinstance(value, str):
        return "un texte"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "un dictionnaire"
    return f"une valeur de type {type(value).__name__}"


@dataclass
class _Parser:
    path: Path
    #: code → where it was first seen, across the whole file.
    seen_codes: dict[str, str] = field(default_factory=dict)

    def fail(self, where: str, problem: str) -> NoReturn:
        place = f", {where}" if where else ""
        raise FrameworkFileError(f"fichier « {self.path} »{place} : {problem}")

    # Generic readers ---------------------------------------------------------------------

    def mapping(
        self, value: object, where: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"un dictionnaire est attendu, pas {_type_name(value)}")
        allowed = (*required, *optional)
        for key in value:
            if key not in allowed:
                self.fail(
                    where, f"champ inconnu « {key} » (champs possibles : {', '.join(allowed)})"
                )
        for key in required:
            if key not in value:
                self.fail(where, f"le champ « {key} » est manquant")
        return value

    def text(
        self,
        mapping: dict[str, Any],
        key: str,
        where: str,
        *,
        max_length: int | None = None,
        required: bool = True,
    ) -> str:
        value = mapping.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.fail(where, f"le champ « {key} » doit être un texte, pas {_type_name(value)}")
        value = value.strip()
        if not value:
            self.fail(where, f"le champ « {key} » est vide")
        if max_length is not None and len(value) > max_length:
            self.fail(where, f"le champ « {key} » dépasse {max_length} caractères")
        return value

    def items(self, mapping: dict[str, Any], key: str, where: str) -> list[Any]:
        value = mapping[key]
        if not isinstance(value, list):
            self.fail(where, f"le champ « {key} » doit être une liste, pas {_type_name(value)}")
        if not value:
            self.fail(where, f"la liste « {key} » est vide")
        return value

    def code(
        self, mapping: dict[str, Any], where: str, parent: str, shape: str, pattern: str
    ) -> str:
        """Read ``code``: it must match ``pattern`` (after the parent's code) and be unique."""
        code = self.text(mapping, "code", where, max_length=_CODE_MAX_LENGTH)
        prefix = f"{parent}." if parent else ""
        if not code.startswith(prefix):
            self.fail(
                where,
                f"le code « {code} » ne commence pas par « {prefix} », le code de "
                f"l'élément qui le contient",
            )
        if not re.fullmatch(re.escape(prefix) + pattern, code, re.ASCII):
            self.fail(where, f"le code « {code} » est mal formé (forme attendue : {shape})")
        if code in self.seen_codes:
            self.fail(
                where, f"le code « {code} » est en double (déjà utilisé : {self.seen_codes[code]})"
            )
        self.seen_codes[code] = where
        return code

    def elements[T](
        self,
        container: dict[str, Any],
        key: str,
        where: str,
        label: str,
        build: Callable[[dict[str, Any], str], T],
    ) -> tuple[T, ...]:
        result = []
        for number, raw in enumerate(self.items(container, key, where), start=1):
            here = f"{label} n° {number}"
            if isinstance(raw, dict) and isinstance(raw.get("code"), str):
                here += f" ({raw['code'].strip()})"
            result.append(build(raw, f"{where} › {here}" if where else here))
        return tuple(result)

    # The file ------------------------------------------------------------------------------

    def document(self, raw: object) -> FrameworkData:
        top = self.mapping(raw, "", _TOP_KEYS)
        version = self.text(top, "version", "", max_length=50)
        if not _VERSION_CODE.fullmatch(version):
            self.fail(
                "",
                f"le code de version « {version} » est mal formé (lettres minuscules "
                "sans accent, chiffres, « . », « _ » ou « - », sans espace)",
            )
        return FrameworkData(
            version=version,
            titre=self.text(top, "titre", "", max_length=200),
            source=self.text(top, "source", "", max_length=300),
            date_publication=self.date(top, "date_publication"),
            fonctions=self.elements(top, "fonctions", "", "fonction", self.function),
            spheres=self.elements(top, "spheres", "", "sphère", self.sphere),
            attendus_generaux=self.elements(
                top, "attendus_generaux", "", "attendu général", self.general_expectation
            ),
            missions=self.elements(top, "missions", "", "mission", self.mission),
        )

    def date(self, top: dict[str, Any], key: str) -> dt.date:
        value = top[key]
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            self.fail("", f"le champ « {key} » doit être une date AAAA-MM-JJ, pas « {value} »")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail("", f"la date « {value} » du champ « {key} » n'existe pas")

    def function(self, raw: object, where: str) -> FunctionData:
        item = self.mapping(raw, where, ("code", "titre", "description"))
        return FunctionData(
            code=self.code(item, where, "", "F<numéro>", "F" + _NUMBER),
            titre=self.text(item, "titre", where, max_length=200),
            description=self.text(item, "description", where),
        )

    def sphere(self, raw: object, where: str) -> SphereData:
        item = self.mapping(raw, where, ("code", "titre", "description"))
        return SphereData(
            code=self.code(item, where, "", "S<numéro>", "S" + _NUMBER),
            titre=self.text(item, "titre", where, max_length=200),
            description=self.text(item, "description", where),
        )

    def general_expectation(self, raw: object, where: str) -> GeneralExpectationData:
        item = self.mapping(raw, where, ("code", "texte"))
        return GeneralExpectationData(
            code=self.code(item, where, "", "AG<numéro>", "AG" + _NUMBER),
            texte=self.text(item, "texte", where),
        )

    def mission(self, raw: object, where: str) -> MissionData:
        item = self.mapping(raw, where, ("code", "titre", "objectifs"))
        code = self.code(item, where, "", "M<numéro>", "M" + _NUMBER)
        return MissionData(
            code=code,
            titre=self.text(item, "titre", where),
            objectifs=self.elements(
                item,
                "objectifs",
                where,
                "objectif",
                lambda raw, here: self.objective(raw, here, code),
            ),
        )

    def objective(self, raw: object, where: str, mission: str) -> ObjectiveData:
        item = self.mapping(raw, where, ("code", "titre", "attendus"), ("sous_titre",))
        code = self.code(item, where, mission, f"{mission}.O<numéro>", "O" + _NUMBER)
        return ObjectiveData(
            code=code,
            titre=self.text(item, "titre", where),
            sous_titre=self.text(item, "sous_titre", where, required=False),
            attendus=self.elements(
                item,
                "attendus",
                where,
                "attendu",
                lambda raw, here: self.expected_output(raw, here, code),
            ),
        )

    def expected_output(self, raw: object, where: str, objective: str) -> ExpectedOutputData:
        item = self.mapping(raw, where, ("code", "texte"), ("precision",))
        return ExpectedOutputData(
            code=self.code(item, where, objective, f"{objective}.A<numéro>", "A" + _NUMBER),
            texte=self.text(item, "texte", where),
            precision=self.text(item, "precision", where, required=False),
        )


def parse_framework(path: Path | str) -> FrameworkData:
    """Read and check a référentiel file; nothing is written. Raises :class:`FrameworkFileError`."""
    path = Path(path)
    parser = _Parser(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        parser.fail("", "introuvable")
    except IsADirectoryError:
        parser.fail("", "c'est un dossier, pas un fichier")
    except OSError as error:
        parser.fail("", f"lecture impossible ({error.strerror})")
    except UnicodeDecodeError as error:
        parser.fail("", f"n'est pas encodé en UTF-8 (octet n° {error.start + 1} invalide)")
    try:
        raw = load_yaml(text, _StrictLoader)
    except DocumentError as error:  # too deep, a number too long…
        parser.fail("", str(error))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        problem = " ".join(str(error.problem or error.context or "").split())
        parser.fail(where, f"YAML invalide ({problem})")
    except yaml.YAMLError as error:
        parser.fail("", f"YAML invalide ({' '.join(str(error).split())})")
    return parser.document(raw)


# --- Loading -------------------------------------------------------------------------------


@dataclass
class LoadReport:
    """What :func:`load_framework_with_report` did."""

    version: FrameworkVersion
    version_created: bool
    counts: dict[str, int]  # label → number of elements in the file
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        what = ", ".join(f"{n} {label}" for label, n in self.counts.items())
        action = "créée" if self.version_created else "mise à jour"
        return (
            f"Version « {self.version.code} » du référentiel {action} : {what} ; éléments créés : "
            f"{self.created}, modifiés : {self.updated}, inchangés : {self.unchanged}."
        )


def _sync[M: models.Model](
    report: LoadReport,
    model: type[M],
    existing: dict[str, M],
    wanted: Iterable[tuple[str, dict[str, Any]]],
) -> dict[str, M]:
    """Create or update the rows of ``wanted`` (code → field values); rows keyed by code."""
    rows: dict[str, M] = {}
    to_create: list[M] = []
    to_update: list[M] = []
    changed_fields: set[str] = set()
    for code, values in wanted:
        row = existing.get(code)
        if row is None:
            row = model(code=code, **values)
            to_create.append(row)
        else:
            changed = [name for name, value in values.items() if getattr(row, name) != value]
            for name in changed:
                setattr(row, name, values[name])
            if changed:
                to_update.append(row)
                changed_fields.update(changed)
            else:
                report.unchanged += 1
        rows[code] = row
    if to_create:
        model._default_manager.bulk_create(to_create)
        report.created += len(to_create)
    if to_update:
        model._default_manager.bulk_update(to_update, sorted(changed_fields))
        report.updated += len(to_update)
    return rows


def _by_code[M: models.Model](queryset: models.QuerySet[M]) -> dict[str, M]:
    return {row.code: row for row in queryset}


def load_framework_with_report(path: Path | str = DEFAULT_FRAMEWORK_FILE) -> LoadReport:
    """Load (or reload) the version described by ``path``; see the module's documentation."""
    data = parse_framework(path)
    with transaction.atomic():
        version = FrameworkVersion.objects.select_for_update().filter(code=data.version).first()
        version_created = version is None
        if version is None:
            version = FrameworkVersion.objects.create(
                code=data.version,
                titre=data.titre,
                source=data.source,
                date_publication=data.date_publication,
            )
            existing: list[dict[str, Any]] = [{}, {}, {}, {}, {}, {}]
        else:
            existing = [
                _by_code(Function.objects.filter(version=version)),
                _by_code(CompetenceSphere.objects.filter(version=version)),
                _by_code(GeneralExpectation.objects.filter(version=version)),
                _by_code(Mission.objects.filter(version=version)),
                _by_code(Objective.objects.filter(mission__version=version)),
                _by_code(ExpectedOutput.objects.filter(objective__mission__version=version)),
            ]
            in_file = {
                *(f.code for f in data.fonctions),
                *(s.code for s in data.spheres),
                *(g.code for g in data.attendus_generaux),
                *(m.code for m in data.missions),
                *(o.code for o in data.objectives()),
                *(a.code for a in data.expected_outputs()),
            }
            removed = [code for rows in existing for code in rows if code not in in_file]
            if removed:
                shown = ", ".join(removed[:10]) + (" …" if len(removed) > 10 else "")
                raise FrameworkConflictError(
                    f"fichier « {path} » : la version « {version.code} » est déjà chargée et "
                    f"{len(removed)} de ses éléments ne sont plus dans le fichier ({shown}) ; "
                    "ils ne sont pas supprimés car des données peuvent y faire référence : "
                    "remettez-les dans le fichier, ou chargez-le sous un nouveau code de version"
                )
            version.titre = data.titre
            version.source = data.source
            version.date_publication = data.date_publication
            version.save()

        report = LoadReport(
            version=version,
            version_created=version_created,
            counts={
                "fonctions": len(data.fonctions),
                "sphères": len(data.spheres),
                "attendus généraux": len(data.attendus_generaux),
                "missions": len(data.missions),
                "objectifs": sum(1 for _ in data.objectives()),
                "attendus": sum(1 for _ in data.expected_outputs()),
            },
        )
        functions, spheres, generals, old_missions, old_objectives, old_outputs = existing
        _sync(
            report,
            Function,
            functions,
            (
                (
                    f.code,
                    {
                        "version_id": version.pk,
                        "position": i,
                        "titre": f.titre,
                        "description": f.description,
                    },
                )
                for i, f in enumerate(data.fonctions, start=1)
            ),
        )
        _sync(
            report,
            CompetenceSphere,
            spheres,
            (
                (
                    s.code,
                    {
                        "version_id": version.pk,
                        "position": i,
                        "titre": s.titre,
                        "description": s.description,
                    },
                )
                for i, s in enumerate(data.spheres, start=1)
            ),
        )
        _sync(
            report,
            GeneralExpectation,
            generals,
            (
                (g.code, {"version_id": version.pk, "position": i, "texte": g.texte})
                for i, g in enumerate(data.attendus_generaux, start=1)
            ),
        )
        missions = _sync(
            report,
            Mission,
            old_missions,
            (
                (m.code, {"version_id": version.pk, "position": i, "titre": m.titre})
                for i, m in enumerate(data.missions, start=1)
            ),
        )
        objectives = _sync(
            report,
            Objective,
            old_objectives,
            (
                (
                    o.code,
                    {
                        "mission_id": missions[m.code].pk,
                        "position": i,
                        "titre": o.titre,
                        "sous_titre": o.sous_titre,
                    },
                )
                for m in data.missions
                for i, o in enumerate(m.objectifs, start=1)
            ),
        )
        _sync(
            report,
            ExpectedOutput,
            old_outputs,
            (
                (
                    a.code,
                    {
                        "objective_id": objectives[o.code].pk,
                        "position": i,
                        "texte": a.texte,
                        "precision": a.precision,
                    },
                )
                for o in data.objectives()
                for i, a in enumerate(o.attendus, start=1)
            ),
        )
    return report


def load_framework(path: Path | str = DEFAULT_FRAMEWORK_FILE) -> FrameworkVersion:
    """Load (or reload) a version of the référentiel; returns it. See the module's documentation."""
    return load_framework_with_report(path).version


# --- Reading a version back ----------------------------------------------------------------


@dataclass(frozen=True)
class FrameworkContents:
    """A version's elements, in the document's order, fetched in 6 queries.

    ``missions[i].objectifs.all()`` and ``objective.attendus.all()`` are prefetched.
    """

    version: FrameworkVersion
    fonctions: list[Function]
    spheres: list[CompetenceSphere]
    attendus_generaux: list[GeneralExpectation]
    missions: list[Mission]

    @property
    def objectives(self) -> list[Objective]:
        return [o for m in self.missions for o in m.objectifs.all()]

    @property
    def expected_outputs(self) -> list[ExpectedOutput]:
        return [a for o in self.objectives for a in o.attendus.all()]


def framework_contents(version: FrameworkVersion) -> FrameworkContents:
    order = ("position", "pk")
    return FrameworkContents(
        version=version,
        fonctions=list(Function.objects.filter(version=version).order_by(*order)),
        spheres=list(CompetenceSphere.objects.filter(version=version).order_by(*order)),
        attendus_generaux=list(GeneralExpectation.objects.filter(version=version).order_by(*order)),
        missions=list(
            Mission.objects.filter(version=version)
            .order_by(*order)
            .prefetch_related(
                Prefetch(
                    "objectifs",
                    queryset=Objective.objects.order_by(*order).prefetch_related(
                        Prefetch("attendus", queryset=ExpectedOutput.objects.order_by(*order))
                    ),
                )
            )
        ),
    )


def versions_newest_first() -> models.QuerySet[FrameworkVersion]:
    """All versions, the most recent (by date of publication, then by loading) first."""
    return FrameworkVersion.objects.order_by("-date_publication", "-pk")


def export_framework(version: FrameworkVersion) -> dict[str, Any]:
    """The version as JSON-ready data, in the document's order (6 queries)."""
    contents = framework_contents(version)
    return {
        "version": version.code,
        "source": version.source,
        "fonctions": [
            {"code": f.code, "titre": f.titre, "description": f.description}
            for f in contents.fonctions
        ],
        "spheres": [
            {"code": s.code, "titre": s.titre, "description": s.description}
            for s in contents.spheres
        ],
        "attendus_generaux": [
            {"code": g.code, "texte": g.texte} for g in contents.attendus_generaux
        ],
        "missions": [
            {
                "code": m.code,
                "titre": m.titre,
                "objectifs": [
                    {
                        "code": o.code,
                        "titre": o.titre,
                        "attendus": [{"code": a.code, "texte": a.texte} for a in o.attendus.all()],
                    }
                    for o in m.objectifs.all()
                ],
            }
            for m in contents.missions
        ],
    }
