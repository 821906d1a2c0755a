"""GeoJSON contours → SVG map, computed in Python (pure module, no Django import).

The projection is equirectangular with a cos(latitude) correction at the centre of the map:
fine for a département (a few hundred kilometres), no dependency, no tile server. Coordinates
are fitted to a ``viewBox`` ``width`` units wide, y pointing down, and written with one
decimal. Neighbouring shapes get different colours (DSATUR colouring of the adjacency graph;
two shapes are neighbours when their borders come within ``tolerance`` of each other, which
absorbs the simplification of the contours).

    svg_map = build_map([("243700754", geometry), ("200073237", other)])
    svg_map.view_box      # "0 0 1000 812"
    svg_map.shapes[0].d   # "M10 20L30 40 50 60Z"
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]  # outer ring first, then holes

#: Fill colours, all at least 3:1 against the white borders and the page, and 4:1 against the
#: dark label text; the first four (those a map of a département mostly uses) differ in hue and
#: in lightness. The hover/focus colour (orange) is deliberately absent.
PALETTE: tuple[str, ...] = ("#4e79a7", "#59a14f", "#b07aa1", "#9c755f", "#3d8a84", "#e15759")

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Shape:
    key: str
    d: str  # SVG path data, one sub-path per ring (draw with fill-rule="evenodd")
    fill: str
    label_x: str  # a point inside the largest polygon, for a label
    label_y: str


@dataclass(frozen=True)
class SvgMap:
    view_box: str
    width: int
    height: int
    shapes: list[Shape]  # in the order of the input; features without geometry are left out

    @property
    def keys(self) -> list[str]:
        return [shape.key for shape in self.shapes]


# --- Reading and checking GeoJSON geometries -----------------------------------------------------


def geometry_error(geometry: object) -> str | None:
    """Why ``geometry`` is not a drawable GeoJSON Polygon / MultiPolygon (None when it is)."""
    if not isinstance(geometry, Mapping):
        return "la géométrie est absente ou n'est pas un objet GeoJSON"
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        return f"type de géométrie « {kind} » non pris en charge (Polygon ou MultiPolygon)"
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        return "coordonnées absentes"
    polygons = [coordinates] if kind == "Polygon" else coordinates
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "polygone sans anneau"
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return "anneau de moins de 4 positions"
            for position in ring:
                if not _is_position(position):
                    return f"position invalide : {position!r}"
    return None


def _is_position(position: object) -> bool:
    if not isinstance(position, list | tuple) or len(position) < 2:
        return False
    lon, lat = position[0], position[1]
    if isinstance(lon, bool) or isinstance(lat, bool):
        return False
    if not isinstance(lon, int | float) or not isinstance(lat, int | float):
        return False
    return -180 <= lon <= 180 and -90 <= lat <= 90


def polygons_of(geometry: Mapping[str, Any]) -> list[Polygon]:
    """The polygons of a valid geometry, as lists of rings of (longitude, latitude)."""
    raw = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in raw]


# --- Projection ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """(longitude, latitude) in degrees → (x, y) in viewBox units."""

    min_lon: float
    max_lat: float
    kx: float  # cos(latitude at the centre)
    scale: float
    padding: float

    def __call__(self, point: Point) -> Point:
        lon, lat = point
        x = self.padding + (lon - self.min_lon) * self.kx * self.scale
        y = self.padding + (self.max_lat - lat) * self.scale
        return x, y


def fit_projection(points: Iterable[Point], width: int, padding: float) -> tuple[Projection, int]:
    """The projection that fits ``points`` into ``width`` units, and the resulting height."""
    lons, lats = zip(*points, strict=True)
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    kx = math.cos(math.radians((min_lat + max_lat) / 2))
    extent_x = (max_lon - min_lon) * kx
    extent_y = max_lat - min_lat
    inner = width - 2 * padding
    if extent_x > 0:
        scale = inner / extent_x
    elif extent_y > 0:
        scale = inner / extent_y
    else:
        scale = 1.0
    height = round(extent_y * scale + 2 * padding)
    return Projection(min_lon, max_lat, kx, scale, padding), height


# --- Map -----------------------------------------------------------------------------------------


def build_map(
    features: Iterable[tuple[str, Mapping[str, Any] | None]],
    *,
    width: int = 1000,
    padding: float = 10,
    tolerance: float | None = None,
    palette: Sequence[str] = PALETTE,
) -> SvgMap:
    """Project ``(key, geometry)`` pairs into an SVG map ``width`` units wide.

    Features whose geometry is None or invalid are left out (the page's table still lists
    them). ``tolerance`` is in viewBox units (default: 0.4 % of the width, some 400 m for a
    département: more than the simplification of the contours).
    """
    if tolerance is None:
        tolerance = width * 0.004
    projected_by_key: dict[str, list[Polygon]] = {}
    polygons_by_key: dict[str, list[Polygon]] = {}
    for key, geometry in features:
        if geometry is None or geometry_error(geometry) is not None:
            continue
        polygons_by_key[key] = polygons_of(geometry)
    if not polygons_by_key:
        return SvgMap(view_box=f"0 0 {width} 0", width=width, height=0, shapes=[])
    all_points = (
        point
        for polygons in polygons_by_key.values()
        for polygon in polygons
        for ring in polygon
        for point in ring
    )
    projection, height = fit_projection(all_points, width, padding)
    for key, polygons in polygons_by_key.items():
        projected_by_key[key] = [
            [[projection(point) for point in ring] for ring in polygon] for polygon in polygons
        ]
    fills = colour(adjacency(projected_by_key, tolerance), list(projected_by_key), palette)
    shapes = []
    for key, polygons in projected_by_key.items():
        label_x, label_y = label_point(polygons)
        shapes.append(
            Shape(
                key=key,
                d=path_data(polygons),
                fill=fills[key],
                label_x=_number(label_x),
                label_y=_number(label_y),
            )
        )
    return SvgMap(view_box=f"0 0 {width} {height}", width=width, height=height, shapes=shapes)


def _number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def path_data(polygons: Sequence[Polygon]) -> str:
    """``M x y L x y x y … Z`` for every ring; repeated points (after rounding) are dropped."""
    parts = []
    for polygon in polygons:
        for ring in polygon:
            coords: list[str] = []
            for x, y in ring:
                pair = f"{_number(x)} {_number(y)}"
                if not coords or coords[-1] != pair:
                    coords.append(pair)
            if len(coords) > 1 and coords[0] == coords[-1]:
                coords.pop()
            if len(coords) < 3:
                continue
            parts.append(f"M{coords[0]}L{' '.join(coords[1:])}Z")
    return "".join(parts)


def _edges(ring: Sequence[Point]) -> Iterator[tuple[Point, Point]]:
    """The segments of a ring, including the closing one."""
    return zip(ring, [*ring[1:], *ring[:1]], strict=True)


def ring_area(ring: Ring) -> float:
    """Signed area (shoelace)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in _edges(ring)) / 2


def label_point(polygons: Sequence[Polygon]) -> Point:
    """A point inside the largest polygon: the middle of the widest horizontal chord through
    its centroid (the centroid alone may fall outside a concave shape)."""
    polygon = max(polygons, key=lambda p: abs(ring_area(p[0])))
    outer = polygon[0]
    area = ring_area(outer)
    if area == 0:
        return outer[0]
    cy = sum((y1 + y2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in _edges(outer)) / (6 * area)
    cx = sum((x1 + x2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in _edges(outer)) / (6 * area)
    crossings = sorted(
        x1 + (cy - y1) * (x2 - x1) / (y2 - y1)
        for ring in polygon
        for (x1, y1), (x2, y2) in _edges(ring)
        if (y1 <= cy < y2) or (y2 <= cy < y1)
    )
    chords = [(crossings[i], crossings[i + 1]) for i in range(0, len(crossings) - 1, 2)]
    if not chords:
        return cx, cy
    left, right = max(chords, key=lambda chord: chord[1] - chord[0])
    return (left + right) / 2, cy


# --- Neighbours and colours ----------------------------------------------------------------------


def _segment_distance(point: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def adjacency(
    polygons_by_key: Mapping[str, Sequence[Polygon]], tolerance: float, min_contacts: int = 2
) -> dict[str, set[str]]:
    """Which shapes touch: at least ``min_contacts`` vertices of one lie within ``tolerance``
    of the other's border (a grid of cells keeps this linear in the number of vertices)."""
    neighbours: dict[str, set[str]] = {key: set() for key in polygons_by_key}
    if tolerance <= 0:
        return neighbours
    cell = tolerance * 4
    floor = math.floor
    grid: dict[tuple[int, int], list[tuple[str, Point, Point]]] = defaultdict(list)
    for key, polygons in polygons_by_key.items():
        for polygon in polygons:
            for ring in polygon:
                for a, b in _edges(ring):
                    (ax, ay), (bx, by) = a, b
                    low_x, high_x = (ax, bx) if ax <= bx else (bx, ax)
                    low_y, high_y = (ay, by) if ay <= by else (by, ay)
                    entry = (key, a, b)
                    columns = range(
                        floor((low_x - tolerance) / cell), floor((high_x + tolerance) / cell) + 1
                    )
                    for j in range(
                        floor((low_y - tolerance) / cell), floor((high_y + tolerance) / cell) + 1
                    ):
                        for i in columns:
                            grid[i, j].append(entry)
    # A cell whose segments all belong to the point's own shape brings no contact: skip it.
    sole_owner = {
        index: entries[0][0]
        for index, entries in grid.items()
        if all(entry[0] == entries[0][0] for entry in entries)
    }
    hypot = math.hypot
    contacts: dict[tuple[str, str], int] = defaultdict(int)
    for key, polygons in polygons_by_key.items():
        for polygon in polygons:
            for ring in polygon:
                for point in ring:
                    cell_index = (floor(point[0] / cell), floor(point[1] / cell))
                    if sole_owner.get(cell_index) == key or cell_index not in grid:
                        continue
                    entries = grid[cell_index]
                    px, py = point
                    near: set[str] = set()
                    for other, (ax, ay), (bx, by) in entries:
                        if other == key or other in near:
                            continue
                        # Same arithmetic as _segment_distance, inlined (hot loop).
                        dx, dy = bx - ax, by - ay
                        length2 = dx * dx + dy * dy
                        t = (
                            0.0
                            if length2 == 0
                            else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
                        )
                        if hypot(px - (ax + t * dx), py - (ay + t * dy)) <= tolerance:
                            near.add(other)
                    for other in near:
                        contacts[tuple(sorted((key, other)))] += 1  # type: ignore[index]
    for (first, second), count in contacts.items():
        if count >= min_contacts:
            neighbours[first].add(second)
            neighbours[second].add(first)
    return neighbours


def colour(
    neighbours: Mapping[str, set[str]], keys: Sequence[str], palette: Sequence[str] = PALETTE
) -> dict[str, str]:
    """DSATUR: colour first the shape with the most differently coloured neighbours; each takes
    the first palette colour no neighbour has. Deterministic (ties broken by input order)."""
    order = {key: index for index, key in enumerate(keys)}
    assigned: dict[str, int] = {}
    while len(assigned) < len(keys):
        candidates = [key for key in keys if key not in assigned]
        key = max(
            candidates,
            key=lambda k: (
                len({assigned[n] for n in neighbours.get(k, ()) if n in assigned}),
                len(neighbours.get(k, ())),
                -order[k],
            ),
        )
        taken = {assigned[n] for n in neighbours.get(key, ()) if n in assigned}
        assigned[key] = next(index for index in range(len(keys) + 1) if index not in taken)
    return {key: palette[index % len(palette)] for key, index in assigned.items()}
