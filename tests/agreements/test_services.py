import datetime as dt
from decimal import Decimal

import pytest

from coopctg.agreements.models import AgreementVersion, ImmutableVersionError
from coopctg.agreements.services import (
    AgreementError,
    VersionInput,
    create_cof,
    sign_version,
    version_in_force,
)
from coopctg.core.models import AuditEntry
from tests.factories import SEED_PERSONS, seed_rows

ALL_THEMES = [
    "petite_enfance",
    "enfance",
    "jeunesse",
    "parentalite",
    "animation_vie_sociale",
    "logement",
    "acces_droits",
    "inclusion_handicap",
]
MOVED = [
    p if p[0] != "Mme Y" else (p[0], p[1], p[2], {"enfance_jeunesse": "0.70"}) for p in SEED_PERSONS
]


@pytest.fixture
def cof(touraine):
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    return create_cof(
        touraine.admin,
        ctg=touraine.ctg_own,
        collectivite=touraine.own,
        debut=dt.date(2022, 1, 1),
        fin=dt.date(2025, 12, 31),
        numero="COF-1",
    )


def base(rows, day, **kw):
    return VersionInput(
        date_effet=day, rows=rows, base_montant=Decimal("48000"), base_etp=Decimal("2"), **kw
    )


def test_initial_then_avenant(touraine, cof):
    v0 = sign_version(
        touraine.admin,
        cof,
        base(seed_rows(), dt.date(2022, 1, 1)),
        date_signature=dt.date(2021, 12, 15),
        generate_document=False,
    )
    assert v0.total_montant == Decimal("48000.00") and v0.label == "Cof initiale"
    v1 = sign_version(
        touraine.admin,
        cof,
        base(seed_rows(MOVED), dt.date(2023, 7, 1), motif="Mme Y passe à 0,7 Etp"),
        date_signature=dt.date(2023, 6, 20),
        generate_document=False,
    )
    assert v1.label == "Avenant n°1" and v1.total_montant == Decimal("52800.00")
    v0.refresh_from_db()
    assert v0.date_fin == dt.date(2023, 6, 30) and v1.date_fin == dt.date(2025, 12, 31)
    assert version_in_force(cof, dt.date(2023, 6, 30)) == v0
    assert version_in_force(cof, dt.date(2023, 7, 1)) == v1
    assert version_in_force(cof, dt.date(2026, 1, 1)) is None
    cof.refresh_from_db()
    assert cof.statut == "signee"
    assert AuditEntry.objects.filter(objet_type="agreements.agreementversion").count() == 3


def test_signed_version_is_immutable(touraine, cof):
    v0 = sign_version(
        touraine.admin,
        cof,
        base(seed_rows(), dt.date(2022, 1, 1)),
        date_signature=dt.date(2021, 12, 15),
        generate_document=False,
    )
    v0.total_montant = Decimal("1")
    with pytest.raises(ImmutableVersionError):
        v0.save()
    with pytest.raises(ImmutableVersionError):
        AgreementVersion.objects.get(pk=v0.pk).delete()


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (dt.date(2021, 12, 31), "sort de la période"),
        (dt.date(2026, 1, 1), "sort de la période"),
        (dt.date(2022, 1, 1), "après la version en vigueur"),
    ],
)
def test_avenant_dates_are_checked(touraine, cof, day, message):
    sign_version(
        touraine.admin,
        cof,
        base(seed_rows(), dt.date(2022, 1, 1)),
        date_signature=dt.date(2021, 12, 15),
        generate_document=False,
    )
    with pytest.raises(AgreementError, match=message):
        sign_version(
            touraine.admin,
            cof,
            base(seed_rows(MOVED), day),
            date_signature=dt.date(2023, 6, 20),
            generate_document=False,
        )
    assert cof.versions.count() == 1


def test_cof_must_fit_the_ctg(touraine):
    with pytest.raises(AgreementError, match="sort de celle de la Ctg"):
        create_cof(
            touraine.admin,
            ctg=touraine.ctg_own,
            collectivite=touraine.own,
            debut=dt.date(2021, 1, 1),
            fin=dt.date(2025, 12, 31),
        )
    with pytest.raises(AgreementError, match="n'est pas signataire"):
        create_cof(
            touraine.admin,
            ctg=touraine.ctg_own,
            collectivite=touraine.other,
            debut=dt.date(2022, 1, 1),
            fin=dt.date(2025, 12, 31),
        )
