import datetime as dt
import unittest

from portal.lib.periods import Period, month_buckets, month_key, period_for


class TestPeriodFor(unittest.TestCase):
    on = dt.date(2025, 8, 14)  # a Thursday

    def test_presets(self):
        self.assertEqual(period_for("day", self.on), Period(self.on, self.on))
        self.assertEqual(
            period_for("week", self.on), Period(dt.date(2025, 8, 11), dt.date(2025, 8, 17))
        )
        self.assertEqual(
            period_for("month", self.on), Period(dt.date(2025, 8, 1), dt.date(2025, 8, 31))
        )
        self.assertEqual(
            period_for("quarter", self.on), Period(dt.date(2025, 7, 1), dt.date(2025, 9, 30))
        )
        self.assertEqual(
            period_for("year", self.on), Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        )

    def test_february_of_a_leap_year_ends_on_the_29th(self):
        self.assertEqual(period_for("month", dt.date(2024, 2, 3)).end, dt.date(2024, 2, 29))

    def test_custom_needs_both_ends(self):
        with self.assertRaises(ValueError):
            period_for("custom", self.on, start=self.on)
        p = period_for("custom", self.on, start=dt.date(2025, 1, 5), end=dt.date(2025, 1, 9))
        self.assertEqual(p.days, 5)

    def test_unknown_preset_is_refused(self):
        with self.assertRaises(ValueError):
            period_for("fortnight", self.on)


class TestPeriod(unittest.TestCase):
    def test_previous_period_has_equal_length_and_ends_the_day_before(self):
        p = Period(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
        self.assertEqual(p.previous(), Period(dt.date(2025, 1, 29), dt.date(2025, 2, 28)))

    def test_end_before_start_is_refused(self):
        with self.assertRaises(ValueError):
            Period(dt.date(2025, 3, 2), dt.date(2025, 3, 1))


class TestMonthBuckets(unittest.TestCase):
    def test_buckets_are_clipped_to_the_range(self):
        buckets = month_buckets(dt.date(2025, 1, 15), dt.date(2025, 3, 10))
        self.assertEqual(
            [(b.start, b.end) for b in buckets],
            [
                (dt.date(2025, 1, 15), dt.date(2025, 1, 31)),
                (dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
                (dt.date(2025, 3, 1), dt.date(2025, 3, 10)),
            ],
        )
        self.assertEqual(month_key(buckets[1].start), "2025-02")
