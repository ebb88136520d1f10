"""The market role: who may see and write products and orders.

Orders are not every marketer's business: the standard marketer role holds none of these
permissions, so the Orders part of the profile page, the orders API and their admin are
absent for them. A user gets them from the "Market" group (``seed_demo`` creates it) or
one by one.
"""

MARKET_GROUP = "Market"
VIEW_ORDER = "market.view_order"  # who sees orders: the API, the Data section, the admin
VIEW_PRODUCT = "market.view_product"  # who sees the catalog-wide products (of no database)
MARKET_PERMISSIONS = [
    "view_product",
    "add_product",
    "change_product",
    "delete_product",
    "view_order",
    "add_order",
    "change_order",
    "delete_order",
    "view_orderline",
    "add_orderline",
    "change_orderline",
    "delete_orderline",
]
