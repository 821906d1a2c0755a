"""Freeze the difference of the requests already decided, where it can be rebuilt exactly.

An accepted request signed an avenant: the difference decided is the one between the version
before it and the avenant, both frozen (persons and ventilation as signed) — rebuilt here from
those frozen records, never from the Caf's current parameters. A refused request's proposal was
never signed: its figures would have to be recomputed with today's parameters, so it is left
empty and its page says honestly that the difference was not kept.
"""

from django.db import migrations


def _label(numero):
    return "Cof initiale" if numero == 0 else f"Avenant n°{numero}"


def _rows(apps, architecture_id):
    from coopctg.funding.services import PersonRow, objective_sort_key

    FundedPerson = apps.get_model("funding", "FundedPerson")
    rows = []
    for person in (
        FundedPerson.objects.filter(architecture_id=architecture_id)
        .order_by("position", "id")
        .prefetch_related("affectations", "objectifs")
    ):
        rows.append(
            PersonRow(
                nom=person.nom,
                fonction=person.fonction,
                employeur=person.employeur,
                type_poste=person.type_poste,
                etp={a.enveloppe: a.etp for a in person.affectations.all()},
                objectifs=tuple(
                    sorted((o.code for o in person.objectifs.all()), key=objective_sort_key)
                ),
            )
        )
    return rows


def forwards(apps, schema_editor):
    from coopctg.agreements.diff import compare, comparison_to_json

    ModificationRequest = apps.get_model("agreements", "ModificationRequest")
    AgreementVersion = apps.get_model("agreements", "AgreementVersion")
    for demande in ModificationRequest.objects.filter(
        statut="acceptee", avenant__isnull=False, difference_decidee__isnull=True
    ).select_related("avenant"):
        avenant = demande.avenant
        previous = AgreementVersion.objects.filter(
            cof_id=avenant.cof_id, numero=avenant.numero - 1, statut="signee"
        ).first()
        if previous is None or not previous.ventilation or not avenant.ventilation:
            continue
        comparison = compare(
            _rows(apps, previous.architecture_id),
            previous.ventilation,
            _rows(apps, avenant.architecture_id),
            avenant.ventilation,
        )
        ModificationRequest.objects.filter(pk=demande.pk).update(
            difference_decidee=comparison_to_json(comparison),
            difference_depuis=_label(previous.numero),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0006_signatories_decided_difference"),
        ("funding", "0003_person_missions"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
