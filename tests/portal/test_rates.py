import unittest

from portal.lib import rates


class TestSafeRate(unittest.TestCase):
    def test_it_returns_none_without_a_denominator(self):
        self.assertIsNone(rates.safe_rate(3, 0))

    def test_it_divides_counts(self):
        self.assertAlmostEqual(rates.safe_rate(3740, 3760), 0.99468, places=5)


class TestWilsonInterval(unittest.TestCase):
    def test_it_matches_a_hand_computed_interval(self):
        lo, hi = rates.wilson_interval(8, 10)
        self.assertAlmostEqual(lo, 0.4902, places=4)
        self.assertAlmostEqual(hi, 0.9433, places=4)

    def test_it_stays_inside_zero_and_one_at_the_edges(self):
        lo, hi = rates.wilson_interval(0, 7)
        self.assertEqual(lo, 0.0)
        self.assertAlmostEqual(hi, 0.3543, places=4)
        lo, hi = rates.wilson_interval(7, 7)
        self.assertAlmostEqual(lo, 0.6457, places=4)
        self.assertEqual(hi, 1.0)

    def test_it_is_none_for_no_answers(self):
        self.assertIsNone(rates.wilson_interval(0, 0))

    def test_it_narrows_with_more_answers(self):
        small = rates.wilson_interval(7, 10)
        large = rates.wilson_interval(7000, 10000)
        self.assertLess(large[1] - large[0], small[1] - small[0])

    def test_it_rejects_more_successes_than_answers(self):
        with self.assertRaises(ValueError):
            rates.wilson_interval(11, 10)


class TestRateToPoints(unittest.TestCase):
    def test_it_gives_full_points_at_or_above_the_threshold(self):
        self.assertEqual(rates.rate_to_points(0.9, threshold=0.9, max_points=6), 6.0)
        self.assertEqual(rates.rate_to_points(0.97, threshold=0.9, max_points=6), 6.0)

    def test_it_gives_points_pro_rata_below_the_threshold(self):
        self.assertAlmostEqual(rates.rate_to_points(0.45, threshold=0.9, max_points=6), 3.0)

    def test_it_passes_none_through(self):
        self.assertIsNone(rates.rate_to_points(None, threshold=0.9, max_points=6))


class TestCombineRates(unittest.TestCase):
    def test_the_mean_ignores_weights_and_missing_rates(self):
        self.assertAlmostEqual(
            rates.combine_rates([(0.8, 2), (1.0, 1), (None, 5)], method="mean"), 0.9
        )

    def test_the_weighted_mean_uses_weights(self):
        self.assertAlmostEqual(
            rates.combine_rates([(0.8, 2), (1.0, 1)], method="weighted"), 2.6 / 3
        )

    def test_it_is_none_when_nothing_is_rated(self):
        self.assertIsNone(rates.combine_rates([(None, 1)]))

    def test_it_rejects_an_unknown_method(self):
        with self.assertRaises(ValueError):
            rates.combine_rates([(0.5, 1)], method="median")


class TestDecision766(unittest.TestCase):
    def test_the_on_time_rate_counts_open_dossiers_at_period_end(self):
        rate = rates.on_time_rate_766(
            early=5, on_time=3, finished=10, open_within=4, open_overdue=1
        )
        self.assertAlmostEqual(rate, 12 / 15)

    def test_the_proxy_subtracts_late_and_negative_shares(self):
        self.assertAlmostEqual(rates.proxy_766(late=2, negative=3, finished=100), 0.95)
        self.assertEqual(rates.proxy_766(late=60, negative=60, finished=100), 0.0)
        self.assertIsNone(rates.proxy_766(late=0, negative=0, finished=0))
