"""factory-boy factories shared by the whole suite."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from coopctg.accounts.models import Membership, User
from coopctg.accounts.roles import Role
from coopctg.ctg.models import Ctg
from coopctg.organisations.models import Caf, FollowUp, LocalAuthority, StaffMember, StaffRole
from coopctg.territories.models import Commune, Departement, Epci

DEMO_PASSWORD = "mot-de-passe-de-test"


class DepartementFactory(DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{(n % 89) + 10:02d}")
    nom = factory.Faker("city", locale="fr_FR")


class EpciFactory(DjangoModelFactory):
    class Meta:
        model = Epci

    siren = factory.Sequence(lambda n: f"2{n:08d}")
    nom = factory.Sequence(lambda n: f"Communauté de communes n°{n}")
    nature = "CC"


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune

    code_insee = factory.Sequence(lambda n: f"{n:05d}")
    nom = factory.Faker("city", locale="fr_FR")
    population_municipale = 1000
    departement = factory.SubFactory(DepartementFactory)
    epci = factory.SubFactory(EpciFactory)


class CafFactory(DjangoModelFactory):
    class Meta:
        model = Caf

    departement = factory.SubFactory(DepartementFactory)
    code = factory.LazyAttribute(lambda o: o.departement.code)
    nom = factory.LazyAttribute(lambda o: f"Caf {o.departement.nom}")


class LocalAuthorityFactory(DjangoModelFactory):
    class Meta:
        model = LocalAuthority

    caf = factory.SubFactory(CafFactory)
    kind = LocalAuthority.Kind.EPCI
    epci = factory.SubFactory(EpciFactory)
    nom = factory.LazyAttribute(lambda o: o.epci.nom if o.epci else "Commune")


class CtgFactory(DjangoModelFactory):
    class Meta:
        model = Ctg
        skip_postgeneration_save = True

    caf = factory.SubFactory(CafFactory)
    intitule = factory.Sequence(lambda n: f"Ctg n°{n} 2022-2026")
    date_debut = dt.date(2022, 1, 1)
    date_fin = dt.date(2026, 12, 31)
    themes = ["petite_enfance", "enfance", "jeunesse", "parentalite"]
    statut = Ctg.Status.SIGNEE

    @factory.post_generation
    def signataires(self, create, extracted, **kwargs):
        if create and extracted:
            self.signataires.set(extracted)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"utilisateur{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.CAF_ADMIN.value


class StaffMemberFactory(DjangoModelFactory):
    class Meta:
        model = StaffMember

    caf = factory.SubFactory(CafFactory)
    prenom = factory.Faker("first_name", locale="fr_FR")
    nom = factory.Sequence(lambda n: f"NOM{n}")
    intitule = "Conseillère technique territoriale"


def member(role: Role, *, caf=None, collectivite=None, username=None) -> User:
    user = UserFactory(**({"username": username} if username else {}))
    Membership.objects.create(user=user, role=role.value, caf=caf, collectivite=collectivite)
    return user


class Touraine:
    """Handles on the objects of :func:`build_touraine`."""


def build_touraine() -> Touraine:
    """Two Cafs; in Caf A, collectivités ``own`` (followed by ``advisor``) and ``other``.

    Users: one per role on ``own`` / Caf A, plus an ``outsider`` admin of Caf B.
    """
    w = Touraine()
    w.dep = DepartementFactory(code="37", nom="Indre-et-Loire")
    w.dep_b = DepartementFactory(code="41", nom="Loir-et-Cher")
    w.caf = CafFactory(departement=w.dep, code="37", nom="Caf de Touraine")
    w.caf_b = CafFactory(departement=w.dep_b, code="41", nom="Caf de Loir-et-Cher")
    w.epci_own = EpciFactory(siren="200073237", nom="Communauté de communes de Gâtine-Racan")
    w.epci_other = EpciFactory(siren="243700754", nom="Tours Métropole Val de Loire", nature="ME")
    w.epci_b = EpciFactory(
        siren="200030435", nom="Communauté d'agglomération de Blois", nature="CA"
    )
    w.commune_own = CommuneFactory(
        code_insee="37123",
        nom="Neuvy-le-Roi",
        departement=w.dep,
        epci=w.epci_own,
        population_municipale=1100,
    )
    w.commune_other = CommuneFactory(
        code_insee="37233",
        nom="Saint-Pierre-des-Corps",
        departement=w.dep,
        epci=w.epci_other,
        population_municipale=15838,
    )
    w.commune_b = CommuneFactory(
        code_insee="41018",
        nom="Blois",
        departement=w.dep_b,
        epci=w.epci_b,
        population_municipale=45000,
    )
    w.own = LocalAuthorityFactory(caf=w.caf, epci=w.epci_own, nom=w.epci_own.nom)
    w.other = LocalAuthority.objects.create(
        caf=w.caf,
        kind=LocalAuthority.Kind.COMMUNE,
        commune=w.commune_other,
        nom="Commune de Saint-Pierre-des-Corps",
    )
    w.foreign = LocalAuthorityFactory(caf=w.caf_b, epci=w.epci_b, nom=w.epci_b.nom)
    w.ctg_own = CtgFactory(caf=w.caf, signataires=[w.own], intitule="Ctg Gâtine-Racan 2022-2026")
    w.ctg_other = CtgFactory(
        caf=w.caf, signataires=[w.other], intitule="Ctg Saint-Pierre 2022-2026"
    )
    w.ctg_foreign = CtgFactory(caf=w.caf_b, signataires=[w.foreign], intitule="Ctg Blois")
    w.staff = StaffMemberFactory(
        caf=w.caf, prenom="Sylvie", nom="MICHEL", intitule="Chargée de développement social"
    )
    StaffRole.objects.create(member=w.staff, role=StaffMember.Role.DEVELOPPEMENT_SOCIAL)
    FollowUp.objects.create(
        member=w.staff, collectivite=w.own, role=StaffMember.Role.DEVELOPPEMENT_SOCIAL
    )

    w.admin = member(Role.CAF_ADMIN, caf=w.caf, username="admin")
    w.analyst = member(Role.CAF_ANALYST, caf=w.caf, username="analyste")
    w.advisor = member(Role.CAF_ADVISOR, caf=w.caf, collectivite=w.own, username="conseiller")
    w.editor = member(Role.COLLECTIVITE_EDITOR, collectivite=w.own, username="editeur")
    w.elu = member(Role.COLLECTIVITE_ELU, collectivite=w.own, username="elu")
    w.other_editor = member(Role.COLLECTIVITE_EDITOR, collectivite=w.other, username="editeur2")
    w.outsider = member(Role.CAF_ADMIN, caf=w.caf_b, username="externe")
    w.nobody = UserFactory(username="sansrole")
    w.national = member(Role.NATIONAL_ANALYST, username="national")  # the Cnaf, every Caf
    return w


SEED_PERSONS = [
    (
        "M. X",
        "Coordinateur Petite Enfance",
        "thematique",
        {"petite_enfance": "0.40", "parentalite": "0.20"},
    ),
    ("Mme Y", "Coordinatrice Enfance/Jeunesse", "thematique", {"enfance_jeunesse": "0.50"}),
    (
        "M. A",
        "Coordination animation de la vie sociale",
        "thematique",
        {"avs_logement_acces_droits": "0.30"},
    ),
    (
        "M. C",
        "Chargé de coopération général",
        "coordination_generale",
        {
            "petite_enfance": "0.15",
            "enfance_jeunesse": "0.15",
            "parentalite": "0.10",
            "avs_logement_acces_droits": "0.20",
        },
    ),
]


def seed_rows(persons=SEED_PERSONS):
    from decimal import Decimal

    from coopctg.funding.services import PersonRow

    return [
        PersonRow(
            nom=nom,
            fonction=fonction,
            employeur="",
            type_poste=post,
            etp={code: Decimal(etp) for code, etp in etp.items()},
        )
        for nom, fonction, post, etp in persons
    ]


def seed_architecture(ctg, collectivite, *, with_base=True, persons=SEED_PERSONS, user=None):
    """The référentiel's worked example (2 Etp, 48 000 €) stored for ``collectivite``."""
    from decimal import Decimal

    from coopctg.funding.models import FundingArchitecture
    from coopctg.funding.services import save_architecture

    architecture = FundingArchitecture(
        ctg=ctg,
        collectivite=collectivite,
        date_effet=dt.date(2022, 1, 1),
        base_cej_montant=Decimal("48000.00") if with_base else None,
        base_cej_etp=Decimal("2.00") if with_base else None,
    )
    return save_architecture(user, architecture, seed_rows(persons))
