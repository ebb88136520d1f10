"""Template helpers of the profile pages: values for people, query strings, the map."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

from django import template
from django.http import QueryDict
from django.utils import formats, timezone

from core.fieldtypes import display_value, is_empty

register = template.Library()

MAP_WIDTH, MAP_HEIGHT = 360, 180
# Rough outlines of the continents as (longitude, latitude) points, enough to tell where
# a pin is at a glance; drawn offline, no map tiles.
CONTINENTS = {
    "north-america": [
        (-168, 66),
        (-160, 71),
        (-140, 70),
        (-120, 72),
        (-95, 74),
        (-80, 73),
        (-62, 66),
        (-55, 52),
        (-66, 45),
        (-75, 39),
        (-81, 31),
        (-80, 25),
        (-82, 28),
        (-90, 29),
        (-97, 26),
        (-97, 20),
        (-88, 21),
        (-87, 15),
        (-83, 9),
        (-78, 8),
        (-86, 12),
        (-92, 14),
        (-105, 19),
        (-112, 29),
        (-117, 32),
        (-124, 40),
        (-124, 48),
        (-133, 57),
        (-150, 60),
        (-165, 61),
    ],
    "greenland": [(-55, 60), (-43, 60), (-20, 70), (-18, 80), (-40, 83), (-65, 80), (-55, 70)],
    "south-america": [
        (-78, 8),
        (-72, 12),
        (-62, 11),
        (-50, 2),
        (-35, -5),
        (-39, -15),
        (-48, -26),
        (-58, -35),
        (-65, -42),
        (-68, -55),
        (-74, -50),
        (-73, -38),
        (-71, -18),
        (-77, -10),
        (-81, -5),
        (-80, 1),
    ],
    "europe": [
        (-10, 36),
        (-9, 43),
        (-2, 44),
        (-5, 48),
        (2, 51),
        (8, 54),
        (10, 58),
        (5, 62),
        (15, 69),
        (28, 71),
        (40, 67),
        (60, 69),
        (60, 55),
        (50, 45),
        (40, 41),
        (28, 41),
        (24, 38),
        (20, 40),
        (16, 38),
        (12, 44),
        (8, 44),
        (3, 43),
        (-1, 37),
    ],
    "africa": [
        (-17, 21),
        (-10, 30),
        (-6, 36),
        (10, 37),
        (20, 32),
        (32, 31),
        (35, 28),
        (43, 12),
        (51, 12),
        (40, -3),
        (40, -15),
        (35, -24),
        (32, -29),
        (20, -35),
        (17, -29),
        (12, -17),
        (13, -6),
        (9, 1),
        (9, 4),
        (-8, 4),
        (-13, 8),
        (-17, 14),
    ],
    "asia": [
        (28, 41),
        (36, 36),
        (35, 32),
        (43, 13),
        (52, 17),
        (57, 24),
        (66, 25),
        (72, 20),
        (77, 8),
        (80, 15),
        (88, 22),
        (94, 17),
        (98, 8),
        (104, 1),
        (106, 10),
        (109, 21),
        (122, 30),
        (121, 40),
        (129, 35),
        (131, 43),
        (141, 53),
        (156, 51),
        (163, 60),
        (180, 65),
        (180, 71),
        (140, 73),
        (105, 78),
        (80, 73),
        (60, 69),
        (60, 55),
        (50, 45),
        (40, 41),
    ],
    "great-britain": [
        (-5.7, 50.1),
        (1.4, 51.2),
        (1.7, 52.7),
        (0, 53.5),
        (-1.6, 55.6),
        (-1.8, 57.6),
        (-3, 58.6),
        (-5, 58.6),
        (-6.2, 56.7),
        (-4.9, 55),
        (-3.1, 54),
        (-4.6, 53.3),
        (-4.2, 52.2),
        (-5.3, 51.7),
    ],
    "ireland": [(-6, 52.2), (-6.2, 54), (-7.3, 55.3), (-10, 54.2), (-10.2, 51.6), (-8, 51.6)],
    "iceland": [(-22.5, 64), (-14, 64.3), (-14.5, 66.2), (-22, 66.4), (-24, 65.5)],
    "japan": [
        (130, 31),
        (132, 34),
        (135, 34),
        (140, 35),
        (141, 38),
        (141.5, 41.5),
        (145.5, 43.3),
        (141.5, 45.4),
        (139.8, 42.5),
        (139.8, 40),
        (136.8, 37),
        (133, 35.5),
        (129.5, 33.3),
    ],
    "madagascar": [(49.3, -12), (50.4, -15.5), (47, -25), (44, -24.5), (43.7, -21), (46, -15.8)],
    "new-zealand": [
        (172.7, -34.5),
        (178.5, -37.7),
        (175.3, -41.6),
        (171, -44.5),
        (166.5, -46),
        (168.2, -44),
        (174, -39.5),
    ],
    "indonesia": [
        (95.3, 5.6),
        (98.5, 3.5),
        (104, -1.5),
        (106, -6),
        (114.5, -8.5),
        (114.5, -7.5),
        (108, -6.5),
        (105.8, -5.8),
        (102.3, -4),
        (98, 0.5),
        (96.5, 2.5),
    ],
    "borneo": [
        (109.5, 1.5),
        (111, 3),
        (116.7, 7),
        (119, 5.2),
        (117.5, 1),
        (116, -3.5),
        (110.5, -3),
    ],
    "new-guinea": [
        (131, -1),
        (137.5, -1.5),
        (144, -3.8),
        (150.5, -10.5),
        (143, -9),
        (138.5, -8.3),
        (135, -4.3),
    ],
    "australia": [
        (114, -22),
        (122, -18),
        (130, -12),
        (137, -12),
        (142, -11),
        (146, -19),
        (153, -27),
        (150, -37),
        (141, -38),
        (131, -31),
        (115, -34),
    ],
}


def project(longitude, latitude):
    """Return the (x, y) of a point on the equirectangular map, 1 unit per degree."""
    return float(longitude) + 180, 90 - float(latitude)


CONTINENT_POINTS = {
    name: " ".join(f"{x:g},{y:g}" for x, y in (project(lon, lat) for lon, lat in points))
    for name, points in CONTINENTS.items()
}


@register.filter
def show(value):
    """Render a stored value for people: lists joined, booleans Yes/No, dates formatted."""
    if is_empty(value):
        return ""
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "Y-m-d")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return display_value(value)


@register.simple_tag
def query_url(url, **params):
    """Return ``url`` with the given query parameters set (None removes one), others kept."""
    parts = urlsplit(url)
    query = QueryDict(parts.query, mutable=True)
    for key, value in params.items():
        query.pop(key, None)
        if not is_empty(value):
            query[key] = value
    encoded = query.urlencode()
    return f"{parts.path}?{encoded}" if encoded else parts.path


@register.simple_tag
def page_query(query, page):
    """Return the query string of a list page: the filters kept, the page number set."""
    params = [(key, value) for key, value in query if key != "page"]
    if page > 1:
        params.append(("page", page))
    return "?" + urlencode(params) if params else "?"


@register.simple_tag
def cursor_query(query, direction, cursor):
    """Return the query string of a keyset page of a list: the filters and order kept, the
    page placed ``after`` (or ``before``) the row of ``cursor``."""
    params = [(key, value) for key, value in query if key not in ("page", "after", "before")]
    return "?" + urlencode([*params, (direction, cursor)])


@register.inclusion_tag("profiles/includes/world_map.html")
def world_map(latitude, longitude):
    """Draw an offline world map with a pin at the coordinates (if both are set)."""
    pin = None
    if latitude is not None and longitude is not None:
        x, y = project(longitude, latitude)
        pin = {"x": f"{x:.3f}", "y": f"{y:.3f}"}
    return {
        "width": MAP_WIDTH,
        "height": MAP_HEIGHT,
        "continents": CONTINENT_POINTS.values(),
        "meridians": range(30, MAP_WIDTH, 30),
        "parallels": range(30, MAP_HEIGHT, 30),
        "pin": pin,
        "latitude": show(latitude),
        "longitude": show(longitude),
    }
