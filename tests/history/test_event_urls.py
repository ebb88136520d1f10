"""A reported URL is checked by its site once and its rest each time: the answer is always
the one Django's URL validator gives for the whole URL."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from history.types import URL_VALIDATOR, _is_url, _validates_as_url

SCHEMES = st.sampled_from(["http", "https", "HTTPS", "ftp", "", "http:", " http"])
USERINFO = st.sampled_from(["", "user@", "user:pw@", "us?er@", "a#b:c@", "@", "x y@"])
HOSTS = st.sampled_from(
    [
        "shop.example",
        "localhost",
        "127.0.0.1",
        "256.1.1.1",
        "[::1]",
        "[::1",
        "[not-ip]",
        "bücher.example",
        "xn--bcher-kva.example",
        "-bad.example",
        "a" * 64 + ".example",
        ("a" * 60 + ".") * 5 + "com",
        "shop",
        "",
        "shop.example.",
    ]
)
PORTS = st.sampled_from(["", ":8080", ":", ":123456", ":x"])
RESTS = st.lists(
    st.sampled_from(
        ["/", "?", "#", "p", "utm_source=a&b=c", " ", "\t", "\n", "\u00a0", "é", "//", "@"]
    ),
    max_size=6,
).map("".join)


@settings(max_examples=3000, deadline=None)
@given(SCHEMES, USERINFO, HOSTS, PORTS, RESTS)
def test_the_answer_is_the_validators_for_generated_urls(scheme, userinfo, host, port, rest):
    url = f"{scheme}://{userinfo}{host}{port}{rest}"
    assert _is_url(url) is _validates_as_url(url), url
    assert _is_url(url) is _is_url(url)  # the same again, once its site is remembered


@pytest.mark.parametrize(
    "url, valid",
    [
        ("https://shop.example/p/1?utm_source=news#top", True),
        ("https://shop.example/p/1 2", False),  # the site passes, the rest does not
        ("https://us?er@shop.example/", True),  # a "?" before the host, in the user part
        ("https://shop.example" + "/p" * 1100, False),  # over the validator's 2,048 characters
        ("no scheme at all", False),
        ("mailto:ann@example.com", False),
    ],
)
def test_known_urls(url, valid):
    assert _is_url(url) is valid
    assert (len(url) <= URL_VALIDATOR.max_length and _validates_as_url(url)) is valid
