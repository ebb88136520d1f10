"""The Orders part of the profile's Data section (the market module).

Shown only to users with ``market.view_order``: for others the part is absent from the
page, not merely empty. It reads a bounded number of rows whatever the profile bought: the
latest ``ORDERS_SHOWN`` orders with their lines (one query for the orders, one for their
lines) and the number of orders in all.
"""

from market.roles import VIEW_ORDER
from web.profiles.sections import Part, register_part

SECTION = "data"
ORDERS_SHOWN = 10


def orders_context(request, profile):
    """The profile's latest orders with their lines, for who may see orders."""
    if not request.user.has_perm(VIEW_ORDER):
        return {"can_view_orders": False}
    orders = profile.orders.order_by("-created_at", "-id").prefetch_related("lines")
    shown = list(orders[:ORDERS_SHOWN])
    count = len(shown) if len(shown) < ORDERS_SHOWN else profile.orders.count()
    return {"can_view_orders": True, "orders": shown, "orders_count": count}


register_part(SECTION, Part("orders", "market/orders.html", orders_context, order=50))
