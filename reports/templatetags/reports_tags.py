"""Template filters that format figures the way the reader's language writes them.

Vietnamese: ``96,88%`` and ``12.345``; English: ``96.88%`` and ``12,345``.
Rates arrive as fractions or None (None prints as an en dash).
"""

from django import template
from django.utils.translation import get_language

register = template.Library()
DASH = "–"


def _separators():
    return (".", ",") if (get_language() or "vi")[:2] == "en" else (",", ".")


def format_number(value, decimals=0):
    """Return ``value`` with the active language's thousands and decimal separators."""
    if value is None or value == "":
        return DASH
    decimal_sep, thousands_sep = _separators()
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", decimal_sep).replace("\0", thousands_sep)


def format_rate(rate, decimals=2):
    """Return a fraction as a percentage, e.g. 0.96875 → ``96,88%``."""
    if rate is None or rate == "":
        return DASH
    return f"{format_number(rate * 100, decimals)}%"


def format_change(delta, decimals=2):
    """Return a change of rate in percentage points with its sign, e.g. ``+1,20``."""
    if delta is None:
        return DASH
    sign = "+" if delta > 0 else ""
    return f"{sign}{format_number(delta * 100, decimals)}"


@register.filter
def pct(rate, decimals=2):
    return format_rate(rate, int(decimals))


@register.filter
def num(value, decimals=0):
    return format_number(value, int(decimals))


@register.filter
def pp(delta):
    return format_change(delta)


@register.filter
def ci(interval):
    """Return a 95% interval ``[lo, hi]`` as ``94,10–97,80%``."""
    if not interval or interval[0] is None or interval[1] is None:
        return DASH
    return f"{format_number(interval[0] * 100, 1)}–{format_number(interval[1] * 100, 1)}%"
