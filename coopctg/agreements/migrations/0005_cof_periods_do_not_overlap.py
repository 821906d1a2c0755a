"""One Cof in force per collectivité and date, kept by the database.

Two Cofs of one collectivité that are not « projet » (signée, échue) never cover the same day:
otherwise the annual funding counts the same money twice. A check in Python loses the race of
two sessions signing at once; the database does not.

- PostgreSQL: an exclusion constraint over ``(collectivite, [date_debut, date_fin])`` for the
  Cofs that are not « projet » (btree_gist, as for the versions). The second of two concurrent
  signatures waits for the first, then fails.
- SQLite: two triggers (insert, update) that abort a row overlapping another. SQLite runs one
  writer at a time (transactions begin IMMEDIATE, see settings), so the trigger sees every
  committed Cof. Caution: when a later migration makes Django rebuild this table on SQLite,
  the triggers go with the old table and must be created again;
  ``tests/agreements/test_overlap.py`` fails if they are missing.

Existing overlapping Cofs stop the migration with their numbers (one must be shortened or
cancelled by the Caf first: which one is not for a migration to decide).
"""

from django.db import migrations

NAME = "cof_periods_do_not_overlap"

POSTGRESQL_CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE agreements_fundingagreement
  ADD CONSTRAINT {NAME}
  EXCLUDE USING gist (
    collectivite_id WITH =,
    daterange(date_debut, date_fin, '[]') WITH &&
  ) WHERE (statut <> 'projet');
"""
POSTGRESQL_DROP = f"ALTER TABLE agreements_fundingagreement DROP CONSTRAINT {NAME};"

SQLITE_BODY = f"""
BEGIN
  SELECT RAISE(ABORT, '{NAME} : une autre Cof de la collectivité couvre déjà cette période')
  WHERE EXISTS (
    SELECT 1 FROM agreements_fundingagreement AS other
    WHERE other.collectivite_id = NEW.collectivite_id
      AND other.id IS NOT NEW.id
      AND other.statut <> 'projet'
      AND other.date_debut <= NEW.date_fin
      AND other.date_fin >= NEW.date_debut
  );
END
"""
SQLITE_CREATE = [
    f"CREATE TRIGGER {NAME}_insert BEFORE INSERT ON agreements_fundingagreement "
    f"WHEN NEW.statut <> 'projet' {SQLITE_BODY}",
    f"CREATE TRIGGER {NAME}_update "
    "BEFORE UPDATE OF collectivite_id, date_debut, date_fin, statut "
    f"ON agreements_fundingagreement WHEN NEW.statut <> 'projet' {SQLITE_BODY}",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {NAME}_insert", f"DROP TRIGGER IF EXISTS {NAME}_update"]


def check_existing(apps, schema_editor):
    FundingAgreement = apps.get_model("agreements", "FundingAgreement")
    cofs = list(
        FundingAgreement.objects.using(schema_editor.connection.alias)
        .exclude(statut="projet")
        .order_by("collectivite_id", "date_debut", "pk")
    )
    pairs = [
        f"{a.numero} et {b.numero}"
        for i, a in enumerate(cofs)
        for b in cofs[i + 1 :]
        if a.collectivite_id == b.collectivite_id
        and a.date_debut <= b.date_fin
        and b.date_debut <= a.date_fin
    ]
    if pairs:
        raise RuntimeError(
            "Cof signées qui se chevauchent pour une même collectivité (le financement de "
            f"l'année les compte deux fois) : {' ; '.join(pairs)}. Raccourcissez ou annulez "
            "l'une de chaque paire avant cette migration."
        )


def forwards(apps, schema_editor):
    check_existing(apps, schema_editor)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0004_cof_number_format")]
    operations = [migrations.RunPython(forwards, backwards)]
