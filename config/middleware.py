from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreMiddleware:
    """Keep pages and API answers (personal data) out of every cache: Cache-Control: no-store.

    Static files are served by WhiteNoise before this middleware and keep their own caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response
