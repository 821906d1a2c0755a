"""Versions of each Caf's data, and the figures kept in memory until they change.

What the national analyst reads (every Caf's figures, every Caf's deadlines) is computed from
thousands of rows; recomputing it at each page view makes the page grow with France. So each
Caf has a **data version** (:class:`~coopctg.core.models.CafDataVersion`), a random token drawn
anew by every write that touches the Caf, and :class:`PerCafMemo` keeps a computed value per
Caf in the process under that token: a Caf whose data did not change is not recomputed; a write
in one Caf recomputes that Caf only.

Every write is seen, whatever its path:

- a model saved or deleted (``post_save``, ``pre_delete``) draws a new token for its Caf,
  found through its foreign keys (:func:`caf_path`: ``collectivite → caf``, ``ctg → caf``…;
  one ``UPDATE … WHERE caf_id IN (SELECT …)``);
- any other write to a table of the application's data (``QuerySet.update()``,
  ``bulk_create()``, many-to-many links, raw SQL), and a save of a model with no way to its
  Caf (the référentiel, the territories), draws a new token for **every** Caf: it is seen
  by a wrapper of the database connection (:func:`_watch_writes`), so no code path can forget
  it. A module that knows the Caf of such a write says so with :func:`writing_for`, and only
  that Caf is recomputed.

The token is random, not a counter: a value kept under a token was computed from the data as
they were under that token, even after a rollback brings an older token back (tests) or a
restore (the tokens are not saved: :mod:`coopctg.core.backup` leaves them out, new ones are
drawn). The parameters (YAML files) and the day are part of each key
(:func:`coopctg.core.caf_params.parameters_signature`).
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import re
import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from functools import cache
from typing import Any

from django.apps import apps
from django.db import connections, models, transaction
from django.db.models.signals import (
    m2m_changed,
    post_migrate,
    post_save,
    pre_delete,
    pre_migrate,
    pre_save,
)

#: The apps whose data feed computed figures. Accounts, API tokens, notifications, generated
#: documents, history and these versions themselves do not.
TRACKED_APPS = frozenset(
    {
        "actionplan",
        "agreements",
        "ctg",
        "diagnostic",
        "framework",
        "funding",
        "governance",
        "indicators",
        "organisations",
        "participation",
        "partners",
        "recruitment",
        "reports",
        "territories",
    }
)
#: Tables of those apps that feed no figure: the marks against abusive submissions of the
#: public questionnaires (any visitor writes them), the history of replaced indicator values.
UNTRACKED_MODELS = frozenset({"participation.ThrottleMark", "indicators.TerritorialValueHistory"})
#: How far :func:`caf_path` looks through foreign keys.
MAX_DEPTH = 4

_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)
_KEYWORD = re.compile(r"\s*([A-Za-z]+)")
_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Statements that write nothing (a CTE, « WITH », may write: it counts as a write).
_READS = frozenset(
    {
        "SELECT",
        "SAVEPOINT",
        "RELEASE",
        "ROLLBACK",
        "BEGIN",
        "COMMIT",
        "SET",
        "SHOW",
        "PRAGMA",
        "EXPLAIN",
        "VALUES",
        "DECLARE",
        "FETCH",
        "CLOSE",
    }
)


def new_token() -> str:
    return secrets.token_hex(16)


def _version_model() -> type[models.Model]:
    return apps.get_model("core", "CafDataVersion")


def _caf_model() -> type[models.Model]:
    return apps.get_model("organisations", "Caf")


def tracked(model: type[models.Model]) -> bool:
    return model._meta.app_label in TRACKED_APPS and model._meta.label not in UNTRACKED_MODELS


@cache
def caf_path(model: type[models.Model]) -> tuple[str, ...] | None:
    """The shortest chain of foreign keys from ``model`` to its Caf (field names), ``()`` for
    the Caf itself, None when there is none (the Caf of a row cannot be told)."""
    caf = _caf_model()
    if model is caf:
        return ()
    queue: list[tuple[type[models.Model], tuple[str, ...]]] = [(model, ())]
    seen = {model}
    while queue:
        current, path = queue.pop(0)
        if len(path) >= MAX_DEPTH:
            continue
        for field in current._meta.concrete_fields:
            if not field.is_relation or not (field.many_to_one or field.one_to_one):
                continue
            target = field.related_model
            if target is caf:
                return (*path, field.name)
            if target not in seen and tracked(target):
                seen.add(target)
                queue.append((target, (*path, field.name)))
    return None


@cache
def tracked_tables() -> frozenset[str]:
    """Tables of the tracked apps, their many-to-many links included."""
    return frozenset(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if tracked(model)
    )


# --- Drawing new tokens -------------------------------------------------------------------------

#: Set by :func:`writing_for`: the Caf of the writes of the block.
_attributed: contextvars.ContextVar[frozenset[int] | None] = contextvars.ContextVar(
    "versions_attributed", default=None
)
_bumping: contextvars.ContextVar[bool] = contextvars.ContextVar("versions_bumping", default=False)
#: While ``migrate`` runs: the table of the versions may not exist yet (new tokens for every Caf
#: once it is done).
_migrating = threading.Event()

#: Django's functions whose statements a signal already reports with the Caf, and which
#: statements: a model saved, rows deleted by the collector (its UPDATE of the links set to
#: NULL is not reported: every Caf), many-to-many links added or removed.
_SIGNALLED = {
    ("base.py", "_save_table"): frozenset({"INSERT", "UPDATE"}),
    ("deletion.py", "delete"): frozenset({"DELETE"}),
    ("related_descriptors.py", "_add_items"): frozenset({"INSERT"}),
    ("related_descriptors.py", "_remove_items"): frozenset({"DELETE"}),
}
_DJANGO_MODELS = "/django/db/models/"
#: From the connection's wrapper to Django's function that runs the statement (a few frames:
#: a write made deeper, from a receiver of another signal, is not taken for the signalled one).
MAX_FRAMES = 16


def _signalled(keyword: str) -> bool:
    """Whether the statement being run comes from one of :data:`_SIGNALLED`."""
    frame = sys._getframe(2)
    depth = 0
    while frame is not None and depth < MAX_FRAMES:
        code = frame.f_code
        filename = code.co_filename.replace("\\", "/")
        if _DJANGO_MODELS in filename:
            kinds = _SIGNALLED.get((filename.rsplit("/", 1)[-1], code.co_name))
            if kinds is not None:
                return keyword in kinds
        frame = frame.f_back
        depth += 1
    return False


def in_transaction(using: str = "default") -> bool:
    """Whether a transaction of the application is open. Not the one a test case wraps each
    test in (never committed): in tests, tokens are drawn at once."""
    connection = connections[using]
    return connection.in_atomic_block and not any(
        block._from_testcase for block in connection.atomic_blocks
    )


def _versions(using: str) -> models.QuerySet:
    return _version_model()._default_manager.using(using)


def _draw_now(rows: models.QuerySet) -> None:
    if _migrating.is_set():
        return
    token = _bumping.set(True)
    try:
        rows.update(jeton=new_token())
    finally:
        _bumping.reset(token)


class _Pending:
    """The Caf touched by the open transaction: their new tokens are drawn once, in one
    statement, when it commits (``on_commit``, robust: a failing hook of another module does
    not skip it). A rolled-back transaction drops it: nothing changed."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.ids: set[int] = set()
        self.every = False
        self.resolved: dict[tuple[Any, ...], list[int]] = {}

    def __call__(self) -> None:
        if self.every:
            _draw_now(_versions(self.using).all())
        elif self.ids:
            _draw_now(_versions(self.using).filter(caf_id__in=sorted(self.ids)))


def _pending(using: str) -> _Pending | None:
    """The draws waiting for the open transaction to commit; None outside one (draw at once).
    The row of the versions is then locked for an instant only, never for the length of a
    transaction: two writers of a Caf do not wait for each other. Between a commit and its
    draw, a reader may keep the new data under the old token: the next reader sees the new
    token and computes again."""
    if not in_transaction(using):
        return None
    connection = connections[using]
    pending = getattr(connection, "_coopctg_versions", None)
    if pending is None or not any(entry[1] is pending for entry in connection.run_on_commit):
        pending = _Pending(using)  # the first write of this transaction (or after a rollback)
        connection._coopctg_versions = pending
        transaction.on_commit(pending, using=using, robust=True)
    return pending


def touch_all(using: str = "default") -> None:
    """Every Caf's data may have changed."""
    pending = _pending(using)
    if pending is None:
        _draw_now(_versions(using).all())
    else:
        pending.every = True


def touch(caf_ids: Iterable[int], using: str = "default") -> None:
    ids = {int(pk) for pk in caf_ids if pk is not None}
    if not ids:
        return
    pending = _pending(using)
    if pending is None:
        _draw_now(_versions(using).filter(caf_id__in=sorted(ids)))
    else:
        pending.ids |= ids


def _cafs_of(model: type[models.Model], field: str, values: Iterable[Any], using: str) -> list[int]:
    """The Caf of the rows of ``model`` whose ``field`` is one of ``values`` (one query, once
    per transaction)."""
    path = caf_path(model)
    if path is None:
        return []
    values = frozenset(values)
    pending = _pending(using)
    key = (model, field, values)
    if pending is not None and key in pending.resolved:
        return pending.resolved[key]
    found = list(
        model._default_manager.using(using)
        .filter(**{f"{field}__in": values})
        .values_list("__".join((*path, "pk")), flat=True)
        .distinct()
    )
    if pending is not None:
        pending.resolved[key] = found
    return found


def touch_instance(instance: models.Model, using: str = "default") -> None:
    """The Caf of a saved row (through its foreign keys), or every Caf when it has none."""
    path = caf_path(type(instance))
    if path is None:
        touch_all(using)
        return
    if not path:
        touch([instance.pk], using)
        return
    first = type(instance)._meta.get_field(path[0])
    value = getattr(instance, first.attname)
    if value is None:
        return  # not linked to a Caf (an optional link left empty)
    if len(path) == 1 and first.target_field.primary_key:
        touch([value], using)
        return
    # The Caf through the links, read now (a row about to be deleted is still there).
    touch(_cafs_of(first.related_model, first.target_field.attname, [value], using), using)


@contextlib.contextmanager
def writing_for(caf_ids: Iterable[int] = (), *, row: models.Model | None = None) -> Iterator[None]:
    """The writes of the block that no signal sees (``update()``, ``bulk_create()``…) touch
    these Caf only, or the Caf of ``row`` (through its foreign keys), not every Caf."""
    ids = frozenset(int(pk) for pk in caf_ids)
    token = _attributed.set(ids)
    try:
        yield
    finally:
        _attributed.reset(token)
    touch(ids)
    if row is not None:
        touch_instance(row)


def _saving(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """A row moved to another Caf (its direct link changed): the Caf it leaves too."""
    if kwargs.get("raw") or instance._state.adding or instance.pk is None:
        return
    path = caf_path(sender)
    if not path or len(path) != 1:
        return
    first = sender._meta.get_field(path[0])
    fields = kwargs.get("update_fields")
    if fields is not None and first.name not in fields and first.attname not in fields:
        return
    using = kwargs["using"]
    before = (
        sender._base_manager.using(using)
        .filter(pk=instance.pk)
        .values_list(first.attname, flat=True)
        .first()
    )
    if before is not None and before != getattr(instance, first.attname):
        if first.target_field.primary_key:
            touch([before], using)
        else:
            touch(_cafs_of(_caf_model(), first.target_field.attname, [before], using), using)


def _saved(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    using = kwargs["using"]
    if kwargs.get("raw"):  # loaddata: the links may not be there yet
        touch_all(using)
        return
    if sender is _caf_model() and kwargs.get("created"):
        _versions(using).get_or_create(caf_id=instance.pk, defaults={"jeton": new_token()})
        return
    touch_instance(instance, using)


def _deleting(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """Before the rows go, while the Caf of the row is still reachable."""
    touch_instance(instance, kwargs["using"])


def _linked(sender: Any, instance: models.Model, action: str, **kwargs: Any) -> None:
    """Many-to-many links added, removed or cleared: the Caf of the row they hang from, and
    those of the rows linked or unlinked."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    using = kwargs["using"]
    if tracked(type(instance)):
        touch_instance(instance, using)
    model, pks = kwargs.get("model"), kwargs.get("pk_set")
    if model is not None and pks and tracked(model):
        touch(_cafs_of(model, "pk", pks, using), using)


def _watch_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
    result = execute(sql, params, many, context)
    if _bumping.get() or _attributed.get() is not None:
        return result  # attributed writes: touched once at the end of :func:`writing_for`
    text = _COMMENTS.sub(" ", sql)
    keyword = _KEYWORD.match(text)
    word = keyword.group(1).upper() if keyword else ""
    if word in _READS:
        return result
    if tracked_tables().isdisjoint(_NAMES.findall(text)):
        return result
    if not _signalled(word):
        touch_all(context["connection"].alias)
    return result


def _migration_starts(**kwargs: Any) -> None:
    _migrating.set()


def _migration_ends(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Once ``migrate`` is done (its last signal, for this app): new tokens for every Caf, the
    data migrations may have changed anything."""
    _migrating.clear()
    if getattr(sender, "name", "") != "coopctg.core":
        return
    table = _version_model()._meta.db_table
    if table in connections[using].introspection.table_names():
        touch_all(using)


def _install_wrapper(sender: Any, connection: Any, **kwargs: Any) -> None:
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


def connect() -> None:
    """Called once by :class:`coopctg.core.apps.CoreConfig`: the signals of the tracked models
    only (the others keep Django's fast deletes), the wrapper of every connection."""
    from django.db.backends.signals import connection_created

    for model in apps.get_models():
        if tracked(model):
            label = model._meta.label_lower
            pre_save.connect(_saving, sender=model, dispatch_uid=f"versions_saving_{label}")
            post_save.connect(_saved, sender=model, dispatch_uid=f"versions_saved_{label}")
            pre_delete.connect(_deleting, sender=model, dispatch_uid=f"versions_del_{label}")
    m2m_changed.connect(_linked, dispatch_uid="versions_linked")
    pre_migrate.connect(_migration_starts, dispatch_uid="versions_migration_starts")
    post_migrate.connect(_migration_ends, dispatch_uid="versions_migration_ends")
    connection_created.connect(_install_wrapper, dispatch_uid="versions_wrapper")
    for existing in connections.all(initialized_only=True):
        _install_wrapper(None, existing)


# --- Reading tokens, keeping values --------------------------------------------------------------


def caf_ids() -> list[int]:
    """Every Caf."""
    return list(_caf_model()._default_manager.values_list("pk", flat=True))


def tokens(caf_ids: Iterable[int]) -> dict[int, str]:
    """{Caf pk: its token} (one query; a Caf without one gets one)."""
    ids = sorted(set(caf_ids))
    model = _version_model()
    found = dict(model._default_manager.filter(caf_id__in=ids).values_list("caf_id", "jeton"))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        existing = set(
            _caf_model()._default_manager.filter(pk__in=missing).values_list("pk", flat=True)
        )
        rows = [model(caf_id=pk, jeton=new_token()) for pk in missing if pk in existing]
        model._default_manager.bulk_create(rows, ignore_conflicts=True)
        found.update(
            model._default_manager.filter(caf_id__in=missing).values_list("caf_id", "jeton")
        )
    return found


#: Every :class:`PerCafMemo` of the process (:func:`forget_all`).
_MEMOS: list[PerCafMemo] = []


def forget_all() -> None:
    """Every kept value dropped (tests counting the queries of a computation)."""
    for memo in _MEMOS:
        memo.clear()


class PerCafMemo:
    """Values computed per Caf, kept in the process under (Caf, its token, a key): the most
    recent ``size`` only."""

    def __init__(self, name: str, size: int = 512) -> None:
        _MEMOS.append(self)
        self.name = name
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # Caf values computed since the start (tests, the benchmark)

    def get(
        self,
        caf_ids: Iterable[int],
        key: Hashable,
        compute: Callable[[list[int]], dict[int, Any]],
    ) -> dict[int, Any]:
        """{Caf pk: value} for ``caf_ids``: kept values whose Caf did not change, the others
        computed together by ``compute(missing Caf pks)``. One query when nothing changed;
        a value is kept only when its Caf's token was the same before and after computing
        (a write meanwhile: computed again next time). Inside a transaction of the
        application, everything is computed (its writes get new tokens at its commit)."""
        from coopctg.core.caf_params import parameters_signature

        ids = list(dict.fromkeys(caf_ids))
        if not ids:
            return {}
        if in_transaction():  # its own writes are not in the tokens until it commits
            return compute(ids)
        signature = parameters_signature()
        before = tokens(ids)
        found: dict[int, Any] = {}
        missing = []
        with self._lock:
            for pk in ids:
                entry = (pk, before.get(pk), key, signature)
                if before.get(pk) is not None and entry in self._values:
                    self._values.move_to_end(entry)
                    found[pk] = self._values[entry]
                else:
                    missing.append(pk)
        if not missing:
            return found
        computed = compute(missing)
        self.computed += len(missing)
        after = tokens(missing)
        # Parameters first read while computing (a new root: the signature counts more roots)
        # are part of the key from now on; a file changed meanwhile: nothing kept.
        signed = parameters_signature()
        if signed[0] == signature[0] and signed != signature:
            return {**found, **computed}
        with self._lock:
            for pk in missing:
                if pk in computed and before.get(pk) is not None and before[pk] == after.get(pk):
                    self._values[(pk, before[pk], key, signed)] = computed[pk]
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        found.update(computed)
        return found

    def one(self, caf_id: int, key: Hashable, compute: Callable[[], Any]) -> Any:
        """:meth:`get` for one Caf: its value, computed by ``compute()`` when not kept."""
        return self.get([caf_id], key, lambda _: {caf_id: compute()})[caf_id]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def whole_cafs(pairs: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """From the (collectivité pk, Caf pk) pairs in a person's view: (the Caf every collectivité
    of which is in view, the collectivités in view of the other Caf). One query."""
    pairs = list(pairs)
    per_caf: dict[int, int] = {}
    for _, caf_id in pairs:
        per_caf[caf_id] = per_caf.get(caf_id, 0) + 1
    if not per_caf:
        return [], []
    sizes = (
        apps.get_model("organisations", "LocalAuthority")
        ._default_manager.filter(caf_id__in=list(per_caf))
        .values("caf_id")
        .annotate(count=models.Count("id"))
        .order_by("caf_id")
    )
    whole = sorted(row["caf_id"] for row in sizes if row["count"] == per_caf[row["caf_id"]])
    kept = set(whole)
    return whole, [pk for pk, caf_id in pairs if caf_id not in kept]


def by_collectivite_name(row: Any) -> tuple[str, int]:
    """The order of rows about a collectivité (``row.collectivite``): by name, then pk."""
    return (row.collectivite.nom, row.collectivite.pk)


def rows_in_view(
    collectivites: models.QuerySet,
    memo: PerCafMemo,
    key: Hashable,
    *,
    whole: Callable[[list[int]], dict[int, list[Any]]],
    partial: Callable[[list[tuple[int, int]], list[int]], list[Any]],
    order: Callable[[Any], Any],
) -> list[Any]:
    """The rows (already sorted by ``order``) about the collectivités in a person's view: for
    each Caf wholly in view, its rows kept in ``memo`` under ``key`` (``whole(missing Caf
    pks)`` computes them); for the others, ``partial(pairs, collectivité pks)``; merged."""
    pairs = list(collectivites.values_list("pk", "caf_id"))
    cafs, others = whole_cafs(pairs)
    lists = [partial(pairs, others)] if others else []
    if cafs:
        kept = memo.get(cafs, key, whole)
        lists += [kept[pk] for pk in cafs]
    return list(lists[0]) if len(lists) == 1 else list(heapq.merge(*lists, key=order))
