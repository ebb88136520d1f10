"""The API's root, /api/v1/: a link to each collection, browsable or JSON."""

from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver, get_script_prefix
from django.urls import reverse as django_reverse
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

LISTED = {"docs", "schema"}  # listed beside the collections


def is_collection(pattern):
    name = pattern.name or ""
    return not pattern.pattern.converters and (name.endswith("-list") or name in LISTED)


def collections(patterns, prefix=""):
    """Yield (path, URL name) of every collection under ``patterns`` (the routers' ``…-list``
    routes, which take no parameter), and of the docs and the schema."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from collections(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and is_collection(entry):
            yield route.replace("^", "").replace("$", "").rstrip("/"), entry.name


@cache
def _listed():
    api = get_resolver().namespace_dict["api"][1]
    return sorted(collections(api.url_patterns))


@cache
def _listed_urls(script_prefix):
    """The collections' URLs under the prefix the app is served at (that of this request:
    reverse reads it)."""
    return [(path, django_reverse(f"api:{name}")) for path, name in _listed()]


class APIRootView(APIView):
    """Profiles API: each collection's URL. Authenticate with `Authorization: Token <key>`
    (or a signed-in session); the docs list every endpoint and its fields."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    @extend_schema(exclude=True)
    def get(self, request, format=None):
        if format is not None:
            links = {
                path: reverse(f"api:{name}", request=request, format=format)
                for path, name in _listed()
            }
        else:  # the paths found and reversed once per process (a third of this request)
            links = {
                path: request.build_absolute_uri(url)
                for path, url in _listed_urls(get_script_prefix())
            }
        return Response(links)

    def get_view_name(self):
        return "Profiles API"
