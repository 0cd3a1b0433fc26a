import datetime
import unittest

from portal.lib.workdays import add_working_days, is_working_day, working_days_between

D = datetime.date
# Tết 2025: Monday 27/1 to Friday 31/1 off; no compensating day that year.
TET_2025 = {D(2025, 1, 27), D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31)}


class IsWorkingDayTest(unittest.TestCase):
    def test_it_treats_weekends_as_days_off(self):
        self.assertTrue(is_working_day(D(2025, 3, 7)))  # Friday
        self.assertFalse(is_working_day(D(2025, 3, 8)))  # Saturday
        self.assertFalse(is_working_day(D(2025, 3, 9)))  # Sunday

    def test_it_respects_holidays_and_compensating_days(self):
        self.assertFalse(is_working_day(D(2025, 1, 28), holidays=TET_2025))
        saturday = D(2025, 4, 26)
        self.assertTrue(is_working_day(saturday, extra_working_days={saturday}))

    def test_a_declared_working_day_wins_over_a_holiday_entry(self):
        day = D(2025, 4, 26)
        self.assertTrue(is_working_day(day, holidays={day}, extra_working_days={day}))


class AddWorkingDaysTest(unittest.TestCase):
    def test_it_does_not_count_the_start_day(self):
        self.assertEqual(add_working_days(D(2025, 3, 3), 1), D(2025, 3, 4))

    def test_zero_returns_the_start(self):
        self.assertEqual(add_working_days(D(2025, 3, 8), 0), D(2025, 3, 8))

    def test_it_skips_the_weekend(self):
        self.assertEqual(add_working_days(D(2025, 3, 7), 1), D(2025, 3, 10))  # Fri → Mon
        self.assertEqual(add_working_days(D(2025, 3, 8), 1), D(2025, 3, 10))  # Sat → Mon

    def test_fifteen_working_days_is_three_weeks_without_holidays(self):
        self.assertEqual(add_working_days(D(2025, 3, 3), 15), D(2025, 3, 24))

    def test_it_skips_tet(self):
        # Fri 24/1 + 1 → Mon 3/2 (27–31/1 are Tết, 1–2/2 a weekend).
        self.assertEqual(add_working_days(D(2025, 1, 24), 1, holidays=TET_2025), D(2025, 2, 3))
        # Thu 23/1 + 5: Fri 24, Mon 3, Tue 4, Wed 5, Thu 6.
        self.assertEqual(add_working_days(D(2025, 1, 23), 5, holidays=TET_2025), D(2025, 2, 6))

    def test_it_counts_a_compensating_saturday(self):
        saturday = D(2025, 3, 8)
        self.assertEqual(
            add_working_days(D(2025, 3, 7), 1, extra_working_days={saturday}), saturday
        )

    def test_negative_counts_backwards(self):
        self.assertEqual(add_working_days(D(2025, 3, 10), -1), D(2025, 3, 7))


class WorkingDaysBetweenTest(unittest.TestCase):
    def test_same_day_is_zero(self):
        self.assertEqual(working_days_between(D(2025, 3, 5), D(2025, 3, 5)), 0)

    def test_it_counts_days_after_start_up_to_end(self):
        self.assertEqual(working_days_between(D(2025, 3, 3), D(2025, 3, 7)), 4)
        self.assertEqual(working_days_between(D(2025, 3, 6), D(2025, 3, 10)), 2)  # Fri, Mon

    def test_it_counts_whole_weeks(self):
        self.assertEqual(working_days_between(D(2025, 3, 3), D(2025, 3, 24)), 15)

    def test_it_removes_holidays_and_adds_compensating_days(self):
        self.assertEqual(working_days_between(D(2025, 1, 24), D(2025, 2, 3), holidays=TET_2025), 1)
        self.assertEqual(
            working_days_between(D(2025, 3, 7), D(2025, 3, 10), extra_working_days={D(2025, 3, 8)}),
            2,
        )

    def test_a_holiday_on_a_weekend_is_not_removed_twice(self):
        self.assertEqual(
            working_days_between(D(2025, 3, 7), D(2025, 3, 10), holidays={D(2025, 3, 9)}), 1
        )

    def test_it_is_negative_backwards(self):
        self.assertEqual(working_days_between(D(2025, 3, 10), D(2025, 3, 6)), -2)

    def test_it_agrees_with_add_working_days(self):
        start = D(2025, 1, 20)
        for n in range(0, 40):
            end = add_working_days(start, n, holidays=TET_2025)
            self.assertEqual(working_days_between(start, end, holidays=TET_2025), n)
