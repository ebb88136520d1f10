"""The standard profile fields and the data tabs they are grouped in by default."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StandardField:
    label: str
    editable: bool = True


STANDARD_FIELDS = {
    "profile_id": StandardField("Profile ID", editable=False),
    "email": StandardField("Email"),
    "phones": StandardField("Phones"),
    "status": StandardField("Global status"),
    "first_name": StandardField("First name"),
    "middle_name": StandardField("Middle name"),
    "last_name": StandardField("Last name"),
    "gender": StandardField("Gender"),
    "birthday": StandardField("Birthday"),
    "language": StandardField("Language"),
    "latitude": StandardField("Latitude"),
    "longitude": StandardField("Longitude"),
    "reg_date": StandardField("Registration date"),
    "reg_source": StandardField("Registration source"),
    "reg_ip": StandardField("Reg IP"),
    "reg_country": StandardField("Reg Country"),
    "reg_city": StandardField("Reg City"),
    "ip": StandardField("IP"),
    "country": StandardField("Country"),
    "region": StandardField("Region"),
    "city": StandardField("City"),
    "zip_code": StandardField("ZIP code"),
    "timezone": StandardField("Timezone"),
    "utm_source": StandardField("UTM source"),
    "utm_medium": StandardField("UTM medium"),
    "utm_campaign": StandardField("UTM campaign"),
    "utm_term": StandardField("UTM term"),
    "utm_content": StandardField("UTM content"),
    "in_control_group": StandardField("In global control group"),
    "created_at": StandardField("Created", editable=False),
    "updated_at": StandardField("Updated", editable=False),
}

# (slug, label, default fields). "additional" shows the database's custom fields.
STANDARD_TABS = [
    (
        "main",
        "Main",
        ["first_name", "last_name", "email", "phones", "city", "latitude", "longitude"],
    ),
    (
        "personal",
        "Personal",
        ["first_name", "middle_name", "last_name", "gender", "birthday", "language"],
    ),
    ("contact", "Contact", ["email", "phones"]),
    ("reg", "Reg. data", ["reg_date", "reg_source", "reg_ip", "reg_country", "reg_city"]),
    (
        "tracked",
        "Tracked",
        [
            "ip",
            "country",
            "region",
            "city",
            "zip_code",
            "timezone",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
        ],
    ),
    ("additional", "Additional fields", []),
]
