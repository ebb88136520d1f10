"""The tags and filters a message template may use: Django's own, minus any that reaches
beyond the values given (``debug`` dumps the context, ``include``/``extends``/``load`` read
other templates or code, ``url``/``static``/``csrf_token`` the site) and any whose cost a
template can blow up (loops, which nest; padding and formatting to a width it names)."""

from django.template import Library, defaultfilters, defaulttags

register = Library()

TAGS = {"autoescape", "comment", "filter", "firstof", "if", "now", "spaceless", "templatetag"}
TAGS |= {"verbatim", "with"}
UNSAFE_FILTERS = {"center", "ljust", "rjust", "stringformat", "floatformat", "pprint"}
UNSAFE_FILTERS |= {"unordered_list", "wordwrap", "make_list", "dictsort", "dictsortreversed"}

register.tags.update({name: defaulttags.register.tags[name] for name in TAGS})
register.filters.update(
    {
        name: function
        for name, function in defaultfilters.register.filters.items()
        if name not in UNSAFE_FILTERS
    }
)
