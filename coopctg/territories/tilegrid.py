"""The tile-grid cartogram of the départements (pure module, no Django import).

``data/grille/departements-grille.csv`` gives each département a cell (row, column); see the
README of that folder for its provenance. :func:`tile_map` turns it into SVG squares, one per
département, each with the centre of its label, in a ``viewBox`` of ``columns × size`` units.

    grid = load_grid()
    svg = tile_map(grid)
    svg.view_box        # "0 0 676 728"
    svg.tiles[0].code   # "62"
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

GRID_FILE = Path(__file__).resolve().parent / "data" / "grille" / "departements-grille.csv"
TILE = 52  # units per cell
GAP = 4  # units between two squares


class GridError(ValueError):
    """The grid file is unreadable; the message is one French sentence with the line."""


@dataclass(frozen=True)
class Cell:
    code: str
    row: int
    column: int


@dataclass(frozen=True)
class Tile:
    code: str
    x: int
    y: int
    size: int
    label_x: int
    label_y: int


@dataclass(frozen=True)
class TileMap:
    view_box: str
    width: int
    height: int
    tiles: list[Tile]


def parse_grid(text: str, source: str = "grille") -> list[Cell]:
    """``code,ligne,colonne`` rows → cells; a malformed row, a code or a cell used twice is an
    error naming the line (the header is line 1)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != ["code", "ligne", "colonne"]:
        raise GridError(f"{source}, ligne 1 : en-tête attendu « code,ligne,colonne »")
    cells: list[Cell] = []
    codes: set[str] = set()
    places: set[tuple[int, int]] = set()
    for number, row in enumerate(reader, start=2):
        if len(row) != 3 or not row[0] or not row[1].isdigit() or not row[2].isdigit():
            raise GridError(f"{source}, ligne {number} : « code,ligne,colonne » attendu")
        cell = Cell(code=row[0], row=int(row[1]), column=int(row[2]))
        if cell.code in codes:
            raise GridError(f"{source}, ligne {number} : département « {cell.code} » en double")
        if (cell.row, cell.column) in places:
            raise GridError(
                f"{source}, ligne {number} : case ({cell.row}, {cell.column}) en double"
            )
        codes.add(cell.code)
        places.add((cell.row, cell.column))
        cells.append(cell)
    return cells


def load_grid(path: Path = GRID_FILE) -> list[Cell]:
    return parse_grid(path.read_text(encoding="utf-8"), path.name)


def tile_map(cells: list[Cell], tile: int = TILE, gap: int = GAP) -> TileMap:
    """One square per cell, in the order of ``cells``."""
    columns = max((cell.column for cell in cells), default=0) + 1
    rows = max((cell.row for cell in cells), default=0) + 1
    size = tile - gap
    tiles = [
        Tile(
            code=cell.code,
            x=cell.column * tile,
            y=cell.row * tile,
            size=size,
            label_x=cell.column * tile + size // 2,
            label_y=cell.row * tile + size // 2 + 5,
        )
        for cell in cells
    ]
    width, height = columns * tile, rows * tile
    return TileMap(view_box=f"0 0 {width} {height}", width=width, height=height, tiles=tiles)
