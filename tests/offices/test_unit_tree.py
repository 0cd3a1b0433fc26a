import pytest

from offices.models import AdministrativeUnit, UnitLevel
from tests.factories import UnitFactory


@pytest.mark.django_db
class TestUnitMove:
    def test_moving_a_unit_rewrites_the_paths_below_it(self):
        province_a = UnitFactory(code="1")
        province_b = UnitFactory(code="2")
        district = UnitFactory(code="10", level=UnitLevel.DISTRICT, parent=province_a)
        commune = UnitFactory(code="100", level=UnitLevel.COMMUNE, parent=district)

        district.parent = province_b
        district.save()

        commune.refresh_from_db()
        assert commune.path == "/2/10/100/"
        assert commune.depth == 2
        assert set(AdministrativeUnit.objects.subtree(province_b)) == {
            province_b,
            district,
            commune,
        }
        assert list(AdministrativeUnit.objects.subtree(province_a)) == [province_a]
