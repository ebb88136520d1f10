import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from core.status import Status
from core.text import normalize_email, normalize_phone

from .models import Profile, ProfileDatabase


def visible_databases(request):
    if request is None:
        return ProfileDatabase.objects.none()
    return ProfileDatabase.objects.visible_to(request.user)


class GivenModelChoiceField(forms.ModelChoiceField):
    """A choice that may be left out, but not given empty: ``?database=`` is an error naming
    it, not every database (a page drops its empty parameters before filtering)."""

    def clean(self, value):
        if value == "":
            raise ValidationError("Enter the id of a database, or leave the parameter out.")
        return super().clean(value)


class DatabaseChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = GivenModelChoiceField


class DatabaseFilterSet(django_filters.FilterSet):
    """``?database=<id>``, among the databases the user may see, for objects of a database."""

    database = DatabaseChoiceFilter(queryset=visible_databases)


class ProfileFilter(DatabaseFilterSet):
    """Filters of the profile list, shared by the page and the API."""

    search = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        help_text=(
            "Part of an email (example.com), a whole first and/or last name, a phone or its "
            "start (+33612), the start of a profile_id, a whole md5 or xxh, a subscription's "
            "contact, or field:value for a custom field (plan:gold)."
        ),
    )
    # A column of the profile: no join, so no DISTINCT (which would stop the list's keyset
    # pages reading their order's index).
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    email = django_filters.CharFilter(method="filter_email")
    phone = django_filters.CharFilter(method="filter_phone")
    md5 = django_filters.CharFilter()
    xxh = django_filters.CharFilter()
    profile_id = django_filters.CharFilter()

    class Meta:
        model = Profile
        fields = ["search", "database", "status", "email", "phone", "md5", "xxh", "profile_id"]

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_email(self, queryset, name, value):
        return queryset.filter(email=normalize_email(value))

    def filter_phone(self, queryset, name, value):
        text = value.strip()
        # Phones are kept in E.164; its "+" is often left out, or sent unencoded in a query
        # string, where it reads as a space (stripped above).
        for candidate in (text, f"+{text}") if text[:1].isdigit() else (text,):
            try:
                number = normalize_phone(candidate)
            except ValidationError:  # not a phone: the next reading, or no match
                continue
            return queryset.filter(Q(phone_index__number=number)).distinct()
        return queryset.none()
