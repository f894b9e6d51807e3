"""Groups of figures, and small-cell suppression for everyone but OHCHR.

Every figure is computed from a set of objects, its basis. Figures go in cells that share a
basis (a group's totals, one outcome's count and budgets, one rate). For a caller other than
OHCHR, a cell drawn from 1 to `min_cell - 1` objects of other States is withheld: its values are
null, the group says `suppressed` and names them. A caller's own State's objects do not count
towards the threshold: it knows them already. Within a family of counts that add up to a shown
total (outcomes, statuses), one withheld cell would be recoverable by subtraction, so the next
smallest is withheld with it.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.analytics.reader import Reader

Value = float | int | None
Key = tuple[str | None, ...]
F = TypeVar("F")


@dataclass
class Cell:
    path: str
    """Where its values go: `""` for the group's own figures, `outcomes.declined`, ..."""
    values: dict[str, Value]
    """Name (`""` for the path itself) -> value."""
    basis: int
    """How many of other States' objects the values are drawn from."""
    family: str | None = None
    whole: bool = False
    """Its basis is the group's: when it is withheld, so is every figure of the group."""
    withheld: bool = False

    def paths(self) -> list[str]:
        return [".".join(part for part in (self.path, name) if part) for name in self.values]


@dataclass
class Group:
    key: dict[str, str | None]
    cells: list[Cell] = field(default_factory=list)

    def add(
        self,
        path: str,
        values: dict[str, Value],
        basis: int,
        family: str | None = None,
        *,
        whole: bool = False,
    ) -> None:
        self.cells.append(Cell(path, values, basis, family, whole))


def grouped(
    facts: Iterable[F], dimensions: Sequence[str], values_of: Callable[[F, str], list[str | None]]
) -> list[tuple[dict[str, str | None], list[F]]]:
    """Facts by the values of `dimensions`; a fact with several values of one dimension (themes,
    languages) is in each of their groups. Without dimensions, one group of every fact."""
    groups: dict[Key, list[F]] = defaultdict(list)
    for fact in facts:
        keys: list[Key] = [()]
        for dimension in dimensions:
            keys = [(*key, value) for key in keys for value in values_of(fact, dimension)]
        for key in dict.fromkeys(keys):
            groups[key].append(fact)
    if not dimensions:
        groups.setdefault((), [])
    return [(dict(zip(dimensions, key, strict=True)), members) for key, members in groups.items()]


def answered(
    reader: Reader, dimensions: Sequence[str], groups: list[Group], **more: Any
) -> dict[str, Any]:
    """An answer as its reader may read it: who it is for, then the groups in key order (no
    value last), small cells withheld."""
    groups.sort(key=lambda group: tuple(_in_order(value) for value in group.key.values()))
    withhold_small(groups, reader.min_cell)
    return {
        "audience": reader.audience.value,
        "min_cell": reader.min_cell,
        "group_by": list(dimensions),
        **more,
        "groups": [as_json(group) for group in groups],
    }


def _in_order(value: str | None) -> tuple[bool, list[tuple[int, int | str]]]:
    """Natural order, no value last: SDG goal 4 before 10, cycle 2 before 12, A3 before A12."""
    parts = re.findall(r"\d+|\D+", value or "")
    return value is None, [(0, int(p)) if p.isdigit() else (1, p) for p in parts]


def withhold_small(groups: list[Group], min_cell: int | None) -> None:
    """Mark the cells a caller may not read (`min_cell` None: OHCHR, nothing is withheld)."""
    if min_cell is None:
        return
    for group in groups:
        if any(_small(cell, min_cell) for cell in group.cells if cell.whole):
            for cell in group.cells:
                cell.withheld = True
            continue
        for cell in group.cells:
            cell.withheld = _small(cell, min_cell)
        _withhold_complements(group.cells)


def _small(cell: Cell, min_cell: int) -> bool:
    return 0 < cell.basis < min_cell


def _withhold_complements(cells: list[Cell]) -> None:
    families: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        if cell.family is not None:
            families[cell.family].append(cell)
    for members in families.values():
        if sum(cell.withheld for cell in members) != 1:
            continue
        shown = [cell for cell in members if not cell.withheld and cell.basis > 0]
        if shown:
            min(shown, key=lambda cell: cell.basis).withheld = True


def as_json(group: Group) -> dict[str, Any]:
    """`{"key", "suppressed", "suppressed_figures", ...the figures, nested by path}`."""
    answer: dict[str, Any] = {"key": group.key, "suppressed": False, "suppressed_figures": []}
    for cell in group.cells:
        for path, value in zip(cell.paths(), cell.values.values(), strict=True):
            if cell.withheld:
                answer["suppressed"] = True
                answer["suppressed_figures"].append(path)
            _put(answer, path, None if cell.withheld else value)
    return answer


def _put(target: dict[str, Any], path: str, value: Value) -> None:
    *parents, name = path.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[name] = value
