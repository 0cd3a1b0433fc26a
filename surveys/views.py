"""Pages citizens use: find an office, the office's survey link, the QR link of a dossier.

No login; every submission goes through ``response_submit`` after the rate
limit and the honeypot check.
"""

import logging

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache

from surveys.forms import SurveyForm
from surveys.models import Response, ResponseChannel
from surveys.ratelimit import rate_limit_hit
from surveys.selectors import (
    office_public_get,
    office_public_search,
    procedure_from_picker,
    procedures_for_office,
)
from surveys.services import (
    ResponseError,
    questionnaire_for_office,
    questionnaire_questions,
    response_submit,
)

logger = logging.getLogger(__name__)


def _language():
    return "en" if (get_language() or "vi").startswith("en") else "vi"


def client_ip(request):
    """Return the client's IP address as the web server saw it."""
    return request.META.get("REMOTE_ADDR", "")


def _rate_limited(request):
    return render(request, "surveys/rate_limited.html", status=429)


def survey_find(request):
    query = request.GET.get("q", "").strip()[:100]
    offices = office_public_search(query=query) if query else []
    ctx = {"query": query, "offices": offices}
    return render(request, "surveys/find.html", ctx)


def _submit(request, *, form, office, questionnaire, channel, dossier=None):
    """Validate ``form`` through the service.

    Return (response, None) when stored, else (None, ResponseError or None)
    with the errors put on the form.
    """
    if not form.is_valid():
        return None, None
    procedure = dossier.procedure if dossier else None
    if dossier is None and form.cleaned_data.get("procedure"):
        procedure = procedure_from_picker(office=office, text=form.cleaned_data["procedure"])
        if procedure is None:
            form.add_error(
                "procedure",
                gettext("Không tìm thấy thủ tục này. Hãy chọn một thủ tục trong danh sách gợi ý."),
            )
            return None, None
    try:
        response, _created = response_submit(
            office=office,
            channel=channel,
            answers=form.answers(),
            client_id=form.cleaned_data["client_id"],
            questionnaire=questionnaire,
            procedure=procedure,
            dossier=dossier,
            duration_seconds=form.duration_seconds(),
            ip=client_ip(request),
            language=_language(),
            contact=form.contact(),
        )
    except ResponseError as exc:
        form.add_service_errors(exc.errors_in(_language()))
        return None, exc
    return response, None


@never_cache
def survey_office(request, slug):
    office = office_public_get(slug=slug)
    if office is None:
        raise Http404
    questionnaire = questionnaire_for_office(office=office)
    questions = questionnaire_questions(questionnaire=questionnaire)
    procedures = procedures_for_office(office=office)
    if request.method == "POST":
        if rate_limit_hit(scope="ip", key=client_ip(request)):
            return _rate_limited(request)
        form = SurveyForm(
            request.POST, questions=questions, language=_language(), procedures=procedures
        )
        if form.is_bot():
            logger.info("Honeypot filled on the survey of office %s; nothing stored", office.pk)
            return redirect("surveys-thanks", slug=office.slug)
        response, _error = _submit(
            request,
            form=form,
            office=office,
            questionnaire=questionnaire,
            channel=ResponseChannel.LINK,
        )
        if response is not None:
            return redirect("surveys-thanks", slug=office.slug)
    else:
        form = SurveyForm(questions=questions, language=_language(), procedures=procedures)
    ctx = {
        "office": office,
        "questionnaire": questionnaire,
        "form": form,
        "procedures": procedures.values_list("code", "name"),
    }
    return render(request, "surveys/survey.html", ctx)


def survey_thanks(request, slug):
    office = office_public_get(slug=slug)
    if office is None:
        raise Http404
    return render(request, "surveys/thanks.html", {"office": office})


def _link_problem(request, reason, *, dossier=None):
    status = {"used": 410, "expired": 410}.get(reason, 404)
    ctx = {"reason": reason, "dossier": dossier, "office": dossier.office if dossier else None}
    return render(request, "surveys/link_problem.html", ctx, status=status)


@never_cache
def survey_dossier(request, token):
    from offices.links import SurveyLinkError, dossier_from_survey_token

    try:
        dossier = dossier_from_survey_token(token)
    except SurveyLinkError as exc:
        return _link_problem(request, exc.reason)
    office = dossier.office
    if not office.active:
        raise Http404
    stored = Response.objects.filter(dossier=dossier).only("client_id").first()
    if stored is not None:
        if request.method == "POST" and request.POST.get("client_id") == str(stored.client_id):
            # The same form sent twice (double tap, reload): it was stored once.
            return redirect("surveys-thanks", slug=office.slug)
        return _link_problem(request, "used", dossier=dossier)
    questionnaire = questionnaire_for_office(office=office)
    questions = questionnaire_questions(questionnaire=questionnaire)
    if request.method == "POST":
        if rate_limit_hit(scope="ip", key=client_ip(request)):
            return _rate_limited(request)
        form = SurveyForm(request.POST, questions=questions, language=_language())
        if form.is_bot():
            logger.info(
                "Honeypot filled on the QR survey of dossier %s; nothing stored", dossier.pk
            )
            return redirect("surveys-thanks", slug=office.slug)
        response, error = _submit(
            request,
            form=form,
            office=office,
            questionnaire=questionnaire,
            channel=ResponseChannel.QR,
            dossier=dossier,
        )
        if response is not None:
            return redirect("surveys-thanks", slug=office.slug)
        if error is not None and error.code == "already_rated":
            # Rated from another tab or device while this form was open.
            return _link_problem(request, "used", dossier=dossier)
    else:
        form = SurveyForm(questions=questions, language=_language())
    ctx = {"office": office, "dossier": dossier, "questionnaire": questionnaire, "form": form}
    return render(request, "surveys/survey.html", ctx)
