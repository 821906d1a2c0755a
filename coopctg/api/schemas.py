"""What the API reads and writes, with the French field names of the command line.

Money and Etp are strings with two decimals (``"48000.00"``, ``"0.40"``), as in the JSON of
``coopctg financement simuler`` and ``coopctg financement annuel``; dates are ISO
(``"2024-01-01"``). The ``to_*`` functions turn objects (their relations already loaded by
the caller) into these shapes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, create_model, field_validator

from coopctg.core.text import clean_line, clean_text
from coopctg.funding.rules import decimal_text

#: A database id: positive and within a 64-bit integer (anything else is a 422, never a 500).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
#: A year the pages and the CLI know.
Year = Annotated[int, Field(ge=1900, le=2999)]
#: Text written by a client, cleaned of control characters as the forms do
#: (:mod:`coopctg.core.text`): one line (a name, a place), or several (a reason, an agenda).
Line = Annotated[str, AfterValidator(clean_line)]
Text = Annotated[str, AfterValidator(clean_text)]


def money(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


# --- Errors and pages ----------------------------------------------------------------------


class FieldError(Schema):
    champ: str
    message: str


class Error(Schema):
    detail: str = Field(..., description="Le message d'erreur, en français.")
    erreurs: list[FieldError] | None = None


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="Numéro de la page (à partir de 1).")
    taille: int = Field(50, ge=1, le=200, description="Éléments par page (200 au plus).")
    apres: str | None = Field(
        None,
        max_length=200,
        description=(
            "Curseur : la valeur « suivant » de la réponse précédente. Les éléments qui la "
            "suivent, sans compter la liste entière (« total » et « page » sont alors nuls) ; "
            "« page » est ignoré."
        ),
    )


_PAGES: dict[type, type] = {}


def page_of(item: type[Schema]) -> type[Schema]:
    """``{"total", "page", "taille", "suivant", "resultats": [item]}`` (``total`` and
    ``page`` null when read by cursor, ``suivant`` null on the last page)."""
    if item not in _PAGES:
        _PAGES[item] = create_model(
            f"Page{item.__name__}",
            __base__=Schema,
            total=(int | None, Field(..., description="Le nombre d'éléments (nul par curseur).")),
            page=(int | None, Field(..., description="Le numéro de la page (nul par curseur).")),
            taille=(int, ...),
            suivant=(
                str | None,
                Field(None, description="Le curseur de la page suivante (« ?apres= »), ou nul."),
            ),
            resultats=(list[item], ...),  # type: ignore[valid-type]
        )
    return _PAGES[item]


# --- Territories and collectivités -------------------------------------------------------------


class CollectiviteRef(Schema):
    id: int
    code: str
    nom: str


class Commune(Schema):
    code_insee: str
    nom: str
    population_municipale: int | None


class EpciRef(Schema):
    siren: str
    nom: str
    nature: str


class Collectivite(CollectiviteRef):
    type: str
    caf: str
    epci: EpciRef | None
    commune: Commune | None


class Epci(EpciRef):
    communes: list[Commune]


def to_collectivite_ref(collectivite: Any) -> dict[str, Any]:
    return {"id": collectivite.pk, "code": collectivite.code, "nom": collectivite.nom}


def to_commune(commune: Any) -> dict[str, Any]:
    return {
        "code_insee": commune.code_insee,
        "nom": commune.nom,
        "population_municipale": commune.population_municipale,
    }


def to_epci_ref(epci: Any) -> dict[str, Any]:
    return {"siren": epci.siren, "nom": epci.nom, "nature": epci.nature}


def to_collectivite(collectivite: Any) -> dict[str, Any]:
    return {
        **to_collectivite_ref(collectivite),
        "type": collectivite.kind,
        "caf": collectivite.caf.code,
        "epci": to_epci_ref(collectivite.epci) if collectivite.epci_id else None,
        "commune": to_commune(collectivite.commune) if collectivite.commune_id else None,
    }


# --- Ctg ---------------------------------------------------------------------------------------


class CtgRef(Schema):
    id: int
    intitule: str


class Ctg(CtgRef):
    caf: str
    date_debut: dt.date
    date_fin: dt.date
    date_signature: dt.date | None
    statut: str
    thematiques: list[str]
    signataires: list[CollectiviteRef]


def to_ctg_ref(ctg: Any) -> dict[str, Any]:
    return {"id": ctg.pk, "intitule": ctg.intitule}


def to_ctg(ctg: Any) -> dict[str, Any]:
    return {
        **to_ctg_ref(ctg),
        "caf": ctg.caf.code,
        "date_debut": ctg.date_debut,
        "date_fin": ctg.date_fin,
        "date_signature": ctg.date_signature,
        "statut": ctg.statut,
        "thematiques": list(ctg.themes),
        "signataires": [to_collectivite_ref(la) for la in ctg.signataires_lus],
    }


# --- Cof, versions, requests ------------------------------------------------------------------


class CofRef(Schema):
    id: int
    numero: str


class Signataire(Schema):
    partie: str = Field(..., description="caf ou collectivite.")
    partie_nom: str
    nom: str
    fonction: str
    date_signature: dt.date


class Version(Schema):
    id: int
    numero: int
    libelle: str
    date_effet: dt.date
    date_fin: dt.date | None
    statut: str
    date_signature: dt.date | None
    motif: str
    etp: str
    montant: str

    signataires: list[Signataire] = Field(
        ...,
        description="Qui a signé pour chaque partie, en quelle qualité et quel jour (vide : "
        "signature non enregistrée).",
    )


class VersionDetail(Version):
    cof: CofRef
    ventilation: dict[str, Any] | None = Field(
        ...,
        description=(
            "Le calcul figé à la signature, au format de « coopctg financement simuler » "
            "(lignes, enveloppes, personnes, total, anomalies)."
        ),
    )


class Cof(CofRef):
    collectivite: CollectiviteRef
    ctg: CtgRef
    date_debut: dt.date
    date_fin: dt.date
    statut: str
    signataires: list[str]


class CofDetail(Cof):
    versions: list[Version]


def to_cof_ref(cof: Any) -> dict[str, Any]:
    return {"id": cof.pk, "numero": cof.numero}


def to_cof(cof: Any, today: dt.date) -> dict[str, Any]:
    return {
        **to_cof_ref(cof),
        "collectivite": to_collectivite_ref(cof.collectivite),
        "ctg": to_ctg_ref(cof.ctg),
        "date_debut": cof.date_debut,
        "date_fin": cof.date_fin,
        "statut": cof.status_on(today),
        "signataires": [line.strip() for line in cof.signataires.splitlines() if line.strip()],
    }


def to_version(version: Any) -> dict[str, Any]:
    return {
        "id": version.pk,
        "numero": version.numero,
        "libelle": version.label,
        "date_effet": version.date_effet,
        "date_fin": version.date_fin,
        "statut": version.statut,
        "date_signature": version.date_signature,
        "motif": version.motif,
        "etp": money(version.total_etp),
        "montant": money(version.total_montant),
        "signataires": [
            {
                "partie": signatory.partie,
                "partie_nom": signatory.partie_nom,
                "nom": signatory.nom,
                "fonction": signatory.fonction,
                "date_signature": signatory.date_signature,
            }
            for signatory in version.signatures.all()
        ],
    }


class Lien(Schema):
    libelle: str
    url: str = Field(..., description="Le chemin de la page de l'enregistrement.")


class ConditionEligibilite(Schema):
    code: str = Field(
        ...,
        description=(
            "collectivite_signataire, champs_ctg, attendus, cof, reseaux ou bilan_annuel (dans "
            "l'ordre du référentiel)."
        ),
    )
    texte: str = Field(..., description="Les mots du référentiel.")
    etat: str = Field(
        ...,
        description=(
            "satisfaite, non_satisfaite, a_declarer, a_transmettre, a_etablir ou non_evaluee."
        ),
    )
    etat_libelle: str
    preuve: str = Field(..., description="Ce qui la prouve, ou ce qui manque.")
    liens: list[Lien] = Field(..., description="Les enregistrements qui la prouvent.")
    declaree: bool = Field(..., description="L'état repose sur une déclaration de la collectivité.")
    declarable: bool = Field(
        ...,
        description=(
            "Une déclaration est possible : aucun enregistrement ne peut encore la prouver."
        ),
    )


class ArchitectureRef(Schema):
    id: int | None = Field(..., description="Absent : la Cof n'a encore aucune architecture.")
    nature: str = Field(..., description="travail, version ou demande.")
    date_effet: dt.date


class Eligibilite(Schema):
    cof: CofRef
    architecture: ArchitectureRef = Field(
        ...,
        description=(
            "L'architecture jugée : la version signée en vigueur aujourd'hui (la première "
            "avant le début de la Cof, la dernière après sa fin) ; pour une Cof pas encore "
            "signée, l'architecture de travail de la collectivité."
        ),
    )
    conditions: list[ConditionEligibilite]


def to_eligibility(cof: Any, architecture: Any, conditions: list[Any]) -> dict[str, Any]:
    return {
        "cof": to_cof_ref(cof),
        "architecture": {
            "id": architecture.pk,
            "nature": architecture.kind,
            "date_effet": architecture.date_effet,
        },
        "conditions": [
            {
                "code": c.code,
                "texte": c.text,
                "etat": c.state.value,
                "etat_libelle": c.state_label,
                "preuve": c.proof,
                "liens": [{"libelle": link.label, "url": link.url} for link in c.links],
                "declaree": c.declared,
                "declarable": c.declarable,
            }
            for c in conditions
        ],
    }


class Demande(Schema):
    id: int
    cof: CofRef
    statut: str
    motif: str
    date_effet: dt.date
    revision: int
    cree_le: dt.datetime
    soumise_le: dt.datetime | None
    decidee_le: dt.datetime | None
    decision_motif: str
    accord_prealable: bool
    avenant: int | None = Field(..., description="La version signée (avenant) qui en résulte.")


def to_demande(demande: Any) -> dict[str, Any]:
    return {
        "id": demande.pk,
        "cof": to_cof_ref(demande.cof),
        "statut": demande.statut,
        "motif": demande.motif,
        "date_effet": demande.architecture.date_effet,
        "revision": demande.revision,
        "cree_le": demande.cree_le,
        "soumise_le": demande.soumise_le,
        "decidee_le": demande.decidee_le,
        "decision_motif": demande.decision_motif,
        "accord_prealable": demande.accord_prealable,
        "avenant": demande.avenant_id,
    }


class Affectation(Schema):
    enveloppe: str
    etp: Decimal | float | str


class Personne(Schema):
    id: str
    nom: str | None = None
    fonction: str | None = None
    type_poste: str
    affectations: list[Affectation]


class BaseCej(Schema):
    montant: Decimal | float | str
    etp: Decimal | float | str


class DemandeIn(Schema):
    """Comme une version de ``coopctg cof importer`` : les personnes et leurs affectations."""

    motif: Text
    date_effet: dt.date
    base_cej: BaseCej | None = None
    personnes: list[dict[str, Any]] = Field(
        ...,
        description=(
            "Les personnes, au format de « coopctg financement simuler » : id, nom, fonction, "
            "type_poste, affectations [{enveloppe, etp}]."
        ),
    )


class SoumissionIn(Schema):
    revision: int | None = Field(
        None, description="La révision lue ; refusée (409) si la demande a changé depuis."
    )


# --- Annual funding -------------------------------------------------------------------------


class MontantEnveloppe(Schema):
    enveloppe: str
    montant: str


class Periode(Schema):
    du: dt.date
    au: dt.date
    version: str
    montant: str


class FinancementCollectivite(Schema):
    code: str
    nom: str
    enveloppes: list[MontantEnveloppe]
    total: str
    periodes: list[Periode]


class FinancementAnnuel(Schema):
    """Le JSON de ``coopctg financement annuel``, les collectivités par pages : « enveloppes »
    et « total » portent sur toutes les collectivités vues (avec les filtres), « nombre » les
    compte (nul par curseur)."""

    annee: int
    collectivites: list[FinancementCollectivite]
    enveloppes: list[MontantEnveloppe]
    total: str
    nombre: int | None = Field(..., description="Le nombre de collectivités (nul par curseur).")
    page: int | None = Field(..., description="Le numéro de la page (nul par curseur).")
    taille: int
    suivant: str | None = Field(
        None, description="Le curseur de la page suivante (« ?apres= »), ou nul."
    )


# --- Vue nationale --------------------------------------------------------------------------


class EtpEnveloppe(Schema):
    enveloppe: str
    etp: str


class VersementsCaf(Schema):
    du: str
    avance: str
    solde: str
    solde_verse: str
    solde_en_attente: str


class ChiffresCaf(Schema):
    """Les chiffres d'une Caf (``caf`` nul : le total national) ; par Caf et territoire
    seulement, jamais par personne."""

    caf: str | None
    nom: str
    departement: str | None
    collectivites: int
    collectivites_avec_ctg: int
    couverture: str | None = Field(..., description="Part des collectivités avec une Ctg (%).")
    etp: list[EtpEnveloppe]
    etp_total: str
    montants: list[MontantEnveloppe]
    montant_total: str
    bilans_en_retard: int
    collectivites_bilan_en_retard: int
    collectivites_gouvernance_incomplete: int
    versements: VersementsCaf
    taux_avance: str | None
    erreur_parametres: str


class VueNationale(Schema):
    """Les chiffres de chaque Caf et leur total, comme la page et le classeur de la vue
    nationale."""

    annee: int
    date: dt.date
    caf: list[ChiffresCaf]
    total: ChiffresCaf


def to_caf_figures(one: Any) -> dict[str, Any]:
    payments = one.payments
    return {
        "caf": one.caf.code if one.caf is not None else None,
        "nom": one.caf.nom if one.caf is not None else "Toutes les Caf",
        "departement": one.caf.departement.code if one.caf is not None else None,
        "collectivites": one.collectivites,
        "collectivites_avec_ctg": one.with_ctg,
        "couverture": None if one.coverage is None else f"{one.coverage:f}",
        "etp": [{"enveloppe": e.value, "etp": decimal_text(v)} for e, v in one.etp.items()],
        "etp_total": decimal_text(one.total_etp),
        "montants": [
            {"enveloppe": e.value, "montant": decimal_text(v)} for e, v in one.amounts.items()
        ],
        "montant_total": decimal_text(one.total_amount),
        "bilans_en_retard": one.late_bilans,
        "collectivites_bilan_en_retard": one.territories_late,
        "collectivites_gouvernance_incomplete": one.governance_missing,
        "versements": {
            "du": decimal_text(payments.amount_due),
            "avance": decimal_text(payments.advance),
            "solde": decimal_text(payments.balance),
            "solde_verse": decimal_text(payments.balance_released),
            "solde_en_attente": decimal_text(payments.balance_pending),
        },
        "taux_avance": None if one.rate is None else f"{one.rate:f}",
        "erreur_parametres": one.rate_error,
    }


# --- Plan d'actions --------------------------------------------------------------------------


class ValeurAnnuelle(Schema):
    annee: int
    valeur: str


class Indicateur(Schema):
    id: int
    libelle: str
    unite: str
    valeur_reference: str | None
    cible: str | None
    valeurs: list[ValeurAnnuelle]


class Action(Schema):
    id: int
    ctg: int
    code: str
    titre: str
    description: str
    thematiques: list[str]
    objectifs: list[str]
    pilote: str
    partenaires: str
    date_debut: dt.date | None
    date_fin: dt.date | None
    statut: str
    en_retard: bool
    avancement: int
    indicateurs: list[Indicateur]


def to_action(action: Any, today: dt.date) -> dict[str, Any]:
    from coopctg.actionplan.rules import is_overdue

    return {
        "id": action.pk,
        "ctg": action.ctg_id,
        "code": action.code,
        "titre": action.titre,
        "description": action.description,
        "thematiques": list(action.themes),
        "objectifs": [objective.code for objective in action.objectifs.all()],
        "pilote": action.pilote,
        "partenaires": action.partenaires,
        "date_debut": action.date_debut,
        "date_fin": action.date_fin,
        "statut": action.statut,
        "en_retard": is_overdue(action.statut, action.date_fin, today),
        "avancement": action.avancement,
        "indicateurs": [
            {
                "id": indicator.pk,
                "libelle": indicator.libelle,
                "unite": indicator.unite,
                "valeur_reference": money(indicator.valeur_reference),
                "cible": money(indicator.cible),
                "valeurs": [
                    {"annee": value.year, "valeur": money(value.value)}
                    for value in sorted(indicator.valeurs.all(), key=lambda v: v.year)
                ],
            }
            for indicator in action.indicateurs.all()
        ],
    }


class ValeurIn(Schema):
    indicateur: Id
    valeur: Decimal | float | str | None = Field(
        ..., description="« 12.5 », « 12,5 » ou 12.5 ; null efface la valeur de l'année."
    )

    @field_validator("valeur", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        if isinstance(value, bool):  # JSON true would otherwise be stored as 1
            raise ValueError("un nombre est attendu, pas un booléen")
        return value


class ValeursIn(Schema):
    valeurs: list[ValeurIn]


class ValeursOut(Schema):
    annee: int
    modifies: int = Field(..., description="Le nombre d'indicateurs dont la valeur a changé.")


# --- Instances ------------------------------------------------------------------------------


class Decision(Schema):
    texte: str
    fiche_action: str = ""


class DecisionIn(Schema):
    """Une décision, sur une ligne (un saut de ligne, même celui de Word, est refusé)."""

    texte: Text
    fiche_action: Text = ""


class ParticipantCaf(Schema):
    id: int
    prenom: str
    nom: str


class Instance(Schema):
    id: int
    ctg: CtgRef
    type: str
    date: dt.date
    heure: dt.time | None
    heure_fin: dt.time | None
    lieu: str
    objet: str
    ordre_du_jour: str
    participants: list[str]
    participants_caf: list[ParticipantCaf]
    decisions: list[Decision]
    compte_rendu: str | None = Field(..., description="Le nom du compte rendu déposé, s'il y en a.")


def to_instance(meeting: Any) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "ctg": to_ctg_ref(meeting.ctg),
        "type": meeting.kind,
        "date": meeting.date,
        "heure": meeting.heure,
        "heure_fin": meeting.heure_fin,
        "lieu": meeting.lieu,
        "objet": meeting.objet,
        "ordre_du_jour": meeting.ordre_du_jour,
        "participants": list(meeting.participants),
        "participants_caf": [
            {"id": member.pk, "prenom": member.prenom, "nom": member.nom}
            for member in meeting.participants_caf.all()
        ],
        "decisions": [
            {"texte": decision.texte, "fiche_action": decision.action_ref}
            for decision in meeting.decisions.all()
        ],
        "compte_rendu": meeting.compte_rendu_nom or None,
    }


class InstanceIn(Schema):
    """Les champs du formulaire « instance » (le compte rendu se dépose depuis l'application)."""

    type: str = Field(..., description="copil, cotech, groupe_travail ou reseau.")
    date: dt.date
    heure: dt.time | None = None
    heure_fin: dt.time | None = None
    lieu: Line = ""
    objet: Line = ""
    ordre_du_jour: Text = ""
    participants: list[Text] = []  # one line each, as the decisions
    participants_caf: list[Id] = Field([], description="Les identifiants de l'équipe de la Caf.")
    decisions: list[DecisionIn] = []


# --- Bilans annuels ------------------------------------------------------------------------


class Evaluation(Schema):
    attendu: str
    niveau: str
    commentaire: str


class Bilan(Schema):
    id: int
    cof: CofRef
    collectivite: CollectiviteRef
    annee: int
    statut: str
    referentiel: str
    transmis_le: dt.datetime | None
    valide_le: dt.datetime | None


class BilanDetail(Bilan):
    synthese: str
    perspectives: str
    faits: dict[str, Any]
    evaluations: list[Evaluation]


def to_bilan(report: Any) -> dict[str, Any]:
    return {
        "id": report.pk,
        "cof": to_cof_ref(report.cof),
        "collectivite": to_collectivite_ref(report.cof.collectivite),
        "annee": report.annee,
        "statut": report.statut,
        "referentiel": report.referentiel.code,
        "transmis_le": report.transmis_le,
        "valide_le": report.valide_le,
    }


class Echeance(Schema):
    date: dt.date
    type: str
    libelle_type: str
    quoi: str
    qui: str
    cote: str = Field(description="Qui agit : collectivite, caf ou ensemble.")
    a_faire: bool = Field(description="L'appelant est-il de ceux qui doivent agir ?")
    territoire: str
    collectivite: int | None
    en_retard: bool
    lien: str


def to_echeance(task: Any) -> dict[str, Any]:
    from django.conf import settings

    return {
        "date": task.date,
        "type": task.kind,
        "libelle_type": task.kind_label,
        "quoi": task.what,
        "qui": task.who,
        "cote": task.side.value,
        "a_faire": bool(task.mine),
        "territoire": task.territory,
        "collectivite": task.collectivite_id,
        "en_retard": task.late,
        "lien": settings.COOPCTG_BASE_URL.rstrip("/") + task.url,
    }


# --- Diagnostic de territoire: indicators and the fiche diagnostic ----------------------------


class IndicateurSource(Schema):
    editeur: str
    titre: str
    licence: str
    page: str


class IndicateurDiagnostic(Schema):
    code: str
    libelle: str
    unite: str
    theme: str = Field(..., description="Une des 8 thématiques de la Ctg, ou « cadrage ».")
    niveaux: list[str] = Field(..., description="commune, epci, departement, france.")
    calcul: str = Field(..., description="publie, somme_communes ou ratio.")
    jeux: list[str] = Field(..., description="Les jeux de données qui publient la valeur.")
    source: IndicateurSource


def to_indicateur(indicator: Any) -> dict[str, Any]:
    source = indicator.source
    return {
        "code": indicator.code,
        "libelle": indicator.libelle,
        "unite": indicator.unite,
        "theme": indicator.theme,
        "niveaux": list(indicator.niveaux),
        "calcul": indicator.calcul,
        "jeux": list(indicator.datasets),
        "source": {
            "editeur": source.editeur,
            "titre": source.titre,
            "licence": source.licence,
            "page": source.page,
        },
    }


class CollectiviteCode(Schema):
    code: str = Field(..., description="SIREN de l'EPCI ou code INSEE de la commune.")
    nom: str


class ValeurDiagnostic(Schema):
    code: str
    libelle: str
    unite: str
    theme: str
    annee: int | None
    valeur: str | None = Field(..., description="Telle que publiée (point décimal), ou null.")
    departement: str | None = Field(..., description="Le département, la même année.")
    france: str | None = Field(..., description="La France, la même année.")
    source: str = Field(
        ...,
        description="Éditeur, jeu, licence ; « valeurs fictives de démonstration » s'il y a lieu.",
    )


class FicheDiagnostic(Schema):
    collectivite: CollectiviteCode
    indicateurs: list[ValeurDiagnostic]
