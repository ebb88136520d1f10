"""Content negotiation for endpoints that send a file, whatever the client accepts."""

from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """Take the client's Accept header when a renderer matches it, else the first renderer.

    An image endpoint answers a file (no renderer) to an ``<img>``'s ``Accept: image/*``;
    its errors still come as JSON instead of a 406.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except (NotAcceptable, Http404):  # Http404: a format suffix no renderer has
            return renderers[0], renderers[0].media_type
