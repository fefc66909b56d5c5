"""The API's JSON parser: DRF's, with nesting too deep to parse refused like any other bad JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class TrackerJSONParser(JSONParser):
    # DRF turns ValueError into a 400 but lets RecursionError through, so a body nested deeper
    # than Python recurses (a few kilobytes of "[") would be a 500.
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
