"""Reads over the administrative unit trees and the 2025 commune mapping."""

from django.db.models import QuerySet

from offices.models import AdministrativeUnit


def unit_successors(*, unit: AdministrativeUnit) -> QuerySet:
    """Return the 2025 communes a pre-reform commune went into (several when it was split).

    One query. Read ``unit.successors`` (the ``CommuneChange`` rows) when
    ``partly_merged`` matters.
    """
    return AdministrativeUnit.objects.filter(predecessors__old_unit=unit).order_by("path")


def unit_predecessors(*, unit: AdministrativeUnit) -> QuerySet:
    """Return the pre-reform communes that went (wholly or partly) into a 2025 commune."""
    return AdministrativeUnit.objects.filter(successors__new_unit=unit).order_by("path")
