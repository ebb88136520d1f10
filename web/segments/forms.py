from django import forms

from segments.models import Segment


class SegmentChoiceForm(forms.Form):
    """Choose a static segment of the profile's database that the profile is not in yet."""

    segment = forms.ModelChoiceField(
        label="Static segment",
        queryset=Segment.objects.none(),
        empty_label="Choose a segment…",
        error_messages={"invalid_choice": "Choose a segment of this profile's database."},
    )

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(
            database_id=profile.database_id
        ).exclude(memberships__profile=profile)
