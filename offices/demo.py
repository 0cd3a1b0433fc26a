"""A realistic, deterministic demo catalogue: Quảng Bình province (2024 unit set).

``demo_catalogue_seed`` loads the province's units, then upserts its offices,
fields, procedures, officers, the 2025–2026 holidays and four demo users.
Everything is keyed by a stable code, so running it again updates in place;
the same ``rng`` seed gives the same choices. Procedure codes are demo codes
in the national format, not the real catalogue's.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from offices.imports import vn_slug
from offices.models import (
    AdministrativeUnit,
    DayKind,
    Field,
    Holiday,
    HolidayKind,
    Office,
    OfficeKind,
    Officer,
    Procedure,
    ProcedureLevel,
    Profile,
    Role,
    UnitLevel,
    UnitSet,
)
from offices.services_units import units_load

PROVINCE_CODE = "44"  # Tỉnh Quảng Bình in the 2024 set
CAPITAL_DISTRICT_CODE = "450"  # Thành phố Đồng Hới
COMMUNES_PER_DISTRICT = (3, 4)
DEFAULT_PASSWORD = "demo-2025!"

CENTRE = ("QB-TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh Quảng Bình")
# Departments whose one-stop counters sit at the provincial centre, with their fields.
DEPARTMENTS = [
    ("QB-STP", "Sở Tư pháp tỉnh Quảng Bình", ["Tư pháp", "Hộ tịch", "Chứng thực"]),
    ("QB-SXD", "Sở Xây dựng tỉnh Quảng Bình", ["Xây dựng"]),
    ("QB-STNMT", "Sở Tài nguyên và Môi trường tỉnh Quảng Bình", ["Đất đai", "Môi trường"]),
    ("QB-SKHDT", "Sở Kế hoạch và Đầu tư tỉnh Quảng Bình", ["Đăng ký kinh doanh"]),
    (
        "QB-SLDTBXH",
        "Sở Lao động – Thương binh và Xã hội tỉnh Quảng Bình",
        ["Lao động – Thương binh và Xã hội"],
    ),
    ("QB-SGTVT", "Sở Giao thông vận tải tỉnh Quảng Bình", ["Giao thông vận tải"]),
]

# (code, name, field, level, legal days, day kind, fee in đồng)
PROCEDURES = [
    ("2.000001", "Đăng ký khai sinh", "Hộ tịch", "commune", 1, "working", 0),
    ("2.000002", "Đăng ký kết hôn", "Hộ tịch", "commune", 1, "working", 0),
    ("2.000003", "Đăng ký khai tử", "Hộ tịch", "commune", 1, "working", 0),
    ("2.000004", "Đăng ký nhận cha, mẹ, con", "Hộ tịch", "commune", 3, "working", 0),
    ("2.000005", "Cấp bản sao trích lục hộ tịch", "Hộ tịch", "commune", 1, "working", 8000),
    ("2.000006", "Cấp giấy xác nhận tình trạng hôn nhân", "Hộ tịch", "commune", 3, "working", 0),
    (
        "2.000007",
        "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "Hộ tịch",
        "district",
        3,
        "working",
        28000,
    ),
    (
        "2.000008",
        "Đăng ký khai sinh có yếu tố nước ngoài",
        "Hộ tịch",
        "district",
        15,
        "working",
        75000,
    ),
    (
        "2.000009",
        "Đăng ký kết hôn có yếu tố nước ngoài",
        "Hộ tịch",
        "district",
        15,
        "working",
        1500000,
    ),
    (
        "2.000010",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "Chứng thực",
        "commune",
        1,
        "working",
        2000,
    ),
    (
        "2.000011",
        "Chứng thực chữ ký trong giấy tờ, văn bản",
        "Chứng thực",
        "commune",
        1,
        "working",
        10000,
    ),
    (
        "2.000012",
        "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản",
        "Chứng thực",
        "commune",
        2,
        "working",
        50000,
    ),
    (
        "2.000013",
        "Chứng thực bản sao từ bản chính giấy tờ do cơ quan nước ngoài cấp",
        "Chứng thực",
        "district",
        2,
        "working",
        2000,
    ),
    (
        "2.000014",
        "Chứng thực văn bản thỏa thuận phân chia di sản",
        "Chứng thực",
        "commune",
        2,
        "working",
        50000,
    ),
    (
        "2.000015",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "Tư pháp",
        "province",
        10,
        "working",
        200000,
    ),
    (
        "2.000016",
        "Đăng ký hoạt động của Văn phòng công chứng",
        "Tư pháp",
        "province",
        10,
        "working",
        1000000,
    ),
    ("2.000017", "Cấp thẻ công chứng viên", "Tư pháp", "province", 10, "working", 0),
    ("2.000018", "Công nhận tuyên truyền viên pháp luật", "Tư pháp", "commune", 5, "working", 0),
    (
        "2.000019",
        "Đăng ký đất đai, tài sản gắn liền với đất lần đầu",
        "Đất đai",
        "district",
        30,
        "working",
        100000,
    ),
    (
        "2.000020",
        "Đăng ký biến động quyền sử dụng đất do chuyển nhượng, tặng cho",
        "Đất đai",
        "district",
        10,
        "working",
        50000,
    ),
    (
        "2.000021",
        "Chuyển mục đích sử dụng đất phải được phép",
        "Đất đai",
        "district",
        25,
        "working",
        0,
    ),
    (
        "2.000022",
        "Cấp đổi Giấy chứng nhận quyền sử dụng đất",
        "Đất đai",
        "district",
        7,
        "working",
        50000,
    ),
    ("2.000023", "Giao đất, cho thuê đất đối với tổ chức", "Đất đai", "province", 20, "working", 0),
    ("2.000024", "Đính chính Giấy chứng nhận đã cấp", "Đất đai", "district", 10, "working", 0),
    (
        "2.000025",
        "Thẩm định báo cáo đánh giá tác động môi trường",
        "Môi trường",
        "province",
        30,
        "working",
        5000000,
    ),
    ("2.000026", "Cấp giấy phép môi trường", "Môi trường", "province", 20, "working", 0),
    (
        "2.000027",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Xây dựng",
        "district",
        15,
        "working",
        75000,
    ),
    (
        "2.000028",
        "Cấp giấy phép sửa chữa, cải tạo công trình",
        "Xây dựng",
        "district",
        15,
        "working",
        75000,
    ),
    (
        "2.000029",
        "Cấp giấy phép xây dựng công trình cấp II, III",
        "Xây dựng",
        "province",
        20,
        "working",
        150000,
    ),
    (
        "2.000030",
        "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng",
        "Xây dựng",
        "province",
        25,
        "working",
        0,
    ),
    (
        "2.000031",
        "Cấp chứng chỉ hành nghề hoạt động xây dựng",
        "Xây dựng",
        "province",
        20,
        "working",
        300000,
    ),
    (
        "2.000032",
        "Đăng ký thành lập doanh nghiệp tư nhân",
        "Đăng ký kinh doanh",
        "province",
        3,
        "working",
        50000,
    ),
    (
        "2.000033",
        "Đăng ký thành lập công ty TNHH một thành viên",
        "Đăng ký kinh doanh",
        "province",
        3,
        "working",
        50000,
    ),
    (
        "2.000034",
        "Đăng ký thay đổi nội dung đăng ký doanh nghiệp",
        "Đăng ký kinh doanh",
        "province",
        3,
        "working",
        50000,
    ),
    (
        "2.000035",
        "Đăng ký thành lập hộ kinh doanh",
        "Đăng ký kinh doanh",
        "district",
        3,
        "working",
        100000,
    ),
    (
        "2.000036",
        "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        "Đăng ký kinh doanh",
        "district",
        3,
        "working",
        50000,
    ),
    (
        "2.000037",
        "Đăng ký thành lập hợp tác xã",
        "Đăng ký kinh doanh",
        "district",
        3,
        "working",
        100000,
    ),
    (
        "2.000038",
        "Giải quyết hưởng chế độ ưu đãi người có công",
        "Lao động – Thương binh và Xã hội",
        "province",
        12,
        "working",
        0,
    ),
    (
        "2.000039",
        "Cấp giấy phép lao động cho người nước ngoài",
        "Lao động – Thương binh và Xã hội",
        "province",
        5,
        "working",
        600000,
    ),
    (
        "2.000040",
        "Trợ cấp xã hội hằng tháng đối với đối tượng bảo trợ xã hội",
        "Lao động – Thương binh và Xã hội",
        "district",
        10,
        "working",
        0,
    ),
    (
        "2.000041",
        "Xác nhận hộ gia đình nghèo, cận nghèo phát sinh",
        "Lao động – Thương binh và Xã hội",
        "commune",
        15,
        "working",
        0,
    ),
    (
        "2.000042",
        "Đăng ký nội quy lao động của doanh nghiệp",
        "Lao động – Thương binh và Xã hội",
        "district",
        7,
        "working",
        0,
    ),
    (
        "2.000043",
        "Cấp đổi giấy phép lái xe",
        "Giao thông vận tải",
        "province",
        5,
        "working",
        135000,
    ),
    (
        "2.000044",
        "Cấp giấy phép lưu hành xe quá tải trọng",
        "Giao thông vận tải",
        "province",
        2,
        "working",
        0,
    ),
    (
        "2.000045",
        "Cấp giấy phép kinh doanh vận tải bằng xe ô tô",
        "Giao thông vận tải",
        "province",
        5,
        "working",
        200000,
    ),
    (
        "2.000046",
        "Cấp phép thi công công trình trên đường bộ đang khai thác",
        "Giao thông vận tải",
        "district",
        7,
        "working",
        0,
    ),
]

# Official days off for civil servants. 2026: Tết Dương lịch and Tết Nguyên đán
# as in the Government's 2026 plan; Quốc khánh's adjacent day assumed 1/9.
HOLIDAYS = [
    ("2025-01-01", "2025-01-01", "Tết Dương lịch"),
    ("2025-01-25", "2025-02-02", "Tết Nguyên đán Ất Tỵ"),
    ("2025-04-07", "2025-04-07", "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
    ("2025-04-30", "2025-05-04", "Ngày Giải phóng miền Nam và Quốc tế Lao động"),
    ("2025-08-30", "2025-09-02", "Quốc khánh"),
    ("2026-01-01", "2026-01-04", "Tết Dương lịch"),
    ("2026-02-14", "2026-02-22", "Tết Nguyên đán Bính Ngọ"),
    ("2026-04-27", "2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương (10/3 âm lịch, Chủ nhật 26/4)"),
    ("2026-04-30", "2026-05-03", "Ngày Giải phóng miền Nam và Quốc tế Lao động"),
    ("2026-09-01", "2026-09-02", "Quốc khánh"),
]
WORKING_DAYS = [
    ("2025-04-26", "Làm bù cho ngày nghỉ 2/5/2025"),
    ("2026-01-10", "Làm bù cho ngày nghỉ 2/1/2026"),
]

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Võ",
    "Phan",
    "Trương",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Quang", "Ngọc", "Thu", "Đức", "Xuân", "Hoài"]
GIVEN = [
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thủy",
    "Trang",
    "Trung",
    "Tuấn",
    "Vân",
    "Yến",
]
POSITIONS = ["Công chức tiếp nhận và trả kết quả", "Chuyên viên", "Cán bộ tư pháp – hộ tịch"]

STAFF_GROUP = "Cán bộ một cửa (quản trị cơ quan mình)"
STAFF_PERMISSIONS = [
    "view_office",
    "change_office",
    "view_officer",
    "add_officer",
    "change_officer",
    "view_procedure",
    "view_field",
    "view_holiday",
    "view_administrativeunit",
    "view_dossier",
    "change_dossier",
]


@dataclass
class DemoCatalogue:
    """What later seeding steps need: the province, offices, procedures, users."""

    province: AdministrativeUnit
    districts: list
    centre: Office
    departments: list
    district_offices: list
    commune_offices: list
    procedures: list
    users: dict = field(default_factory=dict)  # username -> User
    password: str = DEFAULT_PASSWORD

    @property
    def offices(self):
        return [self.centre, *self.departments, *self.district_offices, *self.commune_offices]

    @property
    def demo_office(self):
        """Return the one-stop counter of Thành phố Đồng Hới (demo-office's office)."""
        return next(o for o in self.district_offices if o.unit.code == CAPITAL_DISTRICT_CODE)


def _clean_unit_name(name):
    # The statistics office writes "Thành Phố Đồng Hới"; people write "Thành phố".
    return name.replace("Thành Phố", "Thành phố")


def _office_upsert(*, code, name, kind, unit, parent=None, address=""):
    office, _created = Office.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "kind": kind,
            "unit": unit,
            "parent": parent,
            "address": address,
            "active": True,
        },
        create_defaults={
            "name": name,
            "kind": kind,
            "unit": unit,
            "parent": parent,
            "address": address,
            "slug": vn_slug(code),
        },
    )
    return office


def _offices_seed(*, rng, province, districts):
    centre = _office_upsert(
        code=CENTRE[0],
        name=CENTRE[1],
        kind=OfficeKind.SERVICE_CENTRE,
        unit=province,
        address="Số 2 Hà Văn Cách, Thành phố Đồng Hới, Quảng Bình",
    )
    departments = [
        _office_upsert(
            code=code,
            name=f"Bộ phận Một cửa {name}",
            kind=OfficeKind.DEPARTMENT,
            unit=province,
            parent=centre,
            address=centre.address,
        )
        for code, name, _fields in DEPARTMENTS
    ]
    district_offices, commune_offices = [], []
    for district in districts:
        district_name = _clean_unit_name(district.name)
        office = _office_upsert(
            code=f"QB-H{district.code}",
            name=f"Bộ phận Một cửa UBND {district_name}",
            kind=OfficeKind.DISTRICT_ONE_STOP,
            unit=district,
        )
        district_offices.append(office)
        communes = list(district.children.order_by("code"))
        for commune in rng.sample(
            communes, min(len(communes), rng.randint(*COMMUNES_PER_DISTRICT))
        ):
            commune_offices.append(
                _office_upsert(
                    code=f"QB-X{commune.code}",
                    name=f"Bộ phận Một cửa UBND {commune.name}",
                    kind=OfficeKind.COMMUNE_ONE_STOP,
                    unit=commune,
                    address=f"{commune.name}, {district_name}",
                )
            )
    commune_offices.sort(key=lambda o: o.code)
    return centre, departments, district_offices, commune_offices


def _procedures_seed(*, departments, district_offices, commune_offices):
    fields = {}
    for name in dict.fromkeys(p[2] for p in PROCEDURES):
        fields[name], _ = Field.objects.update_or_create(
            code=vn_slug(name), defaults={"name": name}
        )
    department_for_field = {}
    for office, (_code, _name, field_names) in zip(departments, DEPARTMENTS, strict=True):
        for name in field_names:
            department_for_field[name] = office
    procedures = []
    for code, name, field_name, level, days, day_kind, fee in PROCEDURES:
        procedure, _ = Procedure.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "field": fields[field_name],
                "level": ProcedureLevel(level),
                "legal_days": days,
                "day_kind": DayKind(day_kind),
                "fee": fee,
                "active": True,
            },
        )
        if level == ProcedureLevel.PROVINCE:
            offered_by = [department_for_field[field_name]]
        elif level == ProcedureLevel.DISTRICT:
            offered_by = district_offices
        else:
            offered_by = commune_offices
        procedure.offices.set(offered_by)
        procedures.append(procedure)
    return procedures


def _officers_seed(*, rng, offices):
    objs = []
    for office in offices:
        for n in range(1, rng.randint(3, 8) + 1):
            full_name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            position = "Trưởng bộ phận" if n == 1 else rng.choice(POSITIONS)
            objs.append(
                Officer(
                    office=office,
                    code=f"{office.code}-CB{n:02d}",
                    full_name=full_name,
                    position=position,
                    active=True,
                )
            )
    Officer.objects.bulk_create(
        objs,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["office", "full_name", "position", "active"],
    )
    return len(objs)


def _holidays_seed():
    objs = []
    for start, end, name in HOLIDAYS:
        day, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        while day <= last:
            objs.append(Holiday(date=day, name=name, kind=HolidayKind.HOLIDAY))
            day += dt.timedelta(days=1)
    objs += [
        Holiday(date=dt.date.fromisoformat(d), name=name, kind=HolidayKind.WORKING_DAY)
        for d, name in WORKING_DAYS
    ]
    Holiday.objects.bulk_create(
        objs, update_conflicts=True, unique_fields=["date"], update_fields=["name", "kind"]
    )
    return len(objs)


def _user_upsert(username, *, password, role=None, unit=None, office=None, **flags):
    user, _ = get_user_model().objects.update_or_create(
        username=username, defaults={"email": f"{username}@example.invalid", **flags}
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    if role is None:
        Profile.objects.filter(user=user).delete()
    else:
        Profile.objects.update_or_create(
            user=user, defaults={"role": role, "unit": unit, "office": office}
        )
    return user


def _users_seed(*, password, province, capital, demo_office):
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="offices", codename__in=STAFF_PERMISSIONS)
    )
    users = {
        "demo-admin": _user_upsert(
            "demo-admin", password=password, is_staff=True, is_superuser=True, first_name="Quản trị"
        ),
        "demo-province": _user_upsert(
            "demo-province", password=password, role=Role.OFFICIAL, unit=province
        ),
        "demo-district": _user_upsert(
            "demo-district", password=password, role=Role.OFFICIAL, unit=capital
        ),
        "demo-office": _user_upsert(
            "demo-office",
            password=password,
            role=Role.OFFICE_STAFF,
            office=demo_office,
            is_staff=True,
        ),
    }
    users["demo-office"].groups.add(group)
    return users


def demo_catalogue_seed(*, rng: random.Random, password: str = DEFAULT_PASSWORD) -> DemoCatalogue:
    """Upsert the Quảng Bình demo catalogue and users; return what later steps need.

    Loads the 2024 units of province 44 only (about 150 rows), then about
    45 offices, 46 procedures in 10 fields, 3–8 officers per office, the
    2025–2026 holidays and the users demo-admin, demo-province,
    demo-district and demo-office (all with ``password``). One transaction.
    """
    with transaction.atomic():
        units_load(unit_set=UnitSet.Y2024, province=PROVINCE_CODE)
        province = AdministrativeUnit.objects.get(
            unit_set=UnitSet.Y2024, level=UnitLevel.PROVINCE, code=PROVINCE_CODE
        )
        districts = list(province.children.order_by("code"))
        capital = next(d for d in districts if d.code == CAPITAL_DISTRICT_CODE)
        centre, departments, district_offices, commune_offices = _offices_seed(
            rng=rng, province=province, districts=districts
        )
        procedures = _procedures_seed(
            departments=departments,
            district_offices=district_offices,
            commune_offices=commune_offices,
        )
        catalogue = DemoCatalogue(
            province=province,
            districts=districts,
            centre=centre,
            departments=departments,
            district_offices=district_offices,
            commune_offices=commune_offices,
            procedures=procedures,
            password=password,
        )
        _officers_seed(rng=rng, offices=catalogue.offices)
        _holidays_seed()
        catalogue.users = _users_seed(
            password=password,
            province=province,
            capital=capital,
            demo_office=catalogue.demo_office,
        )
    return catalogue
