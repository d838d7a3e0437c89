"""The API's JSON parser: DRF's, with bodies nested past Python's recursion limit answered as a
parse error (400) instead of escaping as a RecursionError (500)."""
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply") from None
