"""The parsers of UPR Info exports, OHCHR matrices and UHRI exports, on real files where we hold
them (../shared/data/samples) and on small files built here where we do not."""

import csv
import datetime
import shutil
import tracemalloc
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import docx
import pytest

from app.recommendations.importers import (
    ImportFormat,
    ParsedRecommendation,
    ParsedRow,
    RowRejection,
    ThemeTerm,
    UnreadableFile,
    detect_format,
    read_recommendations,
)
from app.recommendations.importers.base import guess_single_byte, sdg_codes
from app.states.reference import default_resolver
from tests.recommendations.fixtures.make_uhri import write_csv, write_xlsx

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SAMPLES = SHARED / "samples"
UPR_INFO_CSV = SAMPLES / "upr-info" / "1-5.csv"
UPR_INFO_XLS = SAMPLES / "upr-info" / "1-5.xls"
CHINA = SAMPLES / "ohchr-matrices" / "China_UPR_matrix_2013_cycle2.docx"
UPR_INFO_HEADER = ["To", "To-Rgrp", "To-Org", "Text", "From", "From-Rgrp", "From-Org"]
UPR_INFO_HEADER += ["Response", "Action", "Issue", "Session"]
MATRIX_COLUMNS = ["Recommendation", "Position", "Full list of themes", "Assessment/comments"]


def sample(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"sample file {path.name} is not present in ../shared/data/samples")
    return path


def split(rows: Iterable[ParsedRow]) -> tuple[list[ParsedRecommendation], list[RowRejection]]:
    parsed: list[ParsedRecommendation] = []
    rejected: list[RowRejection] = []
    for row in rows:
        if isinstance(row, ParsedRecommendation):
            parsed.append(row)
        else:
            rejected.append(row)
    return parsed, rejected


def by_row(rows: Iterable[ParsedRecommendation]) -> dict[int, ParsedRecommendation]:
    return {row.row: row for row in rows}


def write_upr_info(
    path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(UPR_INFO_HEADER)
        writer.writerows(rows)
    return path


def upr_info_row(to: str, text: str, frm: str, response: str = "Accepted") -> list[str]:
    return [to, "Africa", "AU", text, frm, "WEOG", "EU", response, "3", "Justice,Other", "9"]


def write_matrix(
    path: Path,
    *tables: list[list[str] | str],
    header: str | None = "UPR of Samoa (3rd Cycle \u2013 39th session)",
    columns: list[str] = MATRIX_COLUMNS,
) -> Path:
    """A matrix as OHCHR lays it out: a header row in the first table, theme headings merged
    across the table (a str), data rows (lists of cell texts)."""
    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for index, rows in enumerate(tables):
        table = document.add_table(rows=0, cols=len(columns))
        if index == 0:
            for cell, text in zip(table.add_row().cells, columns, strict=True):
                cell.text = text
        for row in rows:
            cells = table.add_row().cells
            if isinstance(row, str):
                cells[0].merge(cells[-1]).text = row
            else:
                for cell, text in zip(cells, row, strict=False):
                    cell.text = text
        document.add_paragraph("")
    document.save(str(path))
    return path


def matrix_row(
    paragraph: str, text: str, position: str = "Supported", themes: str = ""
) -> list[str]:
    source = f"Source of position: A/HRC/41/9/Add.1 - Para. {paragraph}."
    themes = themes or "A41 Constitutional and legislative framework\nAffected persons:\n- general"
    return [f"{paragraph}. {text}\n{source}", position, themes, ""]


# --- UPR Info -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upr_info_csv() -> list[ParsedRow]:
    return list(read_recommendations(sample(UPR_INFO_CSV), ImportFormat.upr_info))


@pytest.fixture(scope="module")
def upr_info_xls() -> list[ParsedRow]:
    return list(read_recommendations(sample(UPR_INFO_XLS), ImportFormat.upr_info))


@pytest.mark.parametrize("rows_fixture", ["upr_info_csv", "upr_info_xls"])
def test_upr_info_export_gives_6094_recommendations_with_their_positions(
    rows_fixture: str, request: pytest.FixtureRequest
) -> None:
    parsed, rejected = split(request.getfixturevalue(rows_fixture))

    assert (len(parsed), rejected) == (6094, [])
    assert Counter(row.position for row in parsed) == {"supported": 4087, "noted": 2007}
    assert Counter(row.session for row in parsed) == {4: 1804, 5: 1670, 3: 1335, 2: 855, 1: 430}
    assert {row.cycle for row in parsed} == {1}
    assert len({row.source_key for row in parsed}) == 6094
    assert len({theme for row in parsed for theme in row.themes}) == 54


def test_upr_info_csv_and_xls_give_the_same_rows(
    upr_info_csv: list[ParsedRow], upr_info_xls: list[ParsedRow]
) -> None:
    assert upr_info_csv == upr_info_xls


@pytest.mark.parametrize("rows_fixture", ["upr_info_csv", "upr_info_xls"])
def test_upr_info_named_rows_field_by_field(
    rows_fixture: str, request: pytest.FixtureRequest
) -> None:
    rows = by_row(split(request.getfixturevalue(rows_fixture))[0])

    first = rows[2]
    assert (first.state_code, first.recommending_states) == ("AFG", ("AUT",))
    assert (first.session, first.cycle, first.position) == (5, 1, "supported")
    assert first.themes == (
        ThemeTerm(None, "Rights of the Child"),
        ThemeTerm(None, "Women's rights"),
    )
    assert first.text.startswith("Enact legislation and take effective measures")
    assert (first.mechanism, first.body, first.document_symbol) == ("upr", "UPR", None)
    assert first.source_key == ("upr_info:AFG:5:AUT:4041b5724f0819d561d4cfb122fa1c6df833b8c3")
    habre = rows[4639]
    assert (habre.state_code, habre.recommending_states, habre.position) == (
        "SEN",
        ("IRL",),
        "noted",
    )
    assert habre.text.endswith("Mr. Hissène Habré to justice")
    assert (habre.session, habre.cycle, habre.themes) == (4, 1, (ThemeTerm(None, "Impunity"),))
    assert "Instance Equité - Reconciliation" in rows[3671].text


def test_upr_info_unknown_recommending_state_keeps_the_row_without_one(
    upr_info_csv: list[ParsedRow],
) -> None:
    unknown = [row for row in split(upr_info_csv)[0] if not row.recommending_states]

    assert [row.row for row in unknown] == [2497, 2498, 2499, 2500, 2501, 2505, 2506, 2507, 2508]
    assert {row.state_code for row in unknown} == {"IDN"}
    assert all(row.source_key.startswith("upr_info:IDN:1::") for row in unknown)


def test_upr_info_unknown_states_are_rejected_with_their_row(tmp_path: Path) -> None:
    path = write_upr_info(
        tmp_path / "export.csv",
        [
            upr_info_row("Atlantis", "Ratify the Convention.", "France"),
            upr_info_row("Chad", "Ratify the Convention.", "Atlantis"),
            upr_info_row("Chad", "Ratify the Convention.", "&#40;Unknown&#41;", "Rejected"),
            upr_info_row("DPR Korea", "Ratify the Convention.", "Trinidad & Tobago", "Pending"),
        ],
    )

    parsed, rejected = split(read_recommendations(path, ImportFormat.upr_info))

    assert rejected == [
        RowRejection(2, "unknown State name 'Atlantis' (State under review)"),
        RowRejection(3, "unknown State name 'Atlantis' (recommending State)"),
    ]
    assert [(r.row, r.state_code, r.recommending_states, r.position) for r in parsed] == [
        (4, "TCD", (), "noted"),
        (5, "PRK", ("TTO",), None),
    ]


def test_upr_info_exact_duplicate_rows_share_one_source_key(tmp_path: Path) -> None:
    row = upr_info_row("Chad", "Ratify  the\nConvention. ", "France")
    path = write_upr_info(tmp_path / "export.csv", [row, row])

    first, second = split(read_recommendations(path, ImportFormat.upr_info))[0]

    assert (first.row, second.row) == (2, 3)
    assert first.source_key == second.source_key
    assert first.text == "Ratify  the\nConvention."


@pytest.mark.parametrize("encoding", ["cp1252", "mac_roman", "utf-8", "utf-8-sig", "utf-16"])
def test_upr_info_csv_accents_decode_in_any_usual_encoding(tmp_path: Path, encoding: str) -> None:
    text = "L’État doit garantir l’égalité — « sans délai »."  # noqa: RUF001
    rows = [upr_info_row("Chad", f"Filler {i}.", "France") for i in range(9_000)]
    rows.append(upr_info_row("Côte d'Ivoire", text, "Saint Vincent and the Grenadines"))
    path = write_upr_info(tmp_path / "export.csv", rows, encoding=encoding)

    last = split(read_recommendations(path, ImportFormat.upr_info))[0][-1]

    plain = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le"}.get(encoding, encoding)
    assert path.read_bytes().find("Côte".encode(plain)) > 512 * 1024  # past any leading sample
    assert (last.row, last.text, last.state_code) == (9_002, text, "CIV")
    assert last.recommending_states == ("VCT",)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_upr_info_csv_saved_with_another_delimiter(tmp_path: Path, delimiter: str) -> None:
    row = upr_info_row("Chad", "Ratify the Convention; then report.", "France")
    path = write_upr_info(tmp_path / "export.csv", [row], delimiter=delimiter)

    (parsed,) = split(read_recommendations(path, ImportFormat.upr_info))[0]

    assert detect_format(path) is ImportFormat.upr_info
    assert (parsed.text, parsed.themes[1]) == (
        "Ratify the Convention; then report.",
        ThemeTerm(None, "Other"),
    )


def test_charset_normalizer_alone_would_misread_the_macroman_export() -> None:
    data = sample(UPR_INFO_CSV).read_bytes()
    chunk = data[1_140_000:1_150_000]  # "Hissène Habré"

    assert b"Hiss\x8fne Habr\x8e" in chunk
    assert guess_single_byte(chunk, bare_cr=False) == "mac_roman"
    assert data[: 512 * 1024].isascii()  # why a leading sample cannot decide


def test_upr_info_first_row_arrives_before_the_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_upr_info(tmp_path / "big.csv", rows=50_000)
    opened = []
    real_open = Path.open

    def spying_open(self: Path, *args: object, **kwargs: object) -> object:
        file = real_open(self, *args, **kwargs)  # type: ignore[call-overload]
        opened.append(file)
        return file

    monkeypatch.setattr(Path, "open", spying_open)
    rows = read_recommendations(path, ImportFormat.upr_info)
    first = next(rows)

    assert isinstance(first, ParsedRecommendation) and first.row == 2
    assert opened[-1].tell() < path.stat().st_size / 10
    rows.close()  # type: ignore[attr-defined]
    assert opened[-1].closed


def test_upr_info_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    # Few long rows: tracemalloc slows every allocation down, so rows cost more than bytes.
    path = big_upr_info(tmp_path / "big.csv", rows=4_000, words=250)
    default_resolver()  # built once per process, not per file
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_recommendations(path, ImportFormat.upr_info))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 4_000
    assert peak < path.stat().st_size / 4


def big_upr_info(path: Path, *, rows: int, words: int = 12) -> Path:
    text = " ".join(["Guarantee the independence of the judiciary"] * (words // 6)) + " {}."
    write_upr_info(path, [upr_info_row("Chad", text.format(i), "France") for i in range(rows)])
    assert path.stat().st_size > 5_000_000
    return path


# --- OHCHR matrices -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def china() -> list[ParsedRow]:
    return list(read_recommendations(sample(CHINA), ImportFormat.ohchr_matrix))


def test_china_matrix_gives_252_recommendations_204_supported_48_noted(
    china: list[ParsedRow],
) -> None:
    parsed, rejected = split(china)

    assert (len(parsed), rejected) == (252, [])
    assert Counter(row.position for row in parsed) == {"supported": 204, "noted": 48}
    assert len({row.source_key for row in parsed}) == 252
    assert {(r.state_code, r.cycle, r.session, r.document_symbol) for r in parsed} == {
        ("CHN", 2, 17, "A/HRC/25/5")
    }
    assert {row.position_source for row in parsed} == {"A/HRC/25/5/Add.1"}
    assert all(row.sdg_targets == () and row.recommending_states for row in parsed)


def test_china_matrix_paragraph_186_28(china: list[ParsedRow]) -> None:
    row = next(r for r in split(china)[0] if r.paragraph == "186.28")

    assert row.row == 1
    assert row.source_key == "doc:A/HRC/25/5:186.28"
    assert row.text == (
        "Continue its efforts on the ratification of other human rights instruments and "
        "relevant protocols"
    )
    assert row.recommending_states == ("MNG",)
    assert row.themes == (
        ThemeTerm("A12", "Acceptance of international norms"),
        ThemeTerm("B51", "Right to an effective remedy"),
    )
    assert row.affected_persons == ("general",)
    assert (row.mechanism, row.body, row.position, row.date) == ("upr", "UPR", "supported", None)


def test_china_matrix_clustered_paragraphs_name_every_state(china: list[ParsedRow]) -> None:
    rows = {row.paragraph: row for row in split(china)[0]}

    assert rows["186.23"].recommending_states == ("ARG", "FRA")
    assert rows["186.23"].text.startswith("Continue efforts to ratify the OP-CAT and CPED")
    assert rows["186.23"].text.endswith("those deprived of their liberty")
    # "(Sierra Le one)" and "(Bolivia (Plurinational S tate of))": words broken in conversion
    assert rows["186.1"].recommending_states == tuple(
        sorted(["ALB", "CHL", "BEL", "HUN", "JPN", "MDV", "ESP", "SLE", "FRA"])
    )
    assert rows["186.198"].recommending_states == ("BOL",)
    assert "National Human Rights Action Plan (NHRAP) for 2012-2015" in rows["186.34"].text


def test_china_matrix_themes_and_affected_persons(china: list[ParsedRow]) -> None:
    parsed = split(china)[0]
    themes = {theme for row in parsed for theme in row.themes}

    assert len(themes) == 79 and all(theme.code for theme in themes)
    assert ThemeTerm("F14", "Participation of women in political and public life") in themes
    assert len({person for row in parsed for person in row.affected_persons}) == 24


def test_matrix_given_state_must_agree_with_the_document(tmp_path: Path) -> None:
    assert split(read_recommendations(sample(CHINA), ImportFormat.ohchr_matrix, state="chn"))[0]
    with pytest.raises(UnreadableFile, match="about CHN, not the given state FRA"):
        read_recommendations(CHINA, ImportFormat.ohchr_matrix, state="FRA")


def test_matrix_parentheses_that_are_not_states_stay_in_the_text(tmp_path: Path) -> None:
    path = write_matrix(
        tmp_path / "matrix.docx",
        [
            "Theme: A12 Acceptance of international norms",
            matrix_row("120.1", "Ratify ILO Convention (No. 29) (Mongolia, Cuba and Viet Nam);"),
            matrix_row("120.2", "Ratify the Optional Protocol (OP-CAT)."),
            matrix_row("120.3", "Withdraw its reservations (ICCPR)"),
            matrix_row(
                "120.4", "Adopt the law of (2011) (Trinidad and Tobago and Bosnia and Herzegovina)."
            ),
            matrix_row("120.5", "Ratify the Convention (Atlantis);"),
            matrix_row("120.6", "Ratify the Convention (Mongolia and Atlantis);"),
        ],
    )

    parsed, rejected = split(read_recommendations(path, ImportFormat.ohchr_matrix))

    assert [(r.paragraph, r.text, r.recommending_states) for r in parsed] == [
        ("120.1", "Ratify ILO Convention (No. 29)", ("CUB", "MNG", "VNM")),
        ("120.2", "Ratify the Optional Protocol (OP-CAT).", ()),
        ("120.3", "Withdraw its reservations (ICCPR)", ()),
        ("120.4", "Adopt the law of (2011)", ("BIH", "TTO")),
    ]
    assert rejected == [
        RowRejection(5, "unknown State name 'Atlantis' (recommending State)"),
        RowRejection(6, "unknown State name 'Atlantis' (recommending State)"),
    ]
    assert {(r.state_code, r.cycle, r.session) for r in parsed} == {("WSM", 3, 39)}


def test_matrix_table_per_theme_yields_each_paragraph_once(tmp_path: Path) -> None:
    ratify = matrix_row("99.1", "Ratify the ICCPR (Ghana);")
    path = write_matrix(
        tmp_path / "matrix.docx",
        ["Theme: A12 Acceptance of international norms", ratify],
        ["Theme: D41 Freedom of movement", ratify, matrix_row("99.2", "Lift the curfew (Fiji);")],
    )

    parsed, rejected = split(read_recommendations(path, ImportFormat.ohchr_matrix))

    assert rejected == []
    assert [(r.row, r.paragraph, r.recommending_states) for r in parsed] == [
        (1, "99.1", ("GHA",)),
        (3, "99.2", ("FJI",)),
    ]


def test_matrix_sdgs_from_the_themes_cell_and_from_an_sdg_column(tmp_path: Path) -> None:
    themes = (
        "A41 Constitutional and legislative framework\nS16 SDG 16 - peace, justice\n"
        "SDGs:\n- 16.3 Promote the rule of law\n- Goal 5\n- 18.1 Not a target\n"
        "Groups of persons:\n- women\n- girls"
    )
    path = write_matrix(
        tmp_path / "matrix.docx",
        [matrix_row("12.1", "Combat violence against women (Chile);", "Supported/Noted", themes)],
        columns=["Recommendation", "Position", "Themes", "Sustainable Development Goals"],
    )
    with_column = write_matrix(
        tmp_path / "column.docx",
        [[*matrix_row("12.2", "Adopt a plan (Peru);", "Partially supported")[:3], "Goal 16\n4.a"]],
        columns=["Recommendation", "Position", "Themes", "SDG"],
    )

    (row,) = split(read_recommendations(path, ImportFormat.ohchr_matrix))[0]
    (other,) = split(read_recommendations(with_column, ImportFormat.ohchr_matrix))[0]

    assert row.themes == (ThemeTerm("A41", "Constitutional and legislative framework"),)
    assert row.sdg_targets == ("16", "16.3", "5")
    assert row.affected_persons == ("women", "girls")
    assert row.position == other.position == "supported_in_part"
    assert other.sdg_targets == ("16", "4.a")


def test_matrix_without_a_state_needs_one_given(tmp_path: Path) -> None:
    path = write_matrix(
        tmp_path / "matrix.docx", [matrix_row("1.1", "Ratify (Peru);")], header=None
    )

    with pytest.raises(UnreadableFile, match="does not name the State under review: give state"):
        read_recommendations(path, ImportFormat.ohchr_matrix)
    (row,) = split(read_recommendations(path, ImportFormat.ohchr_matrix, state="CHN"))[0]
    assert (row.state_code, row.cycle, row.session) == ("CHN", None, None)
    assert row.source_key == "doc:A/HRC/41/9:1.1"


def test_matrix_rows_with_unknown_position_or_no_paragraph_are_rejected(tmp_path: Path) -> None:
    no_number = matrix_row("5.1", "Ratify (Peru);")
    no_number[0] = no_number[0].removeprefix("5.1. ")
    path = write_matrix(
        tmp_path / "matrix.docx", [no_number, matrix_row("5.2", "Ratify (Peru);", "Maybe later")]
    )

    assert split(read_recommendations(path, ImportFormat.ohchr_matrix))[1] == [
        RowRejection(1, "the recommendation does not start with its paragraph number"),
        RowRejection(2, "unknown position 'Maybe later'"),
    ]


def test_truncated_matrix_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "matrix.docx"
    path.write_bytes(sample(CHINA).read_bytes()[:1000])

    with pytest.raises(UnreadableFile, match=r"not a Word document: .*damaged or truncated"):
        read_recommendations(path, ImportFormat.ohchr_matrix)


def test_word_document_without_a_table_is_unreadable(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("UPR of Samoa: nothing here")
    document.save(str(tmp_path / "notes.docx"))

    with pytest.raises(UnreadableFile, match="no table of recommendations"):
        read_recommendations(tmp_path / "notes.docx", ImportFormat.ohchr_matrix)


def test_spreadsheet_read_as_a_matrix_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="not a Word document: the file is an Excel"):
        read_recommendations(sample(UPR_INFO_XLS), ImportFormat.ohchr_matrix)


# --- UHRI ---------------------------------------------------------------------------------------


@pytest.fixture
def uhri_files(tmp_path: Path) -> tuple[Path, Path]:
    return write_csv(tmp_path / "uhri.csv"), write_xlsx(tmp_path / "uhri.xlsx")


def test_uhri_csv_and_xlsx_parse_identically(uhri_files: tuple[Path, Path]) -> None:
    csv_rows, xlsx_rows = (list(read_recommendations(p, ImportFormat.uhri)) for p in uhri_files)

    assert csv_rows == xlsx_rows
    assert len(csv_rows) == 10


def test_uhri_rows_field_by_field(uhri_files: tuple[Path, Path]) -> None:
    rows = by_row(split(read_recommendations(uhri_files[1], ImportFormat.uhri))[0])

    upr = rows[2]
    assert (upr.state_code, upr.mechanism, upr.body) == ("CHN", "upr", "UPR")
    assert upr.recommending_states == ("MNG", "VNM")
    assert (upr.position, upr.session, upr.cycle) == ("supported", 17, 2)
    assert (upr.paragraph, upr.document_symbol) == ("186.28", "A/HRC/25/5")
    assert upr.text == "Continue its efforts on the ratification of other human rights instruments"
    assert upr.date == datetime.date(2014, 1, 15)  # Excel serial 41654
    assert upr.sdg_targets == ("16.3", "16")
    assert upr.themes[0] == ThemeTerm("A12", "Acceptance of international norms")
    assert (upr.uhri_id, upr.source_key) == (
        "0b5c8a3e-7f0e-4c2e-9a51-3d2f6a1c0001",
        "uhri:0b5c8a3e-7f0e-4c2e-9a51-3d2f6a1c0001",
    )
    assert rows[7] == ParsedRecommendation(**{**upr.__dict__, "row": 7})  # the duplicate
    assert (rows[3].mechanism, rows[3].body, rows[3].paragraph) == ("crc", "CRC", "49")
    assert rows[3].date == datetime.date(2022, 6, 1)
    assert rows[3].sdg_targets == ("4.a",)  # "18.2" names no target: left out, row kept
    assert (rows[4].mechanism, rows[4].body, rows[4].state_code) == ("ccpr", "CCPR", "CIV")
    french = "L’État partie devrait garantir l’égalité des femmes — y compris à l’héritage."  # noqa: RUF001
    assert rows[4].text == french
    assert (rows[5].mechanism, rows[5].state_code) == ("special_procedures", "TUR")
    assert rows[5].body == "Special Rapporteur on the right to food"
    assert (rows[9].mechanism, rows[9].body) == ("cat", "CAT")
    assert rows[9].text == "Ratify the Optional Protocol to the Convention (OP-CAT)."


def test_uhri_rejections_give_row_and_reason(uhri_files: tuple[Path, Path]) -> None:
    rejected = split(read_recommendations(uhri_files[0], ImportFormat.uhri))[1]

    assert rejected == [
        RowRejection(6, "unknown State name 'Atlantis' (country concerned)"),
        RowRejection(
            8, "several countries concerned (Chad, Niger): give state to import it for one"
        ),
        RowRejection(10, "not a recommendation: the annotation is of type 'Concerns/Observations'"),
        RowRejection(11, "unknown State name 'Atlantis' (UPR recommending State)"),
    ]


def test_uhri_several_countries_are_taken_for_the_given_state(
    uhri_files: tuple[Path, Path],
) -> None:
    rows = by_row(split(read_recommendations(uhri_files[0], ImportFormat.uhri, state="NER"))[0])

    assert rows[8].state_code == "NER"


def test_sdg_codes_are_the_17_goals_and_169_targets() -> None:
    reference = SHARED / "reference" / "derived_sdg_targets_6lang.csv"
    if not reference.exists():
        pytest.skip("SDG reference file absent")
    with reference.open(encoding="utf-8-sig", newline="") as file:
        targets = {row["target"] for row in csv.DictReader(file)}

    assert len(targets) == 169
    assert sdg_codes() == targets | {str(goal) for goal in range(1, 18)}


# --- detection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "renamed", "expected"),
    [
        (UPR_INFO_CSV, "export.docx", ImportFormat.upr_info),
        (UPR_INFO_XLS, "export.csv", ImportFormat.upr_info),
        (CHINA, "matrix.xlsx", ImportFormat.ohchr_matrix),
    ],
)
def test_detection_reads_content_not_names(
    tmp_path: Path, source: Path, renamed: str, expected: ImportFormat
) -> None:
    path = tmp_path / renamed
    shutil.copy(sample(source), path)

    assert detect_format(path, filename=renamed) is expected


def test_uhri_exports_are_detected_under_any_name(uhri_files: tuple[Path, Path]) -> None:
    csv_path, xlsx_path = uhri_files

    assert detect_format(csv_path.rename(csv_path.with_suffix(".xls"))) is ImportFormat.uhri
    assert detect_format(xlsx_path.rename(xlsx_path.with_suffix(".csv"))) is ImportFormat.uhri


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is a PNG image"),
        (bytes(range(256)) * 4, "the file is binary data of an unknown kind"),
        (b"PK\x03\x04garbage", "the file is a damaged or truncated zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel 97-2003 workbook that cannot"),
        (b"name,age\r\nAda,36\r\n", r"first row \(name, age\) is not the header"),
    ],
)
def test_unrecognised_files_are_unreadable_with_a_reason(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "upload.docx"
    path.write_bytes(content)

    with pytest.raises(UnreadableFile, match=reason):
        detect_format(path, filename="upload.docx")


def test_wrong_header_for_the_format_is_unreadable(uhri_files: tuple[Path, Path]) -> None:
    with pytest.raises(UnreadableFile, match="not a UPR Info export: row 1 has no column for"):
        read_recommendations(uhri_files[0], ImportFormat.upr_info)
    with pytest.raises(UnreadableFile, match="not a UHRI export: row 1 has no column"):
        read_recommendations(sample(UPR_INFO_CSV), ImportFormat.uhri)
