"""Timeliness of one dossier and the two on-time rates, against hand-computed numbers."""

import datetime as dt

import pytest

from offices.models import Dossier, DossierStatus, Holiday, HolidayKind
from offices.selectors import (
    dossier_on_time_766,
    dossier_on_time_simple,
    dossiers_late_without_apology_count,
    working_day_add,
)
from tests.factories import DossierFactory, OfficeFactory, ProcedureFactory, local_dt

pytestmark = pytest.mark.django_db
D = dt.date
UTC = dt.UTC


def utc(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=UTC)


@pytest.fixture
def office():
    return OfficeFactory()


@pytest.fixture
def procedure():
    return ProcedureFactory()


def make(office, procedure, code, *, received, due, finished=None, status=None, **kwargs):
    if status is None:
        status = DossierStatus.RETURNED if finished else DossierStatus.IN_PROGRESS
    return DossierFactory(
        code=code,
        office=office,
        procedure=procedure,
        received_at=received,
        due_at=due,
        finished_at=finished,
        status=status,
        **kwargs,
    )


class TestDossierTimeliness:
    def test_it_calls_a_dossier_finished_before_the_promised_day_early(self, office, procedure):
        d = make(
            office,
            procedure,
            "A",
            received=local_dt(2025, 3, 3),
            due=local_dt(2025, 3, 10),
            finished=local_dt(2025, 3, 9, 16),
        )
        assert d.timeliness(D(2025, 3, 31)) == "early"

    def test_it_calls_one_finished_at_2359_local_on_the_promised_day_on_time(
        self, office, procedure
    ):
        d = make(
            office,
            procedure,
            "B",
            received=local_dt(2025, 3, 3),
            due=local_dt(2025, 3, 10),
            finished=utc(2025, 3, 10, 16, 59),
        )  # 23:59 in Hanoi
        assert d.finished_on == D(2025, 3, 10)
        assert d.timeliness(D(2025, 3, 31)) == "on_time"

    def test_it_calls_one_finished_at_local_midnight_after_the_promised_day_late(
        self, office, procedure
    ):
        d = make(
            office,
            procedure,
            "C",
            received=local_dt(2025, 3, 3),
            due=local_dt(2025, 3, 10),
            finished=utc(2025, 3, 10, 17, 0),
        )  # 00:00 on 11/3 in Hanoi
        assert d.finished_on == D(2025, 3, 11)
        assert d.timeliness(D(2025, 3, 31)) == "late"

    def test_days_waiting_for_extra_papers_are_not_counted_against_the_office(
        self, office, procedure
    ):
        # Due 10/3, 3 days waiting for papers → effective due 13/3; finished 12/3 → early.
        d = make(
            office,
            procedure,
            "D",
            received=local_dt(2025, 3, 3),
            due=local_dt(2025, 3, 10),
            finished=local_dt(2025, 3, 12),
            supplement_days=3,
            supplement_requests=1,
        )
        assert d.due_on == D(2025, 3, 13)
        assert d.timeliness(D(2025, 3, 31)) == "early"

    def test_more_than_one_request_for_papers_makes_it_late_whatever_the_dates(
        self, office, procedure
    ):
        d = make(
            office,
            procedure,
            "E",
            received=local_dt(2025, 3, 3),
            due=local_dt(2025, 3, 10),
            finished=local_dt(2025, 3, 5),
            supplement_requests=2,
        )
        assert d.timeliness(D(2025, 3, 31)) == "late"

    def test_an_open_dossier_is_within_overdue_or_due_soon(self, office, procedure):
        Holiday.objects.create(date=D(2025, 3, 7), name="test holiday")
        thursday = D(2025, 3, 6)
        # Working days after Thu 6/3 (Fri 7/3 a holiday): Mon 10/3 = 1, Tue 11/3 = 2, Wed 12/3 = 3.
        soon = make(
            office, procedure, "F", received=local_dt(2025, 3, 3), due=local_dt(2025, 3, 11)
        )
        later = make(
            office, procedure, "G", received=local_dt(2025, 3, 3), due=local_dt(2025, 3, 12)
        )
        today = make(
            office, procedure, "H", received=local_dt(2025, 3, 3), due=local_dt(2025, 3, 6)
        )
        past = make(office, procedure, "I", received=local_dt(2025, 3, 3), due=local_dt(2025, 3, 5))
        assert soon.timeliness(thursday) == "due_soon"
        assert later.timeliness(thursday) == "within"
        assert today.timeliness(thursday) == "due_soon"
        assert past.timeliness(thursday) == "overdue"

    def test_without_the_holiday_tuesday_would_be_three_working_days_away(self, office, procedure):
        d = make(office, procedure, "J", received=local_dt(2025, 3, 3), due=local_dt(2025, 3, 11))
        assert d.timeliness(D(2025, 3, 6)) == "within"

    def test_a_dossier_finished_after_as_of_is_judged_open(self, office, procedure):
        d = make(
            office,
            procedure,
            "K",
            received=local_dt(2025, 3, 3),
            due=local_dt(2025, 3, 10),
            finished=local_dt(2025, 3, 20),
        )
        assert d.timeliness(D(2025, 3, 12)) == "overdue"
        assert d.timeliness(D(2025, 3, 20)) == "late"

    def test_refused_withdrawn_stopped_and_not_yet_received_have_no_timeliness(
        self, office, procedure
    ):
        for n, status in enumerate((3, 7, 8)):
            d = make(
                office,
                procedure,
                f"X{n}",
                received=local_dt(2025, 3, 3),
                due=local_dt(2025, 3, 5),
                status=status,
            )
            assert d.timeliness(D(2025, 3, 31)) == ""
        future = make(
            office, procedure, "Y", received=local_dt(2025, 4, 1), due=local_dt(2025, 4, 5)
        )
        assert future.timeliness(D(2025, 3, 31)) == ""


@pytest.fixture
def march(office, procedure):
    """Fifteen dossiers around March 2025; the expected counts are worked out by hand below."""
    m = lambda code, **kw: make(office, procedure, code, **kw)  # noqa: E731
    r = local_dt(2025, 3, 3)
    m("A", received=r, due=local_dt(2025, 3, 10), finished=local_dt(2025, 3, 5))  # early
    m("B", received=r, due=local_dt(2025, 3, 10), finished=local_dt(2025, 3, 10, 23, 59))  # on time
    m("C", received=r, due=local_dt(2025, 3, 10), finished=local_dt(2025, 3, 12))  # late
    m(
        "D",
        received=r,
        due=local_dt(2025, 3, 10),
        finished=local_dt(2025, 3, 12),
        supplement_days=3,
        supplement_requests=1,
    )  # due 13/3 → early
    m(
        "E",
        received=r,
        due=local_dt(2025, 3, 10),
        finished=local_dt(2025, 3, 8),
        supplement_requests=2,
    )  # late: two requests
    m("F", received=r, due=local_dt(2025, 4, 2))  # open, within
    m("G", received=r, due=local_dt(2025, 3, 31))  # open, due on the last day: within
    m("H", received=r, due=local_dt(2025, 3, 30))  # open, overdue
    # Finished 2/4 (late against 1/4) but judged open and within on 31/3.
    m("I", received=local_dt(2025, 3, 20), due=local_dt(2025, 4, 1), finished=local_dt(2025, 4, 2))
    m("N", received=r, due=local_dt(2025, 4, 5), supplement_requests=2)  # open, not within
    m("O", received=r, due=local_dt(2025, 4, 10))  # open, within
    m(
        "J",
        received=r,
        due=local_dt(2025, 3, 10),
        finished=local_dt(2025, 3, 15),
        status=DossierStatus.WITHDRAWN,
    )
    m("K", received=r, due=local_dt(2025, 3, 10), status=DossierStatus.REFUSED)
    m(
        "L",
        received=local_dt(2025, 2, 3),
        due=local_dt(2025, 2, 20),
        finished=local_dt(2025, 2, 20),
    )  # finished before the period
    # Received at 00:30 on 1/4 in Hanoi (17:30 UTC on 31/3): not yet received on 31/3.
    m("M", received=utc(2025, 3, 31, 17, 30), due=local_dt(2025, 4, 10))
    return Dossier.objects.filter(office=office)


class TestOnTime766:
    def test_it_counts_finished_and_open_dossiers_as_computed_by_hand(self, march):
        result = dossier_on_time_766(dossiers=march, start=D(2025, 3, 1), end=D(2025, 3, 31))
        assert result["definition"] == "766"
        # Finished in March: A B C D E; early A D, on time B, late C E.
        assert (result["finished"], result["early"], result["on_time"], result["late"]) == (
            5,
            2,
            1,
            2,
        )
        # Open on 31/3: F G H I N O; within F G I O.
        assert (result["open"], result["open_within"], result["open_overdue"]) == (6, 4, 2)
        assert (result["numerator"], result["denominator"]) == (7, 11)
        assert result["rate"] == pytest.approx(7 / 11)

    def test_open_dossiers_are_judged_at_the_end_of_the_period(self, march):
        # Finished in 1–9/3: A (5/3, early) and E (8/3, late: two requests).
        # Open on 9/3: B C D F G H N O, all due on or after 9/3; N (two requests) is not within.
        result = dossier_on_time_766(dossiers=march, start=D(2025, 3, 1), end=D(2025, 3, 9))
        assert (result["finished"], result["open"], result["open_within"]) == (2, 8, 7)
        assert (result["numerator"], result["denominator"]) == (8, 10)

    def test_withdrawn_and_refused_dossiers_are_out_of_the_denominator(self, march):
        result = dossier_on_time_766(dossiers=march, start=D(2025, 3, 1), end=D(2025, 3, 31))
        codes = {"J", "K"}
        assert result["denominator"] == march.exclude(code__in=codes | {"L", "M"}).count()

    def test_an_empty_set_has_no_rate(self, office):
        result = dossier_on_time_766(
            dossiers=Dossier.objects.filter(office=office), start=D(2025, 3, 1), end=D(2025, 3, 31)
        )
        assert (result["denominator"], result["rate"]) == (0, None)


class TestOnTimeSimple:
    def test_it_divides_early_and_on_time_by_finished(self, march):
        result = dossier_on_time_simple(dossiers=march, start=D(2025, 3, 1), end=D(2025, 3, 31))
        assert result["definition"] == "simple"
        assert (result["numerator"], result["denominator"]) == (3, 5)
        assert result["rate"] == pytest.approx(0.6)

    def test_it_ignores_open_dossiers_and_counts_the_day_by_local_time(self, march):
        # February: only L (finished 20/2, on time).
        result = dossier_on_time_simple(dossiers=march, start=D(2025, 2, 1), end=D(2025, 2, 28))
        assert (result["numerator"], result["denominator"]) == (1, 1)


class TestLateWithoutApology:
    def test_it_counts_finished_late_and_open_overdue_without_apology(self, march):
        # On 31/3: late C, E (finished) and H (open, due 30/3); K refused is left out.
        assert dossiers_late_without_apology_count(dossiers=march, as_of=D(2025, 3, 31)) == 3
        march.filter(code="C").update(apology_issued_at=D(2025, 3, 13))
        assert dossiers_late_without_apology_count(dossiers=march, as_of=D(2025, 3, 31)) == 2


class TestWorkingDayAdd:
    def test_it_reads_holidays_and_compensating_days_from_the_calendar(self):
        for day in range(27, 32):
            Holiday.objects.create(date=D(2025, 1, day), name="Tết Ất Tỵ")
        assert working_day_add(start=D(2025, 1, 24), days=1) == D(2025, 2, 3)
        # 15 working days from Thu 23/1: Fri 24/1, then 3/2 … 20/2 (14 days) → Thu 20/2.
        assert working_day_add(start=D(2025, 1, 23), days=15) == D(2025, 2, 20)

    def test_a_compensating_saturday_counts(self):
        Holiday.objects.create(date=D(2025, 3, 8), name="làm bù", kind=HolidayKind.WORKING_DAY)
        assert working_day_add(start=D(2025, 3, 7), days=1) == D(2025, 3, 8)

    def test_it_counts_backwards(self):
        assert working_day_add(start=D(2025, 3, 10), days=-1) == D(2025, 3, 7)


@pytest.mark.django_db
class TestPeriodNotOverYet:
    def test_open_dossiers_are_judged_today_not_on_a_future_last_day(self):
        import datetime as dt

        from offices.models import Dossier
        from offices.selectors import dossier_on_time_766
        from tests.factories import DossierFactory, local_dt

        # Received 3/3, due 10/3, still open; the period is March, "today" is 5/3.
        DossierFactory(received_at=local_dt(2025, 3, 3), due_at=local_dt(2025, 3, 10, 17))
        figures = dossier_on_time_766(
            dossiers=Dossier.objects.all(),
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 3, 31),
            today=dt.date(2025, 3, 5),
        )
        assert (figures["open_within"], figures["open_overdue"], figures["rate"]) == (1, 0, 1.0)
        # Once March is over the same dossier is overdue on its last day.
        figures = dossier_on_time_766(
            dossiers=Dossier.objects.all(),
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 3, 31),
            today=dt.date(2025, 4, 2),
        )
        assert (figures["open_within"], figures["open_overdue"], figures["rate"]) == (0, 1, 0.0)
