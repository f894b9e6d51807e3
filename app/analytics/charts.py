"""Charts of analytics answers, drawn on the server with matplotlib, as SVG or PNG.

Contract: `render` gives the same bytes for the same spec, and every chart carries its text
alternative (`text_alternative`): in SVG as `<title>` and `<desc>`, the first children of the
root, which is `role="img"` and `aria-labelledby` them; in PNG as the `Title` and `Description`
text chunks. matplotlib is imported on the first chart only, and only through its object API
(`Figure` and a canvas): pyplot keeps global state and routes run in a thread pool.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import re
import textwrap
from typing import TYPE_CHECKING, Any, Literal
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe and Ito's colour-blind safe palette, orange first and black last (as in ggokabeito and
# Wilke's book): black would come first in their list, but a black bar hides its hatching.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
# One pattern per round of the palette, so series beyond the eighth differ in grey too.
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "++", "--")
NO_VALUE = "suppressed or no value"
NO_DATA = "No data for these filters"
LABEL_LIMIT = 32  # keeps every M49 region whole ("Latin America and the Caribbean" is 31)
ROW_LABEL_LIMIT = 60  # beside horizontal bars there is room for a compound key
DESCRIBED_CATEGORIES = 50
DRAWN_CATEGORIES = 100  # a bar per group stays legible, and the image stays a sane size
PNG_DPI = 120
COLUMNS_AT_MOST = 12  # beyond this many categories, or long labels, bars lie horizontal
COLUMN_LABEL_AT_MOST = 14


@dataclasses.dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]  # one per category; None: suppressed or no value (a gap)


@dataclasses.dataclass(frozen=True)
class ChartSpec:
    """What to draw. `x_label` names the categories, `y_label` the values, whichever way the
    bars lie."""

    title: str
    description: str
    x_label: str
    y_label: str
    categories: list[str]
    series: list[Series]
    kind: Literal["stacked_bar", "grouped_bar"]

    def __post_init__(self) -> None:
        for series in self.series:
            if len(series.values) != len(self.categories):
                raise ValueError(f"series {series.name!r} needs one value per category")


def render(spec: ChartSpec, fmt: Literal["svg", "png"]) -> bytes:
    figure = _draw(spec)
    buffer = io.BytesIO()
    if fmt == "png":
        metadata = {"Title": spec.title, "Description": text_alternative(spec)}
        figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata=metadata)
        return buffer.getvalue()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _with_text_alternative(buffer.getvalue().decode(), spec).encode()


def text_alternative(spec: ChartSpec) -> str:
    """The description, then every figure in words, category by category (the first 50)."""
    if not spec.categories:
        return f"{spec.description}\n{NO_DATA}."
    lines = [spec.description]
    for index, category in enumerate(spec.categories[:DESCRIBED_CATEGORIES]):
        figures = ", ".join(_figure_in_words(series, index) for series in spec.series)
        lines.append(f"{category}: {figures or 'no figures'}.")
    hidden = len(spec.categories) - DESCRIBED_CATEGORIES
    if hidden > 0:
        lines.append(f"And {hidden} more.")
    return "\n".join(lines)


def _figure_in_words(series: Series, index: int) -> str:
    value = series.values[index]
    return f"{NO_VALUE} for {series.name}" if value is None else f"{series.name} {_number(value)}"


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@functools.cache
def _configure_matplotlib() -> None:
    import matplotlib

    # rcParams are process-wide: set once, to the same values, before any figure exists.
    # Text stays text in SVG; a fixed salt makes the SVG ids repeatable; "$" is never math.
    matplotlib.rcParams.update(
        {"svg.fonttype": "none", "svg.hashsalt": "item10-analytics", "text.parse_math": False}
    )


def _new_figure(width: float, height: float) -> Figure:
    _configure_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _draw(spec: ChartSpec) -> Figure:
    title = spec.title
    if len(spec.categories) > DRAWN_CATEGORIES:
        title += f" (first {DRAWN_CATEGORIES} of {len(spec.categories)} shown)"
        spec = _first_categories(spec, DRAWN_CATEGORIES)
    figure, _ = _bar_chart(spec) if spec.categories else _no_data_chart()
    # Over the whole figure, so that it never runs under the legend.
    figure.suptitle(textwrap.fill(title, 70), x=0.01, ha="left", fontsize="large")
    return figure


def _first_categories(spec: ChartSpec, count: int) -> ChartSpec:
    series = [Series(each.name, each.values[:count]) for each in spec.series]
    return dataclasses.replace(spec, categories=spec.categories[:count], series=series)


def _no_data_chart() -> tuple[Figure, Axes]:
    figure = _new_figure(6.4, 2.4)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.5, NO_DATA, ha="center", va="center", transform=axes.transAxes)
    return figure, axes


def _bar_chart(spec: ChartSpec) -> tuple[Figure, Axes]:
    count = len(spec.categories)
    longest = max(len(category) for category in spec.categories)
    horizontal = count > COLUMNS_AT_MOST or longest > COLUMN_LABEL_AT_MOST
    size = (9.0, 1.5 + 0.3 * count) if horizontal else (max(6.4, 2.0 + 0.8 * count), 4.8)
    figure = _new_figure(*size)
    axes = figure.add_subplot()
    _draw_bars(axes, spec, horizontal)
    _label_axes(axes, spec, horizontal)
    if len(spec.series) > 1:
        _add_legend(figure, spec.series)
    return figure, axes


def _style(index: int) -> dict[str, Any]:  # matplotlib patch properties
    colour = OKABE_ITO[index % len(OKABE_ITO)]
    hatch = HATCHES[index // len(OKABE_ITO) % len(HATCHES)]
    hatch_colour = "#FFFFFF" if colour == "#000000" else "#000000"
    return {"facecolor": colour, "hatch": hatch, "hatchcolor": hatch_colour, "edgecolor": "#FFFFFF"}


def _draw_bars(axes: Axes, spec: ChartSpec, horizontal: bool) -> None:
    stacked = spec.kind == "stacked_bar"
    thickness = 0.8 if stacked else 0.8 / max(len(spec.series), 1)
    bases = [0.0] * len(spec.categories)
    draw = axes.barh if horizontal else axes.bar  # both take (position, length, thickness, base)
    for number, series in enumerate(spec.series):
        drawn = [(index, value) for index, value in enumerate(series.values) if value is not None]
        shift = 0.0 if stacked else thickness * (number + 0.5) - 0.4
        positions = [index + shift for index, _ in drawn]
        lengths = [value for _, value in drawn]
        starts = [bases[index] if stacked else 0.0 for index, _ in drawn]
        draw(positions, lengths, thickness, starts, linewidth=0.5, **_style(number))
        if stacked:
            for index, value in drawn:
                bases[index] += value


def _label_axes(axes: Axes, spec: ChartSpec, horizontal: bool) -> None:
    limit = ROW_LABEL_LIMIT if horizontal else LABEL_LIMIT
    labels = [_shortened(category, limit) for category in spec.categories]
    positions = list(range(len(labels)))
    if horizontal:
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()  # first category on top, reading order
        axes.set_xlabel(spec.y_label)
        axes.set_ylabel(spec.x_label)
        axes.grid(axis="x", alpha=0.3)
    else:
        rotation = 45 if len(labels) > 6 else 0
        axes.set_xticks(positions, labels, rotation=rotation, ha="right" if rotation else "center")
        axes.set_xlabel(spec.x_label)
        axes.set_ylabel(spec.y_label)
        axes.grid(axis="y", alpha=0.3)
    if _counts_only(spec):
        from matplotlib.ticker import MaxNLocator

        value_axis = axes.xaxis if horizontal else axes.yaxis
        value_axis.set_major_locator(MaxNLocator(integer=True))
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)


def _counts_only(spec: ChartSpec) -> bool:
    """Whole numbers only (requests, recommendations): no ticks between them."""
    return all(
        float(v).is_integer() for series in spec.series for v in series.values if v is not None
    )


def _shortened(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _add_legend(figure: Figure, all_series: list[Series]) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(label=series.name, linewidth=0.5, **_style(number))
        for number, series in enumerate(all_series)
    ]
    figure.legend(handles=handles, loc="outside right upper")


_SVG_ROOT = re.compile(r"<svg\b[^>]*>")


def _with_text_alternative(svg: str, spec: ChartSpec) -> str:
    description = text_alternative(spec)
    key = hashlib.sha256(f"{spec.title}\n{description}".encode()).hexdigest()[:12]
    title_id, desc_id = f"chart-{key}-title", f"chart-{key}-desc"
    root = _SVG_ROOT.search(svg)
    if root is None:
        raise ValueError("matplotlib wrote no <svg> root")
    opening = f'{root.group()[:-1]} role="img" aria-labelledby="{title_id} {desc_id}">'
    children = (
        f'\n <title id="{title_id}">{escape(spec.title)}</title>'
        f'\n <desc id="{desc_id}">{escape(description)}</desc>'
    )
    return svg[: root.start()] + opening + children + svg[root.end() :]
