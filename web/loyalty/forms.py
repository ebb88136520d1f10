from django import forms

from core.text import validate_text
from loyalty.models import MAX_POINTS, REASON_MAX_LENGTH, Program


class EnrolForm(forms.Form):
    """Choose a program of the profile's database. The select offers the active programs
    the profile is not in (``offered``); another of the database reaches ``enrol``, which
    says why it is refused."""

    program = forms.ModelChoiceField(
        label="Enrol in a program",
        queryset=Program.objects.none(),
        empty_label="Choose a program…",
        error_messages={
            "required": "Choose a loyalty program.",
            "invalid_choice": "Choose a loyalty program of this profile's database.",
        },
    )

    def __init__(self, *args, profile, offered=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        field.queryset = Program.objects.filter(database_id=profile.database_id).select_related(
            "database"
        )
        if offered is not None:
            field.widget.choices = [("", field.empty_label)] + [(p.pk, p.name) for p in offered]


class TransactionForm(forms.Form):
    """Points for one membership: positive adds, negative writes off (with a reason)."""

    program = forms.IntegerField(widget=forms.HiddenInput)
    points = forms.IntegerField(
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        help_text="Positive: an accrual; negative: a write-off.",
        error_messages={"required": "Enter the points, e.g. 100 or -50."},
        widget=forms.NumberInput(attrs={"step": 1, "placeholder": "100 or -50"}),
    )
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        validators=[validate_text],
        help_text="Required for a write-off.",
    )

    def __init__(self, *args, program_id=None, **kwargs):
        # Field ids unique per membership: each program has its own form on the page.
        kwargs.setdefault("auto_id", f"id_loyalty{program_id or ''}_%s")
        super().__init__(*args, **kwargs)
        if program_id is not None:
            self.initial.setdefault("program", program_id)
