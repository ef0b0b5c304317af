"""Files on submissions: upload (multipart, the owner while submissions are open), list, and the
signed download link pages use."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter

from agora import media
from agora.deps import AppSettings, CurrentPrincipal, Db, Files
from agora.params import PathId
from peerreview import schemas as s
from peerreview.http.paths import API, TAGS
from peerreview.service import attachments as attachments_service

Token = Annotated[str, PathParameter(max_length=400)]


@post(
    f"{API}/submissions/{{submission_id:int}}/attachments",
    tags=TAGS,
    request_max_body_size=media.UPLOAD_BODY_BYTES,
)
async def upload(
    request: Request[Any, Any, Any],
    submission_id: PathId,
    db: Db,
    store: Files,
    settings: AppSettings,
    principal: CurrentPrincipal,
) -> s.SubmissionAttachmentList:
    """Attach files to your submission (multipart/form-data, one or more `file` parts) while
    you may still submit. 413 too large or over your quota, 415 a type not allowed (judged by
    the content), 422 past the files a submission carries."""
    uploads = await media.read_uploads(request, "file", max_bytes=settings.attachment_max_bytes)
    items = await attachments_service.attach_files(
        db, store, settings, principal, submission_id, uploads
    )
    return s.SubmissionAttachmentList(items=items)


@get(f"{API}/submissions/{{submission_id:int}}/attachments", tags=TAGS)
async def list_attachments(
    submission_id: PathId, db: Db, principal: CurrentPrincipal
) -> s.SubmissionAttachmentList:
    """The submission's files for whoever sees it (owner, staff, its reviewers)."""
    items = await attachments_service.list_attachments(db, principal, submission_id)
    return s.SubmissionAttachmentList(items=items)


@get(attachments_service.MEDIA_PATH + "{token:str}", include_in_schema=False)
async def download(token: Token, db: Db, store: Files) -> Response[bytes]:
    row, data = await attachments_service.open_link(db, store, token)
    return media.file_response(data, content_type=row.content_type, filename=row.filename)


ROUTES: list[HTTPRouteHandler] = [upload, list_attachments, download]
