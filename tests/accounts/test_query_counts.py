"""The accounts pages issue a bounded number of queries, whatever the number of accounts,
roles, invitations and sign-ins."""

import pytest
from django.urls import reverse

from coopctg.accounts import invitations
from coopctg.accounts.models import LoginSession, Membership
from coopctg.accounts.roles import Role
from tests.factories import UserFactory


def grow(w, n):
    """``n`` more people with two roles each, invitations, sign-ins of the admin, and roles,
    history rows and invitations for ``elu``."""
    from coopctg.organisations.models import LocalAuthority
    from tests.factories import EpciFactory

    w.elu.email = "elu@gatine.fr"
    w.elu.save()
    for i in range(n):
        user = UserFactory()
        Membership.objects.create(user=user, role=Role.COLLECTIVITE_ELU, collectivite=w.own)
        Membership.objects.create(user=user, role=Role.COLLECTIVITE_EDITOR, collectivite=w.other)
        invitations.create_invitation(
            w.admin, courriel=f"personne{i}@gatine.fr", role="collectivite_elu", collectivite=w.own
        )
        LoginSession.objects.create(
            user=w.admin, empreinte_session=f"{i:064d}", methode="mot_de_passe"
        )
        epci = EpciFactory()
        collectivite = LocalAuthority.objects.create(
            caf=w.caf, kind="epci", epci=epci, nom=epci.nom
        )
        invitations.create_invitation(
            w.admin,
            courriel="elu@gatine.fr",
            role="collectivite_editeur",
            collectivite=collectivite,
        )
        invitations.grant_role(
            w.admin, w.elu, role=Role.COLLECTIVITE_ELU, collectivite=collectivite
        )


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("accounts:list", lambda w: {}),
        ("accounts:person", lambda w: {"pk": w.elu.pk}),
        ("accounts:me", lambda w: {}),
        ("accounts:invite", lambda w: {}),
    ],
)
def test_accounts_pages_queries_do_not_grow(
    client, touraine, django_assert_max_num_queries, name, kwargs
):
    client.force_login(touraine.admin)
    url = reverse(name, kwargs=kwargs(touraine))
    with django_assert_max_num_queries(25) as small:
        assert client.get(url).status_code == 200
    grow(touraine, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
