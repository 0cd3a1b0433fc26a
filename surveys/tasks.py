"""Celery tasks of the surveys app: thin, take ids, safe to run twice."""

from celery import shared_task


@shared_task(
    autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def response_after_submit(response_id):
    """Run the integrity checks on a new response, then open a follow-up if it needs one."""
    from surveys.followups import followup_open_for
    from surveys.integrity import response_check

    response_check(response_id)
    followup_open_for(response_id)


# Follow-ups (helper C2): reply delivery and hourly escalation.
@shared_task(
    autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5, ignore_result=True
)
def followup_reply_send(follow_up_id):
    """Send a follow-up's recorded reply to the citizen by email and/or SMS (once)."""
    from surveys.followups import followup_reply_deliver

    followup_reply_deliver(follow_up_id=follow_up_id)


@shared_task(ignore_result=True)
def followups_escalate():
    """Escalate unanswered follow-ups past their due time to the unit above (once each)."""
    from surveys.followups import followups_escalate as escalate

    return escalate()
