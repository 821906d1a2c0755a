"""``coopctg comptes inviter | desactiver | liste`` and their refusals (exit 2, one French line)."""

import io
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from coopctg.accounts import invitations
from coopctg.accounts.models import Invitation
from coopctg.api.models import ApiToken
from coopctg.core.models import AuditEntry


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("comptes", *args, stdout=out)
    return out.getvalue()


def refused(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        call_command("comptes", *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and err.count("\n") == 1
    return err


def test_inviter_prints_the_link_and_mails_it(
    touraine, settings, django_capture_on_commit_callbacks
):
    settings.COOPCTG_BASE_URL = "https://coopctg.caf37.fr/"
    with django_capture_on_commit_callbacks(execute=True):
        out = run(
            "inviter",
            "--courriel",
            "Julie.Martin@Gatine.fr",
            "--role",
            "collectivite_editeur",
            "--collectivite",
            touraine.epci_own.siren,
            "--administrateur",
        )
    [line] = out.splitlines()
    assert line.startswith("https://coopctg.caf37.fr/invitation/")
    secret = line.rsplit("/", 2)[1]
    invitation = invitations.check_invitation(secret)
    assert (invitation.courriel, invitation.collectivite, invitation.administrateur) == (
        "Julie.Martin@gatine.fr",
        touraine.own,
        True,
    )
    assert invitation.cree_par is None
    assert [m.to for m in mail.outbox] == [["Julie.Martin@gatine.fr"]]
    assert line in mail.outbox[0].body
    assert AuditEntry.objects.get(objet_type="accounts.invitation").auteur_nom == "système"


def test_inviter_on_a_caf_and_a_commune_without_mail(touraine, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run("inviter", "--courriel", "a@caf37.fr", "--role", "caf_analyste", "--caf", "37")
        run(
            "inviter",
            "--courriel",
            "b@stpierre.fr",
            "--role",
            "collectivite_elu",
            "--collectivite",
            "37233",
            "--sans-courriel",
        )
    assert [(i.role, i.caf, i.collectivite) for i in Invitation.objects.order_by("pk")] == [
        ("caf_analyste", touraine.caf, None),
        ("collectivite_elu", None, touraine.other),
    ]
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--courriel", "pas-une-adresse", "--role", "caf_admin", "--caf", "37"], "adresse"),
        (["--courriel", "a@b.fr", "--role", "maire", "--caf", "37"], "rôle inconnu : « maire »"),
        (["--courriel", "a@b.fr", "--role", "caf_admin", "--caf", "99"], "Caf inconnue"),
        (
            ["--courriel", "a@b.fr", "--role", "collectivite_elu", "--collectivite", "123"],
            "collectivité inconnue : « 123 »",
        ),
        (
            ["--courriel", "a@b.fr", "--role", "collectivite_elu", "--caf", "37"],
            "s'exerce sur une collectivité",
        ),
        (
            ["--courriel", "a@b.fr", "--role", "caf_admin", "--collectivite", "37233"],
            "s'exerce sur une Caf",
        ),
        (
            ["--courriel", "a@b.fr", "--role", "caf_admin", "--caf", "37", "--administrateur"],
            "administrateur",
        ),
        (["--courriel", "a@b.fr", "--role", "caf_admin"], "soit --caf CODE, soit --collectivite"),
        (
            ["--courriel", "a@b.fr", "--role", "caf_admin", "--caf", "37", "--collectivite", "1"],
            "soit --caf CODE, soit --collectivite",
        ),
    ],
)
def test_inviter_refusals(touraine, capsys, args, message):
    err = refused(capsys, "inviter", *args)
    assert message in err
    assert not Invitation.objects.exists()


def test_desactiver(touraine, client, capsys):
    client.force_login(touraine.editor)
    ApiToken.create_for(touraine.editor, "tableur")
    out = run("desactiver", "editeur")
    assert "désactivé" in out
    touraine.editor.refresh_from_db()
    assert not touraine.editor.is_active
    assert client.get("/").status_code == 302
    assert ApiToken.objects.get().revoque_le is not None
    assert "déjà désactivé" in run("desactiver", "editeur")
    assert "compte inconnu : « personne »" in refused(capsys, "desactiver", "personne")


def test_liste_json_exactly(touraine, settings):
    settings.TIME_ZONE = "Europe/Paris"
    invitation, _ = invitations.create_invitation(
        None, courriel="julie@gatine.fr", role="collectivite_editeur", collectivite=touraine.own
    )
    used, _ = invitations.create_invitation(
        None, courriel="old@gatine.fr", role="collectivite_elu", collectivite=touraine.own
    )
    invitations.accept_invitation(used, username="ancien")
    touraine.elu.is_active = False
    touraine.elu.email = "elu@gatine.fr"
    touraine.elu.save()
    data = json.loads(run("liste", "--format", "json"))
    assert set(data) == {"comptes", "invitations"}
    accounts = {a["identifiant"]: a for a in data["comptes"]}
    assert accounts["elu"] == {
        "identifiant": "elu",
        "courriel": "elu@gatine.fr",
        "actif": False,
        "roles": [{"role": "collectivite_elu", "perimetre": touraine.epci_own.siren}],
    }
    assert accounts["admin"]["roles"] == [{"role": "caf_admin", "perimetre": "37"}]
    assert accounts["conseiller"]["roles"] == [
        {"role": "caf_conseiller", "perimetre": touraine.epci_own.siren}
    ]
    assert accounts["editeur2"]["roles"] == [{"role": "collectivite_editeur", "perimetre": "37233"}]
    assert accounts["sansrole"]["roles"] == []
    assert accounts["ancien"]["courriel"] == "old@gatine.fr"
    expiry = timezone.localtime(invitation.expire_le).isoformat(timespec="seconds")
    assert data["invitations"] == [
        {
            "courriel": "julie@gatine.fr",
            "role": "collectivite_editeur",
            "perimetre": touraine.epci_own.siren,
            "expire_le": expiry,
        }
    ]


def test_liste_texte(touraine):
    lines = run("liste").splitlines()
    assert "admin ; — ; actif ; caf_admin 37" in lines
    assert "sansrole ; — ; actif ; aucun rôle" in lines
