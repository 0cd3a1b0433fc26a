"""stats_compute / stats_grouped: each rate against a hand computation."""

import datetime as dt

import pytest

from offices.models import Office
from reports.selectors import stats_compute, stats_grouped
from reports.services import stats_refresh
from tests.reports.conftest import local

D = dt.date
MARCH = {"start": D(2025, 3, 1), "end": D(2025, 3, 31)}


@pytest.fixture
def march(world):
    # Office 0: 4 finished (2 early, 1 on time, 1 late with apology), 1 open overdue,
    # 1 open within, 1 withdrawn.
    w = world
    e1 = w.dossier(received=D(2025, 3, 2), due=D(2025, 3, 10), finished=D(2025, 3, 5))
    w.dossier(received=D(2025, 3, 2), due=D(2025, 3, 10), finished=D(2025, 3, 6))
    w.dossier(received=D(2025, 3, 2), due=D(2025, 3, 10), finished=D(2025, 3, 10))
    late = w.dossier(
        received=D(2025, 3, 2),
        due=D(2025, 3, 4),
        finished=D(2025, 3, 12),
        apology_issued_at=D(2025, 3, 5),
    )
    w.dossier(received=D(2025, 3, 20), due=D(2025, 3, 25))
    w.dossier(received=D(2025, 3, 28), due=D(2025, 4, 5))
    w.dossier(received=D(2025, 3, 3), due=D(2025, 3, 8), status=7)
    # Ratings: two dossiers rated, one negative with a complaint answered on time.
    w.response(when=local(D(2025, 3, 5), 16), dossier=e1, q5=5, q3=3)
    bad = w.response(when=local(D(2025, 3, 12), 16), dossier=late, q5=2, q3=1)
    w.complaint(
        bad, opened=local(D(2025, 3, 12)), due=local(D(2025, 4, 2)), replied=local(D(2025, 3, 20))
    )
    w.response(when=local(D(2025, 3, 15)), q5=4, q3=2)
    w.response(when=local(D(2025, 3, 16)), q5=1, q3=1, flagged=True)
    stats_refresh(full=True)
    return w


def figures(world, **kwargs):
    offices = Office.objects.filter(pk=world.offices[0].pk)
    return stats_compute(offices=offices, **{**MARCH, **kwargs})


class TestStatsCompute:
    def test_dossier_counts_and_both_on_time_rates(self, march):
        f = figures(march)
        assert (f["received"], f["excluded"], f["finished"]) == (6, 1, 4)
        assert (f["early"], f["on_time"], f["late"]) == (2, 1, 1)
        assert (f["open_within"], f["open_overdue"]) == (1, 1)
        assert f["on_time_rate"] == pytest.approx(4 / 6)  # (2 + 1 + 1) / (4 + 2)
        assert f["on_time_rate_simple"] == pytest.approx(3 / 4)

    def test_evaluation_apology_and_proxy(self, march):
        f = figures(march)
        assert f["evaluation_rate"] == pytest.approx(2 / 4)
        assert f["late_without_apology"] == 0 and f["apology_coverage"] == 1.0
        assert f["proxy_766_rate"] == pytest.approx(1 - (1 + 1) / 4)
        assert f["proxy_766_points"] == pytest.approx(0.5 * 6 / 0.9, abs=1e-5)

    def test_satisfaction_per_question_criterion_and_overall(self, march):
        f = figures(march)
        assert f["responses"] == 3 and f["responses_flagged"] == 1
        polite = next(q for q in f["questions"] if q["code"] == "polite")
        assert (polite["n"], polite["satisfied"], polite["levels"]) == (3, 2, {2: 1, 4: 1, 5: 1})
        staff, result = f["criteria"]
        assert staff["rate"] == pytest.approx(2 / 3) and result["rate"] == pytest.approx(2 / 3)
        assert f["satisfaction_rate"] == pytest.approx(2 / 3)
        assert f["satisfaction_rate_pooled"] == pytest.approx(4 / 6)
        lo, hi = f["satisfaction_ci"]
        assert lo < 2 / 3 < hi

    def test_flagged_responses_count_only_when_asked(self, march):
        f = figures(march, include_flagged=True)
        assert f["satisfaction_rate_pooled"] == pytest.approx(4 / 8)

    def test_weighted_combination_uses_criterion_weights(self, march, settings):
        march.response(when=local(D(2025, 3, 17)), q5=5)
        stats_refresh(full=True)
        settings.STATS_SATISFACTION_METHOD = "weighted"
        f = figures(march)
        # staff 3/4 with weight 2, result 2/3 with weight 1
        assert f["satisfaction_rate"] == pytest.approx((2 * 3 / 4 + 2 / 3) / 3, abs=1e-6)

    def test_complaints(self, march):
        f = figures(march)
        assert (f["complaints"], f["complaints_answered_on_time"]) == (1, 1)
        assert f["complaint_on_time_rate"] == 1.0

    def test_the_previous_period_has_equal_length(self, march):
        prev = figures(march)["previous"]
        assert prev["period"] == {"start": "2025-01-29", "end": "2025-02-28"}
        assert prev["finished"] == 0 and prev["on_time_rate"] is None

    def test_a_procedure_filter_uses_the_detail_rows(self, march):
        assert figures(march, procedure=march.procedures[1])["finished"] == 0
        assert figures(march, procedure=march.procedures[0])["finished"] == 4

    def test_a_response_channel_filters_survey_figures_only(self, march):
        f = figures(march, channel="kiosk")
        assert f["responses"] == 0 and f["finished"] == 4


class TestStatsGrouped:
    def test_children_are_ranked_unless_their_sample_is_small(self, march):
        march.response(office=2, when=local(D(2025, 3, 5)), q5=5)
        stats_refresh(full=True)
        offices = Office.objects.filter(unit__path__startswith=march.province.path)
        rows = stats_grouped(
            offices=offices, group_by="child", parent_unit=march.province, min_answers=2, **MARCH
        )
        by_key = {r["key"]: r for r in rows}
        assert by_key["district:450"]["rank"] == 1
        assert by_key["district:451"]["rank"] is None
        assert by_key["district:451"]["small_sample"] is True
        assert by_key["district:450"]["finished"] == 4

    def test_month_rows_sum_to_the_period(self, march):
        offices = Office.objects.all()
        rows = stats_grouped(
            offices=offices, group_by="month", start=D(2025, 2, 15), end=D(2025, 3, 31)
        )
        assert [r["key"] for r in rows] == ["2025-02", "2025-03"]
        assert sum(r["finished"] for r in rows) == 4

    def test_office_and_officer_groupings(self, march):
        offices = Office.objects.all()
        rows = stats_grouped(offices=offices, group_by="office", **MARCH)
        assert [r["key"] for r in rows if r["finished"]] == ["O1"]
        officer_rows = stats_grouped(offices=offices, group_by="officer", **MARCH)
        assert sum(r["finished"] for r in officer_rows) == 4

    def test_unknown_grouping_is_refused(self, march):
        with pytest.raises(ValueError):
            stats_grouped(offices=Office.objects.all(), group_by="weekday", **MARCH)
