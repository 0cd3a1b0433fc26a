"""Roll-up rows hold the counts of each day, hand-checked."""

import datetime as dt

from reports.models import AnswerDay, ComplaintDay, DossierDay, ResponseDay
from reports.services import stats_refresh
from tests.reports.conftest import local

D = dt.date


class TestDossierDay:
    def test_it_counts_received_finished_and_outcomes_on_their_days(self, world):
        world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 10), finished=D(2025, 3, 7))
        world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 5), finished=D(2025, 3, 7))
        world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 7), finished=D(2025, 3, 7))
        world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 7), status=7)
        stats_refresh(full=True)
        first = DossierDay.objects.get(office=world.offices[0], day=D(2025, 3, 3))
        assert (first.received, first.excluded, first.within_in) == (3, 1, 3)
        finished = DossierDay.objects.get(office=world.offices[0], day=D(2025, 3, 7))
        assert (finished.finished, finished.early, finished.on_time, finished.late) == (3, 1, 1, 1)
        assert finished.late_without_apology == 1

    def test_it_keys_the_turn_to_overdue_on_the_day_after_the_due_day(self, world):
        world.dossier(received=D(2025, 3, 3), due=D(2025, 3, 5))
        stats_refresh(full=True)
        turn = DossierDay.objects.get(day=D(2025, 3, 6))
        assert (turn.within_out, turn.overdue_in) == (1, 1)


class TestSurveyDay:
    def test_it_counts_answers_per_level_and_keeps_flagged_apart(self, world):
        day = D(2025, 3, 8)
        world.response(when=local(day, 23, 50), q5=5, q3=1)
        world.response(when=local(day, 0, 5), q5=5, flagged=True)
        world.response(when=local(day, 12), q5=2, qx=3)
        stats_refresh(full=True)
        assert ResponseDay.objects.get(day=day).responses == 2
        assert ResponseDay.objects.get(day=day).responses_flagged == 1
        q5 = AnswerDay.objects.get(day=day, question=world.q5)
        assert (q5.n_level_5, q5.n_level_2, q5.n_level_1, q5.valid, q5.satisfied) == (1, 1, 0, 2, 1)
        assert (q5.n_level_5_flagged, q5.n_level_2_flagged, q5.satisfied_flagged) == (1, 0, 1)
        visits = AnswerDay.objects.get(day=day, question=world.qx)
        assert (visits.n_level_3, visits.valid, visits.satisfied) == (1, 0, 0)

    def test_it_counts_complaints_by_opened_and_due_day(self, world):
        r = world.response(when=local(D(2025, 3, 8)), q5=1)
        world.complaint(
            r, opened=local(D(2025, 3, 8)), due=local(D(2025, 3, 28)), replied=local(D(2025, 3, 20))
        )
        stats_refresh(full=True)
        row = ComplaintDay.objects.get()
        assert (row.day, row.due_on, row.complaints, row.answered_on_time) == (
            D(2025, 3, 8),
            D(2025, 3, 28),
            1,
            1,
        )
