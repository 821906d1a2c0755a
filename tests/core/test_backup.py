"""``coopctg sauvegarder`` / ``coopctg restaurer``: a backup restored into an empty database gives
back every row (Cof, versions, history, users, memberships…) and every document, identical.

Runs on SQLite and, with DATABASE_URL set, on PostgreSQL.
"""

import datetime as dt
import hashlib
import io
import json
import threading
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections

from coopctg.accounts.models import User
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.agreements.services import ensure_document
from coopctg.core.backup import (
    DATA,
    MANIFEST,
    READING_DATABASE,
    SIGNATURE,
    BackupError,
    create_backup,
    format_size,
    restore_backup,
    saved_models,
    sign_manifest,
)
from coopctg.core.models import AuditEntry, CafDataVersion
from coopctg.governance.models import Meeting
from coopctg.governance.services import save_meeting
from tests.agreements.helpers import build_agreements
from tests.factories import StaffMemberFactory, build_touraine

MINUTES = b"%PDF-1.4\n% compte rendu du Copil\n" + bytes(range(256)) * 4


def build_world():
    """The Touraine world, its Cof with a signed avenant whose PDF is produced, a Copil with its
    minutes, a group with permissions (links to content types and permissions)."""
    w = build_agreements(build_touraine())
    ensure_document(w.version_own_1.pk)
    w.version_own_1.refresh_from_db()
    assert w.version_own_1.document.name.endswith(".pdf")
    staff = StaffMemberFactory(caf=w.caf)
    w.meeting = save_meeting(
        w.admin,
        Meeting(ctg=w.ctg_own, kind="copil", date=dt.date(2023, 3, 14), lieu="Tours"),
        participants_caf=[staff],
        decisions=[],
        minutes=SimpleUploadedFile("CR Copil.pdf", MINUTES, content_type="application/pdf"),
    )
    group = Group.objects.create(name="Relecteurs")
    group.permissions.set(Permission.objects.filter(codename__startswith="view_")[:3])
    w.admin.groups.add(group)
    return w


def database_state():
    """Every row of every saved table, in primary key order."""
    return {
        model._meta.label: list(
            model._base_manager.order_by("pk").values_list(
                *[f.attname for f in model._meta.local_concrete_fields]
            )
        )
        for model in saved_models()
    }


def read(field_file) -> bytes:
    with field_file.open("rb") as stream:
        return stream.read()


def media_state():
    root = Path(settings.MEDIA_ROOT)
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def rows_outside_migrate():
    return {
        label: rows
        for label, rows in database_state().items()
        if label not in {"contenttypes.ContentType", "auth.Permission"} and rows
    }


def empty_database():
    """Inside the test's transaction: every row deleted but what « migrate » creates (foreign
    keys are checked at commit, which never comes); the versions of the Caf data, not saved,
    go with their Caf."""
    CafDataVersion.objects.all()._raw_delete(connections["default"].alias)
    for model in saved_models():
        if model._meta.label not in {"contenttypes.ContentType", "auth.Permission"}:
            model._base_manager.all()._raw_delete(connections["default"].alias)


def run(name, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(capsys, name, *args):
    """Run a command expected to fail: exit status 2, one French line; returns that line."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        run(name, *args)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("Erreur : ") and error.count("\n") == 1
    return error


def rewrite(source: Path, target: Path, member: str, change, *, sign=False) -> None:
    """Copy the archive ``source`` to ``target`` with ``member``'s bytes changed (manifest kept).
    ``sign``: the (changed) manifest is signed again with this instance's key, as only the
    key's holder can."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        members = {info.filename: old.read(info.filename) for info in old.infolist()}
        members[member] = change(members[member])
        if sign:
            members[SIGNATURE] = sign_manifest(members[MANIFEST])
        for info in old.infolist():
            new.writestr(info, members[info.filename])


def flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


@pytest.mark.django_db(transaction=True)
def test_backup_restored_into_an_empty_database_is_identical(tmp_path, capsys):
    w = build_world()
    archive = tmp_path / "sauvegarde.zip"
    out, _err = run("sauvegarder", archive)
    rows_before = database_state()
    history_before = list(AuditEntry.objects.order_by("pk").values())
    assert any(entry["horodatage"].microsecond for entry in history_before)
    media_before = media_state()
    pdf_before = read(w.version_own_1.document)
    assert pdf_before.startswith(b"%PDF")
    total = sum(len(rows) for rows in rows_before.values())
    assert out.startswith(f"Sauvegarde écrite : {archive} (")
    assert out.rstrip().endswith(f"2 documents, {format_size(archive.stat().st_size)})")
    assert f"{total:,}".replace(",", "\u202f") + " lignes" in out
    assert sorted(media_before) == sorted(
        [w.version_own_1.document.name, w.meeting.compte_rendu.name]
    )
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        assert manifest["lignes"]["agreements.AgreementVersion"] == 3
        assert "sessions.Session" not in manifest["lignes"]
        assert "axes.AccessAttempt" not in manifest["lignes"]
        assert "accounts.LoginDelay" not in manifest["lignes"]
        assert zf.read(f"documents/{w.version_own_1.document.name}") == pdf_before
    assert manifest["migrations"]["agreements"][0] == "0001_initial"

    # A new database: what « migrate » leaves (content types, permissions), no documents.
    call_command("flush", interactive=False, verbosity=0)
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()
    assert rows_outside_migrate() == {}

    # A corrupted archive (one byte of the data changed) is refused, nothing is written.
    corrupted = tmp_path / "alteree.zip"
    rewrite(archive, corrupted, DATA, flip_one_byte)
    error = refused(capsys, "restaurer", corrupted)
    assert "donnees.jsonl a été altéré" in error
    assert rows_outside_migrate() == {} and media_state() == {}

    out, _err = run("restaurer", archive)
    assert out.startswith(f"Sauvegarde restaurée : {archive} (")
    assert "2 documents, sauvegarde du " in out

    assert database_state() == rows_before
    assert media_state() == media_before
    # The versions of each Caf's data are not saved: new ones, drawn by the restore.
    assert CafDataVersion.objects.count() == len(rows_before["organisations.Caf"]) > 0
    # Readable by the web server as an upload would be (mkstemp alone gives 0600).
    modes = {p.stat().st_mode & 0o777 for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}
    assert modes == {settings.FILE_UPLOAD_PERMISSIONS or 0o644}
    version = AgreementVersion.objects.get(pk=w.version_own_1.pk)
    assert read(version.document) == pdf_before
    assert version.is_signed and version.ventilation == w.version_own_1.ventilation
    assert FundingAgreement.objects.get(numero="COF-37-2022-901").versions.count() == 2
    history = AuditEntry.objects.filter(
        objet_type="agreements.agreementversion", objet_id=str(w.version_own_1.pk)
    )
    assert history.get().action == "creation"
    assert list(AuditEntry.objects.order_by("pk").values()) == history_before
    meeting = Meeting.objects.get(pk=w.meeting.pk)
    assert read(meeting.compte_rendu) == MINUTES
    assert meeting.participants_caf.count() == 1
    admin = type(w.admin).objects.get(pk=w.admin.pk)
    assert admin.password == w.admin.password and admin.check_password("x") is False
    assert admin.groups.get().permissions.count() == 3
    assert admin.memberships.count() == w.admin.memberships.count() >= 1

    # The sequences follow the restored rows: new rows get new keys.
    entry = AuditEntry.objects.create(
        action="creation", objet_type="test", objet_id="1", objet_libelle="après restauration"
    )
    assert entry.pk > max(row[0] for row in rows_before["core.AuditEntry"])

    # A second restore is refused: the database is no longer empty.
    error = refused(capsys, "restaurer", archive)
    assert "la base n'est pas vide" in error


@pytest.mark.django_db
def test_restore_into_a_non_empty_database_is_refused_and_changes_nothing(tmp_path, capsys):
    build_agreements(build_touraine())
    archive = tmp_path / "sauvegarde.zip"
    create_backup(archive)
    before = database_state()
    error = refused(capsys, "restaurer", archive)
    assert "la base n'est pas vide" in error and "rien n'a été restauré" in error
    assert database_state() == before
    assert media_state() == {}


@pytest.mark.django_db
def test_invalid_archives_are_refused(tmp_path, capsys):
    build_touraine()
    archive = tmp_path / "sauvegarde.zip"
    create_backup(archive)

    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("pas une archive")
    assert "archive corrompue" in refused(capsys, "restaurer", not_zip)

    assert "fichier introuvable" in refused(capsys, "restaurer", tmp_path / "absent.zip")

    broken = tmp_path / "abimee.zip"  # a byte changed in the file itself: the ZIP CRC fails
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(DATA)
    raw[info.header_offset + 200] ^= 0xFF
    broken.write_bytes(bytes(raw))
    assert "archive corrompue" in refused(capsys, "restaurer", broken)

    other_schema = tmp_path / "autre-version.zip"

    def add_migration(data):
        manifest = json.loads(data)
        manifest["migrations"]["agreements"].append("0099_future")
        return json.dumps(manifest).encode()

    rewrite(archive, other_schema, MANIFEST, add_migration, sign=True)
    error = refused(capsys, "restaurer", other_schema)
    assert "migrations de cette base" in error and "0099_future" in error

    extra = tmp_path / "ajout.zip"
    rewrite(archive, extra, DATA, lambda data: data)
    with zipfile.ZipFile(extra, "a") as zf:
        zf.writestr("documents/../../evil.txt", b"x")
    assert "n'est pas dans le manifeste" in refused(capsys, "restaurer", extra)

    with pytest.raises(BackupError, match="existe déjà"):
        create_backup(archive)
    assert "existe déjà" in refused(capsys, "sauvegarder", archive)
    assert "n'existe pas" in refused(capsys, "sauvegarder", tmp_path / "absent" / "s.zip")
    run("sauvegarder", archive, "--ecraser")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftover


@pytest.mark.django_db
def test_a_different_document_already_in_media_root_is_refused(tmp_path):
    w = build_agreements(build_touraine())
    ensure_document(w.version_own_1.pk)
    document = AgreementVersion.objects.get(pk=w.version_own_1.pk).document.name
    archive = tmp_path / "sauvegarde.zip"
    report = create_backup(archive)
    assert report.documents == 1 and report.missing_documents == ()
    (Path(settings.MEDIA_ROOT) / document).write_bytes(b"autre contenu")
    empty_database()
    with pytest.raises(BackupError, match="existe déjà avec un autre contenu"):
        restore_backup(archive)
    assert rows_outside_migrate() == {}
    assert (Path(settings.MEDIA_ROOT) / document).read_bytes() == b"autre contenu"


@pytest.mark.django_db
def test_missing_documents_are_reported(tmp_path):
    w = build_agreements(build_touraine())
    AgreementVersion.objects.filter(pk=w.version_own.pk).update(document="cof/perdu.pdf")
    report = create_backup(tmp_path / "s.zip")
    assert report.missing_documents == ("cof/perdu.pdf",)
    out, err = run("sauvegarder", tmp_path / "t.zip")
    assert "document absent du disque, non sauvegardé : cof/perdu.pdf" in err
    assert "0 document," in out


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="a second connection writing during the backup: PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_backup_is_one_snapshot_while_another_connection_writes(tmp_path):
    """Rows committed by another connection during the backup are not in it, and the archive is
    consistent: its manifest counts are the rows it holds (the restore checks them)."""
    build_agreements(build_touraine())
    before = AuditEntry.objects.count()
    assert before > 0

    def writer():
        try:
            for i in range(5):
                AuditEntry.objects.create(
                    action="creation", objet_type="t", objet_id=str(i), objet_libelle="pendant"
                )
        finally:
            connections.close_all()

    started = []

    def progress(step, done, total):
        if step == READING_DATABASE and not started:  # counted, nothing dumped yet
            started.append(True)
            thread = threading.Thread(target=writer)
            thread.start()
            thread.join()

    archive = tmp_path / "s.zip"
    create_backup(archive, progress=progress)
    assert AuditEntry.objects.count() == before + 5
    with zipfile.ZipFile(archive) as zf:
        assert json.loads(zf.read(MANIFEST))["lignes"]["core.AuditEntry"] == before
        lines = zf.read(DATA).decode().splitlines()
    start = lines.index(next(line for line in lines if '"modele":"core.AuditEntry"' in line))
    dumped = 0
    for line in lines[start + 1 :]:
        if line.startswith("{"):
            break
        dumped += 1
    assert dumped == before


# --- Signature ---------------------------------------------------------------------------------

KEY = "clé de sauvegarde de la Caf, 32 caractères au moins !"


def make_superuser(data: bytes, username: str) -> bytes:
    """``donnees.jsonl`` with ``username`` turned into a superuser."""
    lines = data.decode("utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if '"modele":"accounts.User"' in line)
    champs = json.loads(lines[header])["champs"]
    for index in range(header + 1, len(lines)):
        row = json.loads(lines[index])
        if isinstance(row, dict):
            break
        if row[champs.index("username")] == username:
            row[champs.index("is_superuser")] = row[champs.index("is_staff")] = True
            lines[index] = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    return ("\n".join(lines) + "\n").encode("utf-8")


def tamper_data_and_its_hash(source: Path, target: Path, username: str) -> None:
    """What the probe did: edit ``donnees.jsonl``, then write its new SHA-256 in the manifest
    (the signature, which needs the key, is left as it was)."""
    with zipfile.ZipFile(source) as zf:
        data = make_superuser(zf.read(DATA), username)
    assert data != zf_read(source, DATA)

    def new_hash(manifest_bytes):
        manifest = json.loads(manifest_bytes)
        manifest["empreintes"][DATA] = hashlib.sha256(data).hexdigest()
        return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()

    step = target.with_suffix(".etape.zip")
    rewrite(source, step, DATA, lambda _old: data)
    rewrite(step, target, MANIFEST, new_hash)
    step.unlink()


def zf_read(path: Path, member: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)


@pytest.mark.django_db
def test_the_backup_is_signed_with_the_backup_key(tmp_path, settings):
    settings.COOPCTG_BACKUP_KEY = KEY
    build_touraine()
    archive = tmp_path / "s.zip"
    create_backup(archive)
    signature = json.loads(zf_read(archive, SIGNATURE))
    assert signature["algorithme"] == "HMAC-SHA256" and signature["cle"] == "COOPCTG_BACKUP_KEY"
    assert sign_manifest(zf_read(archive, MANIFEST)) == zf_read(archive, SIGNATURE)
    # Without COOPCTG_BACKUP_KEY: a key derived from DJANGO_SECRET_KEY, not the secret itself.
    settings.COOPCTG_BACKUP_KEY = ""
    create_backup(archive, overwrite=True)
    signature = json.loads(zf_read(archive, SIGNATURE))
    assert signature["cle"] == "DJANGO_SECRET_KEY"
    assert settings.SECRET_KEY not in zf_read(archive, SIGNATURE).decode()


@pytest.mark.django_db
def test_tampered_data_with_its_hash_recomputed_is_refused_unless_forced(
    tmp_path, capsys, settings
):
    """The probe's finding: a user made superuser in donnees.jsonl, its SHA-256 recomputed in
    the manifest. The signature no longer matches: refused, nothing written; accepted only with
    --forcer-sans-signature, which warns."""
    settings.COOPCTG_BACKUP_KEY = KEY
    w = build_touraine()
    assert not w.editor.is_superuser
    archive = tmp_path / "sauvegarde.zip"
    create_backup(archive)
    tampered = tmp_path / "alteree.zip"
    tamper_data_and_its_hash(archive, tampered, w.editor.username)
    empty_database()

    error = refused(capsys, "restaurer", tampered)
    assert "signature invalide, le manifeste a été modifié" in error
    assert "rien n'a été restauré" in error and "--forcer-sans-signature" in error
    assert rows_outside_migrate() == {} and media_state() == {}
    with pytest.raises(BackupError, match="signature invalide"):
        restore_backup(tampered)
    assert rows_outside_migrate() == {}

    out, err = run("restaurer", tampered, "--forcer-sans-signature")
    assert out.startswith(f"Sauvegarde restaurée : {tampered} (")
    assert "Attention : signature non vérifiée" in err and "signature invalide" in err
    assert User.objects.get(username=w.editor.username).is_superuser  # what was forced in


@pytest.mark.django_db
def test_a_forced_restore_of_a_valid_archive_warns_nothing(tmp_path, settings):
    settings.COOPCTG_BACKUP_KEY = KEY
    build_touraine()
    archive = tmp_path / "sauvegarde.zip"
    create_backup(archive)
    empty_database()
    out, err = run("restaurer", archive, "--forcer-sans-signature")
    assert out.startswith("Sauvegarde restaurée") and "Attention" not in err


@pytest.mark.django_db
def test_an_archive_signed_with_another_key_is_refused(tmp_path, capsys, settings):
    settings.COOPCTG_BACKUP_KEY = KEY
    build_touraine()
    archive = tmp_path / "sauvegarde.zip"
    create_backup(archive)
    empty_database()
    settings.COOPCTG_BACKUP_KEY = "une autre clé, tout aussi longue que la première"
    error = refused(capsys, "restaurer", archive)
    assert "signée avec une autre clé" in error and "restaurez avec la clé qui l'a signée" in error
    assert rows_outside_migrate() == {}
    # Derived from DJANGO_SECRET_KEY: another secret key is another signing key.
    settings.COOPCTG_BACKUP_KEY = ""
    assert "signée avec une autre clé" in refused(capsys, "restaurer", archive)
    settings.SECRET_KEY = "une autre clé secrète de Django, pour une autre instance"
    assert "signée avec une autre clé" in refused(capsys, "restaurer", archive)
    # With the key that signed it, the same archive is restored.
    settings.COOPCTG_BACKUP_KEY = KEY
    out, err = run("restaurer", archive)
    assert out.startswith("Sauvegarde restaurée") and "Attention" not in err


@pytest.mark.django_db
def test_an_unsigned_or_resigned_by_hand_archive_is_refused(tmp_path, capsys, settings):
    settings.COOPCTG_BACKUP_KEY = KEY
    build_touraine()
    archive = tmp_path / "sauvegarde.zip"
    create_backup(archive)
    empty_database()

    unsigned = tmp_path / "sans-signature.zip"
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(unsigned, "w") as new:
        for info in old.infolist():
            if info.filename != SIGNATURE:
                new.writestr(info, old.read(info.filename))
    error = refused(capsys, "restaurer", unsigned)
    assert "n'est pas signée" in error and "rien n'a été restauré" in error

    # A signature computed without the key (a plain SHA-256 of the manifest) is no signature.
    def forged(_old):
        digest = hashlib.sha256(zf_read(archive, MANIFEST)).hexdigest()
        signature = json.loads(zf_read(archive, SIGNATURE))
        return json.dumps({**signature, "signature": digest}).encode()

    forged_archive = tmp_path / "signature-forgee.zip"
    rewrite(archive, forged_archive, SIGNATURE, forged)
    assert "signature invalide" in refused(capsys, "restaurer", forged_archive)

    for content in (b"pas du JSON", b'{"algorithme": "MD5"}', b'{"algorithme": "HMAC-SHA256"}'):
        odd = tmp_path / "signature-etrange.zip"
        rewrite(archive, odd, SIGNATURE, lambda _old, content=content: content)
        assert "rien n'a été restauré" in refused(capsys, "restaurer", odd)
    assert rows_outside_migrate() == {} and media_state() == {}

    out, err = run("restaurer", unsigned, "--forcer-sans-signature")
    assert out.startswith("Sauvegarde restaurée")
    assert "Attention : signature non vérifiée" in err and "n'est pas signée" in err


@pytest.mark.django_db
def test_a_backup_key_too_short_is_refused(tmp_path, capsys, settings):
    settings.COOPCTG_BACKUP_KEY = "courte"
    build_touraine()
    error = refused(capsys, "sauvegarder", tmp_path / "s.zip")
    assert "COOPCTG_BACKUP_KEY est trop courte" in error
    assert list(tmp_path.iterdir()) == []
