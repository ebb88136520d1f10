"""The "Add a relation" form of the Data section's Relations part."""

import json

from django import forms
from django.db.models import Q

from core.text import check_text, normalize_email
from operations.relations import DIRECTIONS, OUTGOING
from profiles.models import Profile
from relations.models import RelationType, properties_errors


class RelationForm(forms.Form):
    """Relate the profile to another of its database, found by its profile ID or email."""

    type = forms.ModelChoiceField(
        label="Relation type",
        queryset=RelationType.objects.none(),
        empty_label="Choose a type…",
        error_messages={
            "required": "Choose a relation type.",
            "invalid_choice": "Choose a relation type of this profile's database.",
        },
    )
    direction = forms.ChoiceField(
        label="Direction",
        choices=[(OUTGOING, "This profile → the other"), ("incoming", "The other → this profile")],
        initial=OUTGOING,
        error_messages={"invalid_choice": f"Choose one of: {', '.join(DIRECTIONS)}."},
    )
    other = forms.CharField(
        label="Other profile",
        max_length=254,
        help_text="Its profile ID or email, in the same database.",
        error_messages={"required": "Enter the other profile's profile ID or email."},
        widget=forms.TextInput(attrs={"placeholder": "Profile ID or email", "autocomplete": "off"}),
    )
    properties = forms.CharField(
        label="Properties (optional)",
        required=False,
        max_length=10_000,
        help_text='A JSON object, e.g. {"source": "spring campaign"}.',
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.fields["type"].queryset = RelationType.objects.filter(database_id=profile.database_id)

    def clean_other(self):
        """Find the other profile in this profile's database by profile ID or email."""
        text = check_text(self.cleaned_data["other"]).strip()
        wanted = normalize_email(text)
        database = self.profile.database
        found = list(
            Profile.objects.filter(database=database)
            .filter(Q(profile_id=wanted) | Q(email=wanted))
            .select_related("database")[:2]
        )
        if not found:
            raise forms.ValidationError(
                f"No profile of database “{database}” has the profile ID or email “{text}”."
            )
        if len(found) > 1:
            raise forms.ValidationError(
                f"Several profiles of “{database}” match “{text}”: enter the profile ID."
            )
        return found[0]

    def clean_properties(self):
        text = check_text(self.cleaned_data["properties"]).strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            raise forms.ValidationError(
                'Enter the properties as JSON, e.g. {"source": "spring campaign"}.'
            ) from None
        problems = properties_errors(value)
        if problems:
            raise forms.ValidationError(problems)
        return value
