"""Password reset: the mail is sent (or its failure shown, whatever the address), and the
answer takes as long for an address no account has as for one that exists."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from web.accounts import views

pytestmark = pytest.mark.django_db
URL = "/accounts/password_reset/"


def test_a_known_address_gets_the_reset_link(client, bob):
    response = client.post(URL, {"email": bob.email})
    assert response.status_code == 302 and response["Location"].endswith("/done/")
    [message] = mail.outbox
    assert message.to == [bob.email]
    assert "/accounts/reset/" in message.body


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, bob):
    response = client.post(URL, {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"].endswith("/done/")
    assert mail.outbox == []


class BrokenServer(EmailBackend):
    """A mail server that cannot be reached."""

    def open(self):
        raise smtplib.SMTPConnectError(421, "unreachable")


@pytest.mark.parametrize("known", [True, False])
def test_a_mail_server_down_is_shown_whatever_the_address(client, bob, settings, known):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenServer"
    response = client.post(URL, {"email": bob.email if known else "nobody@example.com"})
    assert response.status_code == 200
    assert views.NOT_SENT in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("known", [True, False])
def test_the_answer_waits_for_the_same_floor_known_or_not(
    client, bob, settings, monkeypatch, known
):
    settings.PASSWORD_RESET_MIN_SECONDS = 1.0
    clock = iter([100.0, 100.25])  # the work itself took 0.25 s
    slept = []
    monkeypatch.setattr(views.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(views.time, "sleep", slept.append)
    client.post(URL, {"email": bob.email if known else "nobody@example.com"})
    assert slept == [0.75]  # answered at the floor: 1 s after the request began
