import io
import re
import unicodedata
from datetime import date
from pathlib import Path

import pypdf
import pytest

from schoolcloud.accounts.csv_import import initial_password, make_username, parse_roster
from schoolcloud.accounts.letters import (
    TEMPLATE,
    TEMPLATES_DIR,
    AccessLetter,
    render_access_letters,
    render_access_letters_html,
)

LOGIN_URL = "https://cloud.gs-sued.example/login"
ISSUED = date(2026, 9, 1)


def render(letters, **kwargs):
    kwargs.setdefault("login_url", LOGIN_URL)
    kwargs.setdefault("issued_on", ISSUED)
    return render_access_letters("Gesamtschule Süd", letters, **kwargs)


def page_texts(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [unicodedata.normalize("NFC", page.extract_text()) for page in reader.pages]


def letter(given, family, class_name, username=None):
    return AccessLetter(given, family, class_name, username or make_username(given, family, set()),
                        initial_password())


HAND_PICKED = [
    letter("Jürgen", "Schneider", "5b"),
    letter("Andrea", "Lehmann", None),
    letter("Ömer", "Koch", "10b"),
    letter("Łukasz", "Dąbrowski", "5b"),
    letter("Şeyma", "Yılmaz", "Q1"),
    letter("Thị Lan", "Nguyễn", None),
    letter("Mia", "Öztürk", "5b"),
    letter("Zoë", "Zimmermann", "5a"),
    letter("Paul", "Koch", "EF"),
    letter("Ida", "Bauer", "6a"),
]
EXPECTED_ORDER = [  # 5a < 5b < 6a < 10b < EF < Q1, names in dictionary order (Ö with O), teachers last
    ("Zimmermann", "5a"), ("Dąbrowski", "5b"), ("Öztürk", "5b"), ("Schneider", "5b"), ("Bauer", "6a"),
    ("Koch", "10b"), ("Koch", "EF"), ("Yılmaz", "Q1"), ("Lehmann", None), ("Nguyễn", None),
]


@pytest.fixture(scope="module")
def hand_picked_pages():
    return page_texts(render(HAND_PICKED))


@pytest.fixture(scope="module")
def sample_letters():
    preview = parse_roster(Path("/work/shared/data/pupils-utf8.csv").read_bytes(), default_school_year="2026/27",
                           today=ISSUED)
    taken: set[str] = set()
    letters = []
    for row in preview.rows:
        username = make_username(row.given_name, row.family_name, taken)
        taken.add(username)
        letters.append(AccessLetter(row.given_name, row.family_name, row.class_name, username, initial_password()))
    return letters


def owner(page: str, letters: list[AccessLetter]) -> AccessLetter:
    found = [item for item in letters if item.password in page]
    assert len(found) == 1, page
    return found[0]


def test_one_page_per_person_in_class_then_name_order(hand_picked_pages):
    assert len(hand_picked_pages) == len(HAND_PICKED)
    order = [(owner(page, HAND_PICKED).family_name, owner(page, HAND_PICKED).class_name)
             for page in hand_picked_pages]
    assert order == EXPECTED_ORDER


def test_each_page_has_the_persons_data(hand_picked_pages):
    for number, page in enumerate(hand_picked_pages, start=1):
        person = owner(page, HAND_PICKED)
        assert f"{person.given_name} {person.family_name}" in page
        assert person.username in page
        assert LOGIN_URL in page
        assert "Gesamtschule Süd" in page
        assert "1. September 2026" in page
        assert "neues Passwort" in page and "nicht weiter" in page
        assert re.search(rf"Seite {number} von {len(HAND_PICKED)}\s*$", page)
        if person.class_name:
            assert f"Klasse {person.class_name}" in page
        else:
            assert "Lehrkräfte" in page


@pytest.mark.parametrize("name", ["Ömer", "Łukasz", "Dąbrowski", "Şeyma", "Yılmaz", "Nguyễn", "Thị Lan", "Jürgen",
                                  "Zoë", "Öztürk"])
def test_diacritics_round_trip(hand_picked_pages, name):
    assert any(name in page for page in hand_picked_pages)


def test_sample_roster_letters(sample_letters):
    pages = page_texts(render(sample_letters))
    assert len(pages) == len(sample_letters)
    owners = [owner(page, sample_letters) for page in pages]
    assert sorted(owners, key=id) == sorted(sample_letters, key=id)
    for page, person in zip(pages, owners):
        assert person.username in page
    class_sequence = [person.class_name for person in owners]
    groups = list(dict.fromkeys(class_sequence))
    assert groups == ["5a", "5b", "6a", "7c", "10b", None]
    teachers = [person for person in owners if person.class_name is None]
    assert [t.family_name for t in teachers] == ["Böhm", "Krause", "Lehmann"]


def test_only_local_dejavu_fonts_are_embedded():
    reader = pypdf.PdfReader(io.BytesIO(render(HAND_PICKED[:3])))
    fonts = {font.get_object()["/BaseFont"] for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("DejaVu" in name for name in fonts)
    assert any("Mono" in name for name in fonts)  # the password


def test_long_names_still_fit_on_one_page():
    long = [letter("Ä" * 100, "Ö" * 100, "5a", username="a" * 60), letter("Maria", "Lopez", None)]
    pages = page_texts(render(long, login_url="https://" + "sehr-lange-adresse." * 8 + "example/login"))
    assert len(pages) == 2


def test_english_letters():
    pages = page_texts(render(HAND_PICKED[:2], locale="en"))
    assert "One-time password" in pages[0] and "Page 1 of 2" in pages[0]
    assert "Teachers" in pages[1] and "September 1, 2026" in pages[1]


def test_template_has_no_external_references():
    source = (TEMPLATES_DIR / TEMPLATE).read_text(encoding="utf-8")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|url\(|@import|<link|<img|<script|src=|href=",
                         source, re.IGNORECASE)
    html = render_access_letters_html("Schule", HAND_PICKED, login_url=LOGIN_URL, issued_on=ISSUED)
    assert set(re.findall(r"https?://[^\s<\"]+", html)) == {LOGIN_URL}


def test_names_are_escaped():
    html = render_access_letters_html('<img src="https://evil.example/x.png">', [
        AccessLetter("<b>Eve</b>", "O'Neil & Co", "5a", "eve", "abcde-fghjk-mnpqr")], login_url=LOGIN_URL)
    assert "<img" not in html and "<b>" not in html
    pages = page_texts(render([AccessLetter("<b>Eve</b>", "O'Neil & Co", "5a", "eve", "abcde-fghjk-mnpqr")]))
    assert "<b>Eve</b> O'Neil & Co" in pages[0]


def test_rejects_empty_list_and_unknown_locale():
    with pytest.raises(ValueError):
        render([])
    with pytest.raises(ValueError):
        render(HAND_PICKED[:1], locale="fr")


def test_resource_fetching_is_refused():
    from weasyprint.urls import FatalURLFetchingError

    from schoolcloud.accounts.letters import _pdf

    with pytest.raises(FatalURLFetchingError):
        _pdf('<img src="http://127.0.0.1:9/x.png">')
