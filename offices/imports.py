"""Importers for the office and procedure catalogues (CSV or XLSX).

Both upsert by ``code`` and are all-or-nothing unless ``skip_invalid`` (see
``offices.importing``). The management commands and the admin pages call
these two functions, so they validate the same way.
"""

import re
import unicodedata
from collections import Counter
from decimal import Decimal

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from offices.importing import CleanRow, Columns, ImportReport, RowError, RowReader, run_import
from offices.models import (
    AdministrativeUnit,
    DayKind,
    Field,
    Office,
    OfficeKind,
    Procedure,
    ProcedureLevel,
    UnitLevel,
    UnitSet,
)

OFFICE_COLUMNS = Columns(
    required=("code", "name", "kind", "unit_level", "unit_code"),
    optional=("parent_office", "address", "active"),
    aliases={
        "mã": "code",
        "mã cơ quan": "code",
        "tên": "name",
        "tên cơ quan": "name",
        "loại": "kind",
        "cấp đơn vị": "unit_level",
        "mã đơn vị": "unit_code",
        "cơ quan cấp trên": "parent_office",
        "địa chỉ": "address",
        "đang hoạt động": "active",
    },
)

PROCEDURE_COLUMNS = Columns(
    required=("code", "name", "field", "level", "legal_days"),
    optional=("day_kind", "fee", "offices", "active"),
    aliases={
        "mã thủ tục": "code",
        "mã": "code",
        "tên thủ tục": "name",
        "tên": "name",
        "lĩnh vực": "field",
        "cấp thực hiện": "level",
        "thời hạn": "legal_days",
        "thời hạn giải quyết": "legal_days",
        "loại ngày": "day_kind",
        "lệ phí": "fee",
        "phí": "fee",
        "cơ quan thực hiện": "offices",
        "cơ quan": "offices",
        "đang áp dụng": "active",
    },
)


def vn_slug(text: str) -> str:
    """Return an ASCII slug of Vietnamese ``text`` ("Đất đai" → "dat-dai")."""
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    return slugify(text)


def _duplicate_codes(cleaned: list[CleanRow]) -> list[RowError]:
    counts = Counter(c.data["code"] for c in cleaned)
    return [
        RowError(c.number, "code", _("mã '%(code)s' lặp lại trong tệp"), {"code": c.data["code"]})
        for c in cleaned
        if counts[c.data["code"]] > 1
    ]


def _unique_slug(code: str, taken: set) -> str:
    base = (vn_slug(code) or "co-quan")[:70]
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def offices_import(
    *, source, unit_set: str = UnitSet.Y2025, skip_invalid: bool = False, name: str | None = None
) -> ImportReport:
    """Upsert offices from a CSV/XLSX ``source``; return the report.

    Units are looked up by (``unit_level``, ``unit_code``) in ``unit_set``
    (one query for the whole set). ``parent_office`` may name an office
    already stored or one defined anywhere in the same file. The public slug
    of a new office is made from its code and kept unique.
    """
    unit_set = UnitSet(unit_set)
    units = {}

    def unit_id(level, code):
        if not units:
            units.update(
                {
                    (lv, c): pk
                    for lv, c, pk in AdministrativeUnit.objects.filter(
                        unit_set=unit_set
                    ).values_list("level", "code", "pk")
                }
            )
            units.setdefault(None, None)  # mark as loaded even when the set is empty
        return units.get((level, code))

    def clean(row: RowReader):
        data = {
            "code": row.text("code", max_length=50),
            "name": row.text("name", max_length=255),
            "kind": row.choice("kind", OfficeKind),
            "parent": row.text("parent_office", required=False, max_length=50),
            "address": row.text("address", required=False, max_length=255),
            "active": row.boolean("active", default=True),
        }
        level = row.choice("unit_level", UnitLevel)
        code = row.text("unit_code", max_length=10)
        if level and code:
            data["unit_id"] = unit_id(level, code)
            if data["unit_id"] is None:
                row.error(
                    "unit_code",
                    _("không có đơn vị cấp '%(level)s' mã '%(code)s' trong bộ đơn vị %(set)s"),
                    level=level,
                    code=code,
                    set=unit_set.value,
                )
        if data["parent"] and data["parent"] == data["code"]:
            row.error("parent_office", _("cơ quan không thể là cấp trên của chính nó"))
        return data

    def check(cleaned):
        errors = _duplicate_codes(cleaned)
        in_file = {c.data["code"] for c in cleaned}
        wanted = {c.data["parent"] for c in cleaned if c.data["parent"]} - in_file
        stored = set(Office.objects.filter(code__in=wanted).values_list("code", flat=True))
        for c in cleaned:
            parent = c.data["parent"]
            if parent and parent not in in_file and parent not in stored:
                errors.append(
                    RowError(
                        c.number,
                        "parent_office",
                        _("không có cơ quan mã '%(code)s' (trong hệ thống hoặc trong tệp)"),
                        {"code": parent},
                    )
                )
        return errors

    def write(cleaned):
        codes = [c.data["code"] for c in cleaned]
        existing = {o.code: o for o in Office.objects.filter(code__in=codes)}
        taken = set(Office.objects.values_list("slug", flat=True))
        created = updated = 0
        for c in cleaned:
            d = c.data
            office = existing.get(d["code"])
            if office is None:
                office = Office(code=d["code"], slug=_unique_slug(d["code"], taken))
                created += 1
            else:
                updated += 1
            office.name, office.kind, office.unit_id = d["name"], d["kind"], d["unit_id"]
            office.address, office.active = d["address"], d["active"]
            office.save()
            existing[d["code"]] = office
        # Parents last, so an office may name one defined further down the file.
        parents = {c.data["parent"] for c in cleaned if c.data["parent"]}
        ids = dict(Office.objects.filter(code__in=parents).values_list("code", "pk"))
        for c in cleaned:
            office = existing[c.data["code"]]
            parent_id = ids.get(c.data["parent"]) if c.data["parent"] else None
            if office.parent_id != parent_id:
                office.parent_id = parent_id
                office.save(update_fields=["parent", "updated_at"])
        return created, updated

    return run_import(
        source,
        columns=OFFICE_COLUMNS,
        clean_row=clean,
        write=write,
        check=check,
        skip_invalid=skip_invalid,
        name=name,
    )


def procedures_import(
    *, source, skip_invalid: bool = False, name: str | None = None
) -> ImportReport:
    """Upsert procedures from a CSV/XLSX ``source``; return the report.

    ``field`` is a field name (created when new); ``offices`` lists office
    codes separated by ``;`` and replaces the procedure's offices.
    """
    office_ids = {}

    def clean(row: RowReader):
        data = {
            "code": row.text("code", max_length=50),
            "name": row.text("name", max_length=500),
            "field": row.text("field", max_length=200),
            "level": row.choice("level", ProcedureLevel),
            "legal_days": row.integer("legal_days", min_value=0, max_value=32767),
            "day_kind": row.choice("day_kind", DayKind, required=False, default=DayKind.WORKING),
            "fee": row.decimal("fee", required=False, min_value=0, default=Decimal(0)),
            "active": row.boolean("active", default=True),
        }
        fee = data["fee"]
        if fee is not None and (fee != fee.to_integral_value() or fee >= 10**14):
            row.error("fee", _("lệ phí phải là số đồng nguyên, nhỏ hơn 10^14"))
        codes = [c.strip() for c in re.split(r"[;\n]", row.text("offices", required=False))]
        codes = [c for c in dict.fromkeys(codes) if c]
        missing = set(codes) - office_ids.keys()
        if missing:
            office_ids.update(Office.objects.filter(code__in=missing).values_list("code", "pk"))
        unknown = [c for c in codes if c not in office_ids]
        if unknown:
            row.error(
                "offices",
                _("không có cơ quan mã %(codes)s"),
                codes=", ".join(f"'{c}'" for c in unknown),
            )
        data["office_ids"] = [office_ids.get(c) for c in codes]
        return data

    def write(cleaned):
        fields = {f.name.casefold(): f for f in Field.objects.all()}
        field_codes = {f.code for f in fields.values()}
        existing = {
            p.code: p for p in Procedure.objects.filter(code__in=[c.data["code"] for c in cleaned])
        }
        created = updated = 0
        for c in cleaned:
            d = c.data
            fld = fields.get(d["field"].casefold())
            if fld is None:
                fld = Field.objects.create(
                    name=d["field"], code=_unique_slug(d["field"], field_codes)
                )
                fields[fld.name.casefold()] = fld
            procedure = existing.get(d["code"])
            if procedure is None:
                procedure = Procedure(code=d["code"])
                created += 1
            else:
                updated += 1
            procedure.name, procedure.field, procedure.level = d["name"], fld, d["level"]
            procedure.legal_days, procedure.day_kind = d["legal_days"], d["day_kind"]
            procedure.fee, procedure.active = d["fee"], d["active"]
            procedure.save()
            procedure.offices.set(d["office_ids"])
        return created, updated

    return run_import(
        source,
        columns=PROCEDURE_COLUMNS,
        clean_row=clean,
        write=write,
        check=_duplicate_codes,
        skip_invalid=skip_invalid,
        name=name,
    )
