from django import forms
from django.forms.models import ModelChoiceIterator

from interactions.models import Scenario, Trigger


class TriggerChoiceForm(forms.Form):
    """Choose a trigger of the profile's database (a disabled one too: its send records why
    it was not sent)."""

    trigger = forms.ModelChoiceField(
        queryset=Trigger.objects.none(),
        error_messages={
            "required": "Choose a trigger mailing to send.",
            "invalid_choice": "Choose a trigger mailing of this profile's database.",
        },
    )

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trigger"].queryset = Trigger.objects.filter(
            database_id=profile.database_id
        ).select_related("database", "resource", "channel")


class ActiveChoices(ModelChoiceIterator):
    """The options of the scenario select: the active scenarios only."""

    def __init__(self, field):
        super().__init__(field)
        self.queryset = self.queryset.active()


class ScenarioField(forms.ModelChoiceField):
    """Offers the active scenarios, accepts any of the database's: one paused since the page
    was shown reaches ``engage``, which says why it takes no profile."""

    iterator = ActiveChoices


class ScenarioChoiceForm(forms.Form):
    scenario = ScenarioField(
        label="Engage in a scenario",
        queryset=Scenario.objects.none(),
        empty_label="Choose a scenario…",
        error_messages={
            "required": "Choose a scenario.",
            "invalid_choice": "Choose a scenario of this profile's database.",
        },
    )

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].queryset = Scenario.objects.filter(database_id=profile.database_id)
