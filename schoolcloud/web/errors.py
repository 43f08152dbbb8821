"""Errors with a stable code and a message in German and English.

Services raise ``AppError``; pages render it in the user's language, the API returns it as JSON.
"""

from __future__ import annotations

from schoolcloud.web.i18n import N_, in_locale


class AppError(Exception):
    status_code = 400
    headers: dict[str, str] = {}  # extra response headers, e.g. Retry-After with a 429

    def __init__(self, code: str, message: str, *, status: int | None = None, field: str | None = None,
                 **params):
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message  # English message id, translated on output
        self.params = params
        self.field = field
        if status is not None:
            self.status_code = status

    def text(self, locale: str) -> str:
        return in_locale(locale, self.message, **self.params)

    def as_json(self, locale: str = "de") -> dict:
        body = {
            "code": self.code,
            "message": self.text(locale),
            "message_de": self.text("de"),
            "message_en": self.text("en"),
        }
        if self.field:
            body["field"] = self.field
        return {"error": body}


class NotFound(AppError):
    status_code = 404

    def __init__(self, what: str = "object"):
        super().__init__("not_found", N_("Not found."), what=what)


class Forbidden(AppError):
    status_code = 403

    def __init__(self):
        super().__init__("forbidden", N_("You are not allowed to do this."))


class ValidationError(AppError):
    status_code = 422

    def __init__(self, errors: list[AppError]):
        super().__init__("invalid", N_("Please correct the marked fields."))
        self.errors = errors

    def as_json(self, locale: str = "de") -> dict:
        body = super().as_json(locale)
        body["error"]["fields"] = [e.as_json(locale)["error"] for e in self.errors]
        return body
