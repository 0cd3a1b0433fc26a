"""The response change queue: its triggers, the delta of new responses, exactness with changes."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.db import connection, connections, transaction

from reports import services, triggers
from reports.models import (
    AnswerDay,
    AnswerDayDetail,
    AnswerMonth,
    DossierDay,
    DossierDayDetail,
    DossierMonth,
    ResponseChange,
    ResponseDay,
    ResponseDayDetail,
    ResponseMonth,
)
from reports.services import stats_refresh
from surveys.models import Response
from tests.reports.conftest import local

D = dt.date
SURVEY_MODELS = (
    ResponseDay,
    ResponseDayDetail,
    ResponseMonth,
    AnswerDay,
    AnswerDayDetail,
    AnswerMonth,
    DossierDay,
    DossierDayDetail,
    DossierMonth,
)


def snapshot():
    return [
        sorted(tuple(v for k, v in row.items() if k != "id") for row in model.objects.values())
        for model in SURVEY_MODELS
    ]


def queue():
    return sorted(
        (c.kind, c.response_id, c.office_id) for c in ResponseChange.objects.order_by("id")
    )


class TestTriggers:
    def test_they_are_installed_by_migrate(self, db):
        assert triggers.installed(connection) == set(triggers.TRIGGERS)

    def test_a_new_response_is_queued_as_new(self, world):
        r = world.response(when=local(D(2025, 3, 9)), q5=4)
        assert queue() == [("n", r.pk, None)]

    def test_bulk_inserts_queue_every_response(self, world):
        ResponseChange.objects.all().delete()
        Response.objects.bulk_create(
            Response(
                questionnaire=world.questionnaire,
                office=world.offices[0],
                channel="link",
                submitted_at=local(D(2025, 3, 9)),
                client_id=uuid.UUID(int=i + 1),
            )
            for i in range(5)
        )
        assert [kind for kind, _id, _office in queue()] == ["n"] * 5

    def test_a_counted_change_queues_the_old_and_new_values(self, world):
        r = world.response(when=local(D(2025, 3, 9)), q5=4)
        ResponseChange.objects.all().delete()
        Response.objects.filter(pk=r.pk).update(office=world.offices[2])
        old, new = world.offices[0].pk, world.offices[2].pk
        assert queue() == sorted([("t", r.pk, old), ("t", r.pk, new)])

    def test_a_flag_queues_the_response(self, world):
        r = world.response(when=local(D(2025, 3, 9)), q5=4)
        ResponseChange.objects.all().delete()
        r.flagged = True
        r.save(update_fields=["flagged", "updated_at"])
        assert [kind for kind, _id, _office in queue()] == ["t", "t"]

    def test_changes_the_roll_ups_do_not_read_queue_nothing(self, world):
        r = world.response(when=local(D(2025, 3, 9)), q5=4)
        ResponseChange.objects.all().delete()
        Response.objects.filter(pk=r.pk).update(checked_at=local(D(2025, 3, 9), 10))
        r.contact_phone = "0912345678"
        r.save()
        assert queue() == []

    def test_a_delete_queues_the_old_values(self, world):
        r = world.response(when=local(D(2025, 3, 9)), q5=4)
        ResponseChange.objects.all().delete()
        pk = r.pk
        r.delete()
        assert queue() == [("t", pk, world.offices[0].pk)]

    def test_install_is_idempotent(self, db):
        triggers.install(connection)
        triggers.install(connection)
        assert triggers.installed(connection) == set(triggers.TRIGGERS)


class TestNewResponsesDelta:
    def test_new_responses_are_added_without_rebuilding_a_block(self, world):
        world.response(when=local(D(2025, 3, 9)), q5=4)
        stats_refresh(full=True)
        world.response(when=local(D(2025, 3, 9), 11), q5=2, q3=3)
        world.response(office=2, when=local(D(2025, 3, 31), 23), q5=5, flagged=True)
        world.response(office=1, when=local(D(2025, 4, 1), 0, 30), q3=1)
        summary = stats_refresh()
        assert (summary["blocks"], summary["new_responses"]) == (0, 3)
        assert ResponseChange.objects.count() == 0
        incremental = snapshot()
        stats_refresh(full=True)
        assert snapshot() == incremental
        day = ResponseDay.objects.get(office=world.offices[0], day=D(2025, 3, 9))
        assert day.responses == 2

    def test_a_rating_is_added_to_its_dossier_s_finished_day(self, world):
        with time_machine.travel(local(D(2025, 3, 9), 7), tick=False):
            d = world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 20), finished=D(2025, 3, 8))
        with time_machine.travel(local(D(2025, 3, 9), 8), tick=False):
            stats_refresh(full=True)
        with time_machine.travel(local(D(2025, 3, 9), 10), tick=False):
            world.response(when=local(D(2025, 3, 9)), dossier=d, q5=2)
            summary = stats_refresh()
        day = DossierDay.objects.get(day=D(2025, 3, 8))
        assert (day.evaluated, day.negative, summary["blocks"]) == (1, 1, 0)
        assert DossierMonth.objects.get().evaluated == 1
        incremental = snapshot()
        stats_refresh(full=True)
        assert snapshot() == incremental

    def test_a_rebuild_leaves_out_the_responses_still_queued(self, world):
        d = world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 20), finished=D(2025, 3, 8))
        stats_refresh(full=True)
        world.response(when=local(D(2025, 3, 8), 16), dossier=d, q5=2, q3=1)
        # A block rebuilt before the refresh claimed the new rating (as when it commits
        # between the claim and the rebuild): the delta adds it, so the rebuild must not.
        services._refresh_block(services.Block(start=D(2025, 3, 1), end=D(2025, 3, 31)))
        assert DossierDay.objects.get(day=D(2025, 3, 8)).evaluated == 0
        assert not ResponseDay.objects.exists() and not AnswerDay.objects.exists()
        stats_refresh()
        incremental = snapshot()
        stats_refresh(full=True)
        assert snapshot() == incremental
        assert DossierDay.objects.get(day=D(2025, 3, 8)).evaluated == 1

    def test_a_ranged_refresh_counts_the_queued_responses_outside_its_range(self, world):
        stats_refresh(full=True)
        world.response(when=local(D(2025, 3, 9)), q5=4)
        world.response(when=local(D(2025, 5, 9)), q5=4)
        stats_refresh(start=D(2025, 3, 1), end=D(2025, 3, 31))
        ranged = snapshot()
        stats_refresh(full=True)
        assert snapshot() == ranged
        assert ResponseDay.objects.filter(day=D(2025, 5, 9)).get().responses == 1

    def test_a_failed_refresh_leaves_the_queue_for_the_next_one(self, world, monkeypatch):
        stats_refresh(full=True)
        world.response(when=local(D(2025, 3, 9)), q5=4)

        def broken(block):
            raise RuntimeError("disk full")

        monkeypatch.setattr(services, "_refresh_block", broken)
        world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 20))
        with pytest.raises(RuntimeError):
            stats_refresh()
        assert ResponseDay.objects.count() == 0
        assert ResponseChange.objects.filter(kind="n", batch__isnull=True).count() == 1
        monkeypatch.undo()
        stats_refresh()
        assert ResponseDay.objects.get().responses == 1


class TestChangedResponses:
    """A counted response that changes is rebuilt from the raw rows: incremental == full."""

    @pytest.fixture
    def counted(self, world):
        d = world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 20), finished=D(2025, 3, 8))
        rows = [
            world.response(when=local(D(2025, 3, 9)), dossier=d, q5=4, q3=3),
            world.response(when=local(D(2025, 3, 10)), q5=1),
            world.response(office=1, when=local(D(2025, 3, 31), 22), q5=5, qx=2),
        ]
        stats_refresh(full=True)
        return rows

    def check(self):
        summary = stats_refresh()
        incremental = snapshot()
        stats_refresh(full=True)
        assert snapshot() == incremental
        return summary

    def test_a_flagged_response(self, counted):
        counted[0].flagged = True
        counted[0].save(update_fields=["flagged", "updated_at"])
        self.check()
        assert DossierDay.objects.get(day=D(2025, 3, 8)).evaluated_flagged == 1
        assert ResponseDay.objects.get(day=D(2025, 3, 9)).responses_flagged == 1

    def test_a_deleted_response(self, counted):
        counted[1].delete()
        self.check()
        assert not ResponseDay.objects.filter(day=D(2025, 3, 10)).exists()
        assert not AnswerDay.objects.filter(day=D(2025, 3, 10)).exists()

    def test_a_response_moved_to_another_office_and_month(self, world, counted):
        Response.objects.filter(pk=counted[2].pk).update(
            office=world.offices[3], submitted_at=local(D(2025, 4, 2))
        )
        self.check()
        assert ResponseMonth.objects.get(office=world.offices[3]).day == D(2025, 4, 1)

    def test_a_new_response_changed_before_it_was_counted(self, world, counted):
        r = world.response(when=local(D(2025, 3, 12)), q5=3)
        Response.objects.filter(pk=r.pk).update(flagged=True)
        self.check()
        assert ResponseDay.objects.get(day=D(2025, 3, 12)).responses_flagged == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestConcurrentSubmissions:
    """PostgreSQL, real sessions: responses committed while a refresh runs are counted once."""

    def test_a_response_committed_during_a_refresh_waits_for_the_next(self, world, monkeypatch):
        if connection.vendor != "postgresql":
            pytest.skip("other backend: SQLite serializes writers itself")
        first = world.response(when=local(D(2025, 3, 9)), q5=4)
        stats_refresh(full=True)
        # A change to the counted response makes its day a block this run rebuilds,
        # and a new one is queued for the delta.
        Response.objects.filter(pk=first.pk).update(flagged=True)
        world.response(when=local(D(2025, 3, 9), 10), q5=2)

        def submit_elsewhere():
            try:
                with transaction.atomic():
                    world.response(when=local(D(2025, 3, 9), 11), q5=5, q3=3)
            finally:
                connections.close_all()

        claim = services._claim_queue

        def claim_then_submit():
            batch = claim()
            # Commits after the claim, before the delta and the block rebuild read.
            t = threading.Thread(target=submit_elsewhere)
            t.start()
            t.join()
            return batch

        monkeypatch.setattr(services, "_claim_queue", claim_then_submit)
        summary = stats_refresh()
        monkeypatch.undo()
        assert summary["new_responses"] == 1
        day = ResponseDay.objects.get(day=D(2025, 3, 9))
        assert (day.responses, day.responses_flagged) == (1, 1)  # not the late one yet
        assert ResponseChange.objects.filter(kind="n").count() == 1
        stats_refresh()
        incremental = snapshot()
        stats_refresh(full=True)
        assert snapshot() == incremental
        day = ResponseDay.objects.get(day=D(2025, 3, 9))
        assert (day.responses, day.responses_flagged) == (2, 1)

    def test_refreshes_racing_submissions_count_each_response_once(self, world):
        if connection.vendor != "postgresql":
            pytest.skip("other backend: SQLite serializes writers itself")
        stats_refresh(full=True)
        errors = []
        stop = threading.Event()

        def submit(office):
            try:
                for i in range(25):
                    with transaction.atomic():
                        world.response(
                            office=office, when=local(D(2025, 3, 9 + i % 3), 9), q5=1 + i % 5
                        )
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        def refresh():
            try:
                while not stop.is_set():
                    stats_refresh()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        refreshers = [threading.Thread(target=refresh) for _ in range(2)]
        submitters = [threading.Thread(target=submit, args=(o,)) for o in range(3)]
        for t in refreshers + submitters:
            t.start()
        for t in submitters:
            t.join()
        stop.set()
        for t in refreshers:
            t.join()
        assert not errors
        stats_refresh()
        incremental = snapshot()
        stats_refresh(full=True)
        assert snapshot() == incremental
        assert sum(ResponseDay.objects.values_list("responses", flat=True)) == 75
