from web.profiles.sections import Section, register

register(Section("history", "History", "history:profile", "history/section.html", order=10))
