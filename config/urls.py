from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api_root import APIRootView
from core.transactions import atomic_writes
from web.subscriptions.views import confirm as confirm_subscription

api_patterns = [
    path("", include("web.profiles.api_urls")),
    path("", include("web.subscriptions.api_urls")),
    path("", include("web.history.api_urls")),
    path("", include("web.segments.api_urls")),
    path("", include("web.jobs.api_urls")),
    path("", include("web.imports.api_urls")),
    path("", include("web.interactions.api_urls")),
    path("", include("web.promos.api_urls")),
    path("", include("web.webforms.api_urls")),
    path("", include("web.relations.api_urls")),
    path("", include("web.market.api_urls")),
    path("", include("web.pixels.api_urls")),
    path("", include("web.loyalty.api_urls")),
    path("", APIRootView.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

# Every page's and endpoint's reads run outside a transaction, its writes inside one
# (core/transactions.py).
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="profiles:list", permanent=False), name="home"),
    # Browsers ask for /favicon.ico on pages that name none (the admin, the API's).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg")), name="favicon"),
    path("accounts/", include("web.accounts.urls")),  # before Django's: its password reset
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_patterns, "api"))),
    path("profiles/", include("web.history.urls")),
    path("profiles/", include("web.subscriptions.urls")),
    path("profiles/", include("web.segments.urls")),
    path("profiles/", include("web.interactions.urls")),
    path("profiles/", include("web.promos.urls")),
    path("profiles/", include("web.webforms.urls")),
    path("profiles/", include("web.relations.urls")),
    path("profiles/", include("web.market.urls")),
    path("profiles/", include("web.pixels.urls")),
    path("profiles/", include("web.loyalty.urls")),
    path("profiles/", include("web.audit.urls")),
    path("profiles/", include("web.profiles.urls")),
    path("jobs/", include("web.jobs.urls")),
    path("imports/", include("web.imports.urls")),
    # Public: the double opt-in link a subscriber opens from a message.
    path("subscriptions/confirm/<str:token>/", confirm_subscription, name="subscription-confirm"),
]
atomic_writes(urlpatterns)

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
