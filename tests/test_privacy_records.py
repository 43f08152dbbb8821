"""The record of processing activities and the TOMs (privacy/records.py): read from the real settings and
database, so changing a setting changes the document; each school administrator reaches only their own
school's; the PDF and the ODT carry the same values (read back with pypdf and odfpy)."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.config import load_settings
from schoolcloud.privacy import records, records_render
from tests.support.data import logged_in, make_school, make_user
from tests.support.export_readers import joined, odt_text, pdf_pages


def settings_of(app, **changes: str):
    """The settings the test server runs with, with some variables changed, through the real loader."""
    env = {k: v for k, v in app.env.items() if k.startswith("SCHOOLCLOUD_")}
    env.update({f"SCHOOLCLOUD_{k}": v for k, v in changes.items()})
    return load_settings(env)


def values(doc: records.Records, part_id: str, locale: str = "de") -> dict[str, str]:
    text = records_render.text_for(locale)
    return {text(label): text(value) for label, value in doc.find(part_id).rows}


async def test_the_document_follows_the_configuration(app):
    school = await make_school(name="Gesamtschule Am Deich", school_number="SN-4711", state="NI")
    await make_user(school, Role.PUPIL)
    await make_user(school, Role.PUPIL)
    local = await records.build(school, settings_of(app))
    storage = values(local, "storage")
    assert storage["Dateiinhalte"] == "lokaler Datenträger des Anwendungsservers"
    assert storage["Speicherort"] == str(settings_of(app).storage_path) and "S3-Endpunkt" not in storage
    assert values(local, "controller")["Schule"] == "Gesamtschule Am Deich"
    assert values(local, "controller")["Land"] == "Niedersachsen"
    assert "Schülerinnen und Schüler (2)" in values(local, "accounts")["Betroffene"]
    login = values(local, "access", "en")["Login service"]
    assert login.startswith(f"embedded ({app.base_url}/idp)")
    assert values(local, "retention")["Papierkorb"] == "30 Tage"
    assert values(local, "storage")["Verschlüsselung der Dateiinhalte im Speicher (at rest)"] == "nicht eingeschaltet"
    assert values(local, "retention")["Automatisch: Papierkorb leeren"] == "alle 24 Stunden (Hintergrundauftrag)"
    assert values(local, "retention")["Datenexporte (Art. 15/20)"] == "48 Stunden nach der Erstellung"

    changed = await records.build(school, settings_of(
        app, STORAGE="s3", S3_ENDPOINT="s3.rechenzentrum.example:9000", S3_BUCKET="schule-dateien",
        S3_REGION="de-fra-1", S3_ACCESS_KEY="records-access-key", S3_SECRET_KEY="records-secret-key", S3_SECURE="false",
        OIDC_ISSUER="https://login.example.org/realms/schulen", OIDC_CLIENT_SECRET="records-client-secret",
        TRASH_DAYS="12", EXPORT_EXPIRY_HOURS="6", SESSION_IDLE_MINUTES="25", REDIS_URL="redis://cache.example:6380/0",
        ENCRYPTION_KEY="cmVjb3Jkcy1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc="))
    storage = values(changed, "storage", "en")
    assert storage["File content"] == "S3 object storage"
    assert (storage["S3 endpoint"], storage["Region"], storage["Bucket"]) == \
        ("s3.rechenzentrum.example:9000", "de-fra-1", "schule-dateien")
    assert storage["Connection to the store encrypted (HTTPS)"] == "no"
    assert storage["Encryption of file content at rest"].startswith("enabled: AES-256-GCM")
    access = values(changed, "access", "en")
    assert access["Login service"].startswith("external: https://login.example.org/realms/schulen")
    assert access["Session ends when idle for"] == "25 minutes"
    assert access["Counters of failed logins"] == "in Redis, shared by every instance"
    assert "https://login.example.org/realms/schulen" in access["Content security policy"]
    assert values(changed, "retention", "en")["Trash"] == "12 days"
    assert values(changed, "retention", "en")["Data exports (Art. 15/20)"] == "6 hours after they are made"
    assert "cache.example:6380" in values(changed, "logging", "en")["Redis"]
    # No secret of the configuration reaches the document.
    flat = repr([values(changed, sub.id, "en") for part in changed.parts for sub in part.parts])
    for secret in ("records-access-key", "records-secret-key", "records-client-secret", settings_of(app).secret_key,
                   "cmVjb3Jkcy1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc="):
        assert secret not in flat

    # The PDF, read back: the changed values are in it, German first.
    text = joined("\n".join(pdf_pages(records_render.pdf(changed, "de"))))
    for expected in ("Gesamtschule Am Deich", "SN-4711", "s3.rechenzentrum.example:9000", "de-fra-1",
                     "schule-dateien", "12 Tage", "25 Minuten", "login.example.org/realms/schulen"):
        assert expected in text, expected
    assert "Verzeichnis von Verarbeitungstätigkeiten" in text and "lokaler Datenträger" not in text


async def test_each_school_administrator_reaches_only_their_own_school(app):
    school, other = await make_school(name="Realschule Nord"), await make_school(name="Realschule Süd")
    admin = await make_user(school, Role.SCHOOL_ADMIN, given_name="Ada", family_name="Admin")
    teacher = await make_user(school, Role.TEACHER)
    operator = await make_user(None, Role.OPERATOR)
    async with logged_in(app, admin) as http:
        page = await http.get(f"/privacy/records/{school.id}")
        assert page.status_code == 200, page.text
        assert "Realschule Nord" in page.text and "Ada Admin" in page.text and "Realschule Süd" not in page.text
        assert f'href="/privacy/records/{school.id}.pdf"' in page.text
        assert f'href="/privacy/records/{school.id}"' in (await http.get("/privacy")).text
        english = await http.get(f"/privacy/records/{school.id}", headers={"Accept-Language": "en"})
        assert "Record of processing activities" in english.text
        for path in (f"/privacy/records/{other.id}", f"/privacy/records/{other.id}.pdf",
                     f"/privacy/records/{other.id}.odt", "/privacy/records/999999", f"/privacy/records/{school.id}.exe"):
            assert (await http.get(path)).status_code == 404, path

        pdf = await http.get(f"/privacy/records/{school.id}.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert "attachment" in pdf.headers["content-disposition"]
        text = joined("\n".join(pdf_pages(pdf.content)))
        assert "Realschule Nord" in text and "Realschule Süd" not in text and "30 Tage" in text
        odt = await http.get(f"/privacy/records/{school.id}.odt")
        assert odt.status_code == 200 and odt.headers["content-type"] == "application/vnd.oasis.opendocument.text"
        body = odt_text(odt.content)
        assert "Realschule Nord" in body and "Papierkorb" in body and "30 Tage" in body
    async with logged_in(app, teacher) as http:
        assert (await http.get(f"/privacy/records/{school.id}")).status_code == 403
    async with logged_in(app, operator) as http:
        page = await http.get(f"/privacy/records/{other.id}")
        assert page.status_code == 200 and "Realschule Süd" in page.text
        assert f'href="/operator/schools/{other.id}"' in page.text


@pytest.mark.postgres
async def test_the_database_kind_is_the_one_in_use(app, database_url):
    school = await make_school()
    doc = await records.build(school, settings_of(app))
    database = values(doc, "storage", "en")["Database"]
    assert database.startswith("PostgreSQL at 127.0.0.1:5432/sc_test_" if database_url else "SQLite")
