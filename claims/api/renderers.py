"""JSON rendered by orjson: the same document as DRF's JSONRenderer (compact, UTF-8, date-times
ending in Z), several times faster on a page of claims."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# What orjson does not know (lazy translations, Decimal, querysets) DRF's encoder turns into
# something it does.
_fallback = JSONEncoder().default
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


class OrjsonRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            # `Accept: application/json; indent=4`: rare, and orjson indents by 2 only.
            return super().render(data, accepted_media_type, renderer_context)
        body = orjson.dumps(data, default=_fallback, option=_OPTIONS)
        # As DRF does, keep the output a strict subset of JavaScript.
        return body.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
