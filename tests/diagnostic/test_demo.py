"""The demonstration's mission 2 on Gâtine-Racan: loaded once, reloaded without duplicates."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from coopctg.ctg.models import Ctg
from coopctg.diagnostic import commissions, services, targets
from coopctg.diagnostic.models import (
    Commission,
    CommissionFollowUp,
    DevelopmentTarget,
    Diagnostic,
    Enjeu,
    Need,
)


def counts():
    models = (Diagnostic, Enjeu, Need, Commission, CommissionFollowUp, DevelopmentTarget)
    return tuple(model.objects.count() for model in models)


@pytest.mark.django_db
def test_demo_mission_2_of_gatine(capsys):
    call_command("demo", "charger")
    first = counts()
    call_command("demo", "charger", "--sans-territoires")
    assert counts() == first
    assert "Diagnostic de démonstration" in capsys.readouterr().out

    ctg = Ctg.objects.get(cofs__numero="COF-37-2022-001")
    validated = services.validated_version(ctg)
    assert validated is not None and validated.version == 2
    assert validated.copil.kind == "copil" and validated.valide_le == validated.copil.date
    content = services.diagnostic_content(validated)
    assert content.enjeu_count == 6
    assert [e.theme for e in content.enjeux_without_action] == ["inclusion_handicap"]
    assert {a.code for a in content.actions_without_enjeu} == {"A06", "A08"}
    assert all(
        line.actions
        for block in content.themes
        for line in block.lines
        if block.theme == "petite_enfance"
    )

    states = commissions.commission_states(commissions.ctg_commissions(ctg))
    assert [len(s.alerts) for s in states] == [1, 1]
    assert [len(s.open_alerts) for s in states] == [1, 0]  # newest first
    assert Need.objects.filter(ctg=ctg).count() == 11

    [block] = targets.development_outcomes(ctg, timezone.localdate())
    services_kind = next(k for k in block.kinds if k.kind == "service")
    assert services_kind.target.cible == 4 and services_kind.changed
    assert {k.kind: k.outcome.achieved for k in block.kinds} == {
        "service": 3,
        "partenariat": 2,
        "competence": 2,
    }
