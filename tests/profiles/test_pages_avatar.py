"""The avatar: validated upload, replacement, removal, served only to allowed users."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


def image_file(fmt="PNG", name="me.png", size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database)


def url(profile, name):
    return reverse(f"profiles:{name}", args=[profile.profile_id])


def test_it_uploads_an_avatar_and_serves_it_to_members_only(client, bob, alice, profile):
    client.force_login(bob)
    response = client.post(
        url(profile, "avatar_edit"), {"avatar": image_file("JPEG", "x.png")}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'src="{url(profile, "avatar")}?v=' in response.content.decode()
    profile.refresh_from_db()
    assert profile.avatar.name.startswith(f"avatars/{profile.profile_id}/")
    assert profile.avatar.name.endswith(".jpg")  # named by what it is, not what it claims
    served = client.get(url(profile, "avatar"))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"
    client.logout()
    assert client.get(url(profile, "avatar")).status_code == 302


def test_it_hides_the_avatar_of_another_databases_profile(client, bob):
    stranger = ProfileFactory()
    stranger.avatar.save("a.png", image_file(), save=True)
    client.force_login(bob)
    assert client.get(url(stranger, "avatar")).status_code == 404


def test_it_replaces_the_old_file(client, bob, profile):
    client.force_login(bob)
    client.post(url(profile, "avatar_edit"), {"avatar": image_file()})
    profile.refresh_from_db()
    old = profile.avatar.name
    client.post(url(profile, "avatar_edit"), {"avatar": image_file("GIF", "b.gif")})
    profile.refresh_from_db()
    assert profile.avatar.name != old and profile.avatar.name.endswith(".gif")
    assert not profile.avatar.storage.exists(old)


def test_it_rejects_a_file_that_is_not_an_image(client, bob, profile):
    client.force_login(bob)
    fake = SimpleUploadedFile("me.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(url(profile, "avatar_edit"), {"avatar": fake}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    # Shown beside the avatar field, without the field name the message begins with.
    assert "Upload a PNG, JPEG, GIF or WebP image. This file is not an image." in (
        response.content.decode()
    )
    profile.refresh_from_db()
    assert not profile.avatar


def test_it_rejects_an_image_format_outside_the_list(client, bob, profile):
    client.force_login(bob)
    response = client.post(url(profile, "avatar_edit"), {"avatar": image_file("BMP", "me.bmp")})
    assert response.status_code == 200
    assert "This file is BMP." in response.content.decode()
    profile.refresh_from_db()
    assert not profile.avatar


def test_it_rejects_a_file_over_the_size_limit(client, bob, profile, settings):
    settings.AVATAR_MAX_BYTES = 100
    client.force_login(bob)
    response = client.post(url(profile, "avatar_edit"), {"avatar": image_file(size=(200, 200))})
    assert "the limit is 100\xa0bytes." in response.content.decode()
    profile.refresh_from_db()
    assert not profile.avatar


def test_it_removes_the_avatar_and_its_file(client, bob, profile):
    client.force_login(bob)
    client.post(url(profile, "avatar_edit"), {"avatar": image_file()})
    profile.refresh_from_db()
    name = profile.avatar.name
    response = client.post(url(profile, "avatar_remove"), HTTP_HX_REQUEST="true")
    assert "avatar-initials" in response.content.decode()
    profile.refresh_from_db()
    assert not profile.avatar and not profile.avatar.storage.exists(name)
    assert client.get(url(profile, "avatar")).status_code == 404


def test_it_refuses_uploads_from_users_who_may_not_change_profiles(client, charlie, profile):
    client.force_login(charlie)
    assert client.post(url(profile, "avatar_edit"), {"avatar": image_file()}).status_code == 403
    assert client.post(url(profile, "avatar_remove")).status_code == 403
    profile.refresh_from_db()
    assert not profile.avatar


def test_it_rejects_a_get_on_remove(client, bob, profile):
    client.force_login(bob)
    assert client.get(url(profile, "avatar_remove")).status_code == 405
