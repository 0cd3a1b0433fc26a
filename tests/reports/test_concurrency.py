"""Two refreshes at once give the same roll-ups as one (PostgreSQL: real parallel sessions)."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from reports.models import AnswerDay, DossierDay, DossierDayDetail, ResponseDay
from reports.services import stats_refresh
from tests.reports.conftest import local

D = dt.date


def snapshot():
    return [
        sorted(tuple(v for k, v in r.items() if k != "id") for r in m.objects.values())
        for m in (DossierDay, DossierDayDetail, ResponseDay, AnswerDay)
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestConcurrentRefresh:
    def test_two_refreshes_at_once_equal_one(self, world):
        if connection.vendor != "postgresql":
            pytest.skip("other backend: SQLite serializes writers itself")
        for i in range(40):
            day = D(2025, 3, 1) + dt.timedelta(days=i % 20)
            d = world.dossier(
                office=i % 4,
                received=day,
                due=day + dt.timedelta(days=3),
                finished=day + dt.timedelta(days=i % 6) if i % 5 else None,
            )
            world.response(office=i % 4, when=local(day, 10), dossier=d, q5=1 + i % 5)
        stats_refresh(full=True)
        expected = snapshot()

        errors = []
        barrier = threading.Barrier(2)

        def run(kwargs):
            try:
                barrier.wait()
                stats_refresh(**kwargs)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        for pair in ({"full": True}, {"start": D(2025, 3, 1), "end": D(2025, 3, 31)}):
            threads = [threading.Thread(target=run, args=(pair,)) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors
            assert snapshot() == expected
