"""Every refusal of the files domain: a stable code, an English message id (translated on output) and
the HTTP status. Routes need no error handling of their own; the app's AppError handler answers."""

from __future__ import annotations

from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_


class NameConflict(AppError):
    """409: the name is taken; the JSON body carries the existing entry so a client can offer
    "replace", "keep both" (``on_conflict=rename``) or "skip"."""

    status_code = 409

    def __init__(self, existing: dict):
        super().__init__("name_conflict", N_("An entry with this name already exists here."), field="name")
        self.existing = existing

    def as_json(self, locale: str = "de") -> dict:
        body = super().as_json(locale)
        body["existing"] = self.existing
        return body


def invalid_name(message: str) -> AppError:
    return AppError("invalid_name", message, status=422, field="name")


def invalid_parameter(name: str) -> AppError:
    return AppError("invalid_parameter", "The parameter %(name)s has an invalid value.", status=400, name=name)


def quota_exceeded() -> AppError:
    return AppError("quota_exceeded", "There is not enough free storage in this space for the file.",
                    status=507)


def file_too_large(limit_mb: int) -> AppError:
    return AppError("file_too_large", "The file is larger than the upload limit of %(limit)s MB.",
                    status=413, limit=limit_mb)


def upload_incomplete() -> AppError:
    return AppError("upload_incomplete", "The upload was incomplete: fewer bytes arrived than announced. "
                    "Please try again.", status=400)


def not_a_folder() -> AppError:
    return AppError("not_a_folder", "This is not a folder.", status=422)


def not_a_file() -> AppError:
    return AppError("not_a_file", "This is not a file.", status=422)


def root_folder() -> AppError:
    return AppError("root_folder", "The top folder of a space cannot be renamed, moved or deleted.", status=422)


def move_into_itself() -> AppError:
    return AppError("move_into_itself", "A folder cannot be moved or copied into itself.", status=422)


def not_in_trash() -> AppError:
    return AppError("not_in_trash", "This entry is not in the trash.", status=409)


def current_version() -> AppError:
    return AppError("current_version", "The current version cannot be deleted.", status=409)


def changed_meanwhile() -> AppError:
    return AppError("changed_meanwhile", "The file was changed in the meantime. Reload it and try again.",
                    status=412)


def range_not_satisfiable() -> AppError:
    return AppError("range_not_satisfiable", "The requested byte range is outside the file.", status=416)


def content_missing() -> AppError:
    return AppError("content_missing", "The content of this file is missing from the storage. Please tell "
                    "your administrator.", status=500)


def content_damaged() -> AppError:
    return AppError("content_damaged", "The stored content of this file failed its integrity check and is not "
                    "served. Please tell your administrator.", status=500)


def storage_unavailable() -> AppError:
    return AppError("storage_unavailable", "The file storage cannot be reached right now. Please try again "
                    "later.", status=503)


def search_term_missing() -> AppError:
    return AppError("search_term_missing", "Please enter a search term.", status=400, field="q")


def no_files_for_role() -> AppError:
    return AppError("no_files", "Accounts without a school have no files.", status=403)


# tus: the protocol's status codes (see tus.io/protocols/resumable-upload)
def tus_version() -> AppError:
    return AppError("tus_version", "This tus protocol version is not supported (only 1.0.0).", status=412)


def tus_length() -> AppError:
    return AppError("tus_length", "Upload-Length must be given as a whole number of bytes.", status=400)


def tus_metadata() -> AppError:
    return AppError("tus_metadata", "Upload-Metadata is invalid or lacks filename and folder.", status=400)


def tus_content_type() -> AppError:
    return AppError("tus_content_type", "Upload data must be sent as application/offset+octet-stream.",
                    status=415)


def tus_offset() -> AppError:
    return AppError("tus_offset", "Upload-Offset does not match the bytes received so far.", status=409)


def tus_too_much() -> AppError:
    return AppError("tus_too_much", "More data arrived than the announced upload length.", status=413)


def tus_expired() -> AppError:
    return AppError("tus_expired", "This upload has expired. Please start it again.", status=410)


def tus_removed() -> AppError:
    return AppError("tus_removed", "This upload was removed meanwhile (it expired, was cancelled, or the folder or "
                    "link it was for is gone). Please start it again.", status=410)


def deleted_meanwhile() -> AppError:
    """A folder that was there when the request began is gone (deleted with its team, or trashed)."""
    return AppError("not_found", "This folder was deleted meanwhile.", status=404)
