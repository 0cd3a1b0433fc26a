"""Celery tasks of the offices app: thin wrappers around services."""

from celery import shared_task

from offices import services


@shared_task(ignore_result=True)
def dossier_import_job_run(job_id: int) -> None:
    """Run an uploaded dossier import; a second delivery finds the job claimed and stops."""
    services.dossier_import_job_run(job_id=job_id)
