from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.views.decorators.http import require_GET

from providers.selectors import document_for_user


@login_required
@require_GET
def document_download(request, pk: int):
    """Serves an application document to its provider's users and to staff; 404 for anyone else.

    Always as an attachment with the checked content type and nosniff, so an uploaded file is
    never rendered by the browser as part of the site.
    """
    document = document_for_user(user=request.user, pk=pk)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
