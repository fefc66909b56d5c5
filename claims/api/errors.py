"""One error shape for every API response that is not a success:
``{"error": {"code": "...", "message": "one sentence", "fields": {...}}}``, and the mapping from
the domain's refusals (WorkflowError, StaleVersion, ValidationError) to HTTP status codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from claims.services import StaleVersion
from claims.workflow import FourEyes, NotAllowed, WorkflowError


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = (
        "Send the claim's ETag in an If-Match header, so that an edit based on an old version "
        "cannot overwrite someone else's."
    )


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "The claim changed since you loaded it; reload it and edit again."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state of the record."


class BadDocument(exceptions.APIException):
    """An import body that cannot be read at all: not JSON (code malformed_request) or larger
    than the limit (code too_large)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "malformed_request"
    default_detail = "The body is not a JSON document."


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is larger than the API accepts."


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "The task queue is unreachable; try again in a minute."


# The API's permission classes refuse users without the permission before the workflow runs
# and the serializers refuse missing rationales, so a WorkflowError is a conflict with the
# record's state (409), except for the refusals that depend on who is asking (403).
def workflow_error(exc: WorkflowError) -> exceptions.APIException:
    if isinstance(exc, FourEyes):
        return exceptions.PermissionDenied(str(exc), code="four_eyes")
    if isinstance(exc, NotAllowed):
        return exceptions.PermissionDenied(str(exc), code="permission_denied")
    return Conflict(str(exc))


def _first_message(detail: Any) -> str:
    if isinstance(detail, Mapping):
        for value in detail.values():
            return _first_message(value)
        return ""
    if isinstance(detail, list | tuple):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def error_body(code: str, message: str, fields: Mapping[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = dict(fields)
    return {"error": error}


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, WorkflowError):
        return workflow_error(exc)
    if isinstance(exc, StaleVersion):
        return PreconditionFailed(
            f"{exc} Reload the claim (its ETag is now "
            f'W/"claim-{exc.claim.pk}-v{exc.claim.version}") and edit again.'
        )
    if isinstance(exc, ObjectDoesNotExist):
        return exceptions.NotFound("No such record.")
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        # Django raises these while DRF reads the body; unmapped, they are its HTML 400 page.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return TooLarge(
            f"The request body is larger than the API accepts ({limit} bytes)."
            if isinstance(exc, RequestDataTooBig) and limit
            else TooLarge.default_detail
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (which sets WWW-Authenticate, Retry-After …) with our body shape."""
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        # Anything else is a bug: let Django log it and answer 500.
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, Mapping) else {"non_field_errors": detail}
        first_field, first_value = next(iter(fields.items()), ("", ""))
        message = _first_message(first_value)
        if first_field and first_field != "non_field_errors":
            message = f"{first_field}: {message}"
        response.data = error_body("invalid", message or "The request is invalid.", fields)
        return response
    if isinstance(exc, Http404):
        response.data = error_body("not_found", "No such record.")
        return response
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        if isinstance(exc, exceptions.ParseError):
            code = "malformed_request"
        response.data = error_body(str(code), _first_message(exc.detail))
        return response
    response.data = error_body("error", _first_message(response.data))
    return response
