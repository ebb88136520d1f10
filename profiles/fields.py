"""The standard profile fields, declared once: each model field's label, the standard tabs
that show it by default, and where it may be written.

The profile page's tabs, the cog's choices, the edit forms, the admin form and the API's
profile object all read this table; a new standard field is one model field plus one row.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StandardField:
    name: str  # the Profile model field
    label: str
    tabs: tuple = ()  # the standard tabs showing it by default (in this table's order)
    on_tabs: bool = True  # whether a tab may show it (the cog offers it)
    editable: bool = True  # written on the pages, in the admin and over the API
    in_api: bool = True  # a key of the API's profile object


# The order is the order fields appear in on every tab, form and chooser.
STANDARD_FIELDS = [
    StandardField("profile_id", "Profile ID", editable=False),
    StandardField("md5", "MD5", on_tabs=False, editable=False),
    StandardField("xxh", "XXH", on_tabs=False, editable=False),
    StandardField("database", "Profile database", on_tabs=False),
    StandardField("status", "Global status"),
    StandardField("first_name", "First name", tabs=("main", "personal")),
    StandardField("middle_name", "Middle name", tabs=("personal",)),
    StandardField("last_name", "Last name", tabs=("main", "personal")),
    StandardField("gender", "Gender", tabs=("personal",)),
    StandardField("birthday", "Birthday", tabs=("personal",)),
    StandardField("language", "Language", tabs=("personal",)),
    StandardField("email", "Email", tabs=("main", "contact")),
    StandardField("phones", "Phones", tabs=("main", "contact")),
    StandardField("reg_date", "Registration date", tabs=("reg",)),
    StandardField("reg_source", "Registration source", tabs=("reg",)),
    StandardField("reg_ip", "Reg IP", tabs=("reg",)),
    StandardField("reg_country", "Reg Country", tabs=("reg",)),
    StandardField("reg_city", "Reg City", tabs=("reg",)),
    StandardField("ip", "IP", tabs=("tracked",)),
    StandardField("country", "Country", tabs=("tracked",)),
    StandardField("region", "Region", tabs=("tracked",)),
    StandardField("city", "City", tabs=("main", "tracked")),
    StandardField("latitude", "Latitude", tabs=("main",)),
    StandardField("longitude", "Longitude", tabs=("main",)),
    StandardField("zip_code", "ZIP code", tabs=("tracked",)),
    StandardField("timezone", "Timezone", tabs=("tracked",)),
    StandardField("utm_source", "UTM source", tabs=("tracked",)),
    StandardField("utm_medium", "UTM medium", tabs=("tracked",)),
    StandardField("utm_campaign", "UTM campaign", tabs=("tracked",)),
    StandardField("utm_term", "UTM term", tabs=("tracked",)),
    StandardField("utm_content", "UTM content", tabs=("tracked",)),
    StandardField("in_control_group", "In global control group", editable=False),
    StandardField("avatar", "Avatar", on_tabs=False, editable=False),
    StandardField("created_at", "Created", editable=False),
    StandardField("updated_at", "Updated", editable=False),
]
FIELDS_BY_NAME = {field.name: field for field in STANDARD_FIELDS}
# What a tab may show, and what a person may write (the database is chosen once, on create).
TAB_FIELDS = [field for field in STANDARD_FIELDS if field.on_tabs]
EDITABLE = [field.name for field in STANDARD_FIELDS if field.editable and field.name != "database"]

# The data tabs of every profile page (slug, label); "additional" shows the custom fields.
STANDARD_TABS = [
    ("main", "Main"),
    ("personal", "Personal"),
    ("contact", "Contact"),
    ("reg", "Reg. data"),
    ("tracked", "Tracked"),
    ("additional", "Additional fields"),
]


def default_tab_fields(slug):
    """Return the standard fields a standard tab shows until someone changes it."""
    return [field.name for field in STANDARD_FIELDS if slug in field.tabs]


# The cog groups the fields it offers under the tab each belongs to (its first standard tab
# besides Main, which repeats fields of the others); fields of no tab come last.
OTHER_FIELDS_GROUP = ("other", "Other fields")


def home_tab(field):
    """Return the slug of the standard tab a field is grouped under in the cog ("other")."""
    tabs = [slug for slug in field.tabs if slug != "main"] or list(field.tabs)
    return tabs[0] if tabs else OTHER_FIELDS_GROUP[0]
