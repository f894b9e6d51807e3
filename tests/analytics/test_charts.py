"""Server-rendered charts: accessible, deterministic SVG and PNG of a `ChartSpec`."""

import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from app.analytics.charts import (
    NO_DATA,
    OKABE_ITO,
    ChartSpec,
    Series,
    render,
    text_alternative,
)

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def outcome_chart(**changes: object) -> ChartSpec:
    fields: dict[str, object] = {
        "title": "Assistance requests by outcome and region",
        "description": "Requests submitted in 2026, by their current outcome.",
        "x_label": "Region",
        "y_label": "Requests",
        "categories": ["Africa", "Asia"],
        "series": [
            Series("waiting", [3, 1]),
            Series("accepted", [2, 5]),
            Series("declined", [None, 4]),
        ],
        "kind": "stacked_bar",
    }
    return ChartSpec(**{**fields, **changes})  # type: ignore[arg-type]


def parsed(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, and parsing it is the test)


def svg_root(spec: ChartSpec) -> ET.Element:
    return parsed(render(spec, "svg"))


def svg_texts(spec: ChartSpec) -> list[str]:
    return [text.text or "" for text in svg_root(spec).iter(f"{SVG}text")]


def fill_count(svg: bytes, colour: str) -> int:
    return svg.decode().count(f"fill: {colour.lower()};")


def test_svg_opens_with_title_and_description_of_the_chart() -> None:
    spec = outcome_chart()

    first, second = list(svg_root(spec))[:2]

    assert first.tag == f"{SVG}title"
    assert first.text == "Assistance requests by outcome and region"
    assert second.tag == f"{SVG}desc"
    assert second.text == text_alternative(spec)


def test_svg_root_is_an_image_labelled_by_its_title_and_description() -> None:
    root = svg_root(outcome_chart())
    title, desc = list(root)[:2]

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.get("id") != desc.get("id")


def test_svg_keeps_title_axis_labels_and_categories_as_text() -> None:
    texts = svg_texts(outcome_chart())

    assert {"Assistance requests by outcome and region", "Region", "Requests"} <= set(texts)
    assert {"Africa", "Asia", "waiting", "accepted", "declined"} <= set(texts)


def test_series_take_the_okabe_ito_colours_in_order() -> None:
    svg = render(outcome_chart(), "svg")

    assert OKABE_ITO[:3] == ("#E69F00", "#56B4E9", "#009E73")
    assert [fill_count(svg, colour) for colour in OKABE_ITO[:4]] == [3, 3, 2, 0]


def test_a_none_value_draws_no_bar() -> None:
    svg = render(outcome_chart(), "svg")

    # two bars and a legend key for "waiting"; one bar and a legend key for "declined"
    assert fill_count(svg, OKABE_ITO[0]) == 3
    assert fill_count(svg, OKABE_ITO[2]) == 2


def test_grouped_bars_draw_every_present_value() -> None:
    svg = render(outcome_chart(kind="grouped_bar"), "svg")

    assert [fill_count(svg, colour) for colour in OKABE_ITO[:3]] == [3, 3, 2]


def test_text_alternative_reads_every_figure_and_names_the_gaps() -> None:
    spec = outcome_chart(
        categories=["Africa", "Asia"],
        series=[Series("waiting", [3, 0.25]), Series("budget", [None, 120000.5])],
    )

    assert text_alternative(spec) == (
        "Requests submitted in 2026, by their current outcome.\n"
        "Africa: waiting 3, suppressed or no value for budget.\n"
        "Asia: waiting 0.25, budget 120,000.5."
    )


def test_text_alternative_stops_after_fifty_categories() -> None:
    categories = [f"State {n}" for n in range(53)]
    spec = outcome_chart(categories=categories, series=[Series("requests", [1] * 53)])

    lines = text_alternative(spec).splitlines()

    assert len(lines) == 1 + 50 + 1
    assert lines[50] == "State 49: requests 1."
    assert lines[-1] == "And 3 more."


def test_no_categories_draw_a_chart_saying_there_is_no_data() -> None:
    spec = outcome_chart(categories=[], series=[])

    texts = svg_texts(spec)

    assert NO_DATA in texts
    assert "Assistance requests by outcome and region" in texts
    assert text_alternative(spec) == (
        "Requests submitted in 2026, by their current outcome.\nNo data for these filters."
    )


def test_no_categories_render_as_png_too() -> None:
    png = render(outcome_chart(categories=[], series=[]), "png")

    assert png.startswith(PNG_SIGNATURE)


def test_a_long_label_is_cut_on_the_chart_and_whole_in_the_text_alternative() -> None:
    long_name = "Republic of " + "x" * 188
    categories = [long_name] + [f"State {n}" for n in range(39)]
    spec = outcome_chart(categories=categories, series=[Series("requests", [2] * 40)])

    texts = svg_texts(spec)

    assert "Republic of " + "x" * 47 + "…" in texts  # 60 characters beside horizontal bars
    assert "State 38" in texts
    assert f"{long_name}: requests 2." in text_alternative(spec)


def test_beyond_a_hundred_categories_the_chart_draws_the_first_hundred_and_says_so() -> None:
    categories = [f"State {n}" for n in range(120)]
    spec = outcome_chart(categories=categories, series=[Series("requests", [1] * 120)])

    texts = svg_texts(spec)

    assert "Assistance requests by outcome and region (first 100 of 120 shown)" in texts
    assert "State 99" in texts
    assert "State 100" not in texts
    assert text_alternative(spec).endswith("State 49: requests 1.\nAnd 70 more.")


def test_more_series_than_colours_are_told_apart_by_hatching() -> None:
    eight = outcome_chart(series=[Series(f"s{n}", [1, 2]) for n in range(8)])
    nine = outcome_chart(series=[Series(f"s{n}", [1, 2]) for n in range(9)])

    assert b"<pattern" not in render(eight, "svg")
    assert b"<pattern" in render(nine, "svg")


def test_a_single_series_has_no_legend() -> None:
    texts = svg_texts(outcome_chart(series=[Series("requests", [3, 4])]))

    assert "requests" not in texts
    assert "Requests" in texts


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_same_spec_renders_the_same_bytes(fmt: str) -> None:
    assert render(outcome_chart(), fmt) == render(outcome_chart(), fmt)  # type: ignore[arg-type]


def test_charts_drawn_in_parallel_threads_match_charts_drawn_one_by_one() -> None:
    specs = [outcome_chart(title=f"Requests {n}") for n in range(4)]
    alone = [render(spec, "svg") for spec in specs]

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda spec: render(spec, "svg"), specs))

    assert together == alone
    assert len(set(alone)) == 4


def test_png_carries_title_and_description_chunks() -> None:
    spec = outcome_chart()
    png = render(spec, "png")

    image = Image.open(io.BytesIO(png))

    assert png.startswith(PNG_SIGNATURE)
    assert image.text["Title"] == "Assistance requests by outcome and region"  # type: ignore[attr-defined]
    assert image.text["Description"] == text_alternative(spec)  # type: ignore[attr-defined]


def test_png_is_drawn_at_screen_and_print_friendly_resolution() -> None:
    image = Image.open(io.BytesIO(render(outcome_chart(), "png")))

    assert 100 <= round(image.info["dpi"][0]) <= 150


def test_xml_special_characters_in_the_title_are_escaped() -> None:
    title = 'Budget <by> "region" & type'
    svg = render(outcome_chart(title=title), "svg")

    title_element = parsed(svg)[0]

    assert b"&lt;by&gt;" in svg
    assert title_element.text == title
    assert title in svg_texts(outcome_chart(title=title))


def test_dollar_signs_stay_plain_text() -> None:
    texts = svg_texts(outcome_chart(title="Budget in US$ and $ per State", y_label="US$"))

    assert "Budget in US$ and $ per State" in texts
    assert "US$" in texts


def test_a_series_without_a_value_per_category_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per category"):
        outcome_chart(series=[Series("waiting", [1])])


def test_importing_the_module_does_not_load_matplotlib() -> None:
    check = "import sys, app.analytics.charts; print('matplotlib' in sys.modules)"

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
