"""The Touraine demonstration looks like a Caf's year: every Ctg with its signed Cof, bilans
and instances that give the Caf's dashboard a mix of states, CTT assigned, the advisor's first
task waiting on her home page; and loading it again changes nothing."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from coopctg.accounts.models import Invitation, Membership, User
from coopctg.agreements.models import AgreementVersion, FundingAgreement
from coopctg.core.models import AuditEntry
from coopctg.ctg.models import Ctg
from coopctg.funding.models import FundingArchitecture
from coopctg.funding.rules.themes import envelopes_for_themes
from coopctg.governance.models import Meeting
from coopctg.notifications.models import Notification
from coopctg.organisations.models import Caf, FollowUp, LocalAuthority, StaffMember
from coopctg.reports.models import AnnualReport

#: The day the demonstration is looked at: in the last semester of its Ctg 2022-2026, the
#: bilans 2025 due since 31 March.
TODAY = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


@pytest.fixture
def demo(db, capsys):
    call_command("demo", "charger")
    return capsys.readouterr().out


def state():
    """What the demonstration is made of, row by row where it matters."""
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Ctg,
                FundingAgreement,
                AgreementVersion,
                FundingArchitecture,
                AnnualReport,
                Meeting,
                User,
                Invitation,
                Notification,
                AuditEntry,
            )
        },
        "follow_ups": set(FollowUp.objects.values_list("member__nom", "collectivite_id", "role")),
        "roles": set(Membership.objects.values_list("user__username", "role", "collectivite_id")),
        "reports": set(AnnualReport.objects.values_list("cof__numero", "annee", "statut")),
    }


def test_the_demo_loads_twice_with_the_same_result(demo, capsys):
    assert "DÉMONSTRATION UNIQUEMENT" in demo and "admin.caf" in demo and "ctt.caf" in demo
    assert "11 Cof signées" in demo
    first = state()
    assert first["counts"]["Ctg"] == 11 and first["counts"]["FundingAgreement"] == 11
    call_command("demo", "charger", "--sans-territoires")
    assert "Cof signées" not in capsys.readouterr().out
    assert state() == first


def test_every_ctg_has_a_signed_cof_plausible_and_in_order(demo):
    admin = User.objects.get(username="admin.caf")
    cofs = list(FundingAgreement.objects.select_related("ctg").order_by("numero"))
    assert [c.numero for c in cofs] == [f"COF-37-2022-{n:03d}" for n in range(1, 12)]
    assert len({c.collectivite_id for c in cofs}) == 11
    for cof in cofs:
        ctg = cof.ctg
        assert cof.statut == "signee"
        assert (cof.date_debut, cof.date_fin) == (ctg.date_debut, ctg.date_fin)
        versions = list(cof.versions.order_by("numero"))
        assert versions[0].date_effet == ctg.date_debut, cof.numero
        signed = [v.date_signature for v in versions]
        assert ctg.date_signature <= signed[0] and signed == sorted(signed), cof.numero
        opened = {e.value for e in envelopes_for_themes(ctg.themes)}
        for version in versions:
            assert Decimal("1") <= version.total_etp <= Decimal("2.5"), cof.numero
            anomalies = version.ventilation["anomalies"]
            assert not [a for a in anomalies if a["gravite"] == "bloquante"], anomalies
            for person in version.architecture.personnes.all():
                shares = {a.enveloppe: a.etp for a in person.affectations.all()}
                assert set(shares) <= opened, (cof.numero, person.nom)
                if person.type_poste == "thematique":
                    assert sum(shares.values()) <= Decimal("0.8"), (cof.numero, person.nom)
                if person.type_poste == "coordination_generale":
                    assert set(shares) == opened, (cof.numero, person.nom)
        # Signed by the Caf's administrator, through the service: history rows exist.
        assert AuditEntry.objects.filter(
            objet_type="agreements.fundingagreement", objet_id=str(cof.pk), auteur=admin
        ).exists()
    assert sum(1 for c in cofs if c.versions.count() > 1) >= 2  # avenants
    assert sum(1 for c in cofs if c.versions.first().architecture.base_cej_montant) >= 5


def test_every_signed_version_has_its_signatories(demo):
    """The Cofs and avenants of Touraine name who signed for the Caf and the collectivité
    (functions of office holders, names invented), the collectivité last, on the version's
    signature date, before which the Caf signed."""
    from coopctg.agreements.models import AgreementVersion

    versions = list(AgreementVersion.objects.filter(statut="signee").prefetch_related("signatures"))
    assert len(versions) >= 13
    for version in versions:
        by_party = {s.partie: s for s in version.signatures.all()}
        assert set(by_party) == {"caf", "collectivite"}, version
        assert by_party["caf"].fonction == "Directrice de la Caf de Touraine"
        assert by_party["collectivite"].fonction in {"Président", "Présidente", "Maire"}
        assert by_party["collectivite"].date_signature == version.date_signature
        assert by_party["caf"].date_signature < version.date_signature


def test_the_gatine_avenant_changes_a_mission(demo, client):
    """Missions per post in the demo: the Gâtine Cof's avenant n°1 gives Mme Y the
    référentiel's M4.O2, and the comparison of the two versions says so."""
    cof = FundingAgreement.objects.get(numero="COF-37-2022-001")
    client.force_login(User.objects.get(username="admin.caf"))
    page = client.get(reverse("agreements:diff", args=[cof.pk])).content.decode()
    assert "mission ajoutée : M4.O2" in page


def test_the_caf_sees_a_believable_year(demo, client):
    from coopctg.agreements.annual import budget_year
    from coopctg.reports.payments import payment_schedule

    caf = Caf.objects.get(code="37")
    client.force_login(User.objects.get(username="admin.caf"))
    response = client.get(reverse("dashboards:caf", args=["37"]))
    counts = {category.value: count for category, count, _ in response.context["counts"]}
    assert counts["a_jour"] >= 2 and counts["bilan_retard"] >= 2 and counts["gouvernance"] >= 2
    assert counts["sans_ctg"] == 0 and counts["anomalie"] == 0

    # Every collectivité has its Cof in force this year: no budget or payment row of 0,00 €.
    collectivites = LocalAuthority.objects.filter(caf=caf)
    budget = budget_year(collectivites, TODAY.year)
    assert len(budget.rows) == 11 and all(row.funding.total > 0 for row in budget.rows)
    schedule = payment_schedule(caf, collectivites, TODAY.year)
    assert len(schedule.rows) == 11 and all(row.amount_due > 0 for row in schedule.rows)
    for url in (
        reverse("budget:annual", args=[TODAY.year]),
        reverse("payments:index") + f"?annee={TODAY.year}",
    ):
        html = client.get(url).content.decode()
        assert all(escape(la.nom) in html for la in collectivites), url
    # Last year's balances are released where the bilan is validated, not elsewhere.
    last = payment_schedule(caf, collectivites, TODAY.year - 1)
    states = {row.cof.collectivite.libelle_usuel: row.balance_released for row in last.rows}
    assert states["CC Touraine Est Vallées"] and not states["CC Val d'Amboise"]


def test_the_advisor_sees_the_gatine_bilan_first(demo, client, capsys):
    call_command("echeances", "--utilisateur", "conseillere.caf", "--format", "json")
    tasks = json.loads(capsys.readouterr().out)["echeances"]
    mine = [t for t in tasks if t["a_faire"]]
    assert mine[0]["type"] == "bilan_validation"
    assert mine[0]["quoi"].startswith("Bilan annuel 2024 transmis le 05/03/2025, à valider")
    assert mine[0]["territoire"] == "Communauté de communes de Gâtine-Racan"
    gatine = AnnualReport.objects.get(cof__numero="COF-37-2022-001", annee=2024)
    assert gatine.statut == "transmis" and gatine.valide_le is None

    client.force_login(User.objects.get(username="conseillere.caf"))
    html = client.get(reverse("home")).content.decode()
    todo = html[html.index("À faire") :]
    assert todo.index(reverse("reports:detail", args=[gatine.pk])) < todo.index("</li>")


def test_ctt_follow_the_collectivites_set_through_the_page_service(demo):
    admin = User.objects.get(username="admin.caf")
    ctt = FollowUp.objects.filter(role=StaffMember.Role.CTT)
    assert sorted(ctt.values_list("collectivite", flat=True)) == sorted(
        LocalAuthority.objects.filter(caf__code="37").values_list("pk", flat=True)
    )
    assert ctt.values("member").distinct().count() == 5
    history = AuditEntry.objects.filter(objet_type="organisations.localauthority", auteur=admin)
    assert history.count() == 11
    # The CTT's account sees exactly the collectivités she follows.
    latapy = StaffMember.objects.get(nom="LATAPY")
    assert latapy.user.username == "ctt.caf"
    assert set(
        Membership.objects.filter(user=latapy.user, role="caf_conseiller").values_list(
            "collectivite", flat=True
        )
    ) == set(latapy.suivis.values_list("collectivite", flat=True))


def test_demo_follow_up_of_the_gatine_ctg(demo):
    from coopctg.actionplan.models import Action
    from coopctg.actionplan.services import plan_summary
    from coopctg.governance.models import Decision, Highlight
    from coopctg.governance.rules import Status as PeriodStatus
    from coopctg.governance.services import governance_status

    ctg = Ctg.objects.get(cofs__numero="COF-37-2022-001")
    assert 6 <= Action.objects.filter(ctg=ctg).count() <= 8
    assert plan_summary(ctg, TODAY)["overall"]["overdue"] >= 1
    assert Decision.objects.filter(meeting__ctg=ctg).exclude(action_ref="").exists()
    assert Meeting.objects.filter(ctg=ctg, date__gt=TODAY).count() >= 2
    assert {h.kind for h in Highlight.objects.filter(ctg=ctg)} == {
        "service",
        "partenariat",
        "competence",
    }

    status = governance_status(ctg, TODAY)
    missing = [p.key for p in status.cotech if p.status is PeriodStatus.NON_CONFORME]
    assert missing == ["2024-S2"]
    assert all(p.status is not PeriodStatus.NON_CONFORME for p in status.copil)
    assert status.compliant is False and status.alerts

    # The Cof is signed after the Ctg, effective from its start (avenant n°1 in 2023).
    cof = ctg.cofs.get()
    initial, avenant = cof.versions.order_by("numero")
    assert ctg.date_signature < initial.date_signature and initial.date_effet == ctg.date_debut
    assert avenant.date_effet == dt.date(2023, 7, 1)

    reports = {r.annee: r for r in AnnualReport.objects.filter(cof__ctg=ctg)}
    assert {year: r.statut for year, r in reports.items()} == {
        2022: "valide",
        2023: "valide",
        2024: "transmis",
        2025: "brouillon",
    }
    assert reports[2022].valide_le and reports[2022].valide_par.username == "admin.caf"
    assert reports[2024].premiere_transmission_le and reports[2024].valide_le is None
    assert reports[2025].transmis_le is None and reports[2025].faits == {}
    # Transmitted reports carry their facts, frozen on the day of transmission.
    frozen = reports[2024].faits
    assert frozen["annee"] == 2024
    assert frozen["etablis_le"] == reports[2024].transmis_le.date().isoformat()
    assert frozen["financement"]["montant_du"] == "52800.00" and frozen["instances"]
    for report in reports.values():
        assert report.evaluations.count() == 46
    realised = [
        reports[year].evaluations.filter(niveau="realise").count() for year in sorted(reports)
    ]
    assert realised == sorted(realised) and realised[0] < realised[-1]


SCHEDULE = {"copil": {"mois": 6, "jour": 20}, "cotech": [{"mois": 3, "jour": 17}]}


def test_regular_instances_make_a_ctg_compliant_once(touraine):
    from coopctg.demo.loader import regular_instances
    from coopctg.governance.services import governance_status

    today = dt.date(2025, 11, 30)
    ctg = touraine.ctg_own
    schedule = {**SCHEDULE, "cotech": [{"mois": 3, "jour": 17}, {"mois": 10, "jour": 13}]}
    assert governance_status(ctg, today).compliant is False
    first = regular_instances([(ctg, set())], schedule, today)
    assert first > 0 and regular_instances([(ctg, set())], schedule, today) == 0
    assert governance_status(ctg, today).compliant is True
    assert not ctg.instances.filter(date__gt=today).exists()


def test_regular_instances_leave_out_the_missing_ones(touraine):
    from coopctg.demo.loader import regular_instances
    from coopctg.governance.rules import Status as PeriodStatus
    from coopctg.governance.services import governance_status

    today = dt.date(2025, 11, 30)
    ctg = touraine.ctg_own
    schedule = {**SCHEDULE, "cotech": [{"mois": 3, "jour": 17}, {"mois": 10, "jour": 13}]}
    regular_instances([(ctg, {"copil-2024", "cotech-2025-S1"})], schedule, today)
    status = governance_status(ctg, today)
    missing = sorted(p.key for p in status.periods if p.status is PeriodStatus.NON_CONFORME)
    assert missing == ["2024", "2025-S1"]


def test_the_cnaf_sees_both_caf_on_the_national_view(demo, client):
    """The demo's national analyst, and a second Caf added as ``coopctg caf ajouter`` does."""
    loir_et_cher = Caf.objects.get(code="41")
    assert LocalAuthority.objects.filter(caf=loir_et_cher).count() > 0
    client.force_login(User.objects.get(username="analyste.cnaf"))
    html = client.get(reverse("national:annual", args=[2025])).content.decode()
    assert "Caf de Touraine" in html and "Caf de Loir-et-Cher" in html
    client.force_login(User.objects.get(username="admin.caf"))
    assert client.get(reverse("national:annual", args=[2025])).status_code == 404
