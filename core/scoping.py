"""Which rows a user may see: those of the profile databases the user is a member of.

Every object belongs to one profile database, directly (a custom field, a profile, a
segment) or through its profile (a subscription, an event, a membership). ``visible`` is the
one rule, used by the querysets, the pages, the API and the admin alike:

- an active superuser sees every database;
- anyone else needs the permission to view profiles, and then sees the databases they are
  a member of;
- nobody else sees anything.

A row of a database the user may not see does not exist for them (the pages and the API
answer 404, the admin leaves it out of its lists).

The rows of another model shown with a profile (its orders, subscriptions, promo codes…)
also need that model's view permission, ``view_permission``: what the API's model
permissions ask of a GET, and what the profile page's parts and the personal-data export
check (orders: ``market.view_order``).
"""

from django.contrib.auth import get_permission_codename

VIEW_PROFILES = "profiles.view_profile"


def may_see_every_database(user):
    return user.is_authenticated and user.is_active and user.is_superuser


def view_permission(model):
    """Return the permission to read rows of ``model``, e.g. ``"market.view_order"``, or
    the one the model names as its ``read_permission`` (a profile's loyalty memberships
    are read with ``profiles.view_profile``, as the profile's own data)."""
    opts = model._meta
    default = f"{opts.app_label}.{get_permission_codename('view', opts)}"
    return getattr(model, "read_permission", default)


def visible(queryset, user, database="database"):
    """Return the rows of ``queryset`` in the profile databases ``user`` may see.

    ``database`` is the lookup from the rows to their profile database: ``"database"``
    for a profile, ``"profile__database"`` for a subscription, ``""`` for the databases
    themselves.
    """
    if may_see_every_database(user):
        return queryset
    if not (user.is_authenticated and user.is_active and user.has_perm(VIEW_PROFILES)):
        return queryset.none()
    if not database:
        return queryset.filter(members=user)
    # A subquery of the user's databases, so the scope adds no join to the rows' query.
    databases = _database_model(queryset.model, database)._default_manager.filter(members=user)
    return queryset.filter(**{f"{database}__in": databases.values("pk")})


def _database_model(model, lookup):
    for name in lookup.split("__"):
        model = model._meta.get_field(name).related_model
    return model
