"""Template context shared by every page."""

from offices.access import scope_for


def scope(request):
    """Return the visitor's access scope as ``portal_scope`` (one cached query per request)."""
    return {"portal_scope": scope_for(getattr(request, "user", None))}
