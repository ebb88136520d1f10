"""Pagination of API lists.

Profiles use a cursor ordered by ``-id`` (newest first): each page is one indexed range
query, with no ``COUNT(*)`` over a table of millions of rows and no growing OFFSET; the
answer is ``{next, previous, results}``. Small lists (databases, custom fields) keep page
numbers with a count.
"""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

from core.text import whole_number


class StrictPageSizeMixin:
    """Refuse a page_size that is not a whole number from 1 to max_page_size (never ignore it)."""

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        size = whole_number(value, self.max_page_size)
        if size is None:
            raise ValidationError(
                {"page_size": [f"Enter a whole number from 1 to {self.max_page_size}."]}
            )
        return size


class PagePagination(StrictPageSizeMixin, PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        """Refuse a page that is not one whole number from 1 (never fall back to page 1)."""
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) > 1 or whole_number(values[0]) is None:
            raise ValidationError({"page": ["Enter one whole number from 1."]})
        return values[0]


class ProfileCursorPagination(StrictPageSizeMixin, CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        """Refuse a cursor that is not one this API gave: a 400 naming it, like a bad page.

        The position of a cursor ordered by ``-id`` is an id: a position of any other shape
        (a forged cursor) would reach the query and fail there.
        """
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = False
        position = None if not cursor else cursor.position
        if cursor is False or (position is not None and whole_number(str(position)) is None):
            raise ValidationError({"cursor": ["Use the cursor of a `next` or `previous` link."]})
        return cursor
