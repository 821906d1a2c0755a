"""State changes of a Cof: create it, sign a version (initial or avenant).

Each function runs in one transaction and writes its history rows in it; the PDF of a signed
version is produced after commit (a failure there never loses the signature: the version
stays signed, without its document, and :func:`ensure_document` can produce it later).

One Cof in force per collectivité and date: a draft (« projet ») may overlap, but
:func:`sign_version` refuses to put a Cof in force over another one and names it; the database
refuses it anyway (two sessions signing at once), and that refusal becomes the same
:class:`OverlappingCofError`.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from coopctg.agreements.models import (
    COF_OVERLAP_CONSTRAINT,
    AgreementVersion,
    FundingAgreement,
    Signatory,
    cof_number_error,
)
from coopctg.core import versions
from coopctg.core.audit import record_change, snapshot
from coopctg.core.models import AuditEntry
from coopctg.ctg.models import Ctg
from coopctg.funding.models import FundingArchitecture
from coopctg.funding.rules import result_to_json
from coopctg.funding.services import (
    PersonRow,
    compute_architecture,
    load_architecture,
    save_architecture,
)
from coopctg.organisations.models import LocalAuthority

logger = logging.getLogger(__name__)

COF_FIELDS = ["numero", "date_debut", "date_fin", "signataires", "statut"]
VERSION_FIELDS = [
    "numero",
    "date_effet",
    "date_fin",
    "statut",
    "date_signature",
    "motif",
    "total_etp",
    "total_montant",
]


class AgreementError(ValueError):
    """A rule of the Cof is broken; the message is one French sentence."""


class SignatureError(AgreementError):
    """A signatory is missing or wrong; ``field`` names the form field (« caf_nom »…)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class OverlappingCofError(AgreementError):
    """Another Cof of the collectivité already covers part of the period."""


class InvalidCofNumberError(AgreementError):
    """The Cof's number is not in the expected format."""


def overlapping_cof(
    collectivite_id: int,
    debut: dt.date,
    fin: dt.date,
    *,
    exclude_pk: int | None = None,
    signed_only: bool = True,
) -> FundingAgreement | None:
    """A Cof of the collectivité (not « projet », unless ``signed_only`` is False) that covers
    a day of ``[debut, fin]``."""
    found = FundingAgreement.objects.filter(
        collectivite_id=collectivite_id, date_debut__lte=fin, date_fin__gte=debut
    ).exclude(pk=exclude_pk)
    if signed_only:
        found = found.exclude(statut=FundingAgreement.Status.PROJET)
    return found.select_related("collectivite").order_by("date_debut", "pk").first()


def overlap_message(other: FundingAgreement) -> str:
    return (
        f"la Cof n° {other.numero} de {other.collectivite.nom} couvre déjà une partie de cette "
        f"période ({other.date_debut:%d/%m/%Y} – {other.date_fin:%d/%m/%Y}) : une seule Cof "
        "en vigueur par collectivité et par date"
    )


def _raise_overlap(cof: FundingAgreement, error: IntegrityError | None = None) -> None:
    other = overlapping_cof(cof.collectivite_id, cof.date_debut, cof.date_fin, exclude_pk=cof.pk)
    if other is not None:
        raise OverlappingCofError(overlap_message(other)) from error
    if error is not None:
        raise OverlappingCofError(
            "une autre Cof de la collectivité couvre déjà une partie de cette période : une "
            "seule Cof en vigueur par collectivité et par date"
        ) from error


def is_overlap_error(error: IntegrityError) -> bool:
    return COF_OVERLAP_CONSTRAINT in str(error)


class ArchitectureInput(Protocol):
    """What a version and a request both carry: an architecture from a date."""

    date_effet: dt.date
    rows: list[PersonRow]
    base_montant: Decimal | None
    base_etp: Decimal | None


@dataclass(frozen=True)
class VersionInput:
    date_effet: dt.date
    rows: list[PersonRow]
    base_montant: Decimal | None = None
    base_etp: Decimal | None = None
    motif: str = ""


def save_cof_architecture(
    user: Any, cof: FundingAgreement, kind: str, data: ArchitectureInput
) -> FundingArchitecture:
    """Store the architecture of a version or of a request of ``cof`` (with its history row):
    a frozen copy the funding engine computes, never the collectivité's working one."""
    return save_architecture(
        user,
        FundingArchitecture(
            kind=kind,
            ctg=cof.ctg,
            collectivite=cof.collectivite,
            date_effet=data.date_effet,
            base_cej_montant=data.base_montant,
            base_cej_etp=data.base_etp,
        ),
        data.rows,
    )


# --- Parties and signatories --------------------------------------------------------------------

NAME_MAX = 150
FUNCTION_MAX = 200


@dataclass(frozen=True)
class SignatoryInput:
    """Who signs for one party (``caf`` or ``collectivite``), in which capacity, when."""

    partie: str
    nom: str
    fonction: str
    date_signature: dt.date


def parties(cof: FundingAgreement) -> list[tuple[str, str]]:
    """The parties of a Cof and of its avenants: the Caf, then the collectivité."""
    return [
        (Signatory.Party.CAF.value, cof.ctg.caf.nom),
        (Signatory.Party.COLLECTIVITE.value, cof.collectivite.nom),
    ]


def check_signatories(
    cof: FundingAgreement, signatures: list[SignatoryInput], *, today: dt.date
) -> dt.date:
    """Every party signs, named, in a capacity, on a day that is not in the future; returns the
    version's signature date (the last party's). Raises :class:`SignatureError`."""
    by_party = {s.partie: s for s in signatures}
    for partie, partie_nom in parties(cof):
        given = by_party.get(partie)
        if given is None or not given.nom.strip():
            raise SignatureError(
                f"Indiquez le nom du ou de la signataire pour {partie_nom}.", f"{partie}_nom"
            )
        if len(given.nom.strip()) > NAME_MAX:
            raise SignatureError(f"Au plus {NAME_MAX} caractères.", f"{partie}_nom")
        if not given.fonction.strip():
            raise SignatureError(
                f"Indiquez sa fonction (par exemple « Président » ou « Directrice de la "
                f"Caf ») pour {partie_nom}.",
                f"{partie}_fonction",
            )
        if len(given.fonction.strip()) > FUNCTION_MAX:
            raise SignatureError(f"Au plus {FUNCTION_MAX} caractères.", f"{partie}_fonction")
        if given.date_signature > today:
            raise SignatureError(
                f"La date de signature ({given.date_signature:%d/%m/%Y}) ne peut être dans le "
                "futur : enregistrez la signature une fois le document signé.",
                f"{partie}_date",
            )
    unknown = set(by_party) - {partie for partie, _ in parties(cof)}
    if unknown:
        raise SignatureError(f"Partie inconnue : {', '.join(sorted(unknown))}.")
    return max(s.date_signature for s in signatures)


def signatories_snapshot(version: AgreementVersion) -> list[str]:
    """For the history: « Caf de Touraine : Mme X, Directrice, le 12/03/2024 »."""
    return [
        f"{s.partie_nom} : {s.nom}, {s.fonction}, le {s.date_signature:%d/%m/%Y}"
        for s in version.signatures.order_by("partie")
    ]


def _write_signatories(version: AgreementVersion, signatures: list[SignatoryInput]) -> None:
    names = dict(parties(version.cof))
    version.signatures.all().delete()
    with versions.writing_for(row=version):
        Signatory.objects.bulk_create(
            Signatory(
                version=version,
                partie=s.partie,
                partie_nom=names[s.partie],
                nom=s.nom.strip(),
                fonction=s.fonction.strip(),
                date_signature=s.date_signature,
            )
            for s in signatures
        )


@transaction.atomic
def record_signatories(
    user: Any,
    version: AgreementVersion,
    signatures: list[SignatoryInput],
    *,
    today: dt.date,
    generate_document: bool = True,
) -> AgreementVersion:
    """Record (or correct) who signed a signed version, for each party, and when: the
    version's signature date becomes the last party's. History: who, when, before, after; the
    document is produced again with the signature block."""
    version = (
        AgreementVersion.objects.select_for_update()
        .select_related("cof", "cof__ctg__caf", "cof__collectivite")
        .get(pk=version.pk)
    )
    if not version.is_signed:
        raise SignatureError("Cette version n'est pas signée.")
    day = check_signatories(version.cof, signatures, today=today)
    before = {
        "date_signature": version.date_signature.isoformat() if version.date_signature else None,
        "signataires": signatories_snapshot(version),
    }
    _write_signatories(version, signatures)
    # A signed version is immutable through save(); its signature date is corrected here only,
    # with its history row.
    with versions.writing_for(row=version):
        AgreementVersion.objects.filter(pk=version.pk).update(date_signature=day, document="")
    old_document = version.document.name if version.document else ""
    version.refresh_from_db()
    after = {"date_signature": day.isoformat(), "signataires": signatories_snapshot(version)}
    if before != after:
        record_change(
            user,
            version,
            AuditEntry.Action.MODIFICATION,
            before=before,
            after=after,
            caf_id=version.cof.ctg.caf_id,
        )
    if old_document:
        storage = version.document.storage
        transaction.on_commit(lambda: _delete_quietly(storage, old_document))
    if generate_document:
        transaction.on_commit(lambda: ensure_document(version.pk), robust=True)
    return version


def _delete_quietly(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("Ancien PDF non supprimé : %s", name)


def next_cof_number(collectivite: LocalAuthority, year: int) -> str:
    prefix = f"COF-{collectivite.caf.code}-{year}-"
    rank = FundingAgreement.objects.filter(numero__startswith=prefix).count() + 1
    while FundingAgreement.objects.filter(numero=f"{prefix}{rank:03d}").exists():
        rank += 1
    return f"{prefix}{rank:03d}"


@transaction.atomic
def create_cof(
    user: Any,
    *,
    ctg: Ctg,
    collectivite: LocalAuthority,
    debut: dt.date,
    fin: dt.date,
    numero: str | None = None,
    signataires: str = "",
) -> FundingAgreement:
    if fin <= debut:
        raise AgreementError("la fin de la Cof doit suivre son début")
    if not ctg.signataires.filter(pk=collectivite.pk).exists():
        raise AgreementError(f"{collectivite.nom} n'est pas signataire de la Ctg « {ctg} »")
    if debut < ctg.date_debut or fin > ctg.date_fin:
        raise AgreementError(
            f"la période de la Cof ({debut:%d/%m/%Y} – {fin:%d/%m/%Y}) sort de celle de la Ctg "
            f"({ctg.date_debut:%d/%m/%Y} – {ctg.date_fin:%d/%m/%Y})"
        )
    automatic = not numero
    numero = numero or next_cof_number(collectivite, debut.year)
    if problem := cof_number_error(numero):
        raise InvalidCofNumberError(f"le numéro de Cof « {numero} » n'est pas valide : {problem}")
    if FundingAgreement.objects.filter(numero=numero).exists():
        raise AgreementError(f"le numéro de Cof « {numero} » est déjà pris")
    for attempt in range(3):
        try:
            with transaction.atomic():
                cof = FundingAgreement.objects.create(
                    ctg=ctg,
                    collectivite=collectivite,
                    numero=numero,
                    date_debut=debut,
                    date_fin=fin,
                    signataires=signataires,
                )
            break
        except IntegrityError as error:  # the number was taken meanwhile by another session
            if not automatic or attempt == 2:
                raise InvalidCofNumberError(
                    f"le numéro de Cof « {numero} » vient d'être pris : recommencez"
                ) from error
            numero = next_cof_number(collectivite, debut.year)
    record_change(
        user,
        cof,
        AuditEntry.Action.CREATION,
        before=None,
        after=snapshot(cof, COF_FIELDS),
        caf_id=ctg.caf_id,
    )
    return cof


def signed_versions(cof: FundingAgreement) -> list[AgreementVersion]:
    return list(cof.versions.filter(statut=AgreementVersion.Status.SIGNEE).order_by("numero"))


def version_in_force(cof: FundingAgreement, day: dt.date) -> AgreementVersion | None:
    for version in reversed(signed_versions(cof)):
        if version.date_effet <= day and (version.date_fin is None or day <= version.date_fin):
            return version
    return None


@transaction.atomic
def sign_version(
    user: Any,
    cof: FundingAgreement,
    data: VersionInput,
    *,
    date_signature: dt.date,
    generate_document: bool = True,
    signatures: list[SignatoryInput] | None = None,
) -> AgreementVersion:
    """Sign the initial Cof (first call) or the next avenant, effective from ``date_effet``.

    The previous version stays in force until the day before; figures are computed by the
    funding engine and frozen on the version. ``signatures`` (checked by the caller with
    :func:`check_signatories`): who signed for each party, kept with the version.
    """
    cof = FundingAgreement.objects.select_for_update().get(pk=cof.pk)
    previous = signed_versions(cof)
    if not cof.date_debut <= data.date_effet <= cof.date_fin:
        raise AgreementError(
            f"la date d'effet {data.date_effet:%d/%m/%Y} sort de la période de la Cof "
            f"({cof.date_debut:%d/%m/%Y} – {cof.date_fin:%d/%m/%Y})"
        )
    if not previous and data.date_effet != cof.date_debut:
        raise AgreementError("la Cof initiale prend effet au début de la Cof")
    if previous and data.date_effet <= previous[-1].date_effet:
        raise AgreementError(
            f"un avenant prend effet après la version en vigueur ({previous[-1].label}, "
            f"depuis le {previous[-1].date_effet:%d/%m/%Y})"
        )
    architecture = save_cof_architecture(user, cof, FundingArchitecture.Kind.VERSION, data)
    result = compute_architecture(architecture)
    if previous:
        last = previous[-1]
        before = snapshot(last, VERSION_FIELDS)
        last.date_fin = data.date_effet - dt.timedelta(days=1)
        last.save(update_fields=["date_fin"])
        record_change(
            user,
            last,
            AuditEntry.Action.MODIFICATION,
            before=before,
            after=snapshot(last, VERSION_FIELDS),
            caf_id=cof.ctg.caf_id,
        )
    try:
        with transaction.atomic():
            version = AgreementVersion.objects.create(
                cof=cof,
                numero=len(previous),
                date_effet=data.date_effet,
                date_fin=cof.date_fin,
                architecture=architecture,
                motif=data.motif,
                statut=AgreementVersion.Status.SIGNEE,
                date_signature=date_signature,
                ventilation=result_to_json(result),
                total_etp=result.total_etp,
                total_montant=result.total_amount,
                signee_par=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError as error:
        raise AgreementError("cette version chevauche une version existante de la Cof") from error
    if signatures:
        _write_signatories(version, signatures)
    if cof.statut == FundingAgreement.Status.PROJET:  # in force from now on
        _raise_overlap(cof)
        before_cof = snapshot(cof, COF_FIELDS)
        cof.statut = FundingAgreement.Status.SIGNEE
        try:
            with transaction.atomic():
                cof.save(update_fields=["statut"])
        except IntegrityError as error:  # signed meanwhile by another session
            if not is_overlap_error(error):
                raise
            _raise_overlap(cof, error)
        record_change(
            user,
            cof,
            AuditEntry.Action.MODIFICATION,
            before=before_cof,
            after=snapshot(cof, COF_FIELDS),
            caf_id=cof.ctg.caf_id,
        )
    after = snapshot(version, VERSION_FIELDS)
    if signatures:
        after["signataires"] = signatories_snapshot(version)
    record_change(
        user,
        version,
        AuditEntry.Action.CREATION,
        before=None,
        after=after,
        caf_id=cof.ctg.caf_id,
    )
    if generate_document:  # by the task worker, once the signature is committed
        transaction.on_commit(lambda: _request_document(version.pk), robust=True)
    return version


def _request_document(version_pk: int) -> None:
    from coopctg.background.services import request_cof

    request_cof(AgreementVersion.objects.get(pk=version_pk))


def document_name(version: AgreementVersion) -> str:
    """The PDF's file name, built from ids only (never from the Cof's number, a user's text)."""
    return f"cof/cof-{version.cof_id}-version-{version.numero}.pdf"


def ensure_document(version_pk: int) -> None:
    """Produce the PDF of a signed version if it has none (safe to call again, and at once).

    Never raises: a failure (rendering, disk) is logged, the signature stands and the document
    can be produced later. The web asks the task worker for it instead
    (:func:`coopctg.background.services.request_cof`), which calls :func:`produce_document`.
    """
    try:
        produce_document(version_pk)
    except Exception:  # any failure: the signature stands; the document can be retried
        logger.exception("PDF non produit pour la version %s", version_pk)


def produce_document(version_pk: int) -> str:
    """Produce the PDF of a signed version if it has none; its stored name (raises on failure).

    Two productions at once may both render the PDF, but only one is kept: the file is recorded
    by a conditional UPDATE (``document`` still empty); the loser deletes the file it wrote.
    """
    from coopctg.agreements import documents

    version = AgreementVersion.objects.select_related("cof", "cof__collectivite").get(pk=version_pk)
    if version.document or not version.is_signed:
        return version.document.name or ""
    content = documents.version_pdf(version)
    storage = version.document.storage
    name = storage.save(document_name(version), ContentFile(content))
    with versions.writing_for():  # the file's name only: no figure depends on it
        recorded = AgreementVersion.objects.filter(pk=version_pk, document="").update(document=name)
    if not recorded:  # another process recorded its own file first: ours is an orphan
        try:
            storage.delete(name)
        except OSError:
            logger.exception("PDF orphelin non supprimé : %s", name)
        name = AgreementVersion.objects.get(pk=version_pk).document.name
    return name


def version_architecture(version: AgreementVersion) -> FundingArchitecture:
    return load_architecture(version.architecture_id)
