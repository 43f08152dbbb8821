"""The record of processing activities and the TOMs (privacy/records.py): read from the real settings and
database, so changing a setting changes the document; each school administrator reaches only their own
school's; the PDF and the ODT carry the same values (read back with pypdf and odfpy)."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Role, School
from schoolcloud.config import load_settings
from schoolcloud.privacy import records, records_render
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
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


CONTACT = {"head_name": "Dr. Hella Leitung", "street": "Deichstraße 5", "postal_code": "26506", "city": "Norden",
           "phone": "04931 12345", "email": "sekretariat@gs-deich.example", "dpo_name": "Dieter Datenschutz",
           "dpo_email": "dsb@schulamt.example", "dpo_phone": "+49 4931 999-0"}
PROCESSOR = {"PROCESSOR_NAME": "Kommunales Rechenzentrum Nord", "PROCESSOR_ADDRESS": "Am Hafen 1, 26506 Norden",
             "PROCESSOR_CONTACT": "schulcloud@krz-nord.example", "PROCESSOR_DPO": "Paula Prüfer, dsb@krz-nord.example"}


async def test_contact_details_are_entered_by_the_school_and_appear_in_page_pdf_and_odt(app):
    school = await make_school(name="Gesamtschule Am Deich")
    admin = await make_user(school, Role.SCHOOL_ADMIN)
    teacher = await make_user(school, Role.TEACHER)
    async with logged_in(app, admin) as http:
        # Nothing entered yet: the record says what is missing and who fills it in.
        empty = joined("\n".join(pdf_pages((await http.get(f"/privacy/records/{school.id}.pdf")).content)))
        assert "Noch zu ergänzen" in empty
        for label in ("Schulleitung", "Anschrift", "Kontakt (E-Mail, Telefon)", "Betreiber"):
            assert label in empty, label
        assert "FEHLT: von der Schuladministration unter „Datenschutz“ einzutragen" in empty
        assert "FEHLT: vom Betreiber in der Einstellung SCHOOLCLOUD_PROCESSOR_NAME einzutragen" in empty
        assert "FEHLT" in odt_text((await http.get(f"/privacy/records/{school.id}.odt")).content)

        page = await http.get("/privacy")
        assert 'action="/privacy/school-contact"' in page.text
        assert '<label for="f-dpo_email">E-Mail-Adresse der oder des Datenschutzbeauftragten' in page.text
        token = browser.csrf_from(page.text)
        bad = await http.post("/privacy/school-contact", data={
            **CONTACT, "postal_code": "2650", "dpo_email": "dsb@", "phone": "ruf an", "csrf_token": token})
        assert bad.status_code == 422
        assert "Eine Postleitzahl hat fünf Ziffern." in bad.text and 'aria-invalid="true"' in bad.text
        assert 'href="#f-dpo_email"' in bad.text and 'value="Deichstraße 5"' in bad.text  # kept for correcting
        assert (await School.get(id=school.id)).street == ""  # nothing half-written
        english = await http.post("/privacy/school-contact", headers={"Accept-Language": "en"},
                                  data={**CONTACT, "postal_code": "x", "csrf_token": token})
        assert english.status_code == 422 and "A postal code has five digits." in english.text

        saved = await http.post("/privacy/school-contact", data={**CONTACT, "csrf_token": token})
        assert saved.status_code == 303 and saved.headers["location"] == "/privacy#contact-heading"
        page = await http.get(f"/privacy/records/{school.id}")
        assert "Dr. Hella Leitung" in page.text and "Deichstraße 5, 26506 Norden" in page.text
        assert "dsb@schulamt.example, Tel. +49 4931 999-0" in page.text
        pdf = joined("\n".join(pdf_pages((await http.get(f"/privacy/records/{school.id}.pdf")).content)))
        odt = odt_text((await http.get(f"/privacy/records/{school.id}.odt")).content)
        for text in (pdf, odt):
            for expected in ("Dr. Hella Leitung", "Deichstraße 5, 26506 Norden", "sekretariat@gs-deich.example",
                             "Tel. 04931 12345", "Dieter Datenschutz", "dsb@schulamt.example"):
                assert expected in text, expected
            assert "FEHLT: von der Schuladministration" not in text  # the school's part is complete
            assert "SCHOOLCLOUD_PROCESSOR_DPO" in text  # the operator's is not (the test server sets none)
    event = await AuditEvent.filter(action="school.contact_changed", school_id=school.id).get()
    assert event.actor == str(admin.public_id) and event.details["fields"] == list(CONTACT)
    assert "Dieter" not in repr(event.details)  # field names, not the values

    async with logged_in(app, teacher) as http:
        page = await http.get("/privacy")
        assert "school-contact" not in page.text
        refused = await http.post("/privacy/school-contact", data={**CONTACT, "head_name": "Ich",
                                                                   "csrf_token": browser.csrf_from(page.text)})
        assert refused.status_code == 403
    assert (await School.get(id=school.id)).head_name == "Dr. Hella Leitung"

    # The operator's details come from the settings; with them the record has nothing left to fill in.
    complete = await records.build(await School.get(id=school.id), settings_of(app, **PROCESSOR))
    assert values(complete, "processor")["Betreiber"] == "Kommunales Rechenzentrum Nord"
    assert "todo" not in [sub.id for part in complete.parts for sub in part.parts]
    for locale in ("de", "en"):
        pdf = joined("\n".join(pdf_pages(records_render.pdf(complete, locale))))
        odt = odt_text(records_render.odt(complete, locale))
        for text in (pdf, odt):
            for expected in PROCESSOR.values():
                assert expected in text, (locale, expected)
            assert "FEHLT" not in text and "MISSING" not in text
    english = values(complete, "dpo", "en")
    assert english["Contact (e-mail, phone)"] == "dsb@schulamt.example, phone +49 4931 999-0"


async def test_administrators_read_and_change_the_contact_details_through_the_api(app):
    from tests.support.files import api_client

    school = await make_school(name="Oberschule Am Hafen")
    other = await make_school()
    admin = await make_user(school, Role.SCHOOL_ADMIN)
    teacher = await make_user(school, Role.TEACHER)
    await School.filter(id=other.id).update(dpo_name="Fremder Beauftragter")
    async with api_client(app.base_url, admin) as http:
        empty = await http.get("/api/v1/privacy/contact")
        assert empty.status_code == 200
        assert empty.json() == {"school_id": school.id, "school_name": "Oberschule Am Hafen",
                                **{name: "" for name in CONTACT}}  # its own school only
        saved = await http.patch("/api/v1/privacy/contact", json=CONTACT)
        assert saved.status_code == 200 and saved.json()["dpo_email"] == "dsb@schulamt.example"
        # Fields not sent stay; an empty string clears one.
        changed = await http.patch("/api/v1/privacy/contact", json={"dpo_phone": "", "city": "Emden"})
        assert changed.status_code == 200, changed.text
        assert changed.json() == {"school_id": school.id, "school_name": "Oberschule Am Hafen",
                                  **CONTACT, "dpo_phone": "", "city": "Emden"}
        bad = await http.patch("/api/v1/privacy/contact", json={"postal_code": "2650", "name": "Neu"})
        assert bad.status_code == 422 and [f["field"] for f in bad.json()["error"]["fields"]] == ["name"]
        bad = await http.patch("/api/v1/privacy/contact", json={"postal_code": "2650", "dpo_email": "dsb@"},
                               headers={"Accept-Language": "de"})
        assert bad.status_code == 422
        assert {f["field"] for f in bad.json()["error"]["fields"]} == {"postal_code", "dpo_email"}
        assert "Eine Postleitzahl hat fünf Ziffern." in bad.text
        english = await http.patch("/api/v1/privacy/contact", json={"postal_code": "x"},
                                   headers={"Accept-Language": "en"})
        assert english.status_code == 422 and "A postal code has five digits." in english.text
        paths = (await http.get("/api/v1/openapi.json")).json()["paths"]
        assert set(paths["/privacy/contact"]) >= {"get", "patch"}
        assert all(op.get("summary") for op in paths["/privacy/contact"].values())
    stored = await School.get(id=school.id)
    assert stored.postal_code == "26506" and stored.city == "Emden" and stored.dpo_phone == ""
    assert (await School.get(id=other.id)).dpo_name == "Fremder Beauftragter"
    assert await AuditEvent.filter(action="school.contact_changed", school_id=school.id).count() == 2
    async with api_client(app.base_url, teacher) as http:
        assert (await http.get("/api/v1/privacy/contact")).status_code == 403
        assert (await http.patch("/api/v1/privacy/contact", json={"dpo_name": "Ich"})).status_code == 403
    assert (await School.get(id=school.id)).dpo_name == "Dieter Datenschutz"
