from web.profiles.sections import Section, register

register(
    Section(
        "subscriptions", "Subscriptions", "subscriptions:profile", "subscriptions/section.html", 40
    )
)
