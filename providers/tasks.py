"""Account emails sent by a worker, so the web request takes the same time whoever asks."""

from smtplib import SMTPException

from celery import shared_task

from providers.services.accounts import password_reset_mail_deliver, registration_mail_deliver


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def registration_mail_send(self, **kwargs) -> str:
    try:
        return registration_mail_deliver(**kwargs)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def password_reset_mail_send(self, **kwargs) -> None:
    try:
        password_reset_mail_deliver(**kwargs)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc) from exc
