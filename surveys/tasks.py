"""Celery tasks of the surveys app: thin, take ids, safe to run twice."""

from celery import shared_task


@shared_task(ignore_result=True)
def responses_check_pending():
    """Check the responses not yet checked and open their follow-ups (every minute)."""
    from surveys.services import responses_check_pending as check

    return check()


@shared_task(
    autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def response_after_submit(response_id):
    """Check one response now, unless it was checked already.

    Submissions no longer queue it (the periodic ``responses_check_pending``
    does the work); kept for messages queued before that change and for
    checking one response by hand.
    """
    from surveys.services import response_process

    response_process(response_id=response_id)


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
