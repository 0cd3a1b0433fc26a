"""Load the shared lists of administrative units into the ``AdministrativeUnit`` tree.

The loader upserts level by level (province → district → commune): one
``bulk_create(update_conflicts=True)`` per level on (unit_set, level, code),
with parents and materialized paths computed in memory from the level above.
It never calls ``save()`` per row, so the 2024 set (10,810 units) loads in
seconds, and a re-run updates in place (idempotent).
"""

import csv
import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from offices.importing import bilingual
from offices.models import AdministrativeUnit, CommuneChange, UnitLevel, UnitSet

DATA_DIR = Path(__file__).resolve().parent / "data"

UNIT_FILES = {UnitSet.Y2024: "admin_units_2024.csv", UnitSet.Y2025: "admin_units_2025.csv"}
CHANGES_FILE = "commune_changes_2025.csv"

# The 2024 tree is in force until the reform, the 2025 tree from it on.
VALIDITY = {
    UnitSet.Y2024: (None, datetime.date(2025, 6, 30)),
    UnitSet.Y2025: (datetime.date(2025, 7, 1), None),
}

LEVELS = {
    UnitSet.Y2024: (UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE),
    UnitSet.Y2025: (UnitLevel.PROVINCE, UnitLevel.COMMUNE),
}

UPDATE_FIELDS = ["name", "division_type", "parent", "path", "depth", "valid_from", "valid_to"]


class UnitLoadError(Exception):
    """The unit files are missing or do not fit together; the message says how."""


@dataclass
class UnitLoadResult:
    unit_set: str
    counts: dict = field(default_factory=dict)  # level -> rows upserted
    changes: int = 0  # CommuneChange rows upserted (2025 set only)
    changes_skipped: int = 0  # mapping rows whose old or new commune is not loaded
    warnings: list = field(default_factory=list)  # bilingual strings for the operator

    @property
    def total(self):
        return sum(self.counts.values())


def _read_rows(path):
    if not path.exists():
        raise UnitLoadError(bilingual(_("Không tìm thấy tệp dữ liệu %(path)s"), path=path))
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _select_province(rows_by_level, levels, province):
    """Return ``rows_by_level`` limited to ``province`` and its subtree."""
    kept = {levels[0]: [r for r in rows_by_level[levels[0]] if r["code"] == province]}
    if not kept[levels[0]]:
        raise UnitLoadError(bilingual(_("Không có tỉnh mã %(code)s trong bộ này"), code=province))
    parents = {province}
    for level in levels[1:]:
        kept[level] = [r for r in rows_by_level[level] if r["parent_code"] in parents]
        parents = {r["code"] for r in kept[level]}
    return kept


def units_load(
    *, unit_set: str, province: str | None = None, data_dir: Path | None = None
) -> UnitLoadResult:
    """Upsert the units of ``unit_set`` (optionally one province's subtree); return counts.

    Runs in one transaction: about one INSERT … ON CONFLICT per level (in
    batches) and one SELECT per level to learn the parents' ids and paths.
    For the 2025 set it also upserts the old→new commune mapping when the
    2024 communes are in the database (else it adds a warning).
    """
    unit_set = UnitSet(unit_set)
    data_dir = Path(data_dir or DATA_DIR)
    levels = LEVELS[unit_set]
    rows = _read_rows(data_dir / UNIT_FILES[unit_set])
    rows_by_level = {level: [] for level in levels}
    for number, row in enumerate(rows, start=2):
        if row.get("level") not in rows_by_level:
            raise UnitLoadError(
                bilingual(
                    _("Dòng %(row)s: cấp '%(level)s' không có trong bộ %(set)s"),
                    row=number,
                    level=row.get("level"),
                    set=unit_set.value,
                )
            )
        rows_by_level[row["level"]].append(row)
    if province:
        rows_by_level = _select_province(rows_by_level, levels, str(province))

    valid_from, valid_to = VALIDITY[unit_set]
    result = UnitLoadResult(unit_set=unit_set.value)
    with transaction.atomic():
        parents = {}  # code of the level above -> (id, path)
        for level in levels:
            objs = []
            for row in rows_by_level[level]:
                code = row["code"].strip()
                if level != levels[0]:
                    parent = parents.get(row["parent_code"].strip())
                    if parent is None:
                        raise UnitLoadError(
                            bilingual(
                                _("Đơn vị %(level)s %(code)s: không có đơn vị cấp trên %(parent)s"),
                                level=level,
                                code=code,
                                parent=row["parent_code"],
                            )
                        )
                    parent_id, prefix = parent
                else:
                    parent_id, prefix = None, "/"
                path = f"{prefix}{code}/"
                objs.append(
                    AdministrativeUnit(
                        unit_set=unit_set,
                        level=level,
                        code=code,
                        name=row["name"].strip(),
                        division_type=row["division_type"].strip(),
                        parent_id=parent_id,
                        path=path,
                        depth=path.count("/") - 2,
                        valid_from=valid_from,
                        valid_to=valid_to,
                    )
                )
            AdministrativeUnit.objects.bulk_create(
                objs,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["unit_set", "level", "code"],
                update_fields=UPDATE_FIELDS,
            )
            result.counts[level] = len(objs)
            codes = [o.code for o in objs]
            parents = {}
            qs = AdministrativeUnit.objects.filter(unit_set=unit_set, level=level)
            if province:
                qs = qs.filter(path__startswith=f"/{province}/")
            for code, pk, path in qs.values_list("code", "pk", "path"):
                parents[code] = (pk, path)
            missing = set(codes) - parents.keys()
            if missing:  # cannot happen unless the upsert silently failed
                raise UnitLoadError(f"Units not stored: {sorted(missing)[:5]}")
        if unit_set == UnitSet.Y2025:
            _load_changes(data_dir=data_dir, new_communes=parents, result=result)
    return result


def _load_changes(*, data_dir, new_communes, result):
    old_communes = dict(
        AdministrativeUnit.objects.filter(
            unit_set=UnitSet.Y2024, level=UnitLevel.COMMUNE
        ).values_list("code", "pk")
    )
    if not old_communes:
        result.warnings.append(
            bilingual(
                _(
                    "Chưa nạp bộ đơn vị 2024 nên chưa nạp bảng chuyển đổi xã cũ → xã mới; "
                    "chạy 'load_units --set 2024' rồi chạy lại 'load_units --set 2025'"
                )
            )
        )
        return
    objs = []
    seen = set()
    for row in _read_rows(data_dir / CHANGES_FILE):
        old = old_communes.get(row["old_commune_code"].strip())
        new = new_communes.get(row["new_commune_code"].strip())
        if new is None:  # outside the province being loaded
            continue
        if old is None:
            result.changes_skipped += 1
            continue
        if (old, new[0]) in seen:
            continue
        seen.add((old, new[0]))
        objs.append(
            CommuneChange(
                old_unit_id=old,
                new_unit_id=new[0],
                partly_merged=row["partly_merged"].strip() == "1",
            )
        )
    CommuneChange.objects.bulk_create(
        objs,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["old_unit", "new_unit"],
        update_fields=["partly_merged"],
    )
    result.changes = len(objs)
