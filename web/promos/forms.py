from django import forms

from promos.models import PromoCode, PromoPool


class PoolChoiceField(forms.ModelChoiceField):
    """A pool of the profile's database, offered with how many codes are free."""

    def label_from_instance(self, pool):
        free = getattr(pool, "free_total", None)
        return pool.name if free is None else f"{pool.name} ({free} free)"


class AttachForm(forms.Form):
    """Choose a pool to take a free code from. The select offers the open pools with a free
    code; any pool of the database is accepted, so one emptied or expired since the page was
    shown reaches the operation, which says why."""

    pool = PoolChoiceField(
        label="Attach a code from",
        queryset=PromoPool.objects.none(),
        empty_label="Choose a pool…",
        error_messages={
            "required": "Choose a pool to take a code from.",
            "invalid_choice": "Choose a pool of this profile's database.",
        },
    )

    def __init__(self, *args, profile, offered=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["pool"]
        field.queryset = PromoPool.objects.filter(database_id=profile.database_id)
        if offered is not None:
            field.choices = [("", field.empty_label)] + [
                (pool.pk, field.label_from_instance(pool)) for pool in offered
            ]


class CodeChoiceForm(forms.Form):
    """One of the profile's codes (activate, detach)."""

    code = forms.ModelChoiceField(
        queryset=PromoCode.objects.none(),
        error_messages={
            "required": "Choose a code.",
            "invalid_choice": "That code is not attached to this profile.",
        },
    )

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = PromoCode.objects.filter(profile=profile).select_related(
            "pool"
        )
