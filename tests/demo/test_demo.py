import pytest
from django.core.management import call_command

from coopctg.accounts.models import User
from coopctg.agreements.models import AgreementVersion
from coopctg.ctg.models import Ctg
from coopctg.funding.models import FundingArchitecture


@pytest.mark.django_db
def test_demo_loads_and_reloads_without_duplicates(capsys):
    call_command("demo", "charger")
    out = capsys.readouterr().out
    assert "DÉMONSTRATION UNIQUEMENT" in out and "admin.caf" in out
    counts = (
        Ctg.objects.count(),
        User.objects.count(),
        FundingArchitecture.objects.count(),
        AgreementVersion.objects.count(),
    )
    assert counts[0] == 11 and counts[3] == 2
    call_command("demo", "charger", "--sans-territoires")
    assert (
        Ctg.objects.count(),
        User.objects.count(),
        FundingArchitecture.objects.count(),
        AgreementVersion.objects.count(),
    ) == counts
