"""Files on posts: upload (multipart), list, remove; and the signed download link pages use."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import PathParameter

from agora import media
from agora.deps import AppSettings, CurrentPrincipal, Db, Files
from agora.params import PathId
from agora.schemas import Output
from forum.schemas import AttachmentRead
from forum.service import attachments as attachments_service

Token = Annotated[str, PathParameter(max_length=400)]


class AttachmentList(Output):
    items: list[AttachmentRead]


class PostAttachmentRoutes(Controller):
    path = "/api/v1/posts/{post_id:int}/attachments"
    tags = ["forum"]

    @post(request_max_body_size=media.UPLOAD_BODY_BYTES)
    async def upload(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        store: Files,
        settings: AppSettings,
        principal: CurrentPrincipal,
        post_id: PathId,
    ) -> AttachmentList:
        """Attach files to a post you may edit: multipart/form-data, one or more `file` parts.
        413 when a file or your quota is too large, 415 when a file is not an allowed type
        (judged by its content), 422 past the files a post may carry."""
        uploads = await media.read_uploads(request, "file", max_bytes=settings.attachment_max_bytes)
        items = await attachments_service.attach_files(
            db, store, settings, principal, post_id, uploads
        )
        return AttachmentList(items=items)

    @get()
    async def list_attachments(
        self, db: Db, principal: CurrentPrincipal, post_id: PathId
    ) -> AttachmentList:
        """The post's files (none when you may not see its body), each with a signed link."""
        return AttachmentList(
            items=await attachments_service.list_attachments(db, principal, post_id)
        )


class AttachmentRoutes(Controller):
    path = "/api/v1/attachments/{attachment_id:int}"
    tags = ["forum"]

    @delete(status_code=204)
    async def remove(self, db: Db, principal: CurrentPrincipal, attachment_id: PathId) -> None:
        await attachments_service.delete_attachment(db, principal, attachment_id)


@get(attachments_service.MEDIA_PATH + "{token:str}", include_in_schema=False)
async def download(token: Token, db: Db, store: Files) -> Response[bytes]:
    """A file by the signed link a page gave its viewer: images inline, anything else as a
    download, with the type detected at upload and nosniff."""
    row, data = await attachments_service.open_link(db, store, token)
    return media.file_response(data, content_type=row.content_type, filename=row.filename)
