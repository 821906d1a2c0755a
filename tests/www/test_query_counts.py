"""List pages issue a bounded number of queries, whatever the data size."""

import pytest
from django.urls import reverse

from coopctg.organisations.models import FollowUp, LocalAuthority, StaffMember, StaffRole
from tests.factories import CommuneFactory, CtgFactory, EpciFactory, StaffMemberFactory


def grow(w, n):
    """Add ``n`` collectivités of Caf 37, each with a Ctg, a commune and a referent."""
    for _ in range(n):
        epci = EpciFactory()
        CommuneFactory(departement=w.dep, epci=epci)
        la = LocalAuthority.objects.create(caf=w.caf, kind="epci", epci=epci, nom=epci.nom)
        CtgFactory(caf=w.caf, signataires=[la])
        member = StaffMemberFactory(caf=w.caf)
        StaffRole.objects.create(member=member, role=StaffMember.Role.DEVELOPPEMENT_SOCIAL)
        FollowUp.objects.create(
            member=member, collectivite=la, role=StaffMember.Role.DEVELOPPEMENT_SOCIAL
        )


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("home", {}),
        ("organisations:collectivites", {}),
        ("organisations:team", {"code": "37"}),
        ("ctg:list", {}),
    ],
)
def test_list_page_queries_do_not_grow(
    client, touraine, django_assert_max_num_queries, name, kwargs, computed_afresh
):
    client.force_login(touraine.admin)
    url = reverse(name, kwargs=kwargs)
    # 24: the home page's tasks include the commissions d'admission (one query without any),
    # and the Caf's tasks computed afresh read its version before and after.
    with django_assert_max_num_queries(24) as small:
        assert client.get(url).status_code == 200
    grow(touraine, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
