"""Logging in and out."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_shows_the_login_form(client):
    html = client.get("/accounts/login/").content.decode()
    for needle in ('name="username"', 'name="password"', 'type="submit"'):
        assert needle in html


def test_it_sends_a_user_to_the_profiles_after_login(client, bob):
    response = client.post(
        "/accounts/login/", {"username": "bob", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("profiles:list")


def test_it_rejects_a_wrong_password(client, bob):
    response = client.post("/accounts/login/", {"username": "bob", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_it_shows_the_admin_link_to_staff_only(client, bob, alice):
    client.force_login(bob)
    html = client.get(reverse("profiles:list")).content.decode()
    assert ">Admin</a>" not in html and ">API docs</a>" in html and "Log out" in html
    client.force_login(alice)
    assert ">Admin</a>" in client.get(reverse("profiles:list")).content.decode()


def test_it_logs_out_with_a_post(client, bob):
    client.force_login(bob)
    client.post(reverse("logout"))
    assert client.get(reverse("profiles:list")).status_code == 302
