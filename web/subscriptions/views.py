"""The Subscriptions section of the profile page, its in-place changes and the opt-in link.

Every change answers an htmx request with the section's ``body`` partial (swapped over
``#subscriptions``) and a plain request with a redirect (Post/Redirect/Get); an invalid
form is shown again with its errors beside the fields (status 200 so htmx swaps it).
"""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers

from core.fieldtypes import display_value, is_empty, typed_display
from core.htmx import ANY_TARGET, after_change, render_partials
from core.names import language_label
from core.status import Status
from core.text import whole_number
from operations import subscriptions as operations
from subscriptions.models import (
    CHANNEL_LIMIT,
    DEVICE_FIELDS,
    PROFILE_LIMIT,
    Channel,
    Resource,
    Subscription,
    SuppressedAddress,
    choose_recipient,
)
from web.profiles.access import get_profile_for_user
from web.profiles.sections import render_section
from web.templatetags.moments import moment_html

from .forms import FieldsForm, RowForm, SubscriptionForm

VIEW = "subscriptions.view_subscription"
ADD = "subscriptions.add_subscription"
CHANGE = "subscriptions.change_subscription"
DELETE = "subscriptions.delete_subscription"
TEMPLATE = "subscriptions/section.html"


@dataclass
class Row:
    subscription: Subscription
    form: RowForm
    receives: bool = False
    suppressed: bool = False
    confirmation_url: str = ""
    category_errors: list = field(default_factory=list)
    fields_form: FieldsForm | None = None  # the device and custom fields, being edited
    urls: dict = field(default_factory=dict)  # change, delete, categories, fields

    def categories(self):
        """Return (category, subscribed) for each category of the resource."""
        subscribed = {c.pk for c in self.subscription.categories.all()}
        return [(c, c.pk in subscribed) for c in self.subscription.resource.categories.all()]

    def details(self):
        """Return (label, value) of the device, registration and custom fields that are set."""
        subscription = self.subscription
        rows = []
        for name in [*DEVICE_FIELDS, "reg_date", "reg_ip", "reg_source"]:
            value = getattr(subscription, name)
            if is_empty(value):
                continue
            display = getattr(subscription, f"get_{name}_display", None)
            label = Subscription._meta.get_field(name).verbose_name
            value = display() if display else moment_html(value)  # a time as every page has it
            if name == "platform_language":
                value = language_label(value)  # "French (fr)"
            rows.append((label[:1].upper() + label[1:], value))
        definitions = {f.name: f for f in subscription.resource.fields.all()}
        for name, value in (subscription.custom_values or {}).items():
            definition = definitions.get(name)
            if definition is None:
                rows.append((name, display_value(value)))
                continue
            value = typed_display(definition.type, value)  # a date as a date, not RFC 3339
            shown = moment_html(value) if isinstance(value, datetime) else display_value(value)
            rows.append((definition.display_label(), shown))
        return rows


# At most this many rows of a resource's channel, and of the whole section, are drawn at
# first (in priority order); "Show all" loads a channel's other rows. A profile may hold 200
# subscriptions, each an editable row: drawing them all took about half a second.
SHOWN_PER_CHANNEL = 3
SHOWN_IN_SECTION = 30


class _Brief(NamedTuple):
    """What the section reads of every subscription: enough to group it, count it and
    choose its channel's recipient (``choose_recipient`` reads these attributes)."""

    pk: int
    public_id: object
    resource_id: int
    channel_id: int
    status: str
    priority: int
    created_at: datetime
    contact: str
    deleted_at: datetime | None


@dataclass
class ChannelGroup:
    resource: Resource
    channel: object
    rows: list  # the rows drawn
    delivery: object
    count: int = 0  # the channel's subscriptions, drawn or not
    open: bool = False  # drawn whole because it was asked for (kept open across changes)
    rest_url: str = ""  # the rows after the drawn ones

    @property
    def key(self):
        return _group_key(self.resource.pk, self.channel.slug)

    @property
    def hidden(self):
        return self.count - len(self.rows)

    @property
    def receiver_hidden(self):
        """Whether the subscription that receives is among the rows not drawn."""
        receiver = self.delivery.subscription
        return receiver is not None and all(row.subscription.pk != receiver.pk for row in self.rows)


@dataclass
class ResourceGroup:
    resource: Resource
    channels: list


def _group_key(resource_id, channel_slug):
    return f"{resource_id}-{channel_slug}"


ROW_URLS = ("change", "delete", "categories", "fields")
_PLACEHOLDER = "0subscription0"


def _row_urls(profile):
    """Return a function giving a subscription's row URLs: reversed once per section, not
    four times per row."""
    patterns = {
        name: reverse(f"subscriptions:{name}", args=[profile.profile_id, _PLACEHOLDER])
        for name in ROW_URLS
    }

    def urls(subscription):
        public_id = str(subscription.public_id)
        return {name: url.replace(_PLACEHOLDER, public_id) for name, url in patterns.items()}

    return urls


def _open_groups(request, subscription=None):
    """The channels shown whole: those the marketer opened (sent back by each htmx request
    from the section) and the one of the subscription just changed, so it stays in sight."""
    data = request.POST if request.method == "POST" else request.GET
    opened = set(data.getlist("open"))
    if subscription is not None:
        opened.add(_group_key(subscription.resource_id, subscription.channel.slug))
    return opened


def _section_context(
    request,
    profile,
    *,
    form=None,
    row_forms=None,
    category_errors=None,
    fields_forms=None,
    opened=None,
    only=None,
    start=0,
):
    """Build the section: subscriptions grouped by resource then channel, by priority.

    Each channel draws its first ``SHOWN_PER_CHANNEL`` rows (the section at most
    ``SHOWN_IN_SECTION``) unless it is ``opened`` or holds a row with errors. ``only``
    (resource id, channel slug) builds that channel alone, from its row ``start``, whole.
    """
    row_forms = row_forms or {}
    fields_forms = fields_forms or {}
    category_errors = category_errors or {}
    opened = opened or set()
    with_errors = row_forms.keys() | fields_forms.keys() | category_errors.keys()
    # Every subscription is read as the few columns that group it and choose each channel's
    # recipient (a profile may hold 200); whole rows, with their categories and fields, are
    # read for the rows drawn only (below).
    subscriptions = profile.subscriptions.all()
    if only is not None:
        subscriptions = subscriptions.filter(resource_id=only[0], channel__slug=only[1])
    briefs = [
        _Brief(*values)
        for values in subscriptions.order_by(
            "resource__name",
            "resource_id",
            "channel__position",
            "channel__name",
            "priority",
            "created_at",
            "id",
        ).values_list(*_Brief._fields)
    ]
    resources = Resource.objects.in_bulk({b.resource_id for b in briefs})
    channels = Channel.objects.in_bulk({b.channel_id for b in briefs})
    contacts = {b.contact for b in briefs} | {profile.email}
    suppressed = SuppressedAddress.objects.among(contacts)
    rest_url = reverse("subscriptions:rows", args=[profile.profile_id])
    budget = SHOWN_IN_SECTION
    groups, drawn_of = [], []  # drawn_of: (channel group, the briefs it draws)
    for resource_id, in_resource in groupby(briefs, key=lambda b: b.resource_id):
        resource, in_channels = resources[resource_id], []
        for channel_id, in_channel in groupby(in_resource, key=lambda b: b.channel_id):
            in_channel = list(in_channel)
            delivery = choose_recipient(profile, in_channel, suppressed)
            group = ChannelGroup(resource, channels[channel_id], [], delivery, len(in_channel))
            group.open = group.key in opened
            if (
                only is not None
                or group.open
                or any(b.public_id in with_errors for b in in_channel)
            ):
                drawn = in_channel[start:]
            else:
                drawn = in_channel[: max(0, min(SHOWN_PER_CHANNEL, budget))]
            budget -= len(drawn)
            drawn_of.append((group, drawn))
            if len(drawn) < group.count:  # rows left for "Show all"
                query = urlencode(
                    {"resource": resource_id, "channel": group.channel.slug, "start": len(drawn)}
                )
                group.rest_url = f"{rest_url}?{query}"
            in_channels.append(group)
        groups.append(ResourceGroup(resource, in_channels))
    whole = Subscription.objects.prefetch_related("categories").in_bulk(
        [brief.pk for _, drawn in drawn_of for brief in drawn]
    )
    prefetch_related_objects(list(resources.values()), "categories", "fields")
    row_urls = _row_urls(profile)
    for group, drawn in drawn_of:
        receiver = group.delivery.subscription  # a brief: its contact is shown when hidden
        for brief in drawn:
            subscription = whole[brief.pk]
            subscription.profile = profile
            subscription.resource = group.resource
            subscription.channel = group.channel
            public_id = subscription.public_id
            group.rows.append(
                Row(
                    subscription,
                    row_forms.get(public_id) or RowForm(subscription=subscription),
                    receives=receiver is not None and receiver.pk == brief.pk,
                    suppressed=subscription.contact.lower() in suppressed,
                    confirmation_url=(
                        request.build_absolute_uri(subscription.confirmation_path())
                        if subscription.status == Status.UNCONFIRMED
                        else ""
                    ),
                    category_errors=category_errors.get(public_id, []),
                    fields_form=fields_forms.get(public_id),
                    urls=row_urls(subscription),
                )
            )
    user = request.user
    return {
        "groups": groups,
        "subscription_count": len(briefs),
        "global_blocked": profile.status != Status.SUBSCRIBED,
        "suppressed": profile.email.lower() in suppressed,
        "form": form,  # None: the add form is read when it is opened (add_subscription)
        "add_open": form is not None,
        "can_add": user.has_perm(ADD),
        "can_change": user.has_perm(CHANGE),
        "can_delete": user.has_perm(DELETE),
    }


def _empty_form(profile, initial=None, resource=None):
    if resource is None:
        resources = list(Resource.objects.all()[:2])
        resource = resources[0] if len(resources) == 1 else None
    return SubscriptionForm(initial=initial, resource=resource, add_url=_add_url(profile))


def _add_url(profile):
    return reverse("subscriptions:add", args=[profile.profile_id])


def _section_url(profile):
    return reverse("subscriptions:profile", args=[profile.profile_id])


def _answer(request, profile, changed=None, **kwargs):
    """Answer a change: the section body for htmx, else the whole page with the section
    (the ``changed`` subscription's channel drawn whole)."""
    ctx = _section_context(request, profile, opened=_open_groups(request, changed), **kwargs)
    return render_section(request, profile, "subscriptions", ctx, partials={ANY_TARGET: "body"})


def _done(request, profile, message="", changed=None):
    """After a valid change: the updated section for htmx, a redirect (PRG) otherwise; the
    message says what changed (in ``#messages``, swapped out of band for htmx)."""
    return after_change(
        request,
        fragment=lambda: _answer(request, profile, changed),
        redirect_to=_section_url(profile),
        message=message,
    )


def _named(subscription):
    return f"{subscription.contact} ({subscription.resource.name}, {subscription.channel.name})"


def _added_message(subscription, replaced):
    """Say what was added, and which subscriptions a limit made it replace."""
    text = f"Subscription {_named(subscription)} added."
    if replaced:
        names = "; ".join(_named(old) for old in replaced)
        text += (
            f" The limit of {CHANNEL_LIMIT} subscriptions per resource and channel "
            f"({PROFILE_LIMIT} per profile) was reached: it replaced {names}."
        )
    return text


def _subscription(profile, subscription_id):
    subscription = get_object_or_404(
        profile.subscriptions.select_related("resource", "channel"), public_id=subscription_id
    )
    subscription.profile = profile
    return subscription


@login_required
@require_safe
@vary_on_headers("HX-Request", "HX-Target")
def profile_subscriptions(request, profile_id):
    """The Subscriptions section: the profile's subscriptions grouped by resource and channel."""
    profile = get_profile_for_user(request, profile_id, VIEW)
    ctx = _section_context(request, profile, opened=_open_groups(request))
    return render_section(request, profile, "subscriptions", ctx)


@login_required
@require_safe
def subscription_rows(request, profile_id):
    """The rows of a resource's channel after the first ``start`` (its "Show all")."""
    profile = get_profile_for_user(request, profile_id, VIEW)
    resource = whole_number(request.GET.get("resource", ""))
    start = whole_number(request.GET.get("start", "")) or 0
    if resource is None:
        raise Http404("No such resource.")
    only = (resource, request.GET.get("channel", ""))
    ctx = _section_context(request, profile, only=only, start=min(start, PROFILE_LIMIT))
    groups = [channel for group in ctx["groups"] for channel in group.channels]
    ctx |= {"profile": profile, "group": groups[0] if groups else None}
    return render_partials(request, TEMPLATE, ctx, ["rest"])


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def add_subscription(request, profile_id):
    """Add a subscription; GET shows the form for the chosen resource (its channels, fields)."""
    profile = get_profile_for_user(request, profile_id, ADD)
    if request.method == "GET":
        initial = {k: v for k, v in request.GET.items() if k not in ("resource", "channel", "open")}
        if "resource" in request.GET:  # chosen in the form
            chosen = request.GET["resource"]
            resource = Resource.objects.filter(pk=chosen).first() if whole_number(chosen) else None
            form = SubscriptionForm(initial=initial, resource=resource, add_url=_add_url(profile))
        else:  # the form opened: the only resource, if there is one, is chosen already
            form = _empty_form(profile, initial)
        if request.htmx:  # the form alone, reloaded for the chosen resource
            return render_partials(
                request, TEMPLATE, {"profile": profile, "form": form}, ["add-form"]
            )
        return _answer(request, profile, form=form)
    form = SubscriptionForm(request.POST, add_url=_add_url(profile))
    subscription = form.subscribe(profile)
    if subscription is None:
        return _answer(request, profile, form=form)
    return _done(request, profile, _added_message(subscription, form.replaced), subscription)


@login_required
@require_POST
def change_subscription(request, profile_id, subscription_id):
    """Change a subscription's status and priority in place."""
    profile = get_profile_for_user(request, profile_id, CHANGE)
    subscription = _subscription(profile, subscription_id)
    form = RowForm(request.POST, subscription=subscription)
    if not form.save():
        return _answer(request, profile, subscription, row_forms={subscription.public_id: form})
    status = subscription.get_status_display().lower()
    message = f"Subscription {_named(subscription)} saved: {status}, priority "
    return _done(request, profile, f"{message}{subscription.priority}.", subscription)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def change_fields(request, profile_id, subscription_id):
    """Change a subscription's device and custom fields; GET shows the form in its row."""
    profile = get_profile_for_user(request, profile_id, CHANGE)
    subscription = _subscription(profile, subscription_id)
    data = request.POST if request.method == "POST" else None
    form = FieldsForm(data, subscription=subscription)
    if request.method == "POST" and form.save():
        return _done(request, profile, f"Fields of {_named(subscription)} saved.", subscription)
    if request.method == "GET" and request.htmx:  # the form alone, opened in its row
        ctx = {"profile": profile, "row": Row(subscription, None, fields_form=form)}
        return render_partials(request, TEMPLATE, ctx, ["fields-form"])
    return _answer(request, profile, subscription, fields_forms={subscription.public_id: form})


@login_required
@require_POST
def change_categories(request, profile_id, subscription_id):
    """Subscribe a subscription to exactly the checked categories."""
    profile = get_profile_for_user(request, profile_id, CHANGE)
    subscription = _subscription(profile, subscription_id)
    try:
        operations.set_categories(subscription, request.POST.getlist("categories"))
    except ValidationError as error:
        errors = {subscription.public_id: error.messages}
        return _answer(request, profile, subscription, category_errors=errors)
    names = ", ".join(c.name for c in subscription.categories.order_by("name")) or "none"
    message = f"Categories of {_named(subscription)} saved: {names}."
    return _done(request, profile, message, subscription)


@login_required
@require_POST
def delete_subscription(request, profile_id, subscription_id):
    """Delete a subscription (kept as deleted until a limit needs its place)."""
    profile = get_profile_for_user(request, profile_id, DELETE)
    subscription = _subscription(profile, subscription_id)
    operations.delete_subscription(subscription)
    return _done(request, profile, f"Subscription {_named(subscription)} deleted.", subscription)


@require_GET
def confirm(request, token):
    """The double opt-in link (public: the subscriber opens it from a message).

    A valid link confirms the subscription (and an unconfirmed profile) and records the
    click; a tampered link answers 400, an expired one 410, one whose subscription is
    gone 404. A link works for ``CONFIRMATION_MAX_AGE`` (7 days).
    """
    try:
        subscription, confirmed = operations.open_confirmation_link(
            token, url=request.build_absolute_uri()
        )
    except operations.ConfirmationRefused as refusal:
        status = {"invalid": 400, "expired": 410, "gone": 404}[refusal.reason]
        return render(request, "subscriptions/confirm.html", {"refusal": refusal}, status=status)
    ctx = {"subscription": subscription, "confirmed": confirmed}
    return render(request, "subscriptions/confirm.html", ctx)
