import pytest
from django.core.exceptions import ValidationError

from subscriptions.models import BUILTIN_CHANNELS, Channel, ContactKind, clean_contact

pytestmark = pytest.mark.django_db


def test_the_builtin_channels_exist_after_migrate():
    slugs = set(Channel.objects.filter(builtin=True).values_list("slug", flat=True))
    assert slugs == {"email", "sms", "push", "telegram", "whatsapp", "notify", "max"}
    assert len(BUILTIN_CHANNELS) == 7


@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        (ContactKind.EMAIL, " Ann@Example.COM ", "ann@example.com"),
        (ContactKind.PHONE, "+1 415 555 0123", "+14155550123"),
        (ContactKind.TELEGRAM, "+44 20 7946 0958", "+442079460958"),
        (ContactKind.TELEGRAM, "ann_smith", "@ann_smith"),
        (ContactKind.TELEGRAM, "@ann_smith", "@ann_smith"),
        (ContactKind.TELEGRAM, "-1001234567890", "-1001234567890"),
        (ContactKind.TOKEN, " fcm:APA91bH-x_y ", "fcm:APA91bH-x_y"),
        (ContactKind.IDENTIFIER, "user-42", "user-42"),
    ],
)
def test_it_normalises_contact_data_for_its_channel(kind, given, stored):
    assert clean_contact(kind, given) == stored


@pytest.mark.parametrize(
    ("kind", "given", "message"),
    [
        (ContactKind.EMAIL, "not-an-address", "valid email address"),
        (ContactKind.EMAIL, "", "Enter an email address"),
        (ContactKind.PHONE, "ann@example.com", "international format"),
        (ContactKind.PHONE, "12345", "international format"),
        (ContactKind.TELEGRAM, "a b", "@username"),
        (ContactKind.TOKEN, "   ", "Enter the device token"),
        (ContactKind.TOKEN, "two words", "cannot contain spaces"),
        (ContactKind.IDENTIFIER, "", "Enter the identifier"),
        (ContactKind.IDENTIFIER, "nul\x00byte", "NUL"),
        (ContactKind.EMAIL, 42, "as text"),
    ],
)
def test_it_rejects_contact_data_that_does_not_fit_the_channel(kind, given, message):
    with pytest.raises(ValidationError) as error:
        clean_contact(kind, given)
    assert message in error.value.messages[0]


def test_a_custom_channel_takes_an_identifier():
    custom = Channel.objects.create(name="VK", slug="vk")
    assert custom.clean_contact(" id12345 ") == "id12345"
    assert not custom.builtin
