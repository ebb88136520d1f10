import django_filters
from django.db.models import Q

from core.status import Status
from core.text import normalize_email, normalize_phone

from .models import Profile, ProfileDatabase


def visible_databases(request):
    if request is None:
        return ProfileDatabase.objects.none()
    return ProfileDatabase.objects.visible_to(request.user)


class DatabaseFilterSet(django_filters.FilterSet):
    """``?database=<id>``, among the databases the user may see, for objects of a database."""

    database = django_filters.ModelChoiceFilter(queryset=visible_databases)


class ProfileFilter(DatabaseFilterSet):
    """Filters of the profile list, shared by the page and the API."""

    search = django_filters.CharFilter(method="filter_search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
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
        try:
            number = normalize_phone(value)
        except Exception:  # an unparseable phone matches nothing
            return queryset.none()
        return queryset.filter(Q(phone_index__number=number)).distinct()
