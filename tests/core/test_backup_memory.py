"""``coopctg restaurer`` streams: its peak memory does not grow with the size of the backup,
even with DJANGO_DEBUG=1 (Django then keeps the text of every query: a national backup took
375 Mo). A ratio between two archives, 1 and 6 times bigger than a few batches, not a timing."""

import tracemalloc

import pytest
from django.db import connections

from coopctg.core.backup import BATCH, create_backup, restore_backup, saved_models
from coopctg.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LABEL = "x" * 290  # with the other columns, the small archive holds over 1 Mo (READ_BLOCK)


def add_history(count):
    AuditEntry.objects.bulk_create(
        AuditEntry(action="creation", objet_type="t" * 90, objet_id=str(i), objet_libelle=LABEL)
        for i in range(count)
    )


def empty_database():
    for model in saved_models():
        if model._meta.label not in {"contenttypes.ContentType", "auth.Permission"}:
            model._base_manager.all()._raw_delete(connections["default"].alias)


def restore_peak(archive):
    empty_database()
    tracemalloc.start()
    try:
        report = restore_backup(archive)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report.rows, peak


def test_restore_memory_does_not_grow_with_the_backup(tmp_path, settings):
    settings.DEBUG = True  # the query log: what made the restore grow
    small, large = tmp_path / "petite.zip", tmp_path / "grande.zip"
    add_history(4 * BATCH)
    create_backup(small)
    add_history(20 * BATCH)
    create_backup(large)
    small_rows, small_peak = restore_peak(small)
    large_rows, large_peak = restore_peak(large)
    assert large_rows - small_rows == 20 * BATCH
    assert AuditEntry.objects.count() == 24 * BATCH
    # Six times the rows, not even 1.5 times the memory (with the query log kept: 2.7 times).
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
