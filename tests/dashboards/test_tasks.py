"""Ce qui attend qui: one service (coopctg.dashboards.tasks) behind the home pages, the
« Échéances » page, ``coopctg echeances`` and ``/api/v1/echeances/``, over all years."""

import datetime as dt
import html
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coopctg.accounts.roles import Role
from coopctg.actionplan.models import Action
from coopctg.api.models import ApiToken
from coopctg.dashboards.tasks import Side, actionable_by, split_for, tasks_for_user, tasks_of
from coopctg.framework.loader import load_framework
from coopctg.organisations.models import FollowUp, LocalAuthority
from coopctg.recruitment.models import Stage
from coopctg.reports import workflow as reports
from tests.agreements.helpers import make_cof
from tests.factories import CtgFactory, EpciFactory, LocalAuthorityFactory, member
from tests.recruitment.conftest import bring_to, make_recruitment

TODAY = dt.date(2026, 5, 20)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    monkeypatch.setattr(reports, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def framework(db):
    return load_framework()


@pytest.fixture
def cof(touraine, framework):
    return make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")


@pytest.fixture
def transmitted(touraine, cof):
    """The 2023 bilan, transmitted two and a half years after its year: still to validate."""
    report = reports.do_create_report(touraine.editor, cof, 2023)
    report = reports.do_transmit(touraine.editor, report)
    sent = dt.datetime(2025, 3, 14, 10, 0, tzinfo=dt.UTC)
    type(report).objects.filter(pk=report.pk).update(transmis_le=sent)
    report.refresh_from_db()
    return report


def page_text(client, name, **params) -> str:
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    return text.replace("\u202f", " ").replace("\xa0", " ")


def cli(*args: str) -> dict:
    out = io.StringIO()
    call_command("echeances", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def api(client, user, **params) -> dict:
    _, secret = ApiToken.create_for(user, "essai")
    response = client.get(
        reverse("api:echeances"), params, headers={"authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200, response.content
    return response.json()


def what(task) -> str:
    return task.what


# --- Bilans of every year --------------------------------------------------------------------


def test_a_bilan_transmitted_years_ago_awaits_the_advisor_everywhere(client, touraine, transmitted):
    expected = "Bilan annuel 2023 transmis le 14/03/2025, à valider ou à renvoyer « à compléter »"
    # the service: the Caf acts, the advisor is the one; the editor follows
    (task,) = [t for t in tasks_for_user(touraine.advisor) if t.kind == "bilan_validation"]
    assert task.what.startswith(expected) and task.side is Side.CAF
    assert actionable_by(touraine.advisor, task) and actionable_by(touraine.admin, task)
    assert not actionable_by(touraine.editor, task) and not actionable_by(touraine.analyst, task)
    # the advisor's home: first thing, under « À faire »
    client.force_login(touraine.advisor)
    home = page_text(client, "home")
    todo = home.split('id="a-faire"')[1].split('id="a-suivre"')[0]
    assert expected in todo
    # the Échéances page, only what the advisor must do
    assert expected in page_text(client, "deadlines:list", qui="moi")
    # the command line and the API say the same
    data = cli("--utilisateur", "conseiller", "--a-faire")
    assert any(i["quoi"].startswith(expected) for i in data["echeances"])
    listed = api(client, touraine.advisor, a_faire="true")["resultats"]
    assert [i["quoi"] for i in listed if i["type"] == "bilan_validation"] == [task.what]
    # the bilans list: « à valider »
    bilans = page_text(client, "reports:list", etat="a_valider")
    assert reverse("reports:detail", args=[transmitted.pk]) in bilans
    assert bilans.count("<tr>") == 2  # the header and the 2023 bilan only
    # the editor sees it under « À suivre », not « À faire »
    client.force_login(touraine.editor)
    home = page_text(client, "home")
    assert expected not in home.split('id="a-faire"')[1].split('id="a-suivre"')[0]
    assert expected in home.split('id="a-suivre"')[1]
    # validated: gone everywhere
    reports.do_validate(touraine.advisor, transmitted)
    assert not [t for t in tasks_for_user(touraine.advisor) if t.kind == "bilan_validation"]
    client.force_login(touraine.advisor)
    assert expected not in page_text(client, "home")
    assert reverse("reports:detail", args=[transmitted.pk]) not in page_text(
        client, "reports:list", etat="a_valider"
    )


def test_every_year_not_transmitted_is_a_task(touraine, cof):
    bilans = [t for t in tasks_for_user(touraine.editor) if t.kind == "bilan"]
    assert [(t.date, t.late) for t in bilans] == [
        (dt.date(2023, 3, 31), True),
        (dt.date(2024, 3, 31), True),
        (dt.date(2025, 3, 31), True),
        (dt.date(2026, 3, 31), True),
        (dt.date(2027, 3, 31), False),  # the current year's, due next year
    ]
    assert all(t.side is Side.COLLECTIVITE for t in bilans)
    assert bilans[0].what == "Bilan annuel 2022 à rédiger et transmettre (Cof COF-37-2022-001)"


def test_a_bilan_sent_back_is_to_complete(touraine, transmitted):
    reports.do_send_back(touraine.advisor, transmitted, "Précisez les attendus de la mission 3.")
    (task,) = [t for t in tasks_of(LocalAuthority.objects.all()) if "2023" in t.what]
    assert task.what.startswith("Bilan annuel 2023 à compléter et transmettre à nouveau")
    # counted from its first transmission: the Caf asked for more, it is not « en retard »
    assert task.side is Side.COLLECTIVITE and not task.late


# --- Other tasks -----------------------------------------------------------------------------


def test_recruitment_opinion_actions_late_referent_and_cof_end(touraine, framework):
    ctg = touraine.ctg_own
    make_cof(
        touraine.admin, ctg, touraine.own, "COF-37-2022-002", fin=dt.date(2026, 9, 30)
    )  # ends before the Ctg (31/12/2026)
    recruitment = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    Action.objects.create(
        ctg=ctg, code="A1", titre="RPE", statut="en_cours", date_fin=dt.date(2026, 1, 31)
    )
    Action.objects.create(
        ctg=ctg, code="A2", titre="LAEP", statut="a_lancer", date_fin=dt.date(2025, 6, 30)
    )
    Action.objects.create(
        ctg=ctg, code="A3", titre="Fait", statut="realisee", date_fin=dt.date(2024, 6, 30)
    )
    FollowUp.objects.filter(collectivite=touraine.own).delete()
    own = LocalAuthority.objects.filter(pk=touraine.own.pk)
    by_kind = {t.kind: t for t in tasks_of(own)}
    assert by_kind["recrutement"].side is Side.CAF
    assert recruitment.intitule in by_kind["recrutement"].what
    late = by_kind["actions_retard"]
    assert late.what.startswith("2 actions du plan en retard")
    assert late.date == dt.date(2025, 6, 30) and late.side is Side.COLLECTIVITE
    assert by_kind["cof_fin"].date == dt.date(2026, 9, 30)
    assert by_kind["cof_fin"].side is Side.ENSEMBLE
    assert by_kind["referent"].what == f"Désigner le ou la référent·e Caf de {touraine.own.nom}"
    # the Caf's administrator designates them on « Suivi des collectivités »
    assert by_kind["referent"].url == (
        reverse("organisations:follow_ups", args=["37"]) + f"#collectivite-{touraine.own.pk}"
    )
    mine, others = split_for(touraine.editor, tasks_for_user(touraine.editor))
    assert {t.kind for t in mine} >= {"actions_retard", "cof_fin", "bilan"}
    assert {"recrutement", "referent"} <= {t.kind for t in others}


def test_scope_a_collectivite_sees_only_its_own(touraine, cof):
    make_cof(touraine.admin, touraine.ctg_other, touraine.other, "COF-37-2022-003")
    assert {t.collectivite_id for t in tasks_for_user(touraine.editor)} == {touraine.own.pk}
    assert {t.collectivite_id for t in tasks_for_user(touraine.other_editor)} == {touraine.other.pk}
    assert {t.collectivite_id for t in tasks_for_user(touraine.admin)} == {
        touraine.own.pk,
        touraine.other.pk,
    }
    assert {t.collectivite_id for t in tasks_for_user(touraine.outsider)} == {touraine.foreign.pk}
    assert tasks_for_user(touraine.nobody) == []


def test_api_filters_and_refuses_an_unknown_type(client, touraine, transmitted):
    data = api(client, touraine.admin, type="bilan_validation")
    assert [i["type"] for i in data["resultats"]] == ["bilan_validation"]
    assert data["resultats"][0]["cote"] == "caf" and data["resultats"][0]["a_faire"] is True
    _, secret = ApiToken.create_for(touraine.admin, "essai 2")
    response = client.get(
        reverse("api:echeances"), {"type": "reunion"}, headers={"authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "Type d'échéance inconnu : « reunion »."


# --- Bounded queries ---------------------------------------------------------------------------


def grow(w, n: int) -> None:
    for i in range(n):
        epci = EpciFactory()
        collectivite = LocalAuthorityFactory(caf=w.caf, epci=epci, nom=f"CC n°{i}")
        ctg = CtgFactory(caf=w.caf, signataires=[collectivite], intitule=f"Ctg n°{i}")
        cof = make_cof(w.admin, ctg, collectivite, f"COF-37-2022-2{i:02d}")
        editor = member(Role.COLLECTIVITE_EDITOR, collectivite=collectivite)
        report = reports.do_create_report(editor, cof, 2023 + i % 2)
        if i % 2:
            reports.do_transmit(editor, report)
        Action.objects.create(
            ctg=ctg, code="A1", titre="x", statut="en_cours", date_fin=dt.date(2025, 1, 1)
        )


def test_queries_do_not_grow_with_the_territories(touraine, framework, cof):
    from coopctg.dashboards import tasks

    def count() -> int:
        tasks._KEPT.clear()  # computed afresh: the cost after a write in the Caf
        with CaptureQueriesContext(connection) as queries:
            tasks_for_user(touraine.admin)
        return len(queries)

    count()  # the user's scope, then cached on the user
    few = count()
    grow(touraine, 4)
    assert count() == few


def test_a_whole_caf_s_tasks_are_kept_until_its_data_change(touraine, framework, cof):
    """The Caf administrator sees the whole Caf: its tasks are computed once, then read from
    memory (one query for the Caf's version) until a write in the Caf."""
    from coopctg.dashboards import tasks

    tasks._KEPT.clear()
    first = tasks_for_user(touraine.admin, TODAY)
    with CaptureQueriesContext(connection) as queries:
        again = tasks_for_user(touraine.admin, TODAY)
    assert again == first
    assert len(queries) == 3  # collectivités in view, their Caf's size, the Caf's version
    grow(touraine, 1)
    after = tasks_for_user(touraine.admin, TODAY)
    assert len(after) > len(first)
    tasks._KEPT.clear()
    assert tasks_for_user(touraine.admin, TODAY) == after


def test_an_editor_s_tasks_are_kept_until_their_caf_s_data_change(touraine, framework, cof):
    from coopctg.dashboards import tasks

    tasks._KEPT_PARTS.clear()
    first = tasks_for_user(touraine.editor, TODAY)
    computed = tasks._KEPT_PARTS.computed
    assert tasks_for_user(touraine.editor, TODAY) == first
    assert tasks._KEPT_PARTS.computed == computed
    Action.objects.create(
        ctg=touraine.ctg_own, code="Z1", titre="x", statut="en_cours", date_fin=dt.date(2025, 1, 1)
    )
    after = tasks_for_user(touraine.editor, TODAY)
    assert tasks._KEPT_PARTS.computed == computed + 1
    assert any(task.kind == "actions_retard" for task in after)
