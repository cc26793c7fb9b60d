"""The document's file (R17): shown inline to members of the document's company only, and uploaded or replaced by
those who may edit.  Another company's document — and so its file — is a 404 like everywhere else."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from documents import services
from documents.models import Document
from documents.views import detail_context
from roger.access import get_for_company, membership_for, require_editor
from roger.http import HtmxHttpRequest


@login_required
@require_GET
@xframe_options_sameorigin  # the document page previews it in a frame of its own origin
def document_file(request: HtmxHttpRequest, pk: int) -> FileResponse:
    membership = membership_for(request)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    if not document.file:
        raise Http404("This document has no file.")
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.file_content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=document.file_name,
    )
    # Served from Roger's own origin, and only ever as the type its content was checked to be.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response


@login_required
@require_POST
def document_file_upload(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Upload or replace the file; a refusal is shown beside the form, worded as the service words it."""
    membership = membership_for(request)
    require_editor(membership)
    document = get_for_company(Document.objects.all(), membership, pk=pk)
    upload = request.FILES.get("file")
    replacing = bool(document.file)
    try:
        if upload is None:
            raise ValidationError({"file": _("Choose a PDF, PNG or JPEG file to upload.")})
        services.document_attach_file(document=document, actor=request.user, upload=upload)
    except ValidationError as exc:
        document = get_for_company(Document.objects.select_related("vendor", "credits"), membership, pk=pk)
        context = detail_context(request, document, file_error=" ".join(exc.messages))
        return render(request, "documents/document_detail.html", context, status=422)
    messages.success(request, _("File replaced.") if replacing else _("File added."))
    return redirect("documents:detail", pk=document.pk)
