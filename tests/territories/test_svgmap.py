"""The pure geometry → SVG module (no database)."""

import math

import pytest

from coopctg.territories import svgmap


def square(x, y, size=1.0):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def inside(point, ring):
    """Even-odd test."""
    x, y = point
    result = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


# --- Checking geometries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "geometry",
    [
        square(0, 47),
        {"type": "MultiPolygon", "coordinates": [square(0, 47)["coordinates"]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    ],
)
def test_valid_geometries(geometry):
    assert svgmap.geometry_error(geometry) is None


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (None, "la géométrie est absente"),
        ({"type": "Point", "coordinates": [0, 47]}, "type de géométrie « Point »"),
        ({"type": "Polygon"}, "coordonnées absentes"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "anneau de moins"),
        ({"type": "MultiPolygon", "coordinates": [[]]}, "polygone sans anneau"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 91], [0, 0]]]}, "position"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, "0"], [1, 1], [0, 0]]]}, "position"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [True, 0], [1, 1], [0, 0]]]}, "position"),
    ],
)
def test_invalid_geometries(geometry, message):
    assert svgmap.geometry_error(geometry).startswith(message)


# --- Projection and path data --------------------------------------------------------------------


def test_map_is_fitted_to_the_view_box_with_the_latitude_correction():
    # 1° × 1° at latitude 60°: cos(60°) = 0.5, so the square is drawn twice as high as wide.
    svg_map = svgmap.build_map([("a", square(10, 59.5))], width=100, padding=0)
    assert svg_map.view_box == f"0 0 100 {svg_map.height}"
    assert svg_map.height == round(100 / math.cos(math.radians(60))) == 200
    assert svg_map.shapes[0].d == "M0 200L100 200 100 0 0 0Z"


def test_padding_and_north_up():
    svg_map = svgmap.build_map([("a", square(0, 0, 2))], width=120, padding=10)
    assert svg_map.height == 120
    # South-west corner (0, 0) is bottom left: (10, 110).
    assert svg_map.shapes[0].d.startswith("M10 110L110 110 110 10 10 10Z")


def test_holes_and_multipolygons_become_sub_paths():
    outer = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]]
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [[outer, hole], square(10, 0)["coordinates"]],
    }
    d = svgmap.build_map([("a", geometry)]).shapes[0].d
    assert d.count("M") == 3 and d.count("Z") == 3


def test_path_data_drops_repeated_points_and_degenerate_rings():
    polygons = [[[(0.0, 0.0), (0.01, 0.0), (5.0, 0.0), (5.0, 5.0), (0.0, 0.0)]]]
    assert svgmap.path_data(polygons) == "M0 0L5 0 5 5Z"
    assert svgmap.path_data([[[(0.0, 0.0), (0.01, 0.01), (0.0, 0.0), (0.0, 0.0)]]]) == ""


def test_features_without_geometry_are_left_out():
    svg_map = svgmap.build_map([("a", None), ("b", square(0, 47)), ("c", {"type": "Point"})])
    assert svg_map.keys == ["b"]


def test_empty_map():
    svg_map = svgmap.build_map([])
    assert svg_map.shapes == [] and svg_map.height == 0


# --- Labels --------------------------------------------------------------------------------------


def test_label_point_is_inside_a_concave_shape():
    # A "U": its centroid lies in the gap between the two arms.
    u_shape = [(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (2.0, 3.0), (2.0, 1.0), (1.0, 1.0),
               (1.0, 3.0), (0.0, 3.0)]  # fmt: skip
    point = svgmap.label_point([[u_shape]])
    assert inside(point, u_shape)


def test_label_point_takes_the_largest_polygon():
    small, large = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)], [
        (10.0, 0.0), (20.0, 0.0), (20.0, 10.0), (10.0, 10.0)
    ]  # fmt: skip
    assert svgmap.label_point([[small], [large]]) == (15.0, 5.0)


# --- Neighbours and colours ----------------------------------------------------------------------


def test_touching_shapes_are_neighbours_within_the_tolerance():
    a = [[[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]]]
    near = [[[(11.0, 0.0), (20.0, 0.0), (20.0, 10.0), (11.0, 10.0)]]]  # 1 unit gap
    far = [[[(30.0, 0.0), (40.0, 0.0), (40.0, 10.0), (30.0, 10.0)]]]
    neighbours = svgmap.adjacency({"a": a, "near": near, "far": far}, tolerance=2)
    assert neighbours == {"a": {"near"}, "near": {"a"}, "far": set()}
    assert svgmap.adjacency({"a": a, "near": near}, tolerance=0.5)["a"] == set()


def test_adjacency_matches_a_brute_force_count_of_contacts():
    """The grid and its shortcuts (cells of one shape only, inlined distance) find exactly
    the pairs a plain all-against-all count finds."""
    shapes = {}
    for row in range(4):
        for column in range(5):
            wobble = ((row * 7 + column * 3) % 5) / 10  # uneven gaps, some within tolerance
            x, y = column * 10 + wobble, row * 10 - wobble
            ring = [(x, y), (x + 5, y + 0.2), (x + 9.5, y), (x + 9.6, y + 9.5), (x, y + 9.4)]
            shapes[f"{row}-{column}"] = [[ring]]

    def brute_force(tolerance, min_contacts=2):
        neighbours = {key: set() for key in shapes}
        for key, polygons in shapes.items():
            for other, other_polygons in shapes.items():
                if other == key:
                    continue
                edges = [e for p in other_polygons for r in p for e in svgmap._edges(r)]
                contacts = sum(
                    any(svgmap._segment_distance(point, a, b) <= tolerance for a, b in edges)
                    for p in polygons
                    for r in p
                    for point in r
                )
                contacts += sum(
                    any(
                        svgmap._segment_distance(point, a, b) <= tolerance
                        for a, b in [e for p in polygons for r in p for e in svgmap._edges(r)]
                    )
                    for p in other_polygons
                    for r in p
                    for point in r
                )
                if contacts >= min_contacts:
                    neighbours[key].add(other)
        return neighbours

    for tolerance in (0.3, 0.6, 1.2, 3):
        assert svgmap.adjacency(shapes, tolerance) == brute_force(tolerance)


def test_neighbours_get_different_colours():
    # A row of three squares and one square touching all of them from above.
    features = [
        ("left", square(0, 47, 0.1)),
        ("middle", square(0.1, 47, 0.1)),
        ("right", square(0.2, 47, 0.1)),
        ("top", {"type": "Polygon", "coordinates": [[[0, 47.1], [0.3, 47.1], [0.3, 47.2],
                                                      [0, 47.2], [0, 47.1]]]}),
    ]  # fmt: skip
    fills = {shape.key: shape.fill for shape in svgmap.build_map(features).shapes}
    assert fills["left"] != fills["middle"] != fills["right"]
    assert fills["top"] not in {fills["left"], fills["middle"], fills["right"]}
    assert fills["left"] == fills["right"]  # not neighbours: the palette is spared
    assert set(fills.values()) <= set(svgmap.PALETTE)


def test_colouring_is_deterministic_and_minimal_on_a_cycle():
    ring = ["a", "b", "c", "d"]
    neighbours = {k: {ring[i - 1], ring[(i + 1) % 4]} for i, k in enumerate(ring)}
    fills = svgmap.colour(neighbours, ring)
    assert fills == svgmap.colour(neighbours, ring)
    assert len(set(fills.values())) == 2
    assert all(fills[k] != fills[n] for k in ring for n in neighbours[k])


def test_palette_contrast_against_white_borders():
    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in svgmap.PALETTE:
        assert (1.05 / (luminance(colour) + 0.05)) >= 3, colour
