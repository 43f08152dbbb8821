"""Resumable (tus 1.0) uploads into a file drop, authorised by the link instead of a login.

The tus logic is ``files.tus``; a ``DropUploader`` makes it work for a drop link: uploads belong to the
link (``TusUpload.link``, no user), go only into the link's folder under a free name (numbered on a
collision, as plain drop uploads), count against that folder's space like any upload, and are added
only while the link is still a live drop link - an upload unfinished when the link expires is
refused at its next request and its parts expire with it; revoking the link removes its unfinished
uploads at once (``links.revoke_link``). The uploader learns nothing
but the name their own file was stored under.
"""

from __future__ import annotations

from schoolcloud.files import errors, tus
from schoolcloud.files.context import FilesContext
from schoolcloud.files.links import Refusal, find_link, link_gone, link_unavailable, now, record_drop, refusal
from schoolcloud.files.models import Node, TusUpload
from schoolcloud.files.names import OnConflict, clean_name
from schoolcloud.files.sharing_models import LinkMode, PublicLink


class DropUploader(tus.Uploader):
    def __init__(self, link: PublicLink):
        super().__init__(None)
        self.link = link
        self.stored_name: str | None = None  # set when this request finished an upload

    def scope(self) -> dict:
        return {"link_id": self.link.id}

    async def check_folder(self, folder: Node) -> None:
        current = await find_link(self.link.token)
        reason = refusal(current, now())
        if reason in (Refusal.EXPIRED, Refusal.USED_UP):
            raise link_gone(reason)
        if reason is not None or current.mode != LinkMode.DROP or current.node_id != folder.id:
            raise link_unavailable()

    async def finished(self, upload: TusUpload, node: Node) -> None:
        self.stored_name = node.name
        await record_drop(self.link, node, tus=True)


async def create(ctx: FilesContext, link: PublicLink, *, length: int, metadata: dict[str, str]) -> tuple[
        TusUpload, DropUploader]:
    """A new upload into the drop folder. Metadata: ``filename`` (needed), ``filetype``; a ``folder``
    or ``on_conflict`` the client sends is ignored (always the link's folder, always numbered)."""
    if link.mode != LinkMode.DROP:
        raise link_unavailable()
    if "filename" not in metadata:
        raise errors.tus_metadata()
    owner = DropUploader(link)
    upload = await tus.start(ctx, owner, link.node, clean_name(metadata["filename"]), metadata.get("filetype"),
                             OnConflict.RENAME, length)
    return upload, owner
