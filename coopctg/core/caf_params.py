"""One way to read the dated parameters of any Caf, for every family (pure: no Django import).

Each family of parameters (funding and eligibility, governance, bilans and payments, admission
commissions…) keeps its YAML files under its own root folder::

    <racine>/national/       national defaults, each value with its source
    <racine>/caf-41/         what the Caf of Loir-et-Cher sets itself (optional)

A parameter of a Caf is the file of that name in ``caf-<code>/`` when there is one, else the
file of the same name in ``national/``: a Caf overrides a national default file by file, and
a new Caf needs no folder at all (onboarding a Caf is data, not code). Each parameter keeps
the path of the file it was read from (:attr:`~coopctg.core.params.Parameter.source`), so a page
or a document can say whether a value is the Caf's or the national default
(:func:`origin`).

:class:`ParameterFamily` caches what it builds per (root, Caf) in the process and re-reads the
files when one of them changes (file names, sizes and modification times are compared at each
call: a few ``stat`` calls, no reading), so an administrator's change to a YAML file takes
effect without restarting, and a page never re-parses unchanged files. Within
:func:`one_reading` (each web request, :class:`coopctg.core.middleware.ParameterReadingMiddleware`)
the files of a Caf are looked at once: a page over 1 000 bilans of ten Caf walks ten folders,
not a thousand, and reads one version of the parameters from start to end.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import MappingProxyType

from coopctg.core.params import Parameter, ParameterFileError, ParameterSet, load_parameters

NATIONAL = "national"
CAF_CODE = re.compile(r"[0-9A-Za-z]+", re.ASCII)

#: Labels of :func:`origin`.
ORIGIN_CAF = "Caf"
ORIGIN_NATIONAL = "défaut national"

type Signature = tuple[tuple[str, int, int], ...]


def check_caf_code(caf: str) -> str:
    if not CAF_CODE.fullmatch(caf):
        raise ParameterFileError(f"code de Caf invalide : « {caf} » (lettres et chiffres)")
    return caf


def caf_folder(root: Path, caf: str) -> Path:
    return root / f"caf-{check_caf_code(caf)}"


def national_folder(root: Path) -> Path:
    return root / NATIONAL


def has_own_parameters(root: Path, caf: str) -> bool:
    """Whether the Caf has its own folder (some of its parameters override the defaults)."""
    return caf_folder(root, caf).is_dir()


def resolve(root: Path, caf: str, *, label: str = "paramètres") -> ParameterSet:
    """The parameters of Caf ``caf`` under ``root``: its own files, then the national ones.

    Raises :class:`ParameterFileError` (one French sentence naming the file) when a file is
    malformed, or when neither folder exists.
    """
    own = caf_folder(root, caf)
    national = national_folder(root)
    if not own.is_dir() and not national.is_dir():
        raise ParameterFileError(
            f"aucun {label} pour la Caf « {caf} » : ni {own} ni valeurs nationales ({national})"
        )
    merged: dict[str, Parameter] = {}
    if national.is_dir():
        merged.update(load_parameters(national).parameters)
    if own.is_dir():
        merged.update(load_parameters(own).parameters)  # the Caf's file wins
    return ParameterSet(
        folder=own if own.is_dir() else national, parameters=MappingProxyType(merged)
    )


def origin(parameter: Parameter) -> str:
    """« Caf » for a value set by the Caf, « défaut national » for a national default."""
    return ORIGIN_NATIONAL if Path(parameter.source).parent.name == NATIONAL else ORIGIN_CAF


def _folder_entries(folder: Path) -> list[tuple[str, int, int]]:
    """The names, modification times (ns) and sizes of the files below ``folder``, then the
    folder itself (whether it exists)."""
    entries: list[tuple[str, int, int]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            try:
                stat = os.stat(path)
            except OSError:  # removed meanwhile: the next call sees it
                continue
            entries.append((path, stat.st_mtime_ns, stat.st_size))
    entries.append((str(folder), int(folder.is_dir()), 0))
    return entries


def signature(root: Path, caf: str) -> Signature:
    """What changes when a parameter file of the Caf changes: the names, sizes and modification
    times (ns) of the files of its two folders."""
    return tuple(
        entry
        for folder in (national_folder(root), caf_folder(root, caf))
        for entry in _folder_entries(folder)
    )


#: The signatures already taken in the current :func:`one_reading` (None: outside one).
_reading: contextvars.ContextVar[dict[tuple[str, str], Signature] | None] = contextvars.ContextVar(
    "caf_params_reading", default=None
)


@contextlib.contextmanager
def one_reading() -> Iterator[None]:
    """Within the block, the files of each (root, Caf) are looked at once (:func:`signature`):
    a change made meanwhile is seen by the next block (the next request)."""
    token = _reading.set({})
    try:
        yield
    finally:
        _reading.reset(token)


def current_signature(root: Path, caf: str) -> Signature:
    """:func:`signature`, taken once per (root, Caf) within :func:`one_reading`."""
    taken = _reading.get()
    if taken is None:
        return signature(root, caf)
    key = (str(root), caf)
    if key not in taken:
        taken[key] = signature(root, caf)
    return taken[key]


#: Every root folder a family has been read from, or declared by its family
#: (:func:`parameters_signature`).
_roots: set[str] = set()
#: The functions giving each family's root folder (``root=`` of :class:`ParameterFamily`).
_root_functions: list[Callable[[], Path]] = []


def root_signature(root: Path) -> Signature:
    """:func:`signature` of a whole root folder (national defaults and every Caf's files)."""
    return tuple(_folder_entries(root))


def parameters_signature() -> tuple[int, int]:
    """(number of roots, fingerprint): what changes when any parameter file of any Caf changes,
    in every root read so far (a root is known once a family has read it); part of the key of
    the figures kept per Caf (:mod:`coopctg.core.versions`). Taken once per root set within
    :func:`one_reading`."""
    roots = sorted(_roots | {str(root()) for root in _root_functions})
    taken = _reading.get()
    key = ("*", "\n".join(roots))
    if taken is not None and key in taken:
        return len(roots), hash(taken[key])
    value = tuple(root_signature(Path(root)) for root in roots)
    if taken is not None:
        taken[key] = value  # type: ignore[assignment]
    return len(roots), hash(value)


class ParameterFamily[T]:
    """A family of parameters (``build`` checks and converts the resolved set), cached per
    (root, Caf) and re-read when a file changes. Errors are not cached."""

    def __init__(
        self,
        label: str,
        build: Callable[[ParameterSet, str], T],
        root: Callable[[], Path] | None = None,
    ) -> None:
        """``root``: the family's root folder, so that :func:`parameters_signature` covers it
        before it is first read."""
        if root is not None:
            _root_functions.append(root)
        self.label = label
        self._build = build
        self._cache: dict[tuple[str, str], tuple[Signature, T]] = {}
        self._lock = threading.Lock()

    def __call__(self, root: Path, caf: str) -> T:
        check_caf_code(caf)
        key = (str(root), caf)
        _roots.add(str(root))
        current = current_signature(root, caf)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == current:
            return cached[1]
        value = self._build(resolve(root, caf, label=self.label), caf)
        with self._lock:
            self._cache[key] = (current, value)
        return value

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()


def has_any_parameters(root: Path, caf: str) -> bool:
    """Whether the Caf has parameters to read (its own folder, or national defaults): when it
    has and they cannot be read, that is an error to log, not a family left unset."""
    return (CAF_CODE.fullmatch(caf) is not None and caf_folder(root, caf).is_dir()) or (
        national_folder(root).is_dir()
    )


#: ``--caf tout``: every Caf, computed in one process (the national figures).
ALL_CAFS = "tout"
