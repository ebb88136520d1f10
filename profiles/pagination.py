"""Pagination of API lists.

Profiles use a cursor ordered by ``-id`` (newest first): each page is one indexed range
query, with no ``COUNT(*)`` over a table of millions of rows and no growing OFFSET; the
answer is ``{next, previous, results}``. Small lists (databases, custom fields) keep page
numbers with a count.
"""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class ProfileCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
