"""German first: every user-facing message in code and templates has a German translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from schoolcloud.web.i18n import in_locale, negotiate

ROOT = Path(__file__).resolve().parents[1]


def test_every_message_is_translated_to_german(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "schoolcloud/locale/babel.cfg",
                    "-k", "N_", "-k", "gettext_", "-k", "in_locale:2", "-k", "AppError:2", "--no-location",
                    "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (ROOT / "schoolcloud/locale/de/LC_MESSAGES/messages.po").open("rb") as f:
        german = {m.id: m.string for m in read_po(f, locale="de") if m.id}
    def untranslated(translation) -> bool:
        forms = translation if isinstance(translation, (tuple, list)) else (translation,)
        return not forms or not all(forms)  # a plural entry needs every form

    missing = sorted(m if isinstance(m, str) else m[0] for m in wanted if untranslated(german.get(m)))
    assert not missing, f"untranslated (run `make messages`, then translate): {missing}"


def test_placeholders_survive_translation():
    with (ROOT / "schoolcloud/locale/de/LC_MESSAGES/messages.po").open("rb") as f:
        for message in read_po(f, locale="de"):
            ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
            strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            for text in filter(None, strings):
                for token in ("%(", "%s"):
                    if len(ids) == 1:
                        assert text.count(token) == ids[0].count(token), message.id
                    else:  # a plural form may leave the number out ("ein Konto"), never add one
                        assert text.count(token) <= max(i.count(token) for i in ids), message.id


def test_lookup_and_negotiation():
    assert in_locale("de", "Log out") == "Abmelden"
    assert in_locale("en", "Log out") == "Log out"
    assert negotiate("en-US;q=0.5,de;q=0.9", "en") == "de"
    assert negotiate("en-US,de;q=0.9", "de") == "en"
    assert negotiate("", "en") == "en"


def test_catalogues_compile_as_babel_compiles_them():
    """schoolcloud.web.po (standard library only, used at start-up) gives what Babel's read_po + write_mo
    give: the same messages, plural forms and charset, for the shipped catalogues and for the cases they
    may come to contain (fuzzy, untranslated, plural with a missing form, context, escapes, obsolete)."""
    import gettext
    import io

    from babel.messages.mofile import write_mo

    from schoolcloud.web.i18n import LOCALE_DIR
    from schoolcloud.web.po import compile_po

    edge_cases = (LOCALE_DIR / "de/LC_MESSAGES/messages.po").read_text().split("\n\n")[0] + '''

#, fuzzy
msgid "Unsure"
msgstr "Unsicher"

msgid "Not yet"
msgstr ""

msgid "%(num)d file"
msgid_plural "%(num)d files"
msgstr[0] "%(num)d Datei"
msgstr[1] ""

msgctxt "month"
msgid "May"
msgstr "Mai"

msgid ""
"Two \\"lines\\"\\n"
"and a tab\\t\\\\"
msgstr ""
"Zwei \\"Zeilen\\"\\n"
"und ein Tab\\t\\\\"

#~ msgid "Gone"
#~ msgstr "Weg"
'''

    def both(text: str, locale: str):
        compiled = io.BytesIO()
        write_mo(compiled, read_po(io.BytesIO(text.encode()), locale=locale))
        compiled.seek(0)
        return gettext.GNUTranslations(compiled), gettext.GNUTranslations(io.BytesIO(compile_po(text)))

    for locale in ("de", "en"):
        texts = [(LOCALE_DIR / locale / "LC_MESSAGES/messages.po").read_text()] + ([edge_cases] if locale == "de" else [])
        for text in texts:
            babel, ours = both(text, locale)
            assert {k: v for k, v in ours._catalog.items() if k} == {k: v for k, v in babel._catalog.items() if k}
            assert [ours.plural(n) for n in range(5)] == [babel.plural(n) for n in range(5)]
            assert ours._charset == babel._charset
    babel, ours = both(edge_cases, "de")
    assert ours.gettext("Unsure") == "Unsure" and ours.pgettext("month", "May") == "Mai"
    assert ours.ngettext("%(num)d file", "%(num)d files", 2) == "%(num)d files"
    assert ours.gettext('Two "lines"\nand a tab\t\\') == 'Zwei "Zeilen"\nund ein Tab\t\\'
