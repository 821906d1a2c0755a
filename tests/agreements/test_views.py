"""The Cof pages in the browser (Django test client): the request → decision → avenant path for
the roles concerned, the POST actions role by role, bad input, list query counts."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from coopctg.agreements import workflow
from coopctg.agreements.models import (
    AgreementVersion,
    FundingAgreement,
    ModificationRequest,
    RequestComment,
)
from coopctg.agreements.services import version_in_force
from coopctg.core.models import AuditEntry
from coopctg.notifications.models import Notification
from coopctg.organisations.models import LocalAuthority
from tests.agreements.helpers import (
    ALL_THEMES,
    MOVED,
    SIGNATURE_POST,
    make_cof,
    proposal,
    signature_post,
    signatures,
)
from tests.factories import CtgFactory, EpciFactory, seed_architecture

ROLES = ["admin", "analyst", "advisor", "editor", "elu", "other_editor", "outsider", "nobody"]


@pytest.fixture(autouse=True)
def _setup(touraine, monkeypatch):
    touraine.ctg_own.themes = ALL_THEMES
    touraine.ctg_own.save()
    for user in (touraine.admin, touraine.advisor, touraine.editor, touraine.analyst):
        user.email = f"{user.username}@example.fr"
        user.save()
    monkeypatch.setattr(workflow, "today", lambda: dt.date(2024, 11, 15))


@pytest.fixture
def cof(touraine):
    return make_cof(touraine.admin, touraine.ctg_own, touraine.own, "COF-37-2022-001")


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def request_post(persons, *, motif="Mme Y passe à 0,7 Etp", date="2025-01-01", **extra):
    data = {
        "motif": motif,
        "date_effet": date,
        "base_cej_montant": "48 000",
        "base_cej_etp": "2",
        "personnes-TOTAL_FORMS": str(len(persons)),
        "personnes-INITIAL_FORMS": "0",
        "personnes-MIN_NUM_FORMS": "0",
        "personnes-MAX_NUM_FORMS": "30",
    }
    for index, (nom, fonction, post, etp) in enumerate(persons):
        data[f"personnes-{index}-nom"] = nom
        data[f"personnes-{index}-fonction"] = fonction
        data[f"personnes-{index}-type_poste"] = post
        for code, value in etp.items():
            data[f"personnes-{index}-etp_{code}"] = value.replace(".", ",")
    data.update(extra)
    return data


# --- The whole path ------------------------------------------------------------------------


def test_request_to_avenant_end_to_end(
    client, touraine, mailoutbox, django_capture_on_commit_callbacks
):
    w = touraine
    architecture = seed_architecture(w.ctg_own, w.own)

    # The advisor creates the Cof from the working architecture and signs the initial version.
    client.force_login(w.advisor)
    create_url = reverse("agreements:create", args=[architecture.pk])
    assert "Signer la Cof initiale" in text(client.get(create_url))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            create_url,
            {
                "numero": "",
                "date_debut": "2022-01-01",
                "date_fin": "2026-12-31",
                **signature_post("2021-12-15"),
            },
        )
    cof = FundingAgreement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "agreements:detail", args=[cof.pk]
    )
    assert cof.numero == "COF-37-2022-001" and cof.statut == "signee"
    initial = cof.versions.get()
    assert initial.label == "Cof initiale" and initial.total_montant == Decimal("48000.00")
    assert initial.document.name == f"cof/cof-{cof.pk}-version-0.pdf"

    # The editor proposes Mme Y at 0,7 Etp from 01/01/2025 (a development: 2 → 2,2 Etp).
    client.force_login(w.editor)
    page = text(client.get(reverse("agreements:detail", args=[cof.pk])))
    assert "Demander une modification" in page and "en vigueur aujourd'hui" in page
    create = reverse("agreements:request_create", args=[cof.pk])
    form = text(client.get(create))
    assert "M. C" in form and "Date d'effet demandée" in form
    preview = client.post(create, request_post(MOVED), HTTP_HX_REQUEST="true")
    assert preview.status_code == 200 and "Nouveau développement" in text(preview)
    assert not ModificationRequest.objects.exists()  # the preview saves nothing
    response = client.post(create, request_post(MOVED))
    demande = ModificationRequest.objects.get()
    assert response.status_code == 302 and demande.statut == "brouillon"
    assert not Notification.objects.exists()  # a draft is the collectivité's own
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agreements:request_submit", args=[demande.pk]),
            {"revision": demande.revision},
        )
    demande.refresh_from_db()
    assert response.status_code == 302 and demande.statut == "soumise"
    assert {n.destinataire for n in Notification.objects.all()} == {w.admin, w.advisor}
    assert {m.to[0] for m in mailoutbox} == {"admin@example.fr", "conseiller@example.fr"}

    # The advisor reads the difference, comments, then asks for changes.
    client.force_login(w.advisor)
    page = text(client.get(reverse("agreements:request", args=[demande.pk])))
    assert "Nouveau développement" in page and "2 Etp → 2,2 Etp" in page
    assert "Enfance-jeunesse" in page and "15 600,00 €" in page and "20 400,00 €" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("agreements:request_comment", args=[demande.pk]),
            {"texte": "Sur quelles missions porte le 0,2 Etp de plus ?"},
        )
    assert Notification.objects.filter(destinataire=w.editor).count() == 1
    client.post(
        reverse("agreements:request_changes", args=[demande.pk]),
        {"texte": "Ramenez Mme Y à 0,6 Etp.", "revision": demande.revision},
    )
    demande.refresh_from_db()
    assert demande.statut == "a_modifier"

    # The editor edits and submits again.
    client.force_login(w.editor)
    edit = reverse("agreements:request_edit", args=[demande.pk])
    page = text(client.get(reverse("agreements:request", args=[demande.pk])))
    assert "Ramenez Mme Y à 0,6 Etp." in page and "Soumettre à nouveau à la Caf" in page
    six = [
        p if p[0] != "Mme Y" else (p[0], p[1], p[2], {"enfance_jeunesse": "0.60"}) for p in MOVED
    ]
    response = client.post(
        edit, request_post(six, motif="Mme Y passe à 0,6 Etp", revision=demande.revision)
    )
    assert response.status_code == 302
    client.post(
        reverse("agreements:request_submit", args=[demande.pk]),
        {"revision": ModificationRequest.objects.get().revision},
    )
    demande.refresh_from_db()
    assert demande.statut == "soumise" and demande.motif == "Mme Y passe à 0,6 Etp"

    # The advisor accepts: without the Caf's prior agreement, refused next to the checkbox.
    client.force_login(w.advisor)
    decide = reverse("agreements:request_decide", args=[demande.pk])
    decision = {
        "decision": "accord",
        "motif": "Accord après échanges.",
        "revision": demande.revision,
        **SIGNATURE_POST,
    }
    response = client.post(decide, decision)
    assert response.status_code == 400
    assert "ne peut être accepté sans l'accord préalable de la Caf" in text(response)
    assert re.search(r'id="id_accord_prealable_error"', response.content.decode())
    demande.refresh_from_db()
    assert demande.statut == "soumise" and cof.versions.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide, decision | {"accord_prealable": "on"})
    assert response.status_code == 302
    demande.refresh_from_db()
    avenant = demande.avenant
    assert demande.statut == "acceptee" and demande.accord_prealable
    assert demande.accord_prealable_par == w.advisor and demande.accord_prealable_le is not None
    assert avenant.label == "Avenant n°1" and avenant.date_effet == dt.date(2025, 1, 1)
    assert avenant.date_signature == dt.date(2024, 11, 14)  # the last party's, not today
    assert avenant.signatures.count() == 2
    assert avenant.total_etp == Decimal("2.10") and avenant.total_montant == Decimal("50400.00")
    assert version_in_force(cof, dt.date(2024, 12, 31)) == initial
    assert version_in_force(cof, dt.date(2025, 1, 1)) == avenant
    assert avenant.document.name == f"cof/cof-{cof.pk}-version-1.pdf"
    notified = Notification.objects.filter(titre__startswith="Demande de modification acceptée")
    assert {n.destinataire for n in notified} == {w.editor}
    assert any("acceptée" in m.subject and m.to == ["editeur@example.fr"] for m in mailoutbox)

    # Everyone concerned sees the avenant; its PDF is served.
    for role in ("editor", "elu", "analyst", "admin"):
        client.force_login(getattr(w, role))
        page = text(client.get(reverse("agreements:version", args=[avenant.pk])))
        assert "Cof n° COF-37-2022-001 — Avenant n°1" in page
        pdf = client.get(reverse("agreements:version_pdf", args=[avenant.pk]))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    # The decided request keeps the difference that was decided (not recomputed against the
    # avenant now in force, which would say « Aucune différence »).
    client.force_login(w.editor)
    page = text(client.get(reverse("agreements:request", args=[demande.pk])))
    assert "Ce qui a été décidé" in page and "Aucune différence" not in page
    assert "Cof initiale → la proposition" in page and "Mme Y" in page
    client.force_login(w.other_editor)
    assert client.get(reverse("agreements:request", args=[demande.pk])).status_code == 404


# --- POST actions, role by role ------------------------------------------------------------


@pytest.fixture
def submitted(touraine, cof):
    demande = workflow.do_create_request(touraine.editor, cof, proposal())
    return workflow.do_submit_request(touraine.editor, demande)


ALLOWED = {
    "request_submit": {"editor"},
    "request_comment": {"admin", "advisor", "editor"},
    "request_changes": {"admin", "advisor"},
    "request_decide": {"admin", "advisor"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_post_actions_by_role(client, touraine, cof, role, action):
    demande = workflow.do_create_request(touraine.editor, cof, proposal())
    if action != "request_submit":
        demande = workflow.do_submit_request(touraine.editor, demande)
    data = {
        "request_submit": {"revision": demande.revision},
        "request_comment": {"texte": "Bonjour"},
        "request_changes": {"texte": "Précisez", "revision": demande.revision},
        "request_decide": {
            "decision": "refus",
            "motif": "Pas cette année",
            "revision": demande.revision,
        },
    }[action]
    client.force_login(getattr(touraine, role))
    before = AuditEntry.objects.count()
    response = client.post(reverse(f"agreements:{action}", args=[demande.pk]), data)
    allowed = role in ALLOWED[action]
    assert response.status_code == (302 if allowed else 404)
    assert (AuditEntry.objects.count() > before) is allowed


def test_create_cof_post_refused_to_others(client, touraine):
    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    for role in ("editor", "analyst", "elu", "other_editor", "outsider"):
        client.force_login(getattr(touraine, role))
        response = client.post(
            reverse("agreements:create", args=[architecture.pk]),
            {"date_debut": "2022-01-01", "date_fin": "2026-12-31", **signature_post("2022-01-01")},
        )
        assert response.status_code == 404
    assert not FundingAgreement.objects.exists()


# --- Bad input: 400, the error next to its field, nothing written --------------------------


def test_decision_without_reason(client, touraine, submitted):
    client.force_login(touraine.advisor)
    before = AuditEntry.objects.count()
    response = client.post(
        reverse("agreements:request_decide", args=[submitted.pk]),
        {"decision": "refus", "motif": "  ", "revision": submitted.revision},
    )
    assert response.status_code == 400
    assert 'id="id_motif_error"' in response.content.decode()
    assert "Motivez la décision" in text(response)
    submitted.refresh_from_db()
    assert submitted.statut == "soumise" and AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"date": "2021-06-01"}, "date_effet", "dans la période de la Cof"),
        ({"date": "2022-01-01"}, "date_effet", "doit suivre celle de la version en vigueur"),
        ({"date": "pas une date"}, "date_effet", ""),
        ({"motif": ""}, "motif", ""),
    ],
)
def test_bad_request_input(client, touraine, cof, data, field, message):
    client.force_login(touraine.editor)
    response = client.post(
        reverse("agreements:request_create", args=[cof.pk]), request_post(MOVED, **data)
    )
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert message in text(response)
    assert not ModificationRequest.objects.exists()


def test_bad_etp_in_request(client, touraine, cof):
    client.force_login(touraine.editor)
    data = request_post(MOVED)
    data["personnes-1-etp_enfance_jeunesse"] = "beaucoup"
    response = client.post(reverse("agreements:request_create", args=[cof.pk]), data)
    assert response.status_code == 400
    assert "Saisissez un nombre d'Etp" in text(response)
    assert not ModificationRequest.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date_fin": "2021-01-01"}, "date_fin"),
        ({"date_fin": "2030-12-31"}, "date_fin"),
        ({"date_debut": "n'importe quoi"}, "date_debut"),
        ({"numero": "COF-PRIS"}, "numero"),
        ({"numero": "../../COF-1"}, "numero"),
        ({"numero": "COF/37/2022/1"}, "numero"),
        ({"numero": "COF 37"}, "numero"),
        ({"caf_nom": ""}, "caf_nom"),
        ({"collectivite_fonction": " "}, "collectivite_fonction"),
        ({"collectivite_date": "2099-01-01"}, "collectivite_date"),
        ({"caf_date": "hier"}, "caf_date"),
    ],
)
def test_bad_cof_input(client, touraine, data, field):
    architecture = seed_architecture(touraine.ctg_own, touraine.own)
    make_cof(touraine.admin, touraine.ctg_other, touraine.other, "COF-PRIS")
    client.force_login(touraine.admin)
    post = {
        "numero": "",
        "date_debut": "2022-01-01",
        "date_fin": "2026-12-31",
        **signature_post("2021-12-15"),
    } | data
    response = client.post(reverse("agreements:create", args=[architecture.pk]), post)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert FundingAgreement.objects.filter(collectivite=touraine.own).count() == 0


def test_bad_comparison_parameters(client, touraine, cof):
    client.force_login(touraine.elu)
    url = reverse("agreements:diff", args=[cof.pk])
    assert client.get(url, {"de": "x", "a": "999999"}).status_code == 400
    v0 = cof.versions.get()
    assert client.get(url, {"de": v0.pk, "a": v0.pk}).status_code == 200


def test_stale_decision_shows_a_clear_message(client, touraine, submitted):
    stale = submitted.revision
    workflow.do_decide(touraine.admin, submitted, accept=False, motif="Refus de l'administratrice")
    client.force_login(touraine.advisor)
    response = client.post(
        reverse("agreements:request_decide", args=[submitted.pk]),
        {"decision": "refus", "motif": "Refus du conseiller", "revision": stale},
    )
    assert response.status_code == 409
    assert "Cette demande a déjà été refusée par" in text(response)
    submitted.refresh_from_db()
    assert submitted.decision_motif == "Refus de l'administratrice"


# --- Pages ---------------------------------------------------------------------------------


def test_history_lists_every_change_for_caf_staff_only(client, touraine, cof, submitted):
    workflow.do_comment(touraine.advisor, submitted, "Merci, nous regardons.")
    url = reverse("agreements:history", args=[cof.pk])
    client.force_login(touraine.analyst)
    page = text(client.get(url))
    for expected in (
        "Cof — Cof COF-37-2022-001",
        "Version — Cof initiale",
        "Demande de modification — Demande de modification n°",
        "Échange — Commentaire de",
        "Architecture —",
        "brouillon",
        "soumise",
        "Merci, nous regardons.",
        "Mme Y (Poste thématique) : Enfance-jeunesse 0,7 Etp",
    ):
        assert expected in page, expected
    for role in ("editor", "elu"):
        client.force_login(getattr(touraine, role))
        assert client.get(url).status_code == 404


def test_version_page_shows_frozen_figures(client, touraine, cof):
    v0 = cof.versions.get()
    client.force_login(touraine.elu)
    page = text(client.get(reverse("agreements:version", args=[v0.pk])))
    assert "Cof n° COF-37-2022-001 — Cof initiale" in page
    assert "Pilotage petite enfance" in page and "48 000,00 €" in page
    assert "du 01/01/2022 au 31/12/2026" in page


def test_version_pdf_is_regenerated_when_missing(client, touraine, cof):
    v0 = cof.versions.get()
    assert not v0.document
    client.force_login(touraine.editor)
    response = client.get(reverse("agreements:version_pdf", args=[v0.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    v0.refresh_from_db()
    assert v0.document


def test_version_pdf_failure_shows_a_message(client, touraine, cof, monkeypatch):
    import coopctg.agreements.documents as documents

    def broken(version):
        raise RuntimeError("WeasyPrint en panne")

    monkeypatch.setattr(documents, "version_pdf", broken)
    client.force_login(touraine.editor)
    response = client.get(reverse("agreements:version_pdf", args=[cof.versions.get().pk]))
    assert response.status_code == 503
    assert "n'a pas pu être produit" in text(response)


def test_list_filters_by_computed_status(client, touraine, cof, monkeypatch):
    ended = make_cof(
        touraine.admin,
        touraine.ctg_other,
        touraine.other,
        "COF-37-2022-002",
        fin=dt.date(2023, 12, 31),
    )
    client.force_login(touraine.admin)
    url = reverse("agreements:list")
    page = text(client.get(url, {"statut": "echue"}))
    assert ended.numero in page and cof.numero not in page
    page = text(client.get(url, {"statut": "signee"}))
    assert cof.numero in page and ended.numero not in page
    page = text(client.get(url, {"collectivite": touraine.other.pk}))
    assert ended.numero in page and cof.numero not in page
    assert client.get(url, {"statut": "n'importe", "collectivite": "x"}).status_code == 200


def grow(w, n):
    """``n`` more collectivités of Caf 37, each with a Ctg, a signed Cof and a submitted
    request."""
    start = FundingAgreement.objects.count()
    for index in range(start, start + n):
        epci = EpciFactory()
        la = LocalAuthority.objects.create(caf=w.caf, kind="epci", epci=epci, nom=epci.nom)
        ctg = CtgFactory(caf=w.caf, signataires=[la], themes=ALL_THEMES)
        cof = make_cof(w.admin, ctg, la, f"COF-37-2022-{500 + index}")
        editor = type(w.editor).objects.create(username=f"editeur-{epci.siren}")
        editor.memberships.create(role="collectivite_editeur", collectivite=la)
        demande = workflow.do_create_request(editor, cof, proposal())
        workflow.do_submit_request(editor, demande)


@pytest.mark.parametrize("name", ["agreements:list", "notifications:list"])
def test_list_queries_do_not_grow(client, touraine, cof, django_assert_max_num_queries, name):
    client.force_login(touraine.admin)
    url = reverse(name)
    grow(touraine, 1)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    grow(touraine, 6)
    assert Notification.objects.filter(destinataire=touraine.admin).count() == 7
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    if name == "agreements:list":
        assert text(response).count("demande en cours") == 7


def test_request_exchange_is_shown_in_order(client, touraine, submitted):
    workflow.do_comment(touraine.advisor, submitted, "Première question")
    workflow.do_comment(touraine.editor, submitted, "Première réponse")
    client.force_login(touraine.elu)
    page = text(client.get(reverse("agreements:request", args=[submitted.pk])))
    assert page.index("Première question") < page.index("Première réponse")
    assert "Envoyer le commentaire" not in page  # élus read
    assert RequestComment.objects.count() == 2
    assert AgreementVersion.objects.count() == 1


def test_version_pdf_carries_its_title_and_effective_date(touraine, cof):
    from coopctg.agreements.documents import version_html

    demande = workflow.do_create_request(touraine.editor, cof, proposal(day=dt.date(2025, 1, 1)))
    demande = workflow.do_submit_request(touraine.editor, demande)
    avenant = workflow.do_decide(
        touraine.admin,
        demande,
        accept=True,
        signatures=signatures(),
        motif="Accord.",
        accord_prealable=True,
    ).avenant
    page = re.sub(r"\s+", " ", version_html(avenant))
    assert "<title>Cof n° COF-37-2022-001 — Avenant n°1" in page
    assert "<tr><th>Date d'effet</th><td>01/01/2025</td></tr>" in page  # the annex
    assert "Cof initiale" in version_html(cof.versions.get(numero=0))


def pdf_text(content: bytes) -> str:
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext absent (paquet poppler-utils)")
    extracted = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", " ", extracted)


def test_avenant_pdf_is_a_real_document(touraine, cof):
    """Parties, visas, motif and decision, « Ce qui change », effect date, signatures, then the
    financial annex — not the annex with another title."""
    from coopctg.agreements.documents import version_pdf

    demande = workflow.do_create_request(touraine.editor, cof, proposal(day=dt.date(2025, 1, 1)))
    demande = workflow.do_submit_request(touraine.editor, demande)
    avenant = workflow.do_decide(
        touraine.admin,
        demande,
        accept=True,
        signatures=signatures(),
        motif="Accord après le comité de pilotage.",
        accord_prealable=True,
    ).avenant
    content = version_pdf(avenant)
    text_ = pdf_text(content)
    heading = "Avenant n°1 à la convention d'objectifs et de financement n° COF-37-2022-001"
    assert heading in text_
    assert "Entre les soussignés" in text_ and "Visas" in text_
    assert "Vu la demande de modification n°" in text_
    assert "Mme Y passe à 0,7 Etp" in text_  # the request's motive
    assert "Accord après le comité de pilotage." in text_  # the decision
    assert "Ce qui change" in text_ and "De Cof initiale à Avenant n°1" in text_
    assert "Enfance-jeunesse : 0,5 Etp → 0,7 Etp" in text_
    assert "prend effet le 01/01/2025" in text_
    assert "Mme Anne Martin" in text_ and "Directrice de la Caf" in text_
    assert "M. Paul Durand" in text_ and "Président" in text_
    assert "Signé le 14/11/2024" in text_ and "Signé le 12/11/2024" in text_
    assert text_.index("Signatures") < text_.index("Annexe financière")
    assert "52 800 €" in text_  # the annex's total


def test_initial_cof_pdf_without_recorded_signature_has_lines_to_sign(touraine, cof):
    from coopctg.agreements.documents import version_pdf

    text_ = pdf_text(version_pdf(cof.versions.get(numero=0)))
    assert "Convention d'objectifs et de financement n° COF-37-2022-001" in text_
    assert "Architecture initiale" in text_ and "M. X" in text_
    block = text_[text_.index("Signatures") : text_.index("Annexe financière")]
    assert block.count("Nom :") == 2 and block.count("Signature :") == 2  # lines to sign
    assert "Signé le" not in block
    assert "Annexe financière" in text_


def test_request_edit_preview_and_add_a_person(client, touraine, cof):
    demande = workflow.do_create_request(touraine.editor, cof, proposal())
    client.force_login(touraine.editor)
    url = reverse("agreements:request_edit", args=[demande.pk])
    fragment = client.post(
        url, request_post(MOVED, revision=demande.revision), HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200
    assert fragment.content.decode().startswith('<div id="apercu-demande">')
    added = client.post(url, request_post(MOVED, ajouter="1", revision=demande.revision))
    assert added.status_code == 200 and "Personne 5" in text(added)
    demande.refresh_from_db()
    assert demande.revision == 0  # nothing saved


def test_concurrent_edit_is_refused(client, touraine, cof):
    demande = workflow.do_create_request(touraine.editor, cof, proposal())
    workflow.do_update_request(touraine.editor, demande, proposal(motif="Autre motif"))
    client.force_login(touraine.editor)
    response = client.post(
        reverse("agreements:request_edit", args=[demande.pk]),
        request_post(MOVED, motif="Ma version", revision=0),
    )
    assert response.status_code == 400
    assert "La demande a changé depuis que vous l'avez ouverte" in text(response)
    demande.refresh_from_db()
    assert demande.motif == "Autre motif"


@pytest.mark.parametrize("total", ["abc", "", "-1"])
def test_tampered_formset_never_crashes(client, touraine, cof, total):
    client.force_login(touraine.editor)
    url = reverse("agreements:request_create", args=[cof.pk])
    for extra in ({}, {"ajouter": "1"}):
        data = request_post(MOVED, **extra)
        data["personnes-TOTAL_FORMS"] = total
        response = client.post(url, data)
        assert response.status_code in (200, 400)
    assert not ModificationRequest.objects.exists()
