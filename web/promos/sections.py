"""The Data section's "Promo codes" part: the profile's codes with their status, and (for
who may) the form to attach a code of a pool, and Activate / Detach per code.

It reads a bounded number of rows whatever the profile holds: the latest
``CODES_SHOWN`` codes with their pools (one query), their total (one count), and the open
pools with free codes counted (one query).
"""

from operations.promos import free_pools
from promos.models import PromoCode
from web.profiles.sections import Part, register_part

from .forms import AttachForm

SECTION = "data"
PART = "promo-codes"
CODES_SHOWN = 50
VIEW_CODE = "promos.view_promocode"
ATTACH = "promos.attach_promocode"
BADGES = {
    PromoCode.Status.ATTACHED: "status-unconfirmed",
    PromoCode.Status.ACTIVATED: "status-subscribed",
    PromoCode.Status.EXPIRED: "status-unsubscribed",
}


def promo_codes_context(request, profile):
    """The profile's latest codes, and the attach form for who may attach."""
    user = request.user
    if not user.has_perm(VIEW_CODE):
        return {"promo_visible": False}
    codes = list(
        PromoCode.objects.filter(profile=profile)
        .select_related("pool")
        .order_by("-attached_at", "-id")[: CODES_SHOWN + 1]
    )
    more = len(codes) > CODES_SHOWN
    codes = codes[:CODES_SHOWN]
    rows = [(code, code.state, BADGES.get(code.state, "")) for code in codes]
    ctx = {
        "promo_visible": True,
        "promo_rows": rows,
        "promo_total": PromoCode.objects.filter(profile=profile).count() if more else len(rows),
        "promo_can_attach": user.has_perm(ATTACH),
    }
    if ctx["promo_can_attach"]:
        pools = list(free_pools(profile.database_id))
        ctx["promo_pools"] = pools
        ctx["promo_form"] = AttachForm(profile=profile, offered=pools)
    return ctx


register_part(SECTION, Part(PART, "promos/promo_codes.html", promo_codes_context, order=20))
