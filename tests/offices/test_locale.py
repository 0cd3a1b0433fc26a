from pathlib import Path

import polib
from django.utils import translation

from offices.models import OfficeKind

PO = Path(__file__).resolve().parents[2] / "offices" / "locale" / "en" / "LC_MESSAGES" / "django.po"


class TestEnglishCatalogue:
    def test_every_message_has_a_real_english_translation(self):
        po = polib.pofile(str(PO))
        assert not po.metadata_is_fuzzy
        untranslated = [e.msgid for e in po if not e.msgstr or "fuzzy" in e.flags]
        assert untranslated == []

    def test_the_compiled_catalogue_is_used(self):
        with translation.override("en"):
            assert str(OfficeKind.SERVICE_CENTRE.label) == "Public administration service centre"
        with translation.override("vi"):
            assert str(OfficeKind.SERVICE_CENTRE.label) == "Trung tâm Phục vụ hành chính công"
