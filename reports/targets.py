"""Targets: which threshold applies to a unit or office, and who may set them."""

from dataclasses import dataclass, field

from offices.access import scope_for
from offices.models import Role
from reports.models import Target, TargetMetric

TARGET_METRICS = dict(TargetMetric.choices)


def _prefixes(path):
    """Return "/44/", "/44/450/", … for "/44/450/19009/", widest first."""
    codes = [c for c in path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


@dataclass
class TargetResolver:
    """The targets on and below one unit (and on its ancestors), loaded in one query.

    ``thresholds_for(path)`` returns, per metric, the threshold of the nearest
    unit on ``path`` (itself first, then up the tree) that has one.
    """

    by_path: dict = field(default_factory=dict)  # path -> {metric: float}

    @classmethod
    def for_unit(cls, unit):
        from django.db.models import Q

        if unit is None:
            return cls()
        targets = (
            Target.objects.filter(unit__unit_set=unit.unit_set)
            .filter(Q(unit__path__in=_prefixes(unit.path)) | Q(unit__path__startswith=unit.path))
            .values_list("unit__path", "metric", "threshold")
        )
        by_path = {}
        for path, metric, threshold in targets:
            by_path.setdefault(path, {})[metric] = float(threshold)
        return cls(by_path)

    def thresholds_for(self, path):
        found = {}
        for prefix in _prefixes(path or "/"):
            found.update(self.by_path.get(prefix, {}))
        return found


def may_set_targets(user, unit):
    """Return True when ``user`` may set targets for ``unit`` (officials in scope, admins)."""
    scope = scope_for(user)
    if scope.is_admin:
        return True
    return scope.role == Role.OFFICIAL and scope.can_see_unit(unit)


def target_set(*, unit, metric, threshold, user):
    """Create or update ``unit``'s target for ``metric`` (a fraction 0–1)."""
    if metric not in TARGET_METRICS:
        raise ValueError(f"unknown target metric {metric!r}")
    if not 0 <= threshold <= 1:
        raise ValueError("a target threshold is a fraction between 0 and 1")
    target, _created = Target.objects.update_or_create(
        unit=unit, metric=metric, defaults={"threshold": threshold, "set_by": user}
    )
    return target


def target_delete(*, unit, metric):
    """Remove ``unit``'s own target for ``metric`` (inherited ones stay)."""
    Target.objects.filter(unit=unit, metric=metric).delete()
