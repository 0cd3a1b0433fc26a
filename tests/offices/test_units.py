import datetime as dt
import time

import pytest
from django.core.management import call_command

from offices.models import AdministrativeUnit, CommuneChange, UnitLevel, UnitSet
from offices.selectors_units import unit_predecessors, unit_successors
from offices.services_units import UnitLoadError, units_load


def _counts(unit_set):
    qs = AdministrativeUnit.objects.filter(unit_set=unit_set)
    return {level: qs.filter(level=level).count() for level in UnitLevel.values}


@pytest.mark.django_db
class TestUnitsLoad:
    def test_it_loads_the_2025_set_with_exact_counts(self):
        result = units_load(unit_set="2025")
        assert _counts("2025") == {"province": 34, "district": 0, "commune": 3321}
        assert result.counts == {"province": 34, "commune": 3321}

    def test_it_loads_the_2024_set_quickly_with_exact_counts(self):
        started = time.monotonic()
        units_load(unit_set="2024")
        elapsed = time.monotonic() - started
        assert _counts("2024") == {"province": 63, "district": 696, "commune": 10051}
        assert elapsed < 10, f"loading 10,810 units took {elapsed:.1f} s"

    def test_its_paths_and_depths_match_what_save_computes(self):
        units_load(unit_set="2024", province="44")
        units = AdministrativeUnit.objects.select_related("parent").filter(unit_set="2024")
        assert units.count() == 1 + 8 + 145
        for unit in units:
            assert unit.path == unit.build_path()
            assert unit.depth == unit.path.count("/") - 2
        dong_hoi = units.get(level="district", code="450")
        assert dong_hoi.path == "/44/450/"
        assert dong_hoi.parent.code == "44"

    def test_it_sets_validity_by_set(self):
        units_load(unit_set="2024", province="44")
        units_load(unit_set="2025", province="44")
        old = AdministrativeUnit.objects.get(unit_set="2024", level="province", code="44")
        new = AdministrativeUnit.objects.get(unit_set="2025", level="province", code="44")
        assert (old.valid_from, old.valid_to) == (None, dt.date(2025, 6, 30))
        assert (new.valid_from, new.valid_to) == (dt.date(2025, 7, 1), None)
        assert list(AdministrativeUnit.objects.current(dt.date(2025, 6, 30)).filter(code="44")) == [
            old
        ]
        assert list(AdministrativeUnit.objects.current(dt.date(2025, 7, 1)).filter(code="44")) == [
            new
        ]

    def test_a_rerun_updates_in_place_without_duplicates(self):
        units_load(unit_set="2024", province="44")
        unit = AdministrativeUnit.objects.get(unit_set="2024", level="district", code="450")
        AdministrativeUnit.objects.filter(pk=unit.pk).update(name="Changed")
        units_load(unit_set="2024", province="44")
        unit.refresh_from_db()
        assert unit.name == "Thành Phố Đồng Hới"
        assert AdministrativeUnit.objects.filter(unit_set="2024").count() == 154

    def test_a_province_load_keeps_only_that_subtree(self):
        units_load(unit_set="2024", province="44")
        assert set(
            AdministrativeUnit.objects.filter(level="province").values_list("code", flat=True)
        ) == {"44"}
        assert not AdministrativeUnit.objects.exclude(path__startswith="/44/").exists()

    def test_an_unknown_province_is_a_clear_error(self):
        with pytest.raises(UnitLoadError, match="999"):
            units_load(unit_set="2024", province="999")

    def test_the_2025_set_says_so_when_2024_is_missing(self):
        result = units_load(unit_set="2025", province="44")
        assert result.changes == 0
        assert "load_units --set 2024" in result.warnings[0]
        assert not CommuneChange.objects.exists()

    def test_it_maps_old_communes_to_new_ones(self):
        units_load(unit_set="2024", province="44")
        units_load(unit_set="2025", province="44")
        changes = CommuneChange.objects.select_related("old_unit", "new_unit")
        assert changes.exists()
        for change in changes:
            assert change.old_unit.unit_set == UnitSet.Y2024
            assert change.new_unit.unit_set == UnitSet.Y2025
            assert change.old_unit.level == change.new_unit.level == UnitLevel.COMMUNE
        # Re-running does not duplicate the mapping.
        count = changes.count()
        units_load(unit_set="2025", province="44")
        assert CommuneChange.objects.count() == count

    def test_selectors_follow_the_mapping_both_ways(self):
        units_load(unit_set="2024", province="44")
        units_load(unit_set="2025", province="44")
        split = CommuneChange.objects.filter(partly_merged=True).first()
        change = split or CommuneChange.objects.first()
        old, new = change.old_unit, change.new_unit
        successors = list(unit_successors(unit=old))
        assert new in successors
        assert all(u.unit_set == "2025" for u in successors)
        expected = set(
            CommuneChange.objects.filter(new_unit=new).values_list("old_unit__code", flat=True)
        )
        assert {u.code for u in unit_predecessors(unit=new)} == expected
        assert old.code in expected


@pytest.mark.django_db
class TestLoadUnitsCommand:
    def test_it_prints_counts_and_loads_the_mapping(self, capsys):
        call_command("load_units", "--set", "2024", "--province", "44")
        call_command("load_units", "--set", "2025", "--province", "44")
        out = capsys.readouterr().out
        assert "district: 8, commune: 145" in out
        assert "commune changes" in out

    def test_it_warns_on_stderr_when_2024_is_missing(self, capsys):
        call_command("load_units", "--set", "2025", "--province", "44")
        assert "load_units --set 2024" in capsys.readouterr().err
