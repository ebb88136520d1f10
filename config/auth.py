from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuse logins of locked-out users and IPs (django-axes).

    Only authentication over a request can be brute-forced; code that authenticates
    without one (the test client, management commands) is let through to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
