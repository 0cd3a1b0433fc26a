"""reports.swap: a full refresh on PostgreSQL builds new tables and swaps them in."""

import datetime as dt
from unittest import mock

import pytest
from django.db import connection

from reports import swap
from reports.models import DossierDay, ResponseDay
from reports.services import ROLLUP_MODELS, stats_refresh
from tests.reports.conftest import local

D = dt.date


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("other backend: the table swap is PostgreSQL's")


def _tables():
    return [model._meta.db_table for model in ROLLUP_MODELS]


def _leftovers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE strpos(relname, %s) > 0", [swap.SUFFIX])
        return [row[0] for row in cursor.fetchall()]


def _filled(world):
    world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 5), finished=D(2025, 3, 9))
    world.dossier(received=D(2025, 3, 4), due=D(2025, 3, 20))
    world.response(when=local(D(2025, 3, 9)), q5=4)
    world.response(when=local(D(2025, 4, 1)), q5=2)


def test_the_swapped_tables_have_the_live_definition(world):
    _filled(world)
    before = [swap.shape(table) for table in _tables()]
    stats_refresh(full=True)
    assert [swap.shape(table) for table in _tables()] == before
    assert _leftovers() == []
    # Nothing but the definition stayed: every table holds its new rows.
    assert DossierDay.objects.exists() and ResponseDay.objects.exists()


def test_ids_continue_after_a_swap(world):
    _filled(world)
    stats_refresh(full=True)
    top = max(DossierDay.objects.values_list("id", flat=True))
    row = DossierDay.objects.create(office_id=world.offices[0].pk, day=D(2030, 1, 1))
    assert row.id > top
    # The per-office rows are numbered in key order.
    keys = list(DossierDay.objects.exclude(pk=row.pk).order_by("id").values_list("office", "day"))
    assert keys == sorted(keys)


def test_a_failed_rebuild_leaves_the_live_tables_as_they_were(world):
    _filled(world)
    stats_refresh(full=True)
    before = sorted(DossierDay.objects.values_list("office_id", "day", "received", "finished"))
    world.response(when=local(D(2025, 4, 2)), q5=5)
    with (
        mock.patch.object(swap, "swap", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        stats_refresh(full=True)
    after = sorted(DossierDay.objects.values_list("office_id", "day", "received", "finished"))
    assert after == before
    assert _leftovers() == []
    assert [swap.shape(table) for table in _tables()]  # the live tables are all there


@pytest.mark.parametrize(
    "name,definition,expected",
    [
        (
            "dossierday_day_idx",
            "CREATE INDEX dossierday_day_idx ON public.reports_dossierday "
            "USING btree (day, office_id)",
            'CREATE INDEX "dossierday_day_idx__new" ON "reports_dossierday__new" '
            "USING btree (day, office_id)",
        ),
        (
            "u",
            "CREATE UNIQUE INDEX u ON ONLY public.reports_dossierday USING btree (office_id) "
            "WHERE (received > 0)",
            'CREATE UNIQUE INDEX "u__new" ON ONLY "reports_dossierday__new" '
            "USING btree (office_id) WHERE (received > 0)",
        ),
    ],
)
def test_an_index_definition_is_re_aimed_at_the_new_table(name, definition, expected):
    assert swap._index_on_new("reports_dossierday", name, definition) == expected


def test_an_unknown_index_definition_is_refused():
    with pytest.raises(ValueError):
        swap._index_on_new("reports_dossierday", "x", "CREATE INDEX x USING btree (a)")
