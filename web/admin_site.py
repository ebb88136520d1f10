"""Django's admin site, with "view on site" held to what the staff member may see, and lists
that survive any filter value."""

import functools

from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path

from core.text import check_text, whole_number

# Lookups that take a part of a date: the database compares a whole number within a range.
DATE_PARTS = ("year", "iso_year", "month", "day", "week", "week_day", "iso_week_day", "quarter")
DATE_PART_MAX = 9999


def bad_lookup(parameters):
    """Whether a query holds a value no column compares: text with a NUL or a lone surrogate
    (PostgreSQL refuses it mid-query), or a date part that is no whole number up to 9999."""
    for key, values in parameters.lists():
        for text in (key, *values):
            try:
                check_text(text)
            except ValidationError:
                return True
        if key.rsplit("__", 1)[-1] in DATE_PARTS:
            for value in values:
                if value != "0" and whole_number(value, DATE_PART_MAX) is None:
                    return True
    return False


class AdminSite(admin.AdminSite):
    site_header = "Profiles administration"
    site_title = "Profiles admin"
    index_title = "Administration"

    def admin_view(self, view, cacheable=False):
        """Answer a query no column compares as Django answers a lookup it cannot make: the
        list again with its error flag (never a server error)."""

        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if ERROR_FLAG not in request.GET and bad_lookup(request.GET):
                return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
            return view(request, *args, **kwargs)

        return super().admin_view(checked, cacheable)

    def get_urls(self):
        urls = super().get_urls()
        view_on_site = path(
            "r/<int:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [view_on_site if getattr(url, "name", "") == "view_on_site" else url for url in urls]

    def view_on_site(self, request, content_type_id, object_id):
        """Redirect to an object's page, if its admin shows it to this staff member.

        Django's own view looks any object up by its primary key: counting through the
        keys, a staff member limited to some profile databases would learn the profile_id
        of every profile of the others.
        """
        content_type = ContentType.objects.filter(pk=content_type_id).first()
        model_admin = self._registry.get(content_type.model_class()) if content_type else None
        if model_admin is None:
            raise Http404("No such object.")
        try:
            shown = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, ValidationError):
            shown = False
        if not shown:
            raise Http404("No such object.")
        return shortcut(request, content_type_id, object_id)
