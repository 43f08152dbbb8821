import math
import re
from datetime import date
from pathlib import Path

import pytest

from schoolcloud.accounts.csv_import import (
    PASSWORD_ALPHABET,
    Message,
    grade_for_class,
    initial_password,
    make_username,
    match_key,
    parse_roster,
    password_entropy_bits,
)
from schoolcloud.accounts.models import Role

DATA = Path("/work/shared/data")
TODAY = date(2026, 9, 1)
HEADER = "Nachname;Vorname;Klasse;Geburtsdatum;Rolle"


def parse(text: str | bytes, **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    kwargs.setdefault("default_school_year", "2026/27")
    kwargs.setdefault("today", TODAY)
    return parse_roster(data, **kwargs)


def csv_lines(*rows: str, header: str = HEADER, newline: str = "\r\n") -> str:
    return newline.join((header, *rows)) + newline


def codes(row) -> list[str]:
    return [m.code for m in row.errors]


def file_codes(preview) -> list[str]:
    return [m.code for m in preview.file_errors]


def data_lines(path: Path, encoding: str) -> list[list[str]]:
    """The sample file split by hand, as an independent oracle for the parser."""
    lines = path.read_bytes().decode(encoding).splitlines()
    return [line.split(";") for line in lines[1:] if line.strip()]


@pytest.fixture(scope="module")
def utf8():
    return parse((DATA / "pupils-utf8.csv").read_bytes())


@pytest.fixture(scope="module")
def cp1252():
    return parse((DATA / "pupils-cp1252.csv").read_bytes())


# --- sample files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, encoding", [("pupils-utf8.csv", "utf-8"), ("pupils-cp1252.csv", "cp1252")])
def test_sample_files_parse_cleanly(name, encoding):
    preview = parse((DATA / name).read_bytes())
    expected = data_lines(DATA / name, encoding)
    pupils = [cells for cells in expected if cells[4] == "Schüler"]
    assert preview.ok, [(r.line_no, r.errors) for r in preview.rows if r.errors] + preview.file_errors
    assert preview.encoding == encoding
    assert preview.delimiter == ";"
    assert preview.counts["rows"] == len(expected)
    assert preview.counts["pupils"] == len(pupils)
    assert preview.counts["teachers"] == len(expected) - len(pupils)
    assert preview.counts["classes"] == len({cells[2] for cells in pupils})
    assert preview.counts["errors"] == 0
    for row, cells in zip(preview.rows, expected):
        assert [row.family_name, row.given_name, row.class_name or ""] == cells[:3]


def test_sample_utf8_values(utf8):
    first = utf8.rows[0]
    assert (first.line_no, first.family_name, first.given_name) == (2, "Bauer", "Björn")
    assert (first.role, first.class_name, first.grade_level) == (Role.PUPIL, "6a", 6)
    assert first.birth_date == date(2015, 2, 2)
    assert first.school_year == "2026/27"
    teachers = [r for r in utf8.rows if r.role == Role.TEACHER]
    assert teachers and all(r.class_name is None and r.birth_date is None for r in teachers)
    assert any(r.family_name == "Dąbrowski" for r in utf8.rows)


def test_cp1252_rows_are_identical_in_utf8(utf8, cp1252):
    by_key = {match_key(r): r for r in utf8.rows}
    assert len(by_key) == len(utf8.rows)
    for row in cp1252.rows:
        twin = by_key[match_key(row)]
        assert (row.family_name, row.given_name, row.role, row.class_name, row.grade_level, row.birth_date) == (
            twin.family_name, twin.given_name, twin.role, twin.class_name, twin.grade_level, twin.birth_date)
    # The rows cp1252 cannot hold are exactly the ones missing.
    missing = [r for r in utf8.rows if match_key(r) not in {match_key(c) for c in cp1252.rows}]
    assert len(missing) == len(utf8.rows) - len(cp1252.rows)
    for row in missing:
        with pytest.raises(UnicodeEncodeError):
            (row.family_name + row.given_name).encode("cp1252")


def test_comma_lf_and_bom_variants_give_the_same_rows(utf8):
    text = (DATA / "pupils-utf8.csv").read_bytes().decode("utf-8")
    comma = text.replace(";", ",")
    lf = text.replace("\r\n", "\n")
    for variant in (comma.encode(), lf.encode(), b"\xef\xbb\xbf" + text.encode(), b"\xef\xbb\xbf" + comma.encode()):
        preview = parse(variant)
        assert preview.ok
        assert [(r.line_no, match_key(r), r.class_name) for r in preview.rows] == [
            (r.line_no, match_key(r), r.class_name) for r in utf8.rows]
    assert parse(comma.encode()).delimiter == ","
    assert parse(b"\xef\xbb\xbf" + text.encode()).encoding == "utf-8-sig"


# --- columns --------------------------------------------------------------------------------------------


def test_english_headers_any_order_case_and_whitespace():
    preview = parse(csv_lines(
        "Pupil,6a,Ida,Neumann,2015-03-22,ida@example.org,IDA.N",
        header=" ROLE , class,First_Name, Family Name ,birth_date,E-Mail,Username", newline="\n"))
    assert preview.ok, preview.rows[0].errors
    row = preview.rows[0]
    assert (row.given_name, row.family_name, row.role, row.class_name) == ("Ida", "Neumann", Role.PUPIL, "6a")
    assert (row.birth_date, row.email, row.username) == (date(2015, 3, 22), "ida@example.org", "ida.n")


def test_german_aliases_and_unknown_columns_are_listed():
    preview = parse(csv_lines("Koch;Paul;5a;Schüler;x", header="Familienname;Rufname;Klasse;Rolle;Religion"))
    assert preview.ok
    assert preview.ignored_columns == ["Religion"]


@pytest.mark.parametrize("missing", ["Nachname", "Vorname", "Rolle"])
def test_missing_required_column_is_a_file_error(missing):
    header = ";".join(c for c in HEADER.split(";") if c != missing)
    preview = parse(csv_lines("A;B;C;D", header=header))
    assert file_codes(preview) == ["missing_column"]
    assert preview.file_errors[0].field in {"family_name", "given_name", "role"}
    assert missing in preview.file_errors[0].de
    assert preview.rows == [] and not preview.ok


def test_class_column_is_only_needed_for_pupils():
    assert parse(csv_lines("Böhm;Sabine;Lehrkraft", header="Nachname;Vorname;Rolle")).ok
    preview = parse(csv_lines("Koch;Paul;Schüler", header="Nachname;Vorname;Rolle"))
    assert codes(preview.rows[0]) == ["pupil_without_class"]


def test_duplicate_column_is_a_file_error():
    preview = parse(csv_lines("A;B;C;5a;Schüler", header="Nachname;Name;Vorname;Klasse;Rolle"))
    assert file_codes(preview) == ["duplicate_column"]


def test_excel_sep_hint_and_leading_blank_lines_keep_line_numbers():
    preview = parse("sep=,\r\n\r\nNachname,Vorname,Klasse,Rolle\r\nKoch,Paul,5a,Schüler\r\n")
    assert preview.ok and preview.delimiter == ","
    assert preview.rows[0].line_no == 4


# --- file errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n"])
def test_empty_file(data):
    assert file_codes(parse(data)) == ["file_empty"]


def test_header_only():
    assert file_codes(parse(HEADER + "\r\n;;;;\r\n")) == ["no_rows"]


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 4,
    b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 50,  # .xlsx
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50,  # .xls
    "Nachname;Vorname;Klasse;Rolle\r\n".encode("utf-16"),
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    b"\x01\x02\x03\x04\x05\x06\x07\x08" * 20 + b"Nachname;Vorname",
])
def test_binary_input_is_refused_clearly(data):
    preview = parse(data)
    assert file_codes(preview) == ["file_not_csv"]
    assert "CSV" in preview.file_errors[0].de and "CSV" in preview.file_errors[0].en
    assert preview.rows == []


def test_size_limit():
    data = (DATA / "pupils-utf8.csv").read_bytes()
    assert file_codes(parse(data, max_bytes=len(data) - 1)) == ["file_too_large"]
    assert parse(data, max_bytes=len(data)).ok


def test_bad_default_school_year_is_a_programming_error():
    with pytest.raises(ValueError):
        parse(csv_lines("Koch;Paul;5a;;Schüler"), default_school_year="2026/28")


# --- row errors -----------------------------------------------------------------------------------------


def test_row_errors_at_the_right_line_numbers():
    text = csv_lines(
        "Koch;Paul;5a;18.12.2016;Schüler",                 # 2 ok
        ";Paul;5a;18.12.2016;Schüler",                     # 3 empty family name
        "Koch;Paul;5a;31.02.2016;Schüler",                 # 4 bad date
        "",                                                # 5 blank, skipped
        "Koch;Emil;5a;01.01.2030;Schüler",                 # 6 future
        "Koch;Ute;5a;01.01.1950;Schüler",                  # 7 implausible for a pupil
        "Koch;Anna;5a;01.01.2016;Hausmeister",             # 8 unknown role
        "Koch;Ben;;01.01.2016;Schüler",                    # 9 pupil without class
        f"{'x' * 101};Carl;5a;01.01.2016;Schüler",         # 10 too long
        "Ko\x07ch;Dora;5a;01.01.2016;Schüler",             # 11 control character
        "Koch;Paul;5a;18.12.2016;Schülerin",               # 12 duplicate of line 2
        "Koch;Eva;Förder;01.01.2016;Schüler",              # 13 unknown class
        "Koch;Finn;5a;01.01.16;Schüler",                   # 14 two-digit year
        "Koch;Gil;5a;01.01.2016;Schüler;extra",            # 15 extra cell
        "123;Hans;5a;01.01.2016;Schüler",                  # 16 no letters
    )
    preview = parse(text)
    by_line = {row.line_no: codes(row) for row in preview.rows}
    assert by_line == {
        2: [], 3: ["name_empty"], 4: ["birth_date_invalid"], 6: ["birth_date_future"],
        7: ["birth_date_implausible"], 8: ["role_unknown"], 9: ["pupil_without_class"],
        10: ["name_too_long"], 11: ["name_control_chars"], 12: ["duplicate_row"], 13: ["class_unknown"],
        14: ["birth_date_two_digit_year"], 15: ["extra_cells"], 16: ["name_invalid"],
    }
    assert not preview.ok
    assert preview.counts["rows_with_errors"] == len(by_line) - 1
    duplicate = next(r for r in preview.rows if r.line_no == 12).errors[0]
    assert "Zeile 2" in duplicate.de and "line 2" in duplicate.en


def test_messages_are_bilingual_with_field():
    row = parse(csv_lines("Koch;Paul;5a;31.02.2016;Schüler")).rows[0]
    message = row.errors[0]
    assert isinstance(message, Message)
    assert message.field == "birth_date"
    assert "Geburtsdatum" in message.text("de") and "Birth date" in message.text("en")


def test_teacher_age_range_differs_from_pupils():
    preview = parse(csv_lines("Krause;Thomas;;01.01.1970;Lehrer", "Krause;Tim;;01.01.2016;Lehrer"))
    assert [codes(r) for r in preview.rows] == [[], ["birth_date_implausible"]]


def test_quoted_cells_with_delimiter_and_multiline_start_line():
    preview = parse('Nachname,Vorname,Klasse,Rolle\n"Müller, geb. Schulz",Anna,5a,Schüler\n'
                    '"Koch\nLeo",Max,5a,Schüler\nWolf,Ida,5b,Schüler\n')
    assert preview.rows[0].family_name == "Müller, geb. Schulz" and preview.rows[0].ok
    assert (preview.rows[1].line_no, codes(preview.rows[1])) == (3, ["name_control_chars"])
    assert preview.rows[2].line_no == 5


def test_whitespace_and_unicode_normalisation():
    decomposed = "Mu\u0308ller"
    row = parse(csv_lines(f"  {decomposed}  ;  Anna   Lena ; 5a ; 1.2.2016 ;SCHÜLERIN ")).rows[0]
    assert row.ok, row.errors
    assert (row.family_name, row.given_name, row.class_name) == ("Müller", "Anna Lena", "5a")
    assert row.birth_date == date(2016, 2, 1) and row.role == Role.PUPIL


@pytest.mark.parametrize("raw, role", [
    ("Schüler", Role.PUPIL), ("schülerin", Role.PUPIL), ("SuS", Role.PUPIL), ("pupil", Role.PUPIL),
    ("Student", Role.PUPIL), ("Lehrer", Role.TEACHER), ("Lehrerin", Role.TEACHER), ("Lehrkraft", Role.TEACHER),
    ("teacher", Role.TEACHER),
])
def test_role_aliases(raw, role):
    row = parse(csv_lines(f"Koch;Paul;5a;;{raw}")).rows[0]
    assert row.role == role and row.ok


def test_invalid_optional_cells():
    preview = parse(csv_lines("Koch;Paul;5a;kein-mail;Nö!;2026-27;Schüler",
                              header="Nachname;Vorname;Klasse;E-Mail;Benutzername;Schuljahr;Rolle"))
    assert codes(preview.rows[0]) == ["email_invalid", "username_invalid", "school_year_invalid"]


def test_school_year_column_overrides_default():
    preview = parse(csv_lines("Koch;Paul;5a;2027/28;Schüler", "Koch;Lea;5a;;Schüler",
                              header="Nachname;Vorname;Klasse;Schuljahr;Rolle"))
    assert [r.school_year for r in preview.rows] == ["2027/28", "2026/27"]


# --- duplicates and matching ----------------------------------------------------------------------------


def test_duplicates_by_match_key_and_username():
    preview = parse(csv_lines(
        "Groß;Zoë;5a;26.12.2016;Schüler;zoe",
        "GROSS; zoë ;5b;2016-12-26;Schüler;zoe2",      # same person despite case, ß and spacing
        "Groß;Zoë;5a;26.12.2015;Schüler;zoe",          # other person, same username
        "Böhm;Sabine;;;Lehrkraft;",
        "Böhm;Sabine;;;Lehrerin;",                     # no birth date: matched by name + role
        "Böhm;Sabine;5a;;Schüler;",                    # same name, other role: someone else
        header=HEADER + ";Benutzername"))
    assert [codes(r) for r in preview.rows] == [
        [], ["duplicate_row"], ["duplicate_username"], [], ["duplicate_row"], []]


def test_match_key_works_for_user_like_objects():
    class UserLike:
        family_name, given_name, role = "Bauer ", "BJÖRN", Role.PUPIL
        birth_date = date(2015, 2, 2)

    row = parse(csv_lines("Bauer;Björn;6a;02.02.2015;Schüler")).rows[0]
    assert match_key(row) == match_key(UserLike()) == ("bauer", "björn", "2015-02-02")


# --- classes, usernames, passwords ----------------------------------------------------------------------


@pytest.mark.parametrize("name, grade", [
    ("5a", 5), ("10b", 10), ("10 b", 10), ("5", 5), ("13", 13), ("7.2", 7), ("5/1", 5), ("1a", 1),
    ("EF", 11), ("ef", 11), ("E1", 11), ("E2", 11), ("Q1", 12), ("Q2", 13), ("q1 LK", 12), ("J1", 12),
    ("K2", 13), ("14a", None), ("0a", None), ("105", None), ("Förder", None), ("Kl. 5a", None), ("", None),
])
def test_grade_derivation(name, grade):
    assert grade_for_class(name) == grade


@pytest.mark.parametrize("given, family, expected", [
    ("Björn", "Bauer", "bjoern.bauer"),
    ("Jürgen", "Groß", "juergen.gross"),
    ("ÖMER", "Öztürk", "oemer.oeztuerk"),
    ("Łukasz", "Dąbrowski", "lukasz.dabrowski"),
    ("Şeyma", "Yılmaz", "seyma.yilmaz"),
    ("Thị Lan", "Nguyễn", "thilan.nguyen"),
    ("Anna-Lena", "O'Brien", "annalena.obrien"),
    ("Chloé", "Schäfer", "chloe.schaefer"),
    ("李", "Wang", "wang"),
    ("李", "王", "user"),
])
def test_make_username(given, family, expected):
    assert make_username(given, family, set()) == expected


def test_make_username_collisions():
    taken: set[str] = set()
    names = []
    for _ in range(4):
        name = make_username("Björn", "Bauer", taken)
        taken.add(name)
        names.append(name)
    assert names == ["bjoern.bauer", "bjoern.bauer2", "bjoern.bauer3", "bjoern.bauer4"]
    assert make_username("Björn", "Bauer", {"Bjoern.Bauer"}) == "bjoern.bauer2"
    assert make_username("Björn", "Bauer", {"bjoern.bauer2"}) == "bjoern.bauer"


def test_make_username_is_ascii_and_bounded():
    name = make_username("Ä" * 80, "Ö" * 80, set())
    assert name.isascii() and len(name) <= 60
    assert re.fullmatch(r"[a-z]+(\.[a-z]+)?\d*", make_username("Ærøskøbing", "Đặng", set()))


def test_initial_password_alphabet_and_entropy():
    assert not set("0Oo1lIi") & set(PASSWORD_ALPHABET)
    assert len(set(PASSWORD_ALPHABET)) == len(PASSWORD_ALPHABET)
    passwords = [initial_password() for _ in range(300)]
    assert len(set(passwords)) == len(passwords)
    for password in passwords:
        groups = password.split("-")
        assert len(groups) == 3 and all(len(g) == 5 for g in groups)
        assert set("".join(groups)) <= set(PASSWORD_ALPHABET)
    assert password_entropy_bits() == pytest.approx(15 * math.log2(len(PASSWORD_ALPHABET)))
    assert password_entropy_bits() >= 60
    # Every symbol gets used: secrets.choice over the whole alphabet.
    assert set("".join(passwords).replace("-", "")) == set(PASSWORD_ALPHABET)
