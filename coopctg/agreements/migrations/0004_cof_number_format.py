"""A Cof's number is letters without accents and digits, with single separators (- _ .).

It was free text (up to 50 characters), used to name the version's PDF: a « / » made folders,
« .. » failed after the signature. Documents are now named from ids; the number keeps a format.
A number already stored in another format stops the migration with the list to rename (a
Cof's number is on a signed document: it is not rewritten silently).
"""

import re

from django.db import migrations, models

PATTERN = r"[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*"


def check_existing(apps, schema_editor):
    FundingAgreement = apps.get_model("agreements", "FundingAgreement")
    wrong = [
        numero
        for numero in FundingAgreement.objects.using(schema_editor.connection.alias)
        .order_by("numero")
        .values_list("numero", flat=True)
        if not re.fullmatch(PATTERN, numero, re.ASCII)
    ]
    if wrong:
        raise RuntimeError(
            "Numéros de Cof à renommer avant cette migration (lettres sans accent, chiffres, "
            f"séparés par - _ ou .) : {', '.join(repr(n) for n in wrong)}"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0003_modification_requests'),
    ]

    operations = [
        migrations.RunPython(check_existing, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='fundingagreement',
            constraint=models.CheckConstraint(condition=models.Q(('numero__regex', '^[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*$')), name='cof_number_format', violation_error_message='Le numéro de la Cof : lettres sans accent et chiffres, séparés par un tiret, un point ou un souligné (par exemple COF-37-2022-001).'),
        ),
    ]
