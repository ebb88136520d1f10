"""Form submissions: the visitor's profile created or updated, the submission kept.

``submit`` checks a submission once, then writes it whole or not at all:

- the values of the form's fields go to the profile fields they map to, checked by
  ``profiles.models.check_profile_values`` like any other write of a profile (a bad value is
  an error named ``data.<form field>``, and nothing is written);
- the profile is found by the email (the form's field mapped to ``email``, required) in the
  form's database: updated when found, created otherwise (recorded as ``import_api``);
- with the form's ``update_utm`` on, the submission's ``utm`` tags become the profile's
  (all five: a tag it lacks is cleared, as for a tagged click); a tag is named with or
  without its ``utm_`` prefix (``source`` is ``utm_source``) and kept by its full name;
- the submission is kept with all its data — keys no field of the form names too (they are
  not mapped to the profile, and the answer lists them as ``unmapped``) — and recorded as a
  ``form_submitted`` event;
- an ``anonymous_id`` identifies the visitor: its anonymous pixel hits join the profile.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.locks import lock_keys
from core.text import normalize_email
from history.services import record_event
from profiles.models import Profile, check_profile_values, locate
from webforms.models import CUSTOM_PREFIX, UTM_TAGS, Submission, data_errors

from .pixels import clean_anonymous_id, join_anonymous_hits
from .profiles import create_profile, update_profile

SOURCE = "api"  # how a profile created by a form came (an import_api event)


@dataclass
class SubmitResult:
    profile: Profile
    submission: Submission
    created: bool
    joined: int = 0  # anonymous pixel hits that joined the profile
    unmapped: list = field(default_factory=list)  # data keys no form field names


# A tag may be sent without its prefix, as sites name them (``source`` is ``utm_source``).
UTM_ALIASES = {tag.removeprefix("utm_"): tag for tag in UTM_TAGS} | {tag: tag for tag in UTM_TAGS}


def clean_utm(utm):
    """Return (the submission's UTM tags by their full names, {full name: key sent}); raise
    ValidationError naming each key sent that is no tag, or is a tag sent twice."""
    if utm is None:
        return {}, {}
    if not isinstance(utm, dict):
        raise ValidationError({"utm": ['Enter an object of UTM tags, e.g. {"utm_source": …}.']})
    errors, sent = {}, {}
    for key, value in utm.items():
        tag = UTM_ALIASES.get(key)
        if tag is None:
            errors[f"utm.{key}"] = [
                f"Unknown UTM tag; use {', '.join(UTM_TAGS)} (or the same without utm_)."
            ]
        elif tag in sent:
            errors[f"utm.{key}"] = [f"The tag is sent twice, as {sent[tag]} and {key}."]
        elif value is not None and not isinstance(value, str):
            errors[f"utm.{key}"] = ["Enter the tag as text."]
        sent.setdefault(tag, key)
    if errors:
        raise ValidationError(errors)
    tags = {UTM_ALIASES[key]: value for key, value in utm.items() if value}
    return tags, sent


def mapped_values(form, data):
    """Return (profile values, {profile value key: data key}) of the fields the data fills."""
    values, custom, origin = {}, {}, {}
    for item in form.fields:
        name, target = item["name"], item["maps_to"]
        if name not in data:
            continue
        if target.startswith(CUSTOM_PREFIX):
            custom_name = target[len(CUSTOM_PREFIX) :]
            custom[custom_name] = data[name]
            origin[f"custom_values.{custom_name}"] = name
        else:
            values[target] = data[name]
            origin[target] = name
    if custom:
        values["custom_values"] = custom
    return values, origin


def _renamed(error, origin, utm_origin=None):
    """Name a profile check's errors by the submission's keys: ``data.<form field>``,
    ``utm.<tag as sent>``; a required custom field the form lacks as ``data.fields.<name>``."""
    renamed = {}
    for key, messages in error.message_dict.items():
        if key in origin:
            renamed[f"data.{origin[key]}"] = messages
        elif key in UTM_TAGS:
            renamed[f"utm.{(utm_origin or {}).get(key, key)}"] = messages
        elif key.startswith("custom_values."):
            renamed[f"data.{CUSTOM_PREFIX}{key.partition('.')[2]}"] = messages
        else:
            renamed[f"data.{key}"] = messages
    return ValidationError(renamed)


def _write_profile(database, values, profile, checked):
    """Create or update the submission's profile; return it and whether it is new."""
    if profile is not None:
        return update_profile(profile, checked, source=SOURCE), False
    try:
        return create_profile(database, checked, source=SOURCE), True
    except ValidationError:
        # An import created a profile of this email meanwhile (it does not wait for this
        # lock: the email's unique constraint made the insert wait for it): update that one.
        profile = Profile.objects.filter(database=database, email=values["email"]).first()
        if profile is None:
            raise
    checked = check_profile_values(database, locate(values, profile), profile=profile)
    return update_profile(profile, checked, source=SOURCE), False


@transaction.atomic
def submit(form, data, *, utm=None, anonymous_id=None, submitted_at=None):
    """Record a submission of ``form``; return what it did (``SubmitResult``).

    Raise ValidationError keyed ``data.<form field>``, ``utm.<tag>`` or ``anonymous_id``
    (nothing written) for a submission without the email, with a bad value, or of a bad shape.
    """
    problems = data_errors(data, "data")
    if problems:
        raise ValidationError({"data": problems})
    utm_problems = data_errors(utm, "utm") if utm is not None else []
    if utm_problems:
        raise ValidationError({"utm": utm_problems})
    tags, utm_origin = clean_utm(utm)
    anonymous_id = clean_anonymous_id(anonymous_id)
    email_field = form.email_field()
    if email_field is None:  # a form stored before its fields were checked
        raise ValidationError(f"Form “{form.name}” maps no field to email; fix its fields.")
    email = data.get(email_field)
    if not isinstance(email, str) or not email.strip():
        raise ValidationError(
            {f"data.{email_field}": ["Enter the email: the submission is matched by it."]}
        )
    database = form.database
    values, origin = mapped_values(form, data)
    values["email"] = normalize_email(email)
    if form.update_utm and tags:
        values |= {tag: tags.get(tag, "") for tag in UTM_TAGS}
    lock_keys([(f"webform:{database.pk}:email", values["email"])])  # one email's take turns
    profile = Profile.objects.filter(database=database, email=values["email"]).first()
    try:
        if profile is None:
            checked = check_profile_values(database, locate(values))
        else:
            checked = check_profile_values(database, locate(values, profile), profile=profile)
    except ValidationError as error:
        raise _renamed(error, origin, utm_origin) from None
    submitted_at = submitted_at or timezone.now()
    try:
        profile, created = _write_profile(database, values, profile, checked)
    except ValidationError as error:
        raise _renamed(error, origin, utm_origin) from None
    submission = Submission.objects.create(
        form=form,
        profile=profile,
        data=data,
        utm=tags,
        anonymous_id=anonymous_id or "",
        submitted_at=submitted_at,
    )
    record_event(
        profile,
        "form_submitted",
        {"form": form.name, "submission": submission.pk},
        occurred_at=submitted_at,
    )
    joined = join_anonymous_hits(profile, anonymous_id) if anonymous_id else 0
    known = {item["name"] for item in form.fields}
    unmapped = [key for key in data if key not in known]
    return SubmitResult(profile, submission, created, joined, unmapped)
