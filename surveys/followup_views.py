"""Pages for complaint follow-ups and for reviewing flagged responses.

Office staff see and handle their own office's follow-ups; officials read
those of their unit and below; admins see and do everything. Flagged
responses are reviewed by admins (who may clear a flag) and read by officials.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from offices.access import require_office_manager, scope_for
from offices.models import Role
from surveys import followups
from surveys.integrity import reason_label, response_flag_clear
from surveys.models import Answer, FollowUp, FollowUpStatus, Response


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Giao cho"), queryset=get_user_model().objects.none())

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(profile__role=Role.OFFICE_STAFF, profile__office=office)
                | Q(profile__role=Role.ADMIN)
                | Q(is_superuser=True)
            )
            .distinct()
            .order_by("username")
        )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Nội dung trả lời người dân"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
    )


class CloseForm(forms.Form):
    citizen_satisfied = forms.TypedChoiceField(
        label=_("Người dân có hài lòng với trả lời không?"),
        choices=[("", _("Chưa rõ")), ("1", _("Hài lòng")), ("0", _("Chưa hài lòng"))],
        coerce=lambda value: value == "1",
        empty_value=None,
        required=False,
    )


STATUS_FILTERS = {
    "open": Q(status__in=followups.OPEN_STATUSES),
    "answered": Q(status=FollowUpStatus.ANSWERED),
    "closed": Q(status=FollowUpStatus.CLOSED),
    "all": Q(),
}


def _scope_or_403(user):
    scope = scope_for(user)
    if scope.is_empty or scope.role == Role.INTEGRATION:
        raise PermissionDenied
    return scope


@login_required
def followup_list(request):
    scope = _scope_or_403(request.user)
    status = request.GET.get("status", "open")
    if status not in STATUS_FILTERS and status != "overdue":
        status = "open"
    now = timezone.now()
    follow_ups = FollowUp.objects.filter(scope.office_q("office__")).select_related(
        "office", "assignee"
    )
    if status == "overdue":
        follow_ups = follow_ups.filter(status__in=followups.OPEN_STATUSES, due_at__lt=now)
    else:
        follow_ups = follow_ups.filter(STATUS_FILTERS[status])
    page = Paginator(follow_ups.order_by("due_at", "pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/followup_list.html",
        {
            "page": page,
            "status": status,
            "now": now,
            "can_manage": scope.can_manage_office,
            "can_review": scope.is_admin or scope.role == Role.OFFICIAL,
            "statuses": [
                ("open", _("Chưa trả lời")),
                ("overdue", _("Quá hạn")),
                ("answered", _("Đã trả lời")),
                ("closed", _("Đã đóng")),
                ("all", _("Tất cả")),
            ],
        },
    )


@login_required
def followup_detail(request, pk):
    scope = _scope_or_403(request.user)
    follow_up = get_object_or_404(
        FollowUp.objects.select_related("office", "assignee", "response"), pk=pk
    )
    if not scope.can_see_office(follow_up.office):
        raise Http404
    can_act = scope.can_manage_office and follow_up.status != FollowUpStatus.CLOSED
    assign_form = AssignForm(office=follow_up.office, initial={"assignee": follow_up.assignee_id})
    reply_form = ReplyForm(initial={"reply": follow_up.reply})
    close_form = CloseForm()
    if request.method == "POST":
        require_office_manager(request.user, follow_up.office)
        action = request.POST.get("action")
        try:
            if action == "assign":
                assign_form = AssignForm(request.POST, office=follow_up.office)
                if assign_form.is_valid():
                    followups.followup_assign(
                        follow_up=follow_up,
                        assignee=assign_form.cleaned_data["assignee"],
                        by=request.user,
                    )
                    messages.success(request, gettext("Đã giao xử lý phản ánh."))
                    return redirect("surveys-followup-detail", pk=pk)
            elif action == "reply":
                reply_form = ReplyForm(request.POST)
                if reply_form.is_valid():
                    followups.followup_reply(
                        follow_up=follow_up, text=reply_form.cleaned_data["reply"], by=request.user
                    )
                    messages.success(request, gettext("Đã lưu trả lời và gửi cho người dân."))
                    return redirect("surveys-followup-detail", pk=pk)
            elif action == "close":
                close_form = CloseForm(request.POST)
                if close_form.is_valid():
                    followups.followup_close(
                        follow_up=follow_up,
                        by=request.user,
                        citizen_satisfied=close_form.cleaned_data["citizen_satisfied"],
                    )
                    messages.success(request, gettext("Đã đóng phản ánh."))
                    return redirect("surveys-followup-detail", pk=pk)
            else:
                messages.error(request, gettext("Thao tác không hợp lệ."))
        except followups.FollowUpError as exc:
            messages.error(request, str(exc))
    answers = (
        Answer.objects.filter(response=follow_up.response)
        .select_related("question")
        .order_by("question__order", "question_id")
    )
    return render(
        request,
        "surveys/followup_detail.html",
        {
            "follow_up": follow_up,
            "response": follow_up.response,
            "answers": answers,
            "can_act": can_act,
            "overdue": follow_up.status in followups.OPEN_STATUSES
            and follow_up.due_at < timezone.now(),
            "assign_form": assign_form,
            "reply_form": reply_form,
            "close_form": close_form,
        },
    )


def _reviewer_scope_or_403(user):
    scope = scope_for(user)
    if not (scope.is_admin or scope.role == Role.OFFICIAL):
        raise PermissionDenied
    return scope


@login_required
def flagged_list(request):
    scope = _reviewer_scope_or_403(request.user)
    show = request.GET.get("show", "flagged")
    responses = Response.objects.filter(scope.office_q("office__")).select_related(
        "office", "device", "officer", "flag_cleared_by"
    )
    if show == "cleared":
        responses = responses.filter(flag_cleared_at__isnull=False).order_by("-flag_cleared_at")
    else:
        show = "flagged"
        responses = responses.filter(flagged=True).order_by("-submitted_at")
    page = Paginator(responses, 50).get_page(request.GET.get("page"))
    for response in page.object_list:
        response.reason_labels = [reason_label(reason) for reason in response.flag_reasons]
    return render(
        request,
        "surveys/flagged_list.html",
        {"page": page, "show": show, "can_clear": scope.is_admin},
    )


@login_required
@require_POST
def flagged_clear(request, pk):
    if not scope_for(request.user).is_admin:
        raise PermissionDenied
    response = get_object_or_404(Response, pk=pk)
    response_flag_clear(response=response, user=request.user)
    messages.success(
        request, gettext("Đã bỏ đánh dấu nghi vấn cho phiếu %(id)s.") % {"id": response.pk}
    )
    return redirect("surveys-flagged")
