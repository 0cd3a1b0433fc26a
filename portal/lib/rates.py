"""Rate arithmetic on plain counts: no database, no Django.

Every rate in the portal is a fraction (0..1) computed from summed counts,
never an average of rates; ``None`` means "no denominator".
"""

import math
from collections.abc import Iterable

Z_95 = 1.959963984540054


def safe_rate(numerator: float, denominator: float) -> float | None:
    """Return numerator / denominator, or None when the denominator is 0."""
    if not denominator:
        return None
    return numerator / denominator


def wilson_interval(successes: float, n: float, z: float = Z_95) -> tuple[float, float] | None:
    """Return the Wilson score interval (lo, hi) for ``successes`` out of ``n``.

    None when ``n`` is 0. ``successes`` may be fractional (for a combined
    index expressed as rate × n).
    """
    if n <= 0:
        return None
    if successes < 0 or successes > n:
        raise ValueError(f"successes must lie in [0, n], got {successes} of {n}")
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def rate_to_points(rate: float | None, *, threshold: float, max_points: float) -> float | None:
    """Return points for ``rate``: ``max_points`` at or above ``threshold``, else pro rata.

    Decision 766: points = P_max if R >= T else R × P_max / T.
    """
    if rate is None:
        return None
    if threshold <= 0:
        raise ValueError("threshold must be positive")
    if rate >= threshold:
        return float(max_points)
    return max(0.0, rate) * max_points / threshold


def combine_rates(
    rates: Iterable[tuple[float | None, float]], *, method: str = "mean"
) -> float | None:
    """Return one index from ``(rate, weight)`` pairs, skipping rates that are None.

    ``method`` is ``"mean"`` (plain mean, weights ignored) or ``"weighted"``
    (weighted mean; pairs with weight 0 drop out). None when nothing is left.
    """
    pairs = [(r, float(w)) for r, w in rates if r is not None]
    if method == "mean":
        return sum(r for r, _ in pairs) / len(pairs) if pairs else None
    if method == "weighted":
        total = sum(w for _, w in pairs)
        if total <= 0:
            return None
        return sum(r * w for r, w in pairs) / total
    raise ValueError(f"unknown combination method {method!r}; use 'mean' or 'weighted'")


def proxy_766(*, late: int, negative: int, finished: int) -> float | None:
    """Return the Decision 766 satisfaction proxy: 1 − (late share + negative share).

    Both shares are over dossiers finished in the period; the result is
    floored at 0. None when nothing was finished.
    """
    if not finished:
        return None
    return max(0.0, 1.0 - (late + negative) / finished)


def on_time_rate_766(
    *, early: int, on_time: int, finished: int, open_within: int, open_overdue: int
) -> float | None:
    """Return (early + on time + open within deadline) / (finished + open at period end)."""
    return safe_rate(early + on_time + open_within, finished + open_within + open_overdue)
