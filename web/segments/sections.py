from web.profiles.sections import Section, register

register(Section("interactions", "Interactions", "segments:profile", "segments/section.html", 20))
