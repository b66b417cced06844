"""One-time form tokens: a form that creates a record without a natural key is saved once.

A token is issued with the add form (signed, naming the user it was issued to, valid for
FORM_TOKEN_MAX_AGE_SECONDS) and consumed by inserting a FormSubmission in the same transaction as
the save. A second POST with the same token finds the row — or, posted at the same moment, waits on
the unique index until the first commits and then finds it — and is shown the record instead of
saving it twice. A refused or invalid save rolls its row back with it, so the same form may be
corrected and sent again.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction

from integrations.models import FormSubmission

SALT = "zaofeng.form-token"


def form_token_issue(*, user) -> str:
    return signing.dumps({"u": user.pk, "n": secrets.token_urlsafe(24)}, salt=SALT)


def form_token_read(token: str, *, user) -> str | None:
    """The token's own part if it was issued to this user and has not expired, else None."""
    max_age = getattr(settings, "FORM_TOKEN_MAX_AGE_SECONDS", 24 * 60 * 60)
    try:
        data = signing.loads(token or "", salt=SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk or not data.get("n"):
        return None
    return str(data["n"])[:64]


def form_submission_of(nonce: str) -> FormSubmission | None:
    return FormSubmission.objects.filter(token=nonce).first()


class FormAlreadySubmitted(Exception):
    def __init__(self, submission: FormSubmission):
        super().__init__(submission.token)
        self.submission = submission


def form_submission_claim(*, nonce: str, model: str, user) -> FormSubmission:
    """Claims the token inside the caller's transaction; FormAlreadySubmitted if it was used.

    Two claims at once: the second waits on the unique index until the first commits (then it is
    refused) or rolls back (then it goes ahead)."""
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(token=nonce, model=model, user=user)
    except IntegrityError:
        earlier = form_submission_of(nonce)
        if earlier is None:
            raise
        raise FormAlreadySubmitted(earlier) from None


def form_submission_record(submission: FormSubmission, *, obj) -> None:
    submission.object_pk = str(obj.pk)
    submission.save(update_fields=["object_pk"])
