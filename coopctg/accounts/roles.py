"""Roles and what each may do (pure module, no Django import)."""

from enum import StrEnum


class Role(StrEnum):
    CAF_ADMIN = "caf_admin"
    CAF_ADVISOR = "caf_conseiller"
    CAF_ANALYST = "caf_analyste"
    COLLECTIVITE_EDITOR = "collectivite_editeur"
    COLLECTIVITE_ELU = "collectivite_elu"
    NATIONAL_ANALYST = "analyste_national"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.CAF_ADMIN: "Administrateur·rice Caf",
    Role.CAF_ADVISOR: "Conseiller·ère Caf",
    Role.CAF_ANALYST: "Analyste Caf (lecture seule)",
    Role.COLLECTIVITE_EDITOR: "Éditeur·rice collectivité",
    Role.COLLECTIVITE_ELU: "Élu·e (lecture seule)",
    Role.NATIONAL_ANALYST: "Analyste national·e, Cnaf (lecture seule)",
}

CAF_ROLES: frozenset[Role] = frozenset({Role.CAF_ADMIN, Role.CAF_ADVISOR, Role.CAF_ANALYST})
COLLECTIVITE_ROLES: frozenset[Role] = frozenset({Role.COLLECTIVITE_EDITOR, Role.COLLECTIVITE_ELU})

#: Roles held on no Caf and no collectivité: the Cnaf's national analyst reads every Caf (as
#: a Caf analyst reads one) and the national pages, and writes nothing.
NATIONAL_ROLES: frozenset[Role] = frozenset({Role.NATIONAL_ANALYST})

#: Roles that see every collectivité of their Caf (the advisor sees only those assigned).
CAF_WIDE_ROLES: frozenset[Role] = frozenset({Role.CAF_ADMIN, Role.CAF_ANALYST})

#: Roles that may change a collectivité's data (Ctg, later its Cof architecture).
EDITOR_ROLES: frozenset[Role] = frozenset(
    {Role.CAF_ADMIN, Role.CAF_ADVISOR, Role.COLLECTIVITE_EDITOR}
)
