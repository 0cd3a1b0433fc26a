from django.utils import translation

from offices.models import OfficeKind


class TestEnglishCatalogue:
    def test_the_compiled_catalogue_is_used(self):
        with translation.override("en"):
            assert str(OfficeKind.SERVICE_CENTRE.label) == "Public administration service centre"
        with translation.override("vi"):
            assert str(OfficeKind.SERVICE_CENTRE.label) == "Trung tâm Phục vụ hành chính công"
