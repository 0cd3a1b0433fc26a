from django.urls import path, re_path

from reports import views

unit = "bao-cao/don-vi/<str:level>/<str:code>/"
office = "bao-cao/co-quan/<str:office_code>/"
procedure = office + "thu-tuc/<str:procedure_code>/"

urlpatterns = [
    path("bao-cao/", views.index, name="reports-index"),
    path(unit, views.unit_dashboard, name="reports-unit"),
    re_path(
        r"^bao-cao/don-vi/(?P<level>[^/]+)/(?P<code>[^/]+)/xuat\.(?P<fmt>csv|xlsx)$",
        views.unit_export,
        name="reports-unit-export",
    ),
    path(unit + "in/", views.unit_print, name="reports-unit-print"),
    path(unit + "muc-tieu/", views.targets, name="reports-targets"),
    path(office, views.office_dashboard, name="reports-office"),
    re_path(
        r"^bao-cao/co-quan/(?P<office_code>[^/]+)/xuat\.(?P<fmt>csv|xlsx)$",
        views.office_export,
        name="reports-office-export",
    ),
    path(office + "in/", views.office_print, name="reports-office-print"),
    path(procedure, views.procedure_dashboard, name="reports-procedure"),
    re_path(
        r"^bao-cao/co-quan/(?P<office_code>[^/]+)/thu-tuc/(?P<procedure_code>[^/]+)/xuat\.(?P<fmt>csv|xlsx)$",
        views.procedure_export,
        name="reports-procedure-export",
    ),
    path(procedure + "in/", views.procedure_print, name="reports-procedure-print"),
    path("cong-khai/", views.public_index, name="reports-public"),
    path("cong-khai/<str:province_code>/", views.public_province, name="reports-public-province"),
]
