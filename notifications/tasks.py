from smtplib import SMTPException

from celery import shared_task

from notifications.services import notification_emails_deliver


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def notification_emails_send(self, notification_ids: list[int]) -> int:
    try:
        return notification_emails_deliver(notification_ids=notification_ids)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc) from exc
