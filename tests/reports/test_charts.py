"""Chart builders: plain data in, Plotly figures out, Vietnamese number format."""

import json

from django.utils import translation

from reports import charts


def ranking_rows():
    return [
        {"label": "Huyện A", "rate": 0.9, "ci": [0.85, 0.94], "n": 400, "url": "/a/"},
        {"label": "Huyện B", "rate": 0.97, "ci": [0.95, 0.98], "n": 900, "url": "/b/"},
        {"label": "Huyện C", "rate": 0.99, "ci": [0.6, 1.0], "n": 7, "small_sample": True},
        {"label": "Huyện D", "rate": None, "ci": None, "n": 0},
    ]


class TestRateRanking:
    def test_it_ranks_best_first_and_small_samples_last(self):
        fig = charts.rate_ranking(ranking_rows(), title="", metric_label="Hài lòng")
        bar = fig.data[0]
        assert list(bar.y) == ["Huyện B", "Huyện A", "Huyện C (ít mẫu)"]
        assert bar.marker.pattern.shape == ("", "", "/")

    def test_whiskers_span_the_wilson_interval(self):
        bar = charts.rate_ranking(ranking_rows(), title="", metric_label="x").data[0]
        assert bar.error_x.array[0] == 0.98 - 0.97
        assert abs(bar.error_x.arrayminus[1] - 0.05) < 1e-9

    def test_a_bar_carries_its_drill_down_url(self):
        bar = charts.rate_ranking(ranking_rows(), title="", metric_label="x").data[0]
        assert bar.customdata[0][0] == "/b/"

    def test_bars_below_target_are_orange_and_the_target_is_drawn(self):
        rows = [{"label": "A", "rate": 0.8, "ci": None, "n": 100, "below_target": True}]
        fig = charts.rate_ranking(rows, title="", metric_label="x", target=0.9)
        assert fig.data[0].marker.color[0] == charts.COLOURS["below"]
        assert fig.layout.shapes[0].x0 == 0.9


class TestNumberFormat:
    def test_vietnamese_uses_a_decimal_comma(self):
        with translation.override("vi"):
            fig = charts.criteria_bars([{"label": "A", "rate": 0.9688, "n": 10}], title="")
        assert fig.layout.separators == ",."
        assert "%{x:.2%}" in fig.data[0].texttemplate

    def test_english_uses_a_decimal_point(self):
        with translation.override("en"):
            fig = charts.criteria_bars([{"label": "A", "rate": 0.9688, "n": 10}], title="")
        assert fig.layout.separators == ".,"


class TestOtherCharts:
    def test_criteria_go_from_weakest_to_strongest(self):
        rows = [
            {"label": "Tiếp cận", "rate": 0.95, "n": 10},
            {"label": "Công chức", "rate": 0.84, "n": 10},
            {"label": "Góp ý", "rate": None, "n": 0},
        ]
        assert list(charts.criteria_bars(rows, title="").data[0].y) == ["Công chức", "Tiếp cận"]

    def test_the_trend_has_one_line_per_rate_with_gaps_for_empty_months(self):
        rows = [
            {"label": "01/2025", "satisfaction_rate": 0.9, "on_time_rate": 0.98},
            {"label": "02/2025", "satisfaction_rate": None, "on_time_rate": 0.97},
        ]
        fig = charts.monthly_trend(rows, title="")
        assert [t.name for t in fig.data] == ["Tỷ lệ hài lòng", "Tỷ lệ đúng hạn"]
        assert fig.data[0].y == (0.9, None)

    def test_timeliness_is_stacked_as_shares_of_finished(self):
        rows = [
            {"label": "A", "early": 6, "on_time": 3, "late": 1, "url": "/a/"},
            {"label": "B", "early": 0, "on_time": 0, "late": 0},
        ]
        fig = charts.timeliness_stacked(rows, title="")
        assert fig.layout.barmode == "stack"
        assert [t.x[0] for t in fig.data] == [0.6, 0.3, 0.1]
        assert list(fig.data[0].y) == ["A"]

    def test_the_json_cannot_close_its_script_tag(self):
        fig = charts.criteria_bars([{"label": "</script><b>", "rate": 0.5, "n": 1}], title="")
        text = charts.figure_json(fig)
        assert "</script>" not in text
        assert json.loads(text)["data"][0]["y"] == ["</script><b>"]
