"""Forms of the file import: the upload, and the mapping with the import's options."""

from django import forms

from profiles.models import ProfileDatabase

MODE_LABELS = {
    "upsert": "Add new and update existing",
    "insert": "Only add new profiles (existing ones are skipped)",
    "update": "Only update existing profiles (new ones are skipped)",
}


class UploadForm(forms.Form):
    """The first step: which database, which file, and whether its first row names the
    columns."""

    database = forms.ModelChoiceField(
        queryset=ProfileDatabase.objects.none(), empty_label="Choose a database…"
    )
    file = forms.FileField(help_text="CSV, XLSX, or a ZIP of them.")
    header = forms.BooleanField(label="The first row is a header", required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        databases = ProfileDatabase.objects.visible_to(user)
        self.fields["database"].queryset = databases
        if len(databases) == 1:
            self.fields["database"].initial = databases[0].pk


class MappingForm(forms.Form):
    """The second step: a target for each column of the file, then the import's options.

    Each column's select is ``column-<n>`` (column names are the file's, anything at all);
    ``mapping()`` turns them back into {column name: target}. Whether a mode, a match or a
    target is allowed is decided by the import itself (``start_file_import``), once.
    """

    mode = forms.ChoiceField(
        choices=list(MODE_LABELS.items()), initial="upsert", widget=forms.RadioSelect
    )
    match = forms.ChoiceField(label="Find existing profiles by", choices=[])
    detect_location = forms.BooleanField(
        label="Detect the location from the registration IP", required=False
    )
    skip_triggers = forms.BooleanField(label="Do not start triggers", required=False)
    segment_name = forms.CharField(
        label="Create a static segment from the imported profiles",
        required=False,
        max_length=255,
        help_text="Its name; leave it empty to create none.",
    )

    def __init__(self, *args, columns, targets, match_choices, proposed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = columns
        self.fields["match"].choices = match_choices
        choices = [value for value, _label, _group in targets]
        for number, column in enumerate(columns):
            self.fields[column_key(number)] = forms.ChoiceField(
                label=column,
                choices=[(value, value) for value in choices],
                initial=(proposed or {}).get(column, "skip"),
            )

    def column_fields(self):
        """The bound select of each column, in the file's order."""
        return [self[column_key(number)] for number in range(len(self.columns))]

    def mapping(self):
        """Return {column: target} as chosen (the raw choice when the form is not valid, so
        a preview shows whatever is selected)."""
        return {
            column: self[column_key(number)].value() or "skip"
            for number, column in enumerate(self.columns)
        }


def column_key(number):
    return f"column-{number}"
