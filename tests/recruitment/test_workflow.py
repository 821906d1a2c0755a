"""The recruitment's workflow functions: the post, the Caf invited to the panel, the stages one
by one (and back with a reason), the Caf's opinion — mandatory before the decision — and the
decision; each change audited, the notifications sent to the right people."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from coopctg.core.models import AuditEntry
from coopctg.framework.loader import load_framework
from coopctg.notifications.models import Notification
from coopctg.recruitment.models import (
    Decision,
    Opinion,
    Recruitment,
    Stage,
    StageChange,
)
from coopctg.recruitment.workflow import (
    RecruitmentError,
    do_advance_stage,
    do_give_opinion,
    do_invite_caf,
    do_record_decision,
    do_step_back,
    do_update_recruitment,
)
from tests.factories import StaffMemberFactory, seed_architecture
from tests.recruitment.conftest import CODES, TODAY, attendus, bring_to, make_recruitment, post

pytestmark = pytest.mark.usefixtures("frozen_today")

D = Decimal


def audit(recruitment):
    return list(
        AuditEntry.objects.filter(
            objet_type="recruitment.recruitment", objet_id=str(recruitment.pk)
        ).order_by("id")
    )


def recipients(titre_start):
    return sorted(
        n.destinataire.username
        for n in Notification.objects.filter(titre__startswith=titre_start).select_related(
            "destinataire"
        )
    )


def refused(match, function, *args, **kwargs):
    with pytest.raises(RecruitmentError, match=match):
        function(*args, **kwargs)


# --- The post ------------------------------------------------------------------------------


def test_create_writes_the_post_and_its_history(touraine, framework):
    r = make_recruitment(touraine, framework)
    assert r.etape == Stage.OUVERT
    assert r.cree_par == touraine.editor
    assert sorted(r.attendus.values_list("code", flat=True)) == sorted(CODES)
    assert {a.enveloppe: a.etp for a in r.affectations.all()} == {
        "petite_enfance": D("0.40"),
        "parentalite": D("0.40"),
    }
    assert r.etp_total() == D("0.80")
    (entry,) = audit(r)
    assert entry.action == AuditEntry.Action.CREATION
    assert entry.auteur == touraine.editor
    assert entry.caf_id == touraine.caf.pk
    assert entry.apres["attendus"] == sorted(CODES)
    assert entry.apres["affectations"] == {"parentalite": "0.40", "petite_enfance": "0.40"}
    assert entry.apres["etape"] == "ouvert"


@pytest.mark.parametrize("role", ["admin", "advisor", "editor"])
def test_who_may_open_a_recruitment(touraine, framework, role):
    assert make_recruitment(touraine, framework, user=getattr(touraine, role)).pk


@pytest.mark.parametrize("role", ["analyst", "elu", "other_editor", "outsider", "nobody"])
def test_who_may_not_open_a_recruitment(touraine, framework, role):
    refused(
        "Vous ne pouvez pas ouvrir",
        make_recruitment,
        touraine,
        framework,
        user=getattr(touraine, role),
    )
    assert not Recruitment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"intitule": "  "}, "intitulé"),
        ({"type_poste": "directeur"}, "type de poste"),
        ({"etp": {}}, "au moins une part d'Etp"),
        ({"etp": {"petite_enfance": D("0")}}, "positive"),
        ({"etp": {"inconnue": D("0.5")}}, "Enveloppe thématique inconnue"),
        (
            {"etp": {"petite_enfance": D("0.60"), "parentalite": D("0.41")}},
            "1,01.Etp : un poste ne peut dépasser 1.Etp",
        ),
        ({"attendus": []}, "au moins un attendu"),
    ],
)
def test_the_post_is_checked(touraine, framework, changes, match):
    refused(match, make_recruitment, touraine, framework, **changes)
    assert not Recruitment.objects.exists()
    assert not AuditEntry.objects.filter(objet_type="recruitment.recruitment").exists()


def test_one_full_time_equivalent_is_the_most(touraine, framework):
    r = make_recruitment(
        touraine, framework, etp={"petite_enfance": D("0.60"), "parentalite": D("0.40")}
    )
    assert r.etp_total() == D("1.00")


def test_the_ctg_must_be_signed_by_the_collectivite(touraine, framework):
    refused("n'est pas signataire", make_recruitment, touraine, framework, ctg=touraine.ctg_other)


def test_the_attendus_come_from_the_recruitments_version(touraine, framework, tmp_path):
    import yaml

    from coopctg.framework.loader import DEFAULT_FRAMEWORK_FILE

    data = yaml.safe_load(DEFAULT_FRAMEWORK_FILE.read_text(encoding="utf-8"))
    data["version"] = "touraine-2026-01"
    data["date_publication"] = "2026-01-01"
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    newer = load_framework(path)
    mixed = attendus() + [a for a in newer.missions.get(code="M3").objectifs.first().attendus.all()]
    refused(
        "doivent tous venir du référentiel", make_recruitment, touraine, framework, attendus=mixed
    )


def test_the_funded_person_belongs_to_the_collectivite_and_ctg(touraine, framework):
    own = seed_architecture(touraine.ctg_own, touraine.own)
    other = seed_architecture(touraine.ctg_other, touraine.other)
    r = make_recruitment(touraine, framework, personne_financee=own.personnes.get(nom="M. C"))
    assert r.personne_financee.nom == "M. C"
    refused(
        "n'appartient pas",
        make_recruitment,
        touraine,
        framework,
        personne_financee=other.personnes.first(),
    )


def test_update_rewrites_the_post_with_its_history(touraine, framework):
    r = make_recruitment(touraine, framework)
    r = do_update_recruitment(
        touraine.advisor,
        r,
        post(
            touraine,
            framework,
            intitule="Chargé·e de coopération Ctg",
            type_poste="coordination_generale",
            etp={"avs_logement_acces_droits": D("0.50")},
            attendus=attendus("M4.O1.A1"),
        ),
    )
    r.refresh_from_db()
    assert r.intitule == "Chargé·e de coopération Ctg"
    assert list(r.attendus.values_list("code", flat=True)) == ["M4.O1.A1"]
    assert [(a.enveloppe, a.etp) for a in r.affectations.all()] == [
        ("avs_logement_acces_droits", D("0.50"))
    ]
    entry = audit(r)[-1]
    assert entry.action == AuditEntry.Action.MODIFICATION
    assert entry.avant["attendus"] == sorted(CODES)
    assert entry.apres["attendus"] == ["M4.O1.A1"]
    assert entry.apres["type_poste"] == "coordination_generale"


def test_the_post_is_fixed_once_the_opinion_is_asked(touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    refused(
        "ne peut plus être modifié",
        do_update_recruitment,
        touraine.editor,
        r,
        post(touraine, framework, intitule="Autre"),
    )
    assert Recruitment.objects.get().intitule != "Autre"


def test_the_elected_official_may_not_edit(touraine, framework):
    r = make_recruitment(touraine, framework)
    refused(
        "Vous ne pouvez pas modifier",
        do_update_recruitment,
        touraine.elu,
        r,
        post(touraine, framework),
    )


# --- The Caf invited to the panel ----------------------------------------------------------


def test_invite_the_caf_records_who_when_and_notifies_the_member(touraine, framework):
    touraine.staff.user = touraine.advisor
    touraine.staff.save()
    r = make_recruitment(touraine, framework)
    r = do_invite_caf(touraine.editor, r, touraine.staff, dt.date(2025, 3, 10))
    r.refresh_from_db()
    assert (r.caf_invite, r.caf_invite_le, r.caf_invite_par) == (
        touraine.staff,
        dt.date(2025, 3, 10),
        touraine.editor,
    )
    assert audit(r)[-1].apres["caf_invite"] == "Sylvie MICHEL"
    assert recipients("Invitation au jury") == ["conseiller"]
    notification = Notification.objects.get(titre__startswith="Invitation au jury")
    assert notification.lien == f"/recrutements/{r.pk}/"


def test_invite_a_member_without_account_notifies_nobody(touraine, framework):
    r = do_invite_caf(
        touraine.advisor, make_recruitment(touraine, framework), touraine.staff, TODAY
    )
    assert r.caf_invite == touraine.staff
    assert not Notification.objects.exists()


def test_invite_a_member_of_another_caf_is_refused(touraine, framework):
    stranger = StaffMemberFactory(caf=touraine.caf_b)
    r = make_recruitment(touraine, framework)
    refused("Caf de Touraine", do_invite_caf, touraine.editor, r, stranger, TODAY)
    refused(
        "postérieure à aujourd'hui",
        do_invite_caf,
        touraine.editor,
        r,
        touraine.staff,
        TODAY + dt.timedelta(days=1),
    )
    assert Recruitment.objects.get().caf_invite is None


@pytest.mark.parametrize("role", ["analyst", "elu", "other_editor"])
def test_invite_is_refused_to_readers(touraine, framework, role):
    r = make_recruitment(touraine, framework)
    refused("inviter la Caf", do_invite_caf, getattr(touraine, role), r, touraine.staff, TODAY)


# --- Stages --------------------------------------------------------------------------------


def test_stages_move_forward_one_by_one_each_audited(touraine, framework):
    touraine.staff.user = touraine.analyst  # the invited member's account
    touraine.staff.save()
    r = make_recruitment(touraine, framework)
    r = do_advance_stage(touraine.editor, r)
    assert r.etape == Stage.CANDIDATURES
    refused("invitez un membre de son équipe au jury", do_advance_stage, touraine.editor, r)
    r = do_invite_caf(touraine.editor, r, touraine.staff, TODAY)
    r = do_advance_stage(touraine.editor, r)
    assert r.etape == Stage.ENTRETIENS
    refused("Indiquez la candidature", do_advance_stage, touraine.editor, r)
    r = do_advance_stage(touraine.admin, r, candidat_pressenti="  Camille Martin ")
    assert (r.etape, r.candidat_pressenti) == (Stage.AVIS_CAF, "Camille Martin")
    changes = list(
        StageChange.objects.filter(recrutement=r).values_list("de", "vers", "sens", "par_nom")
    )
    assert changes == [
        ("ouvert", "candidatures", "avance", str(touraine.editor)),
        ("candidatures", "entretiens", "avance", str(touraine.editor)),
        ("entretiens", "avis_caf", "avance", str(touraine.admin)),
    ]
    stages = [(e.avant or {}).get("etape") for e in audit(r)] + [audit(r)[-1].apres["etape"]]
    # Creation, ouvert → candidatures, invitation, → entretiens, → avis_caf.
    assert stages == [None, "ouvert", "candidatures", "candidatures", "entretiens", "avis_caf"]


def test_reaching_the_opinion_stage_notifies_the_caf(touraine, framework):
    from coopctg.accounts.roles import Role
    from tests.factories import member

    touraine.staff.user = touraine.analyst
    touraine.staff.save()
    second_admin = member(Role.CAF_ADMIN, caf=touraine.caf, username="admin2")
    member(Role.CAF_ADVISOR, caf=touraine.caf, collectivite=touraine.other, username="conseiller2")
    second_admin.is_active = False
    second_admin.save()
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.ENTRETIENS)
    assert not Notification.objects.filter(titre__startswith="Avis de la Caf").exists()
    do_advance_stage(touraine.editor, r, candidat_pressenti="Camille Martin")
    # The invited member (here the analyst's account), the assigned advisor, the active admins.
    assert recipients("Avis de la Caf demandé") == ["admin", "analyste", "conseiller"]
    notification = Notification.objects.filter(titre__startswith="Avis de la Caf demandé").first()
    assert "Camille Martin" in notification.message
    assert notification.lien == f"/recrutements/{r.pk}/"


def test_the_decision_stage_is_refused_without_the_caf_opinion(touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    with pytest.raises(RecruitmentError) as error:
        do_advance_stage(touraine.editor, r)
    assert str(error.value) == (
        "L'avis de la Caf est obligatoire avant la décision finale : le recrutement ne peut pas "
        "passer à l'étape « Décision » sans cet avis."
    )
    refused("L'avis de la Caf est obligatoire", do_advance_stage, touraine.admin, r)
    r.refresh_from_db()
    assert r.etape == Stage.AVIS_CAF
    assert not StageChange.objects.filter(vers=Stage.DECISION).exists()


def test_the_decision_is_refused_without_the_caf_opinion(touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    before = len(audit(r))
    refused(
        "L'avis de la Caf est obligatoire avant la décision finale",
        do_record_decision,
        touraine.editor,
        r,
        Decision.RETENU,
        candidat="Camille Martin",
        date_prise_poste=dt.date(2025, 6, 1),
    )
    r.refresh_from_db()
    assert (r.decision, r.candidat_retenu) == ("", "")
    assert len(audit(r)) == before


def test_the_database_refuses_a_decision_without_opinion(touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recruitment.objects.filter(pk=r.pk).update(etape=Stage.DECISION)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recruitment.objects.filter(pk=r.pk).update(avis=Opinion.FAVORABLE, avis_le=r.cree_le)


@pytest.mark.parametrize("role", ["advisor", "analyst", "elu", "other_editor"])
def test_only_the_collectivite_or_the_caf_admin_moves_the_stages(touraine, framework, role):
    r = make_recruitment(touraine, framework)
    refused("fait avancer", do_advance_stage, getattr(touraine, role), r)
    refused(
        "revenir",
        do_step_back,
        getattr(touraine, role),
        bring_to(touraine, r, Stage.CANDIDATURES),
        "Erreur",
    )


def test_step_back_needs_a_reason_and_drops_the_opinion(touraine, framework):
    r = make_recruitment(touraine, framework)
    refused("première étape", do_step_back, touraine.editor, r, "Erreur")
    r = bring_to(touraine, r, Stage.AVIS_CAF)
    r = do_give_opinion(touraine.advisor, r, Opinion.RESERVE, "Expérience courte.")
    refused("motif du retour", do_step_back, touraine.editor, r, "   ")
    r = do_step_back(touraine.editor, r, "La candidate s'est désistée.")
    r.refresh_from_db()
    assert r.etape == Stage.ENTRETIENS
    assert (r.avis, r.avis_motif, r.avis_le, r.avis_par) == ("", "", None, None)
    back = StageChange.objects.filter(sens="retour").get()
    assert (back.de, back.vers, back.motif) == (
        "avis_caf",
        "entretiens",
        "La candidate s'est désistée.",
    )
    entry = audit(r)[-1]
    assert entry.avant["avis"] == "reserve" and entry.apres["avis"] == ""
    assert entry.avant["etape"] == "avis_caf" and entry.apres["etape"] == "entretiens"
    # Asked again: a new opinion is needed before the decision.
    r = do_advance_stage(touraine.editor, r, candidat_pressenti="Dominique Petit")
    refused("L'avis de la Caf est obligatoire", do_advance_stage, touraine.editor, r)


def test_step_back_from_the_decision_keeps_the_opinion(touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.DECISION)
    r = do_step_back(touraine.admin, r, "Avis à revoir")
    assert r.etape == Stage.AVIS_CAF and r.avis == Opinion.FAVORABLE


# --- The Caf's opinion ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "advisor"])
def test_the_caf_gives_its_opinion_and_the_collectivite_is_notified(touraine, framework, role):
    from coopctg.accounts.roles import Role
    from tests.factories import member

    member(Role.COLLECTIVITE_EDITOR, collectivite=touraine.own, username="editeur-bis")
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    user = getattr(touraine, role)
    r = do_give_opinion(user, r, Opinion.DEFAVORABLE, "  Profil sans expérience du partenariat. ")
    r.refresh_from_db()
    assert r.avis == Opinion.DEFAVORABLE
    assert r.avis_motif == "Profil sans expérience du partenariat."
    assert (r.avis_par, r.avis_par_nom) == (user, str(user))
    assert r.avis_le is not None
    assert audit(r)[-1].apres["avis"] == "defavorable"
    assert recipients("Avis de la Caf rendu") == ["editeur", "editeur-bis"]
    notification = Notification.objects.filter(titre__startswith="Avis de la Caf rendu").first()
    assert "défavorable" in notification.titre
    assert "Profil sans expérience du partenariat." in notification.message


@pytest.mark.parametrize("role", ["editor", "analyst", "elu", "other_editor", "outsider"])
def test_the_opinion_is_the_cafs_only(touraine, framework, role):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    refused(
        "L'avis de la Caf est donné par",
        do_give_opinion,
        getattr(touraine, role),
        r,
        "favorable",
        "Oui",
    )


def test_the_opinion_needs_its_motive_and_its_stage(touraine, framework):
    r = make_recruitment(touraine, framework)
    refused(
        "à l'étape « Avis de la Caf »", do_give_opinion, touraine.advisor, r, "favorable", "Oui"
    )
    r = bring_to(touraine, r, Stage.AVIS_CAF)
    refused("doit être motivé", do_give_opinion, touraine.advisor, r, "favorable", "  ")
    refused("Choisissez l'avis", do_give_opinion, touraine.advisor, r, "mitige", "Oui")
    assert not Recruitment.objects.get().avis


def test_the_opinion_may_be_revised_at_its_stage(touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.AVIS_CAF)
    do_give_opinion(touraine.advisor, r, Opinion.RESERVE, "À confirmer.")
    r = do_give_opinion(touraine.admin, r, Opinion.FAVORABLE, "Confirmé après échange.")
    assert (r.avis, r.avis_par) == (Opinion.FAVORABLE, touraine.admin)
    entry = audit(r)[-1]
    assert (entry.avant["avis"], entry.apres["avis"]) == ("reserve", "favorable")


# --- The decision --------------------------------------------------------------------------


def test_the_whole_path_to_a_retained_candidate(touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.DECISION)
    refused(
        "Indiquez le nom",
        do_record_decision,
        touraine.editor,
        r,
        Decision.RETENU,
        date_prise_poste=TODAY,
    )
    refused(
        "date de prise de poste",
        do_record_decision,
        touraine.editor,
        r,
        Decision.RETENU,
        candidat="C. M.",
    )
    refused(
        "L'avis de la Caf se donne à l'étape",
        do_give_opinion,
        touraine.advisor,
        r,
        "reserve",
        "Trop tard",
    )
    r = do_record_decision(
        touraine.editor,
        r,
        Decision.RETENU,
        candidat="Camille Martin",
        date_prise_poste=dt.date(2025, 5, 1),
        commentaire="Prise de poste après préavis.",
    )
    r.refresh_from_db()
    assert (r.decision, r.candidat_retenu, r.date_prise_poste, r.decision_par) == (
        "retenu",
        "Camille Martin",
        dt.date(2025, 5, 1),
        touraine.editor,
    )
    assert r.is_closed
    assert audit(r)[-1].apres["decision"] == "retenu"
    # Closed: nothing changes any more.
    refused("clos", do_step_back, touraine.editor, r, "Erreur")
    refused("clos", do_record_decision, touraine.admin, r, Decision.INFRUCTUEUX)
    refused("clos", do_invite_caf, touraine.editor, r, touraine.staff, TODAY)


def test_an_unsuccessful_recruitment(touraine, framework):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.DECISION)
    r = do_record_decision(
        touraine.admin, r, Decision.INFRUCTUEUX, candidat="ignoré", date_prise_poste=TODAY
    )
    assert (r.decision, r.candidat_retenu, r.date_prise_poste) == ("infructueux", "", None)


@pytest.mark.parametrize("role", ["advisor", "analyst", "elu", "other_editor"])
def test_the_decision_is_the_collectivites(touraine, framework, role):
    r = bring_to(touraine, make_recruitment(touraine, framework), Stage.DECISION)
    refused(
        "La décision est enregistrée par",
        do_record_decision,
        getattr(touraine, role),
        r,
        Decision.INFRUCTUEUX,
    )
