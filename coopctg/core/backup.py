"""Backup and restore of a whole CoopCTG instance: the database and the documents (MEDIA_ROOT).

``coopctg sauvegarder FICHIER`` and ``coopctg restaurer FICHIER`` call :func:`create_backup` and
:func:`restore_backup`. A Caf cannot afford to lose a signed avenant: the archive holds every
row, byte-identical documents and enough to prove it was not altered.

The archive is a ZIP file:

- ``donnees.jsonl``: every row of every table of the project's apps and of the Django apps that
  hold data (users with their password hashes, groups, permissions, content types, the admin
  log, and the many-to-many link tables, each as its own table). JSON Lines, streamed both
  ways: for each table, a header ``{"modele": "agreements.AgreementVersion", "champs": [...]}``
  (the columns, by attribute name) followed by one JSON array per row, in primary key order.
  Primary keys are kept as they are, so the history (``AuditEntry.objet_id``), the links and
  the URLs stay identical. Date-times keep their microseconds (Django's JSON encoder would cut
  them to milliseconds), decimals are strings, binary is base64.
  Not saved: sessions (a restored instance starts with everybody logged out) and the login
  throttling tables (django-axes', and the per-account delays).
- ``documents/…``: every file under MEDIA_ROOT (signed Cof and avenant PDFs, minutes of the
  instances…), at the same relative path. Files referenced by a ``FileField`` but absent from
  the disk are listed in the manifest (``documents_manquants``) and reported.
- ``manifeste.json``: format version, date, CoopCTG version, database vendor, the applied
  migrations of each app (all of them, not only the last: a restore needs the same schema),
  the row count of each table and the SHA-256 of every other member.
- ``manifeste.sig``: the HMAC-SHA256 of the manifest's exact bytes, with the backup key (see
  :func:`signing_key`). The SHA-256 sums alone only catch corruption: whoever edits
  ``donnees.jsonl`` (a user made superuser, an amount changed) can recompute its sum in the
  manifest. The signature needs the key, which is not in the archive: a manifest, hence a
  member, changed by anyone without the key is refused.

Consistency while the application runs: everything is read in one transaction. On
PostgreSQL it is ``REPEATABLE READ, READ ONLY``: one snapshot for every table, writers are
never blocked. On SQLite the transaction (``BEGIN DEFERRED`` then reads) holds one snapshot
from its first read in WAL mode, the mode the settings give every SQLite database: writers are
never blocked either (nor wait). The documents are copied while that transaction
is still open: a document replaced during the backup is caught unless it is deleted in the
very few milliseconds between the read of its row and its copy (then it is reported missing).
The archive is written to a temporary file next to the target and renamed at the end: a backup
is either complete or absent.

Signature: the key is ``COOPCTG_BACKUP_KEY`` (32 characters at least), else a key derived from
``DJANGO_SECRET_KEY`` with a salt of its own (required in production anyway); the signature
file names which one, and a short fingerprint of the key, so that a refusal can tell "another
key" from "altered". The restore checks the signature first (``hmac.compare_digest``) and
refuses an unsigned archive or a wrong signature, unless the caller explicitly accepts it
(``coopctg restaurer --forcer-sans-signature``, which then warns).

Restore goes into an empty database of the same migration state (``coopctg migrate`` on a new
database): only the content types and permissions created by ``migrate`` may be there — they
are replaced by the archive's, to keep their primary keys. Refused, with nothing written:
a file that is not a ZIP or not a CoopCTG backup, an unsigned or wrongly signed archive (unless
forced), a member whose SHA-256 differs (corruption), a row count that differs from the
manifest, another migration state, a database that is not empty, a document already in
MEDIA_ROOT with another content. The documents are written first
(an identical file already there is kept), then every row is loaded in one transaction and, on
PostgreSQL, the sequences are reset as ``loaddata`` does; if loading fails, the documents just
written are removed. Rows are inserted raw, in batches (``QuerySet._insert(raw=True)``, what
``Model.save_base(raw=True)`` and so ``loaddata`` use), streamed from the archive: the memory
used is that of one batch, whatever the size of the backup (the log of the queries that
``DEBUG`` keeps is emptied after each batch): no ``save()`` override (a signed version
refuses any change), no ``auto_now`` and no signal runs. Foreign keys are created
``DEFERRABLE INITIALLY DEFERRED`` by Django on both databases, so the order of the tables does
not matter inside the transaction: they are checked at commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import tempfile
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.duration import duration_iso_string

from coopctg.core.formats import format_number

FORMAT_NAME = "coopctg-sauvegarde"
FORMAT_VERSION = 1
MANIFEST = "manifeste.json"
SIGNATURE = "manifeste.sig"
SIGNATURE_ALGORITHM = "HMAC-SHA256"
#: The salt of the key derived from DJANGO_SECRET_KEY: used for nothing else.
KEY_SALT = "coopctg.core.backup.signature-du-manifeste"
MIN_KEY_LENGTH = 32
DATA = "donnees.jsonl"
DOCUMENTS = "documents/"
#: Apps whose tables are not saved: sessions, login throttling (django-axes).
EXCLUDED_APPS = frozenset({"sessions", "axes"})
#: Tables not saved: the per-account login delays (coopctg.accounts.throttling) and the
#: versions of each Caf's data (coopctg.core.versions: drawn anew after a restore).
EXCLUDED_MODELS = frozenset({"accounts.LoginDelay", "core.CafDataVersion"})
#: Tables that ``migrate`` fills (post_migrate): present in an "empty" database.
CREATED_BY_MIGRATE = ("contenttypes.ContentType", "auth.Permission")
CHUNK = 2000
BATCH = 500
READ_BLOCK = 64 * 1024  # bounds the memory of the checks (zipfile keeps a few blocks)

#: progress(step, done, total)
Progress = Callable[[str, int, int], None]
READING_DATABASE = "Lecture de la base"
COPYING_DOCUMENTS = "Copie des documents"
CHECKING = "Vérification de l'archive"
WRITING_DOCUMENTS = "Écriture des documents"
LOADING = "Chargement des données"


class BackupError(Exception):
    """The backup or the restore cannot be done; the message is one French sentence."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    rows: int
    documents: int
    size: int
    missing_documents: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"Sauvegarde écrite : {self.path} ({_count(self.rows, 'ligne')}, "
            f"{_count(self.documents, 'document')}, {format_size(self.size)})"
        )


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    rows: int
    documents: int
    taken_at: str
    documents_kept: int = 0
    missing_documents: tuple[str, ...] = field(default=())
    #: Why the signature was not valid, when the restore was forced anyway ("" otherwise).
    unverified_signature: str = ""

    def summary(self) -> str:
        when = ""
        if self.taken_at:
            moment = timezone.localtime(dt.datetime.fromisoformat(self.taken_at))
            when = f", sauvegarde du {moment:%d/%m/%Y à %H:%M}"
        return (
            f"Sauvegarde restaurée : {self.path} ({_count(self.rows, 'ligne')}, "
            f"{_count(self.documents, 'document')}{when})"
        )


def format_size(size: int) -> str:
    """``2_300_000`` → « 2,3 Mo » (decimal units, as file managers show them)."""
    if size < 1_000_000:
        return f"{format_number(Decimal(size) / 1000, 1, trim=True)} ko"
    return f"{format_number(Decimal(size) / 1_000_000, 1, trim=True)} Mo"


def _count(number: int, noun: str) -> str:
    return f"{format_number(number, 0)} {noun}{'s' if number > 1 else ''}"


def saved_models() -> list[type[models.Model]]:
    """Every table saved, link tables of many-to-many fields included, in registry order."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in EXCLUDED_APPS
        and model._meta.label not in EXCLUDED_MODELS
        and model._meta.managed
        and not model._meta.proxy
    ]


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """{app: sorted names of its applied migrations}."""
    recorder = MigrationRecorder(connections[using])
    if not recorder.has_table():
        return {}
    state: dict[str, list[str]] = {}
    for app, name in recorder.applied_migrations():
        state.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(state.items())}


def _version() -> str:
    try:
        return metadata.version("coopctg")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "inconnue"


# --- Values --------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    """JSON for a value that ``json`` does not know (``default=`` hook)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()  # full precision, offset included
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"valeur non sauvegardable : {type(value).__name__}")


def _line(data: Any) -> bytes:
    text = json.dumps(data, default=_encode, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


class _HashingWriter:
    """A ZIP member being written, with its SHA-256 and size."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.sha.update(data)
        self.size += len(data)


# --- Signature -----------------------------------------------------------------------------


def signing_key() -> tuple[bytes, str]:
    """(key, where it comes from): ``COOPCTG_BACKUP_KEY``, else a key derived from
    ``DJANGO_SECRET_KEY`` with :data:`KEY_SALT` (not the secret key itself: a signature made
    with it could be replayed where Django signs with that key)."""
    configured = getattr(settings, "COOPCTG_BACKUP_KEY", "")
    if configured:
        if len(configured) < MIN_KEY_LENGTH:
            raise BackupError(
                f"COOPCTG_BACKUP_KEY est trop courte ({len(configured)} caractères, "
                f"{MIN_KEY_LENGTH} au moins)"
            )
        return configured.encode("utf-8"), "COOPCTG_BACKUP_KEY"
    derived = salted_hmac(KEY_SALT, "clé", secret=settings.SECRET_KEY, algorithm="sha256")
    return derived.digest(), "DJANGO_SECRET_KEY"


def _key_fingerprint(key: bytes) -> str:
    """Tells two keys apart without revealing either."""
    return hmac.new(key, b"coopctg: empreinte de la cle", hashlib.sha256).hexdigest()[:16]


def sign_manifest(manifest: bytes) -> bytes:
    """The content of :data:`SIGNATURE` for the manifest's exact bytes."""
    key, source = signing_key()
    document = {
        "algorithme": SIGNATURE_ALGORITHM,
        "cle": source,
        "empreinte_cle": _key_fingerprint(key),
        "signature": hmac.new(key, manifest, hashlib.sha256).hexdigest(),
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def signature_problem(archive: zipfile.ZipFile, manifest: bytes, source: Path) -> str:
    """Why the manifest's signature is not valid with this instance's key ("" when it is)."""
    try:
        document = json.loads(archive.read(SIGNATURE).decode("utf-8"))
    except KeyError:
        return f"{source} n'est pas signée (pas de {SIGNATURE}) : son origine ne peut être vérifiée"
    except (UnicodeDecodeError, json.JSONDecodeError):
        return f"{source} : signature ({SIGNATURE}) illisible"
    if not isinstance(document, dict) or document.get("algorithme") != SIGNATURE_ALGORITHM:
        return f"{source} : signature ({SIGNATURE}) d'un type inconnu"
    key, source_name = signing_key()
    expected = hmac.new(key, manifest, hashlib.sha256).hexdigest()
    if hmac.compare_digest(expected.encode(), str(document.get("signature", "")).encode()):
        return ""
    fingerprint = str(document.get("empreinte_cle", ""))[:64]
    if fingerprint != _key_fingerprint(key):  # not a secret: a hint for the message
        return (
            f"{source} est signée avec une autre clé (empreinte {fingerprint or 'inconnue'}) "
            f"que celle de cette instance ({source_name}, empreinte {_key_fingerprint(key)}) : "
            "restaurez avec la clé qui l'a signée"
        )
    return f"{source} : signature invalide, le manifeste a été modifié (archive altérée)"


# --- Backup --------------------------------------------------------------------------------


@contextmanager
def _snapshot(using: str) -> Iterator[None]:
    """One read transaction: every table as of the same instant (see the module docstring)."""
    connection = connections[using]
    if connection.in_atomic_block:  # the caller's transaction is the snapshot
        yield
        return
    with ExitStack() as stack:
        if connection.vendor == "sqlite":
            # A read: BEGIN DEFERRED, not the IMMEDIATE of the writers (settings), which
            # would hold the write lock for the whole backup.
            connection.ensure_connection()
            mode, connection.transaction_mode = connection.transaction_mode, "DEFERRED"
            try:
                stack.enter_context(transaction.atomic(using=using))
            finally:
                connection.transaction_mode = mode
        else:
            stack.enter_context(transaction.atomic(using=using))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _media_files(root: Path) -> list[tuple[str, Path]]:
    """(posix relative name, path) of every regular file under ``root``, sorted."""
    found = []
    if root.is_dir():
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                if path.is_file() and not path.is_symlink():
                    found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def create_backup(
    target: str | os.PathLike[str],
    *,
    using: str = DEFAULT_DB_ALIAS,
    progress: Progress | None = None,
    overwrite: bool = False,
) -> BackupReport:
    """Write the backup archive ``target``; see the module docstring."""
    target = Path(target)
    report = progress or (lambda step, done, total: None)
    if target.is_dir():
        raise BackupError(f"{target} est un dossier : indiquez le nom du fichier à écrire")
    if not target.parent.is_dir():
        raise BackupError(f"le dossier {target.parent} n'existe pas")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} existe déjà (--ecraser pour le remplacer)")
    signing_key()  # a key too short is refused before anything is read
    media_root = Path(settings.MEDIA_ROOT)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partiel", dir=target.parent
    )
    os.close(handle)
    try:
        with zipfile.ZipFile(
            temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6
        ) as archive:
            hashes: dict[str, str] = {}
            with _snapshot(using):
                state = migration_state(using)
                counts, referenced = _dump_rows(archive, hashes, using, report)
                documents = _copy_documents(archive, hashes, media_root, report)
            missing = sorted(referenced - set(documents))
            manifest = {
                "format": FORMAT_NAME,
                "version_format": FORMAT_VERSION,
                "date": timezone.now().isoformat(),
                "coopctg": _version(),
                "base": connections[using].vendor,
                "migrations": state,
                "lignes": counts,
                "documents": len(documents),
                "documents_manquants": missing,
                "empreintes": hashes,
            }
            manifest_bytes = json.dumps(
                manifest, ensure_ascii=False, indent=2, sort_keys=True
            ).encode("utf-8")
            archive.writestr(_member_info(MANIFEST), manifest_bytes)
            archive.writestr(_member_info(SIGNATURE), sign_manifest(manifest_bytes))
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return BackupReport(
        path=target,
        rows=sum(counts.values()),
        documents=len(documents),
        size=target.stat().st_size,
        missing_documents=tuple(missing),
    )


def _member_info(name: str) -> zipfile.ZipInfo:
    """A member dated now (``ZipFile.open(name, "w")`` would date it 1980), compressed."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _dump_rows(
    archive: zipfile.ZipFile, hashes: dict[str, str], using: str, report: Progress
) -> tuple[dict[str, int], set[str]]:
    tables = saved_models()
    total = sum(model._base_manager.using(using).count() for model in tables)
    counts: dict[str, int] = {}
    referenced: set[str] = set()
    done = 0
    report(READING_DATABASE, 0, total)
    with archive.open(_member_info(DATA), "w", force_zip64=True) as member:
        out = _HashingWriter(member)
        for model in tables:
            columns = _columns(model)
            names = [f.attname for f in columns]
            files = [i for i, f in enumerate(columns) if isinstance(f, models.FileField)]
            out.write(_line({"modele": model._meta.label, "champs": names}))
            rows = (
                model._base_manager.using(using)
                .order_by("pk")
                .values_list(*names)
                .iterator(chunk_size=CHUNK)
            )
            count = 0
            for row in rows:
                out.write(_line(row))
                referenced.update(row[i] for i in files if row[i])
                count += 1
                if count % CHUNK == 0:
                    connections[using].queries_log.clear()  # see _insert
                    report(READING_DATABASE, done + count, total)
            counts[model._meta.label] = count
            done += count
            report(READING_DATABASE, done, total)
    hashes[DATA] = out.sha.hexdigest()
    return counts, referenced


def _copy_documents(
    archive: zipfile.ZipFile, hashes: dict[str, str], root: Path, report: Progress
) -> list[str]:
    files = _media_files(root)
    report(COPYING_DOCUMENTS, 0, len(files))
    names = []
    for done, (name, path) in enumerate(files, start=1):
        member = DOCUMENTS + name
        try:
            source = path.open("rb")
        except FileNotFoundError:  # deleted since the walk: reported as missing if referenced
            continue
        with source, archive.open(_member_info(member), "w", force_zip64=True) as stream:
            out = _HashingWriter(stream)
            while block := source.read(READ_BLOCK):
                out.write(block)
        hashes[member] = out.sha.hexdigest()
        names.append(name)
        report(COPYING_DOCUMENTS, done, len(files))
    return names


# --- Restore -------------------------------------------------------------------------------


def restore_backup(
    source: str | os.PathLike[str],
    *,
    using: str = DEFAULT_DB_ALIAS,
    progress: Progress | None = None,
    require_signature: bool = True,
) -> RestoreReport:
    """Restore the archive ``source`` into the empty database ``using`` and MEDIA_ROOT.

    An archive whose signature is missing or wrong is refused, unless ``require_signature`` is
    false: then it is restored and the report says why its signature was not valid."""
    source = Path(source)
    report = progress or (lambda step, done, total: None)
    if not source.is_file():
        raise BackupError(f"{source} : fichier introuvable")
    try:
        with zipfile.ZipFile(source) as archive:
            manifest, raw_manifest = _read_manifest(archive, source)
            problem = signature_problem(archive, raw_manifest, source)
            if problem and require_signature:
                raise BackupError(
                    f"{problem} ; rien n'a été restauré (--forcer-sans-signature pour "
                    "restaurer quand même une archive dont vous êtes sûr·e)"
                )
            _check_members(archive, manifest, source, report)
            _check_database(manifest, using)
            media_root = Path(settings.MEDIA_ROOT)
            documents = sorted(
                name for name in manifest["empreintes"] if name.startswith(DOCUMENTS)
            )
            targets = _check_documents(archive, documents, manifest, media_root)
            written = _write_documents(archive, targets, report)
            try:
                rows = _load_rows(archive, manifest, using, report)
            except BaseException:
                for path in written:
                    path.unlink(missing_ok=True)
                raise
            new_versions(using)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise BackupError(f"{source} : archive corrompue ({error})") from error
    return RestoreReport(
        path=source,
        rows=rows,
        documents=len(documents),
        taken_at=str(manifest.get("date", "")),
        documents_kept=len(targets) - len(written),
        missing_documents=tuple(manifest.get("documents_manquants", [])),
        unverified_signature=problem,
    )


def new_versions(using: str) -> None:
    """Fresh versions of every Caf's data (:mod:`coopctg.core.versions`; not saved): nothing
    computed before the restore is read again, and no page has to create them."""
    from coopctg.core.models import CafDataVersion
    from coopctg.core.versions import new_token
    from coopctg.organisations.models import Caf

    CafDataVersion.objects.using(using).bulk_create(
        [
            CafDataVersion(caf_id=pk, jeton=new_token())
            for pk in Caf.objects.using(using).values_list("pk", flat=True).iterator()
        ],
        ignore_conflicts=True,
    )


def _read_manifest(archive: zipfile.ZipFile, source: Path) -> tuple[dict[str, Any], bytes]:
    """The manifest, checked, and its exact bytes (what the signature covers)."""
    try:
        raw = archive.read(MANIFEST)
        manifest = json.loads(raw.decode("utf-8"))
    except KeyError:
        raise BackupError(
            f"{source} n'est pas une sauvegarde CoopCTG (pas de {MANIFEST})"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError(f"{source} : {MANIFEST} illisible, archive corrompue") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BackupError(f"{source} n'est pas une sauvegarde CoopCTG")
    if manifest.get("version_format") != FORMAT_VERSION:
        raise BackupError(
            f"{source} : format de sauvegarde {manifest.get('version_format')} inconnu de "
            f"cette version de CoopCTG (format {FORMAT_VERSION})"
        )
    for key, kind in (("empreintes", dict), ("lignes", dict), ("migrations", dict)):
        if not isinstance(manifest.get(key), kind):
            raise BackupError(f"{source} : {MANIFEST} incomplet ({key})")
    return manifest, raw


def _check_members(
    archive: zipfile.ZipFile, manifest: dict[str, Any], source: Path, report: Progress
) -> None:
    """Every member is listed in the manifest and has its SHA-256; nothing is missing."""
    hashes: dict[str, str] = manifest["empreintes"]
    report(CHECKING, 0, len(hashes))
    present = {info.filename for info in archive.infolist() if not info.is_dir()}
    present -= {MANIFEST, SIGNATURE}
    if DATA not in hashes:
        raise BackupError(f"{source} : {MANIFEST} incomplet ({DATA})")
    if absent := sorted(set(hashes) - present):
        raise BackupError(f"{source} : {absent[0]} manque dans l'archive, archive corrompue")
    if extra := sorted(present - set(hashes)):
        raise BackupError(f"{source} : {extra[0]} n'est pas dans le manifeste, archive altérée")
    for done, name in enumerate(sorted(hashes), start=1):
        if not name == DATA and not _safe_document_name(name):
            raise BackupError(f"{source} : nom de document refusé dans l'archive ({name})")
        sha = hashlib.sha256()
        with archive.open(name) as member:
            while block := member.read(READ_BLOCK):
                sha.update(block)
        if sha.hexdigest() != hashes[name]:
            raise BackupError(
                f"{source} : {name} a été altéré (empreinte SHA-256 différente), "
                "archive corrompue : rien n'a été restauré"
            )
        report(CHECKING, done, len(hashes))


def _safe_document_name(name: str) -> bool:
    if not name.startswith(DOCUMENTS) or "\\" in name:
        return False
    path = PurePosixPath(name[len(DOCUMENTS) :])
    return bool(path.parts) and not path.is_absolute() and ".." not in path.parts


def _check_database(manifest: dict[str, Any], using: str) -> None:
    state = migration_state(using)
    if not state:
        raise BackupError("la base n'est pas créée : lancez d'abord « coopctg migrate »")
    saved = {app: sorted(names) for app, names in manifest["migrations"].items()}
    if saved != state:
        apps_differing = sorted(
            app for app in set(saved) | set(state) if saved.get(app) != state.get(app)
        )
        app = apps_differing[0]
        only_saved = sorted(set(saved.get(app, [])) - set(state.get(app, [])))
        only_here = sorted(set(state.get(app, [])) - set(saved.get(app, [])))
        detail = "; ".join(
            part
            for part in (
                f"{', '.join(only_saved)} dans la sauvegarde seulement" if only_saved else "",
                f"{', '.join(only_here)} dans cette base seulement" if only_here else "",
            )
            if part
        )
        raise BackupError(
            f"la sauvegarde ne correspond pas aux migrations de cette base ({app} : {detail}) ; "
            "restaurez avec la version de CoopCTG qui l'a produite"
        )
    known = {model._meta.label for model in saved_models()}
    if unknown := sorted(set(manifest["lignes"]) - known):
        raise BackupError(f"la sauvegarde contient une table inconnue ici ({unknown[0]})")
    for model in saved_models():
        if model._meta.label in CREATED_BY_MIGRATE:
            continue
        if model._base_manager.using(using).exists():
            raise BackupError(
                f"la base n'est pas vide ({model._meta.verbose_name_plural} : "
                f"{model._meta.label}) : la restauration se fait dans une base neuve, "
                "créée par « coopctg migrate » ; rien n'a été restauré"
            )


def _check_documents(
    archive: zipfile.ZipFile, documents: list[str], manifest: dict[str, Any], root: Path
) -> list[tuple[str, Path]]:
    """(member, destination) of every document; refuses a different file already there."""
    targets = []
    resolved_root = root.resolve()
    for member in documents:
        destination = root / member[len(DOCUMENTS) :]
        if not destination.resolve().is_relative_to(resolved_root):
            raise BackupError(f"nom de document refusé dans l'archive ({member})")
        if destination.exists() and (
            not destination.is_file()
            or _file_sha256(destination) != (manifest["empreintes"][member])
        ):
            raise BackupError(
                f"le document {destination} existe déjà avec un autre contenu : "
                "rien n'a été restauré"
            )
        targets.append((member, destination))
    return targets


def _file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(READ_BLOCK):
            sha.update(block)
    return sha.hexdigest()


def _document_mode() -> int:
    """The mode Django gives an uploaded document (FILE_UPLOAD_PERMISSIONS, else 0644)."""
    from django.conf import settings

    return settings.FILE_UPLOAD_PERMISSIONS or 0o644


def _write_documents(
    archive: zipfile.ZipFile, targets: list[tuple[str, Path]], report: Progress
) -> list[Path]:
    """Write the documents not already there; returns the paths written."""
    written: list[Path] = []
    try:
        for done, (member, destination) in enumerate(targets, start=1):
            report(WRITING_DOCUMENTS, done, len(targets))
            if destination.exists():  # same content (checked)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{destination.name}.", suffix=".partiel", dir=destination.parent
            )
            try:
                with os.fdopen(handle, "wb") as out, archive.open(member) as stream:
                    while block := stream.read(READ_BLOCK):
                        out.write(block)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(temporary, _document_mode())  # mkstemp makes it 0600
                os.replace(temporary, destination)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            written.append(destination)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def _load_rows(
    archive: zipfile.ZipFile, manifest: dict[str, Any], using: str, report: Progress
) -> int:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.models import Session

    connection = connections[using]
    expected: dict[str, int] = manifest["lignes"]
    total = sum(expected.values())
    counts: dict[str, int] = {}
    loaded: list[type[models.Model]] = []
    done = 0
    report(LOADING, 0, total)
    with transaction.atomic(using=using):
        # What « migrate » created is replaced by the archive's rows (same primary keys); no
        # session survives (a restored account must log in again).
        Session.objects.using(using).all().delete()
        Permission.objects.using(using).all().delete()
        ContentType.objects.using(using).all().delete()
        with archive.open(DATA) as member:
            model: type[models.Model] | None = None
            columns: list[models.Field] = []
            batch: list[models.Model] = []
            for raw in io.TextIOWrapper(member, encoding="utf-8"):
                data = json.loads(raw)
                if isinstance(data, dict):
                    if model is not None:
                        _insert(model, columns, batch, using)
                        done += len(batch)
                        batch = []
                    model, columns = _table(data)
                    loaded.append(model)
                    counts[model._meta.label] = 0
                    continue
                if model is None or len(data) != len(columns):
                    raise BackupError(f"{DATA} : ligne invalide, archive corrompue")
                batch.append(_instance(model, columns, data))
                counts[model._meta.label] += 1
                if len(batch) >= BATCH:
                    _insert(model, columns, batch, using)
                    done += len(batch)
                    batch = []
                    report(LOADING, done, total)
            if model is not None:
                _insert(model, columns, batch, using)
                done += len(batch)
        if counts != expected:
            differing = sorted(
                label
                for label in set(counts) | set(expected)
                if counts.get(label) != expected.get(label)
            )
            raise BackupError(
                f"{DATA} ne contient pas les lignes annoncées par le manifeste "
                f"({differing[0]}), archive corrompue : rien n'a été restauré"
            )
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(statement)
    ContentType.objects.clear_cache()
    report(LOADING, done, total)
    return done


def _table(header: dict[str, Any]) -> tuple[type[models.Model], list[models.Field]]:
    label = header.get("modele")
    try:
        model = apps.get_model(str(label))
    except (LookupError, ValueError):
        raise BackupError(f"{DATA} : table inconnue ({label})") from None
    columns = _columns(model)
    if header.get("champs") != [f.attname for f in columns]:
        raise BackupError(
            f"{DATA} : les colonnes de {label} ne sont pas celles de cette version de CoopCTG"
        )
    return model, columns


def _instance(
    model: type[models.Model], columns: list[models.Field], values: list[Any]
) -> models.Model:
    obj: models.Model = object.__new__(model)  # no __init__: no signal, no default
    obj._state = models.base.ModelState()
    obj._state.adding = False
    for column, value in zip(columns, values, strict=True):
        obj.__dict__[column.attname] = None if value is None else column.to_python(value)
    return obj


def _insert(
    model: type[models.Model], columns: list[models.Field], batch: list[models.Model], using: str
) -> None:
    if not batch:
        return
    connection = connections[using]
    size = max(1, min(BATCH, connection.ops.bulk_batch_size(columns, batch)))
    for start in range(0, len(batch), size):
        model._base_manager.using(using)._insert(
            batch[start : start + size], fields=columns, raw=True, using=using
        )
    # With DJANGO_DEBUG=1 Django keeps the text of the last 9 000 queries: 9 000 inserts of
    # whole batches, hundreds of megabytes for a national backup. Memory stays bounded by one
    # batch (tests/core/test_backup_memory.py).
    connection.queries_log.clear()
