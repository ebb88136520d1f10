"""The avatar outside DEBUG: the admin's preview and the API's ``avatar`` URL lead to views
that check the user may see the profile; media files are never served from a public URL."""

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "orange").save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="avatar.png")


@pytest.fixture
def profile(database):
    profile = ProfileFactory(database=database)
    profile.avatar.save("avatar.png", png())
    return profile


def api_avatar_url(profile):
    return f"http://testserver/api/v1/profiles/{profile.profile_id}/avatar/"


def test_the_api_gives_the_avatars_api_url(as_bob, profile, settings):
    assert settings.DEBUG is False
    data = as_bob.get(f"/api/v1/profiles/{profile.profile_id}/").json()
    assert data["avatar"] == api_avatar_url(profile)
    assert "/media/" not in data["avatar"]


def test_the_api_gives_null_without_an_avatar(as_bob, database):
    plain = ProfileFactory(database=database)
    assert as_bob.get(f"/api/v1/profiles/{plain.profile_id}/").json()["avatar"] is None
    response = as_bob.get(api_avatar_url(plain))
    assert response.status_code == 404
    assert response.json() == {"detail": "This profile has no avatar."}


@pytest.mark.parametrize("accept", ["image/avif,image/webp,image/*,*/*;q=0.8", "image/png", ""])
def test_the_api_sends_the_image_to_who_may_see_the_profile(as_bob, profile, accept):
    response = as_bob.get(api_avatar_url(profile), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_the_api_hides_the_avatar_of_another_databases_profile(as_bob):
    stranger = ProfileFactory()
    stranger.avatar.save("avatar.png", png())
    assert as_bob.get(api_avatar_url(stranger), HTTP_ACCEPT="image/*").status_code == 404


def test_the_api_refuses_the_avatar_to_a_user_without_access(api_client, charlie, profile):
    assert api_client.get(api_avatar_url(profile)).status_code == 401
    api_client.force_authenticate(charlie)
    assert api_client.get(api_avatar_url(profile)).status_code == 403


def test_the_admin_previews_the_avatar_through_the_checked_view(client, alice, profile):
    client.force_login(alice)
    page = client.get(reverse("admin:profiles_profile_change", args=[profile.pk]))
    html = page.content.decode()
    avatar_url = reverse("profiles:avatar", args=[profile.profile_id])
    assert f'<img src="{avatar_url}" alt="" width="64" height="64" class="avatar-preview">' in html
    assert "style=" not in html.split('class="form-row field-avatar_preview')[1][:400]
    assert "/static/css/admin.css" in html
    image = client.get(avatar_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_the_media_folder_is_not_served(client, alice, profile):
    client.force_login(alice)
    assert client.get(f"/media/{profile.avatar.name}").status_code == 404
