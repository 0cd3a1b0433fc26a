"""stats_refresh: full, ranged, incremental; the command, the tasks and the beat defaults."""

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from portal.beat import DEFAULT_SCHEDULE, ensure_default_schedule
from reports import tasks
from reports.models import DossierDay, RefreshState, ResponseDay
from reports.services import stats_refresh
from tests.reports.conftest import local

D = dt.date


def rows():
    return sorted(
        tuple(v for k, v in r.items() if k != "id") for r in DossierDay.objects.values()
    ) + sorted(tuple(v for k, v in r.items() if k != "id") for r in ResponseDay.objects.values())


class TestStatsRefresh:
    def test_running_it_twice_gives_the_same_rows(self, world):
        world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 5), finished=D(2025, 3, 9))
        world.response(when=local(D(2025, 3, 9)), q5=4)
        stats_refresh(full=True)
        once = rows()
        stats_refresh(full=True)
        stats_refresh(start=D(2025, 3, 1), end=D(2025, 3, 31))
        assert rows() == once and once

    def test_the_first_incremental_run_is_a_full_one(self, world):
        world.response(when=local(D(2025, 3, 9)), q5=4)
        assert stats_refresh()["mode"] == "full"
        assert RefreshState.objects.get().watermark is not None

    def test_an_incremental_run_picks_up_new_and_changed_rows_only(self, world):
        with time_machine.travel(local(D(2025, 3, 10), 8), tick=False):
            d = world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 20))
            stats_refresh(full=True)
        with time_machine.travel(local(D(2025, 3, 10), 9), tick=False):
            d.finished_at = local(D(2025, 3, 10), 9)
            d.status = 9
            d.save()
            world.response(when=local(D(2025, 3, 10), 9), dossier=d, q5=5)
            summary = stats_refresh()
        assert summary["mode"] == "incremental"
        day = DossierDay.objects.get(day=D(2025, 3, 10))
        assert (day.finished, day.early, day.evaluated) == (1, 1, 1)
        assert ResponseDay.objects.get(day=D(2025, 3, 10)).responses == 1

    def test_an_incremental_run_with_nothing_new_touches_nothing(self, world):
        with time_machine.travel(local(D(2025, 3, 10), 7, 50), tick=False):
            world.response(when=local(D(2025, 3, 9)), q5=4)
        with time_machine.travel(local(D(2025, 3, 10), 8), tick=False):
            stats_refresh()
        with time_machine.travel(local(D(2025, 3, 10), 8, 5), tick=False):
            assert stats_refresh()["blocks"] == 0

    def test_an_inverted_range_is_refused(self, db):
        with pytest.raises(ValueError):
            stats_refresh(start=D(2025, 3, 2), end=D(2025, 3, 1))


class TestStatsRefreshCommand:
    def test_it_refreshes_a_range(self, world, capsys):
        world.response(when=local(D(2025, 3, 9)), q5=4)
        call_command("stats_refresh", "--from", "2025-03-01", "--to", "2025-03-31")
        assert "range" in capsys.readouterr().out
        assert ResponseDay.objects.get().responses == 1

    def test_it_refuses_a_bad_date(self, db):
        with pytest.raises(CommandError, match="invalid date"):
            call_command("stats_refresh", "--from", "2025-13-01")

    def test_full_excludes_a_range(self, db):
        with pytest.raises(CommandError):
            call_command("stats_refresh", "--full", "--from", "2025-03-01")


class TestTasks:
    def test_the_touched_task_refreshes_new_responses(self, world):
        world.response(when=local(D(2025, 3, 9)), q5=4)
        tasks.stats_refresh_touched.delay()
        assert ResponseDay.objects.get().responses == 1

    def test_the_nightly_task_rechecks_recent_days(self, world):
        with time_machine.travel(local(D(2025, 3, 20), 2), tick=False):
            world.response(when=local(D(2025, 3, 9)), q5=4)
            summary = tasks.stats_refresh_recent.delay().get()
        assert summary["mode"] == "range"
        assert ResponseDay.objects.get().responses == 1


class TestBeatDefaults:
    def test_migrate_created_every_default_entry(self, db):
        names = set(PeriodicTask.objects.values_list("name", flat=True))
        assert set(DEFAULT_SCHEDULE) <= names

    def test_it_leaves_an_admin_s_edit_alone(self, db):
        task = PeriodicTask.objects.get(name="stats: refresh touched days")
        task.enabled = False
        task.save()
        ensure_default_schedule()
        assert PeriodicTask.objects.get(pk=task.pk).enabled is False
        assert PeriodicTask.objects.filter(name__in=DEFAULT_SCHEDULE).count() == len(
            DEFAULT_SCHEDULE
        )


class TestDayRuns:
    def test_consecutive_days_make_one_block_with_every_office(self):
        from reports.services import _day_runs

        days = {D(2025, 3, 3): {1}, D(2025, 3, 4): {2}, D(2025, 3, 5): {1, 3}, D(2025, 3, 9): {4}}
        assert _day_runs(days) == [
            (D(2025, 3, 3), D(2025, 3, 5), frozenset({1, 2, 3})),
            (D(2025, 3, 9), D(2025, 3, 9), frozenset({4})),
        ]

    def test_an_incremental_run_over_consecutive_days_gives_the_full_rows(self, world):
        stats_refresh(full=True)
        for day in (D(2025, 3, 3), D(2025, 3, 4), D(2025, 3, 5)):
            world.response(when=local(day), q5=4)
            world.dossier(received=day, due=D(2025, 3, 5), finished=D(2025, 3, 6))
        summary = stats_refresh()
        incremental = rows()
        stats_refresh(full=True)
        assert incremental == rows()
        # The dossiers' days 3–6 March make one block; the new responses are a delta.
        assert (summary["blocks"], summary["new_responses"]) == (1, 3)
