"""Each Caf's data version: every write draws a new token for its Caf (and only its Caf when the
write says which), whatever its path; values kept per Caf are computed again only then."""

import datetime as dt

import pytest

from coopctg.agreements.models import FundingAgreement
from coopctg.core import versions
from coopctg.core.models import CafDataVersion
from coopctg.ctg.models import Ctg
from coopctg.framework.models import FrameworkVersion
from coopctg.organisations.models import Caf, LocalAuthority
from tests.factories import (
    CafFactory,
    CtgFactory,
    DepartementFactory,
    EpciFactory,
    LocalAuthorityFactory,
)

pytestmark = pytest.mark.django_db


def token(caf) -> str:
    return CafDataVersion.objects.get(caf=caf).jeton


@pytest.fixture
def two_cafs():
    one = CafFactory(code="37", departement=DepartementFactory(code="37"))
    two = CafFactory(code="41", departement=DepartementFactory(code="41"))
    return one, two


def test_a_new_caf_gets_a_token(two_cafs):
    one, two = two_cafs
    assert len(token(one)) == 32
    assert token(one) != token(two)


def test_paths_to_the_caf_follow_foreign_keys():
    assert versions.caf_path(Caf) == ()
    assert versions.caf_path(LocalAuthority) == ("caf",)
    assert versions.caf_path(Ctg) == ("caf",)
    assert versions.caf_path(FundingAgreement) in {("ctg", "caf"), ("collectivite", "caf")}
    assert versions.caf_path(FrameworkVersion) is None  # shared by every Caf


def test_a_save_touches_its_caf_only(two_cafs):
    one, two = two_cafs
    epci = EpciFactory()  # the territories are everyone's: every Caf is touched
    before_one, before_two = token(one), token(two)
    collectivite = LocalAuthorityFactory(caf=one, epci=epci)
    assert token(one) != before_one
    assert token(two) == before_two
    middle = token(one)
    collectivite.nom = "Autre nom"
    collectivite.save()
    assert token(one) != middle
    assert token(two) == before_two


def test_a_row_two_links_away_touches_its_caf(two_cafs):
    one, two = two_cafs
    ctg = CtgFactory(caf=one, signataires=[LocalAuthorityFactory(caf=one)])
    other = LocalAuthorityFactory(caf=one)
    before_one, before_two = token(one), token(two)
    ctg.signataires.add(other)
    assert token(one) != before_one
    assert token(two) == before_two


def test_a_delete_touches_its_caf(two_cafs):
    one, _two = two_cafs
    collectivite = LocalAuthorityFactory(caf=one)
    before_one = token(one)
    collectivite.delete()
    assert token(one) != before_one


def test_an_update_without_signal_touches_every_caf(two_cafs):
    one, two = two_cafs
    LocalAuthorityFactory(caf=one)
    before_one, before_two = token(one), token(two)
    LocalAuthority.objects.filter(caf=one).update(nom="Renommée")
    assert token(one) != before_one
    assert token(two) != before_two


def test_an_update_said_to_be_for_one_caf_touches_it_only(two_cafs):
    one, two = two_cafs
    LocalAuthorityFactory(caf=one)
    before_one, before_two = token(one), token(two)
    with versions.writing_for([one.pk]):
        LocalAuthority.objects.filter(caf=one).update(nom="Renommée")
    assert token(one) != before_one
    assert token(two) == before_two


def test_a_bulk_insert_touches_every_caf(two_cafs):
    one, two = two_cafs
    epci = EpciFactory()
    before_two = token(two)
    LocalAuthority.objects.bulk_create(
        [LocalAuthority(caf=one, epci=epci, nom="Nouvelle", kind=LocalAuthority.Kind.EPCI)]
    )
    assert token(two) != before_two


def test_reading_touches_nothing(two_cafs):
    one, _two = two_cafs
    before = token(one)
    list(LocalAuthority.objects.all())
    assert token(one) == before


def test_a_caf_without_token_gets_one_when_read(two_cafs):
    one, _ = two_cafs
    CafDataVersion.objects.filter(caf=one).delete()
    found = versions.tokens([one.pk])
    assert len(found[one.pk]) == 32


def test_kept_values_are_computed_again_after_a_write(two_cafs):
    one, two = two_cafs
    memo = versions.PerCafMemo("essai")
    calls = []
    epci = EpciFactory()

    def compute(missing):
        calls.append(sorted(missing))
        return {pk: LocalAuthority.objects.filter(caf_id=pk).count() for pk in missing}

    day = dt.date(2026, 12, 4)
    assert memo.get([one.pk, two.pk], day, compute) == {one.pk: 0, two.pk: 0}
    assert memo.get([one.pk, two.pk], day, compute) == {one.pk: 0, two.pk: 0}
    assert calls == [sorted([one.pk, two.pk])]
    LocalAuthorityFactory(caf=one, epci=epci)
    assert memo.get([one.pk, two.pk], day, compute) == {one.pk: 1, two.pk: 0}
    assert calls[-1] == [one.pk]  # the other Caf did not change
    assert memo.get([one.pk], day + dt.timedelta(days=1), compute) == {one.pk: 1}
    assert calls[-1] == [one.pk]  # another day, another key


def test_a_value_computed_while_its_caf_changes_is_not_kept(two_cafs):
    one, _ = two_cafs
    memo = versions.PerCafMemo("essai")
    calls = []

    def compute(missing):
        calls.append(missing)
        value = LocalAuthority.objects.filter(caf_id=one.pk).count()
        if len(calls) == 1:
            LocalAuthorityFactory(caf=one)  # a write lands while computing
        return {one.pk: value}

    assert memo.get([one.pk], "clé", compute) == {one.pk: 0}
    assert memo.get([one.pk], "clé", compute) == {one.pk: 1}
    assert len(calls) == 2


def test_values_are_kept_once_nothing_changes(two_cafs, django_assert_num_queries):
    one, two = two_cafs
    memo = versions.PerCafMemo("essai")
    memo.get([one.pk, two.pk], "clé", lambda missing: dict.fromkeys(missing, "x"))
    with django_assert_num_queries(1):  # the tokens only
        assert memo.get([one.pk, two.pk], "clé", lambda missing: {}) == {
            one.pk: "x",
            two.pk: "x",
        }


def test_an_update_said_to_be_for_a_row_touches_its_caf_only(two_cafs):
    one, two = two_cafs
    epci = EpciFactory()
    ctg = CtgFactory(caf=one, signataires=[LocalAuthorityFactory(caf=one, epci=epci)])
    before_one, before_two = token(one), token(two)
    with versions.writing_for(row=ctg):
        Ctg.objects.filter(pk=ctg.pk).update(intitule="Ctg renommée")
    assert token(one) != before_one
    assert token(two) == before_two


def test_a_decision_on_a_request_touches_its_caf_only(touraine):
    from coopctg.agreements import workflow
    from tests.agreements.helpers import make_cof, proposal

    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-971")
    request = workflow.do_create_request(touraine.editor, cof, proposal())
    before_37, before_41 = token(touraine.caf), token(touraine.foreign.caf)
    workflow.do_submit_request(touraine.editor, request)
    assert token(touraine.caf) != before_37
    assert token(touraine.foreign.caf) == before_41


# --- In production: new tokens at the commit --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_transaction_s_writes_get_new_tokens_at_its_commit_only():
    from django.db import transaction

    one = CafFactory(code="37", departement=DepartementFactory(code="37"))
    epci = EpciFactory()
    before = token(one)
    with transaction.atomic():
        LocalAuthorityFactory(caf=one, epci=epci)
        assert token(one) == before  # not yet: the row of the versions is not locked
    after = token(one)
    assert after != before
    other = EpciFactory()
    after = token(one)
    with pytest.raises(RuntimeError), transaction.atomic():
        LocalAuthorityFactory(caf=one, epci=other)
        raise RuntimeError("annulé")
    assert token(one) == after  # rolled back: nothing changed


@pytest.mark.django_db(transaction=True)
def test_nothing_is_kept_from_inside_a_transaction():
    """Its own writes are not in the tokens until it commits: a value computed inside could
    be rolled back."""
    from django.db import transaction

    one = CafFactory(code="37", departement=DepartementFactory(code="37"))
    epci = EpciFactory()
    memo = versions.PerCafMemo("essai")

    def count(missing):
        return {pk: LocalAuthority.objects.filter(caf_id=pk).count() for pk in missing}

    with pytest.raises(RuntimeError), transaction.atomic():
        LocalAuthorityFactory(caf=one, epci=epci)
        assert memo.get([one.pk], "clé", count) == {one.pk: 1}
        raise RuntimeError("annulé")
    assert memo.get([one.pk], "clé", count) == {one.pk: 0}


# --- Every path of a write (second reading of the mechanism) -----------------------------------


def test_a_row_moved_to_another_caf_touches_both(two_cafs):
    one, two = two_cafs
    collectivite = LocalAuthorityFactory(caf=one, epci=EpciFactory())
    before_one, before_two = token(one), token(two)
    collectivite.caf = two
    collectivite.save()
    assert token(one) != before_one  # the Caf it leaves
    assert token(two) != before_two


def test_links_touch_the_caf_of_the_rows_linked(two_cafs):
    one, two = two_cafs
    foreign = LocalAuthorityFactory(caf=two, epci=EpciFactory())
    ctg = CtgFactory(caf=one)
    before_two = token(two)
    ctg.signataires.add(foreign)  # from the Ctg's side: the collectivité's Caf too
    assert token(two) != before_two


def test_rows_loaded_raw_touch_every_caf(two_cafs):
    from django.core import serializers

    one, two = two_cafs
    collectivite = LocalAuthorityFactory(caf=one, epci=EpciFactory())
    data = serializers.serialize("json", [collectivite]).replace(collectivite.nom, "Chargée")
    before_two = token(two)
    for item in serializers.deserialize("json", data):
        item.save()  # what loaddata does: save_base(raw=True)
    assert token(two) != before_two
    assert LocalAuthority.objects.get(pk=collectivite.pk).nom == "Chargée"


@pytest.mark.parametrize(
    "sql",
    [
        '/* commentaire */ UPDATE "organisations_localauthority" SET "nom" = %s',
        'UPDATE "organisations_localauthority" SET "nom" = %s -- fin',
        'WITH x AS (SELECT 1) UPDATE "organisations_localauthority" SET "nom" = %s',
    ],
)
def test_raw_sql_writes_touch_every_caf(two_cafs, sql):
    from django.db import connection

    one, two = two_cafs
    LocalAuthorityFactory(caf=one, epci=EpciFactory())
    before_two = token(two)
    with connection.cursor() as cursor:
        cursor.execute(sql, ["Écrite à la main"])
    assert token(two) != before_two


def test_reads_and_untracked_tables_touch_nothing(two_cafs, django_user_model):
    from django.db import connection

    one, _ = two_cafs
    before = token(one)
    with connection.cursor() as cursor:
        cursor.execute('SELECT * FROM "organisations_localauthority"')
    django_user_model.objects.create(username="quelqu.un")
    assert token(one) == before


@pytest.mark.django_db(transaction=True)
def test_a_transaction_draws_once_whatever_its_writes(django_assert_max_num_queries):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    one = CafFactory(code="37", departement=DepartementFactory(code="37"))
    epcis = [EpciFactory() for _ in range(5)]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for epci in epcis:
            LocalAuthorityFactory(caf=one, epci=epci, nom=f"CC {epci.pk}")
    draws = [q for q in queries.captured_queries if "core_cafdataversion" in q["sql"]]
    assert len(draws) == 1


def test_a_bilan_step_touches_its_caf_only(touraine):
    """The steps of the bilan (a conditional update()) say their Caf."""
    from coopctg.framework.loader import load_framework
    from coopctg.reports import workflow as reports
    from tests.agreements.helpers import make_cof

    load_framework()
    cof = make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-972")
    report = reports.do_create_report(touraine.editor, cof, 2024)
    before_37, before_41 = token(touraine.caf), token(touraine.foreign.caf)
    reports.do_transmit(touraine.editor, report)
    assert token(touraine.caf) != before_37
    assert token(touraine.foreign.caf) == before_41


def test_a_family_s_root_is_in_the_key_before_it_is_first_read(tmp_path):
    """Else a value kept after a first page would be missed by the next one (one root more
    in the signature)."""
    from coopctg.core import caf_params

    before = caf_params.parameters_signature()
    family = caf_params.ParameterFamily(
        "essai", lambda parameters, caf: parameters, root=lambda: tmp_path
    )
    try:
        declared = caf_params.parameters_signature()
        assert declared[0] == before[0] + 1
        (tmp_path / "national").mkdir()
        family(tmp_path, "37")  # read: no new root
        assert caf_params.parameters_signature()[0] == declared[0]
    finally:
        caf_params._root_functions.pop()
        caf_params._roots.discard(str(tmp_path))


def test_the_command_renews_every_caf_s_version(two_cafs):
    import io

    from django.core.management import call_command

    one, two = two_cafs
    before = token(one), token(two)
    out = io.StringIO()
    call_command("versions", "renouveler", stdout=out)
    assert out.getvalue() == "Versions renouvelées pour 2 Caf.\n"
    assert token(one) != before[0] and token(two) != before[1]
