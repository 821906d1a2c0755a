"""On PostgreSQL, two versions of one Cof can never cover the same day.

An exclusion constraint over the periods ``[date_effet, date_fin]`` (open-ended when
``date_fin`` is empty). SQLite has no exclusion constraints: there, the unique effective date
per Cof and the services keep the same rule.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE agreements_agreementversion
  ADD CONSTRAINT version_periods_do_not_overlap
  EXCLUDE USING gist (
    cof_id WITH =,
    daterange(date_effet, date_fin, '[]') WITH &&
  );
"""
DROP = "ALTER TABLE agreements_agreementversion DROP CONSTRAINT version_periods_do_not_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
