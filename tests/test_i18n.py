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
