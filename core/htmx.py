"""How a view answers: the whole page, or the part of it an htmx request swaps in.

One template serves both (django-template-partials): ``profiles/list.html`` is the page,
``profiles/list.html#results`` its results. Which one a request gets depends on the
element it swaps (``HX-Target``), decided here for every view:

    return answer(request, "profiles/list.html", ctx, partials={"results": "results"})

A plain request, and htmx restoring a page from history, get the whole page; an htmx
request gets the partial mapped to its target (``ANY_TARGET`` maps any other target), or
the whole page when nothing is mapped. A partial may bring others swapped out of band:
``("tab-content", "section-tabs")`` renders ``#section-tabs`` after it with ``oob`` set, so
its element carries ``hx-swap-oob``.

After a valid change, ``after_change`` answers htmx with the updated fragment and a plain
request with a redirect (Post/Redirect/Get); its success message reaches both
(``core.middleware.HtmxMessagesMiddleware`` swaps it into an htmx page's ``#messages``).
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

ANY_TARGET = "*"


def swap_target(request):
    """Return the id of the element an htmx request swaps ("" when it names none), or None
    when the request wants a whole page (a plain request, a history restore)."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return None
    return htmx.target or ""


def chosen_partials(request, partials):
    """Return the partial names (main first, then out of band) ``partials`` maps the
    request's target to, or () for the whole page."""
    target = swap_target(request)
    if target is None or not partials:
        return ()
    chosen = partials.get(target, partials.get(ANY_TARGET))
    if chosen is None:
        return ()
    return (chosen,) if isinstance(chosen, str) else tuple(chosen)


def answer(request, template, context, *, partials=None, status=200):
    """Render ``template`` whole, or the partials an htmx request's target is mapped to."""
    names = chosen_partials(request, partials)
    if not names:
        return render(request, template, context, status=status)
    return render_partials(request, template, context, names, status=status)


def render_partials(request, template, context, names, *, status=200):
    """Render partials of one template: the first in place, the others out of band."""
    main, *out_of_band = names
    html = render_to_string(f"{template}#{main}", context, request)
    for name in out_of_band:
        html += render_to_string(f"{template}#{name}", {**context, "oob": True}, request)
    return HttpResponse(html, status=status)


def after_change(request, *, fragment, redirect_to, message=""):
    """Answer a valid change: htmx gets the updated fragment (``fragment()`` builds it), a
    plain request a redirect to ``redirect_to``. ``message`` is a success message: shown
    on the next page, or swapped into htmx's page by ``core.middleware``."""
    if message:
        messages.success(request, message)
    if getattr(request, "htmx", None):
        return fragment()
    return redirect(redirect_to)
