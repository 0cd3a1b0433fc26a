"""Reads for the survey pages: public offices, the procedures an office offers."""

from django.db.models import Q, QuerySet

from offices.models import Office, Procedure

OFFICE_SEARCH_LIMIT = 50


def office_public_get(*, slug: str) -> Office | None:
    """Return the active office with public ``slug`` (and its unit), or None.

    One query, or none while cached (``surveys.services.config_cached``).
    """
    from surveys.services import config_cached

    return config_cached(
        "office",
        slug,
        lambda: Office.objects.select_related("unit").filter(slug=slug, active=True).first(),
    )


def office_public_search(*, query: str = "", limit: int = OFFICE_SEARCH_LIMIT) -> list[Office]:
    """Return active offices whose name, code, address or unit (or parent unit) matches ``query``.

    Every word must match somewhere; at most ``limit`` offices, by name.
    """
    offices = Office.objects.filter(active=True).select_related("unit", "unit__parent")
    for word in query.split()[:6]:
        offices = offices.filter(
            Q(name__icontains=word)
            | Q(code__iexact=word)
            | Q(address__icontains=word)
            | Q(unit__name__icontains=word)
            | Q(unit__parent__name__icontains=word)
        )
    return list(offices.order_by("name")[:limit])


def procedures_for_office(*, office: Office) -> QuerySet[Procedure]:
    """Return the active procedures ``office`` offers; every active one when none is linked.

    Offices whose procedure list was never loaded still let the citizen pick.
    """
    linked = Procedure.objects.filter(active=True, offices=office)
    if linked.exists():
        return linked.order_by("name")
    return Procedure.objects.filter(active=True).order_by("name")


def procedure_from_picker(*, office: Office, text: str) -> Procedure | None:
    """Return the procedure the picker's text names: "code – name", a code or an exact name."""
    text = (text or "").strip()
    if not text:
        return None
    code = text.split(" – ", 1)[0].strip()
    candidates = procedures_for_office(office=office)
    return candidates.filter(code=code).first() or candidates.filter(name__iexact=text).first()
