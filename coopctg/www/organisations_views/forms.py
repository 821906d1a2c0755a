"""The form of the « Suivi des collectivités » page: a member of the team, in one of their
roles, to follow one collectivité."""

from collections.abc import Iterable
from typing import Any

from django import forms

from coopctg.core.forms import CleanTextMixin
from coopctg.core.themes import THEME_LABELS, Theme
from coopctg.organisations.models import StaffMember, StaffRole
from coopctg.organisations.services import FOLLOW_UP_ROLES

#: The groups of the list, one per role.
GROUP_LABELS = {
    StaffMember.Role.CTT: "Conseiller·ères techniques territoriaux·ales",
    StaffMember.Role.DEVELOPPEMENT_SOCIAL: "Chargé·es de développement social",
    StaffMember.Role.THEMATIQUE: "Conseiller·ères techniques thématiques",
}


def choice_label(role: StaffRole) -> str:
    themes = ", ".join(THEME_LABELS[Theme(t)].lower() for t in role.themes)
    return f"{role.member}{f' ({themes})' if themes else ''}"


class AddFollowUpForm(CleanTextMixin, forms.Form):
    """One choice: « Armelle BARON » among the CTT, « Mickaël BOUDMER (parentalité) » among
    the thematic advisors… (who already follows the collectivité in that role is left out)."""

    suivi = forms.ChoiceField(
        label="Ajouter un·e référent·e de la Caf",
        error_messages={
            "required": "Choisissez la personne à ajouter.",
            "invalid_choice": "Choisissez une personne de la liste (elle suit peut-être déjà "
            "cette collectivité à ce titre).",
        },
    )

    def __init__(
        self, *args: Any, roles: Iterable[StaffRole], taken: set[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.roles = {f"{r.member_id}:{r.role}": r for r in roles if r.role in FOLLOW_UP_ROLES}
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        for role in FOLLOW_UP_ROLES:
            options = [
                (value, choice_label(r))
                for value, r in self.roles.items()
                if r.role == role and (r.member_id, r.role) not in taken
            ]
            if options:
                groups.append((GROUP_LABELS[role], options))
        self.fields["suivi"].choices = [("", "— choisir une personne —"), *groups]

    @property
    def has_choices(self) -> bool:
        return len(self.fields["suivi"].choices) > 1

    @property
    def staff_role(self) -> StaffRole:
        return self.roles[self.cleaned_data["suivi"]]
