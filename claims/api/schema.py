"""OpenAPI generation: every operation documents the error shape for the refusals any endpoint
can give (bad input, not signed in, not allowed, not found, throttled), on top of the codes its
view declares itself."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from claims.api.serializers import ErrorSerializer

_ALWAYS = {
    "400": "Invalid input: a bad filter, ordering, cursor, body or malformed JSON.",
    "401": "Not signed in: send `Authorization: Token <key>` or a session cookie.",
    "403": "Your role does not allow this.",
    "404": "No such record.",
    "406": "The Accept header asks for something other than JSON.",
    "429": "Too many requests; the Retry-After header says when to try again.",
}
_WITH_BODY = {"415": "The body is not JSON."}


class TrackerAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        errors = dict(_ALWAYS)
        if self.method in {"POST", "PUT", "PATCH"}:
            errors |= _WITH_BODY
        for code, description in errors.items():
            if code not in responses:
                # Errors are JSON whatever a successful response is (the export's CSV).
                response = self._get_response_for_code(
                    ErrorSerializer, code, media_types=["application/json"], direction=direction
                )
                responses[code] = {**response, "description": description}
        return responses
