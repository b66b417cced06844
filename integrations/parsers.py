"""Request parsers for endpoints that take numbers exactly as sent."""

import json
from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from integrations.exceptions import PayloadTooLarge


class ExactJSONParser(JSONParser):
    """JSON whose decimals become Decimal, not float, so 0.1 stays 0.1; bounded in size.

    DRF reads the body through the parser, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, so the
    same limit is applied here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            length = request.META.get("CONTENT_LENGTH") or 0
            try:
                too_large = int(length) > limit
            except ValueError:
                too_large = False
            if too_large:
                raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")
