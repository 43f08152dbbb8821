"""The record of processing activities (Art. 30 GDPR) and the technical and organisational measures
(Art. 32), generated for one school from what this instance really runs with: the settings it started
with and the school's rows in the database. Nothing here is a fixed claim about "a" schoolcloud: every
value that differs between installations is read, so the document changes when the configuration does.

The texts are German and English side by side (``L``), like the consent texts in purposes.py: a record
for the data protection officer is a document, not a UI label, and the catalogue would split each
sentence from the value it describes. ``records_render.py`` turns the result into HTML, PDF or ODT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from schoolcloud.accounts.models import Course, Role, School, SchoolClass, User
from schoolcloud.accounts.permissions import require_role
from schoolcloud.config import Settings
from schoolcloud.courses.models import LibraryEntry, Lesson
from schoolcloud.files.models import Node, NodeKind, Space
from schoolcloud.files.sharing_models import PublicLink, Share
from schoolcloud.idp import throttle
from schoolcloud.jobs import prune, registry
from schoolcloud.planning.models import CarrierSchool, PlanDocument
from schoolcloud.privacy import purposes
from schoolcloud.privacy.models import AuditEvent, Consent
from schoolcloud.privacy.retention_rules import BY_NAME
from schoolcloud.privacy.services_retention import rules_and_pending
from schoolcloud.tasks.models import Submission, Task
from schoolcloud.teams.models import Team
from schoolcloud.web.errors import NotFound
from schoolcloud.web.i18n import in_locale
from schoolcloud.web.security import content_security_policy


@dataclass(frozen=True)
class L:
    """One text in German and English."""

    de: str
    en: str

    def get(self, locale: str) -> str:
        return self.de if locale == "de" else self.en


Value = L | str | int


@dataclass
class Part:
    """A heading with rows of (label, value) and optional sub-parts (an activity, a measure)."""

    id: str
    title: L
    rows: list[tuple[L, Value]] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)

    def row(self, label: L, value: Value) -> Part:
        self.rows.append((label, value))
        return self


@dataclass
class Records:
    school: School
    generated_at: datetime
    parts: list[Part]

    def find(self, part_id: str) -> Part:
        for part in self.parts:
            for candidate in (part, *part.parts):
                if candidate.id == part_id:
                    return candidate
        raise KeyError(part_id)


YES = L("ja", "yes")
NO = L("nein", "no")
STATES = {"BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg", "HB": "Bremen",
          "HH": "Hamburg", "HE": "Hessen", "MV": "Mecklenburg-Vorpommern", "NI": "Niedersachsen",
          "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz", "SL": "Saarland", "SN": "Sachsen",
          "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein", "TH": "Thüringen"}
PUBLIC_TASK = L("Art. 6 Abs. 1 lit. e DSGVO i. V. m. dem Schulgesetz des Landes (Erfüllung des Bildungsauftrags)",
                "Art. 6(1)(e) GDPR with the school law of the Land (the school's educational mandate)")


def yes_no(flag: bool) -> L:
    return YES if flag else NO


async def records_for(actor: User, school_id, settings: Settings) -> Records:
    """The document for one school: its own administrators and the operators may read it."""
    require_role(actor, Role.SCHOOL_ADMIN, Role.OPERATOR)
    try:
        wanted = int(school_id)
    except (TypeError, ValueError):
        raise NotFound("school") from None
    if actor.role != Role.OPERATOR and actor.school_id != wanted:
        raise NotFound("school")  # another school's record: as if it did not exist
    school = await School.get_or_none(id=wanted)
    if school is None:
        raise NotFound("school")
    return await build(school, settings)


async def build(school: School, settings: Settings) -> Records:
    parts = [
        await _parties(school, settings),
        await _activities(school, settings),
        await _measures(school, settings),
    ]
    return Records(school=school, generated_at=datetime.now(timezone.utc), parts=parts)


# --- controller and processor ------------------------------------------------------------------------

def missing(by_school: bool, setting: str = "") -> L:
    """The value of a row whose content is not there yet, saying who fills it in where."""
    if by_school:
        return L("FEHLT: von der Schuladministration unter „Datenschutz“ einzutragen",
                 "MISSING: to be entered by the school's administrators under \"Privacy\"")
    return L(f"FEHLT: vom Betreiber in der Einstellung SCHOOLCLOUD_{setting} einzutragen",
             f"MISSING: to be set by the operator in SCHOOLCLOUD_{setting}")


def _address(school: School) -> str:
    town = " ".join(p for p in (school.postal_code, school.city) if p)
    return ", ".join(p for p in (school.street, town) if p) if school.street and school.city else ""


def _contact(email: str, phone: str) -> Value:
    if not (email or phone):
        return ""
    return L(", ".join(p for p in (email, f"Tel. {phone}" if phone else "") if p),
             ", ".join(p for p in (email, f"phone {phone}" if phone else "") if p))


async def _parties(school: School, settings: Settings) -> Part:
    part = Part("parties", L("Verantwortlicher und Auftragsverarbeiter", "Controller and processor"))
    todo = Part("todo", L("Noch zu ergänzen", "Still to be filled in"))

    def row(target: Part, label: L, value: Value, by_school: bool, setting: str = "") -> None:
        if value:
            target.row(label, value)
        else:
            target.row(label, missing(by_school, setting))
            todo.row(L(f"{target.title.de}: {label.de}", f"{target.title.en}: {label.en}"),
                     L("Schuladministration (Seite „Datenschutz“)", "school administrators (\"Privacy\" page)")
                     if by_school else L(f"Betreiber (SCHOOLCLOUD_{setting})", f"operator (SCHOOLCLOUD_{setting})"))

    controller = Part("controller", L("Verantwortlicher (Art. 4 Nr. 7 DSGVO)", "Controller (Art. 4(7) GDPR)"))
    controller.row(L("Schule", "School"), school.name)
    controller.row(L("Schulnummer", "School number"), school.school_number or L("nicht erfasst", "not recorded"))
    controller.row(L("Land", "Land (federal state)"),
                   STATES.get(school.state, school.state) or L("nicht erfasst", "not recorded"))
    row(controller, L("Schulleitung", "Head of school"), school.head_name, True)
    row(controller, L("Anschrift", "Postal address"), _address(school), True)
    row(controller, L("Kontakt (E-Mail, Telefon)", "Contact (e-mail, phone)"), _contact(school.email, school.phone), True)
    admins = await User.filter(school_id=school.id, role=Role.SCHOOL_ADMIN, active=True) \
        .order_by("family_name", "given_name")
    controller.row(L("Schuladministration (Ansprechpersonen in schoolcloud)", "School administrators (contacts in "
                     "schoolcloud)"), ", ".join(a.display_name for a in admins) or L("keine", "none"))
    carrier = await CarrierSchool.get_or_none(school_id=school.id).select_related("carrier")
    controller.row(L("Schulträger", "School carrier (Schulträger)"),
                   carrier.carrier.name if carrier else L("nicht zugeordnet", "not assigned"))

    dpo = Part("dpo", L("Datenschutzbeauftragte oder Datenschutzbeauftragter des Verantwortlichen (Art. 37 DSGVO)",
                        "The controller's data protection officer (Art. 37 GDPR)"))
    row(dpo, L("Name", "Name"), school.dpo_name, True)
    row(dpo, L("Kontakt (E-Mail, Telefon)", "Contact (e-mail, phone)"), _contact(school.dpo_email, school.dpo_phone),
        True)

    processor = Part("processor", L("Auftragsverarbeiter (Art. 28 DSGVO)", "Processor (Art. 28 GDPR)"))
    row(processor, L("Betreiber", "Operator"), settings.processor_name, False, "PROCESSOR_NAME")
    row(processor, L("Anschrift", "Postal address"), settings.processor_address, False, "PROCESSOR_ADDRESS")
    row(processor, L("Kontakt", "Contact"), settings.processor_contact, False, "PROCESSOR_CONTACT")
    row(processor, L("Datenschutzbeauftragte oder Datenschutzbeauftragter des Betreibers",
                     "The operator's data protection officer"), settings.processor_dpo, False, "PROCESSOR_DPO")
    processor.row(L("Vertrag", "Agreement"),
                  L("Vertrag zur Auftragsverarbeitung zwischen Schule (bzw. Schulträger) und Betreiber erforderlich",
                    "a data processing agreement between the school (or its carrier) and the operator is required"))
    processor.row(L("Adresse der Installation", "Address of the installation"), settings.base_url)
    operators = await User.filter(role=Role.OPERATOR, active=True).count()
    processor.row(L("Betreiber-Konten", "Operator accounts"), operators)
    processor.row(L("Zugriff der Betreiber-Konten", "Access of operator accounts"),
                  L("Schulen und deren erste Administratoren anlegen; keine Inhalte und keine Daten von "
                    "Schülerinnen und Schülern", "create schools and their first administrators; no content "
                    "and no pupils' data"))
    part.parts = [*([todo] if todo.rows else []), controller, dpo, processor]
    return part


# --- processing activities ---------------------------------------------------------------------------

async def _activities(school: School, settings: Settings) -> Part:
    sid = school.id
    people = {role: await User.filter(school_id=sid, role=role).count()
              for role in (Role.PUPIL, Role.TEACHER, Role.SCHOOL_ADMIN)}
    part = Part("activities", L("Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO)",
                                "Processing activities (Art. 30(1) GDPR)"))
    idp = (L("eingebetteter Anmeldedienst (OpenID Connect) dieser Installation",
             "the embedded login service (OpenID Connect) of this installation") if settings.embedded_idp
           else L(f"externer Anmeldedienst {settings.oidc_issuer}", f"external login service {settings.oidc_issuer}"))
    part.parts.append(Part("accounts", L("Benutzerkonten und Anmeldung", "Accounts and login"))
        .row(L("Zweck", "Purpose"), L("Zugang zur schoolcloud, Zuordnung zu Klassen und Kursen, Rechte",
                                      "access to schoolcloud, membership of classes and courses, permissions"))
        .row(L("Rechtsgrundlage", "Legal basis"), PUBLIC_TASK)
        .row(L("Betroffene", "Data subjects"),
             L(f"Schülerinnen und Schüler ({people[Role.PUPIL]}), Lehrkräfte ({people[Role.TEACHER]}), "
               f"Schuladministration ({people[Role.SCHOOL_ADMIN]})",
               f"pupils ({people[Role.PUPIL]}), teachers ({people[Role.TEACHER]}), "
               f"school administrators ({people[Role.SCHOOL_ADMIN]})"))
        .row(L("Datenkategorien", "Categories of data"),
             L("Vor- und Nachname, Benutzername, Rolle, Klassen und Kurse, optional E-Mail-Adresse und Geburtsdatum "
               "(für die Altersregeln der Einwilligung), Passwort-Hash (nur beim eingebetteten Anmeldedienst), "
               "Sitzungen", "given and family name, login name, role, classes and courses, optionally e-mail "
               "address and date of birth (for the consent age rules), password hash (embedded login service "
               "only), sessions"))
        .row(L("Davon mit E-Mail-Adresse / Geburtsdatum", "Of these with e-mail address / date of birth"),
             f"{await User.filter(school_id=sid, email__not_isnull=True).exclude(email='').count()} / "
             f"{await User.filter(school_id=sid, birth_date__not_isnull=True).count()}")
        .row(L("Klassen / Kurse", "Classes / courses"),
             f"{await SchoolClass.filter(school_id=sid).count()} / {await Course.filter(school_id=sid).count()}")
        .row(L("Anmeldedienst", "Login service"), idp)
        .row(L("Empfänger", "Recipients"),
             L("Schuladministration; Lehrkräfte sehen die Mitglieder ihrer Klassen und Kurse",
               "school administrators; teachers see the members of their classes and courses")))

    files = await Node.filter(space__school_id=sid, kind=NodeKind.FILE, trashed_at__isnull=True).count()
    used = sum(await Space.filter(school_id=sid).values_list("used_bytes", flat=True))
    shares = await Share.filter(school_id=sid).count()
    links = await PublicLink.filter(school_id=sid).count()
    part.parts.append(Part("files", L("Dateiablage und Freigaben", "File storage and sharing"))
        .row(L("Zweck", "Purpose"), L("persönliche Ablage und gemeinsame Ablagen von Klassen, Kursen und Teams; "
                                      "Freigaben und Links", "personal storage and shared spaces of classes, "
                                      "courses and teams; shares and links"))
        .row(L("Rechtsgrundlage", "Legal basis"), PUBLIC_TASK)
        .row(L("Betroffene", "Data subjects"), L("alle Konten der Schule", "every account of the school"))
        .row(L("Datenkategorien", "Categories of data"),
             L("Dateien und ihre Inhalte, Dateinamen, Versionen, wer was hochgeladen hat, Freigaben, öffentliche "
               "Links", "files and their content, file names, versions, who uploaded what, shares, public links"))
        .row(L("Umfang", "Volume"), L(f"{files} Dateien, {_size(used)} belegt", f"{files} files, {_size(used)} used"))
        .row(L("Freigaben / öffentliche Links", "Shares / public links"), f"{shares} / {links}")
        .row(L("Teams", "Teams"), await Team.filter(school_id=sid).count())
        .row(L("Empfänger", "Recipients"),
             L("Mitglieder der jeweiligen Ablage; Empfänger von Freigaben; wer einen öffentlichen Link erhält",
               "members of the space; recipients of shares; whoever receives a public link"))
        .row(L("Löschfrist", "Retention"),
             L(f"gelöschte Dateien {settings.trash_days} Tage im Papierkorb, danach endgültig entfernt; "
               f"abgebrochene Uploads nach {settings.upload_expiry_hours} Stunden",
               f"deleted files stay {settings.trash_days} days in the trash, then are removed for good; "
               f"unfinished uploads after {settings.upload_expiry_hours} hours")))

    part.parts.append(Part("courses", L("Kurse, Unterrichtsstunden und Materialbibliothek",
                                        "Courses, lessons and the material library"))
        .row(L("Zweck", "Purpose"), L("Unterrichtsplanung und -materialien", "planning and material of lessons"))
        .row(L("Rechtsgrundlage", "Legal basis"), PUBLIC_TASK)
        .row(L("Betroffene", "Data subjects"), L("Lehrkräfte (als Autorinnen und Autoren), Kursmitglieder",
                                                 "teachers (as authors), course members"))
        .row(L("Datenkategorien", "Categories of data"), L("Inhalte der Stunden, Autorin oder Autor",
                                                           "content of lessons, author"))
        .row(L("Stunden / Bibliothekseinträge", "Lessons / library entries"),
             f"{await Lesson.filter(school_id=sid).count()} / {await LibraryEntry.filter(school_id=sid).count()}")
        .row(L("Empfänger", "Recipients"), L("Kursmitglieder; Lehrkräfte der Schule (geteilte Stunden, Bibliothek)",
                                             "course members; the school's teachers (shared lessons, library)")))

    part.parts.append(Part("tasks", L("Aufgaben, Abgaben und Rückmeldungen", "Tasks, hand-ins and feedback"))
        .row(L("Zweck", "Purpose"), L("Aufgaben stellen, Abgaben sammeln, Rückmeldung und Bewertung",
                                      "setting tasks, collecting work, feedback and grades"))
        .row(L("Rechtsgrundlage", "Legal basis"), PUBLIC_TASK)
        .row(L("Betroffene", "Data subjects"), L("Schülerinnen und Schüler, Lehrkräfte", "pupils, teachers"))
        .row(L("Datenkategorien", "Categories of data"),
             L("abgegebene Texte und Dateien mit jeder Version und Zeitpunkt, Rückmeldungen, Noten",
               "handed-in texts and files with every version and time, feedback, grades"))
        .row(L("Aufgaben / Abgaben", "Tasks / hand-ins"),
             f"{await Task.filter(school_id=sid).count()} / {await Submission.filter(task__school_id=sid).count()}")
        .row(L("Empfänger", "Recipients"), L("die Lehrkräfte des Kurses; Rückmeldungen nur der jeweiligen "
                                             "Schülerin oder dem jeweiligen Schüler",
                                             "the course's teachers; feedback only to the pupil concerned")))

    carrier = await CarrierSchool.get_or_none(school_id=sid).select_related("carrier")
    part.parts.append(Part("planning", L("Medienentwicklungsplanung", "Media development planning"))
        .row(L("Zweck", "Purpose"), L("Medienentwicklungspläne und Förderanträge (DigitalPakt)",
                                      "media development plans and funding applications (DigitalPakt)"))
        .row(L("Rechtsgrundlage", "Legal basis"), PUBLIC_TASK)
        .row(L("Betroffene", "Data subjects"), L("Lehrkräfte und Schuladministration als Bearbeitende",
                                                 "teachers and administrators as editors"))
        .row(L("Datenkategorien", "Categories of data"), L("Planinhalte, Versionen mit Bearbeiterin oder Bearbeiter, "
                                                           "Statuswechsel", "plan content, versions with their "
                                                           "editor, status changes"))
        .row(L("Pläne", "Plans"), await PlanDocument.filter(school_id=sid).count())
        .row(L("Empfänger", "Recipients"),
             L(f"Schulträger {carrier.carrier.name} (eingereichte Pläne)", f"school carrier {carrier.carrier.name} "
               "(submitted plans)") if carrier else L("kein Schulträger zugeordnet", "no school carrier assigned")))

    part.parts.append(Part("audit", L("Protokoll (Audit-Trail)", "Audit trail"))
        .row(L("Zweck", "Purpose"), L("Nachvollziehbarkeit von Anmeldungen, Verwaltungsänderungen, Freigaben, "
                                      "Exporten und Löschungen; Datensicherheit", "accountability for logins, "
                                      "administrative changes, shares, exports and deletions; security"))
        .row(L("Rechtsgrundlage", "Legal basis"), L("Art. 6 Abs. 1 lit. c und e, Art. 5 Abs. 2, Art. 32 DSGVO",
                                                    "Art. 6(1)(c) and (e), Art. 5(2), Art. 32 GDPR"))
        .row(L("Betroffene", "Data subjects"), L("alle Konten der Schule", "every account of the school"))
        .row(L("Datenkategorien", "Categories of data"),
             L("Art des Ereignisses, Zeitpunkt, Pseudonym der handelnden Person, gekürzte IP-Adresse",
               "kind of event, time, pseudonym of the actor, truncated IP address"))
        .row(L("Ereignisse", "Events"), await AuditEvent.filter(school_id=sid).count())
        .row(L("Empfänger", "Recipients"), L("Schuladministration", "school administrators")))

    for purpose in purposes.PURPOSES.values():
        active = await Consent.filter(school_id=sid, purpose=purpose.id, withdrawn_at__isnull=True,
                                      text_version=purpose.version).count()
        part.parts.append(Part(f"consent-{purpose.id}", L(f"Mit Einwilligung: {purpose.title_de}",
                                                           f"With consent: {purpose.title_en}"))
            .row(L("Zweck", "Purpose"), L(purpose.text_de, purpose.text_en))
            .row(L("Rechtsgrundlage", "Legal basis"), L("Einwilligung, Art. 6 Abs. 1 lit. a und Art. 8 DSGVO "
                                                        "(bei Minderjährigen nach den Altersregeln des Landes)",
                                                        "consent, Art. 6(1)(a) and Art. 8 GDPR (for minors by the "
                                                        "age rules of the Land)"))
            .row(L("Funktion eingeschaltet", "Feature enabled"),
                 L("ja; sie verarbeitet nur Daten von Personen mit gültiger Einwilligung",
                   "yes; it processes only the data of people with a valid consent"))
            .row(L("Gesperrte Funktionen ohne Einwilligung", "Features blocked without consent"),
                 ", ".join(purpose.features))
            .row(L("Fassung des Einwilligungstextes", "Version of the consent text"), purpose.version)
            .row(L("Gültige Einwilligungseinträge", "Valid consent records"), active))
    return part


# --- technical and organisational measures -----------------------------------------------------------

def _database(settings: Settings) -> L:
    url = urlsplit(settings.database_url)
    if url.scheme == "sqlite":
        return L("SQLite (Datei auf dem Anwendungsserver)", "SQLite (a file on the application server)")
    where = f"{url.hostname}:{url.port or 5432}{url.path}"
    return L(f"PostgreSQL auf {where}", f"PostgreSQL at {where}")


def _storage(settings: Settings) -> list[tuple[L, Value]]:
    if settings.storage == "local":
        return [(L("Dateiinhalte", "File content"), L("lokaler Datenträger des Anwendungsservers",
                                                     "local disk of the application server")),
                (L("Speicherort", "Location"), str(settings.storage_path))]
    return [(L("Dateiinhalte", "File content"), L("S3-Objektspeicher", "S3 object storage")),
            (L("S3-Endpunkt", "S3 endpoint"), settings.s3_endpoint.split("/")[0]),
            (L("Region", "Region"), settings.s3_region or L("nicht angegeben", "not set")),
            (L("Bucket", "Bucket"), settings.s3_bucket),
            (L("Verbindung zum Objektspeicher verschlüsselt (HTTPS)", "Connection to the store encrypted (HTTPS)"),
             yes_no(settings.s3_secure))]


def _rule(rule: throttle.Rule) -> str:
    return f"{rule.max_failures} / {int(rule.window.total_seconds() // 60)} min → {int(rule.lock.total_seconds() // 60)} min"


async def _measures(school: School, settings: Settings) -> Part:
    part = Part("measures", L("Technische und organisatorische Maßnahmen (Art. 32 DSGVO)",
                              "Technical and organisational measures (Art. 32 GDPR)"))
    store = Part("storage", L("Speicherung", "Storage"))
    store.rows = [*_storage(settings), (L("Datenbank", "Database"), _database(settings))]
    store.row(L("Verschlüsselung der Dateiinhalte im Speicher (at rest)", "Encryption of file content at rest"),
              L("eingeschaltet: AES-256-GCM in Blöcken, ein Schlüssel je Schule, verschlüsselt mit dem "
                "Hauptschlüssel aus der Umgebung der Anwendung (SCHOOLCLOUD_ENCRYPTION_KEY); das gilt für "
                "Dateien, Vorschaubilder und Datenexporte; wird die Schule gelöscht, wird ihr Schlüssel nach "
                "ihren Dateien mitgelöscht (Reste im Objektspeicher sind dann nicht mehr lesbar)",
                "enabled: AES-256-GCM in chunks, one key per school, wrapped by the master key from the app's "
                "environment (SCHOOLCLOUD_ENCRYPTION_KEY); this covers files, thumbnails and data exports; "
                "deleting the school deletes its key after its files (anything left in the object store can "
                "then no longer be read)")
              if settings.encryption_key is not None else L("nicht eingeschaltet", "not enabled"))
    store.row(L("Datensicherung", "Backups"),
              L("Aufgabe des Betreibers: Datenbank und Objektspeicher gemeinsam sichern; schoolcloud selbst legt "
                "keine Sicherungen an", "the operator's task: back up the database and the object store together; "
                "schoolcloud itself makes no backups"))
    https = settings.secure_cookies  # the app's address is https://
    access = Part("access", L("Zugang und Übertragung", "Access and transmission"))
    if settings.embedded_idp:
        access.row(L("Anmeldedienst", "Login service"),
                   L(f"eingebettet ({settings.issuer}); Passwörter nur als Argon2id-Hash gespeichert",
                     f"embedded ({settings.issuer}); passwords stored only as Argon2id hashes"))
    else:
        access.row(L("Anmeldedienst", "Login service"),
                   L(f"extern: {settings.oidc_issuer} (Client {settings.oidc_client_id}); schoolcloud speichert "
                     "keine Passwörter", f"external: {settings.oidc_issuer} (client {settings.oidc_client_id}); "
                     "schoolcloud stores no passwords"))
    access.row(L("Sperre nach Fehlversuchen (Konto und Adresse / Konto / Adresse)",
                 "Lock after failed logins (account and address / account / address)"),
               "; ".join(_rule(r) for r in (throttle.ACCOUNT_AND_IP, throttle.ACCOUNT, throttle.IP)))
    access.row(L("Zähler der Fehlversuche", "Counters of failed logins"),
               L("in Redis, von allen Instanzen geteilt", "in Redis, shared by every instance") if settings.redis_url
               else L("in der Datenbank", "in the database"))
    access.row(L("Sitzungsende ohne Aktivität", "Session ends when idle for"),
               L(f"{settings.session_idle_minutes} Minuten", f"{settings.session_idle_minutes} minutes"))
    access.row(L("Längste Sitzungsdauer", "Longest session"),
               L(f"{settings.session_max_hours} Stunden", f"{settings.session_max_hours} hours"))
    access.row(L("Verschlüsselte Übertragung (HTTPS) und HSTS", "Encrypted transmission (HTTPS) and HSTS"),
               yes_no(https))
    access.row(L("Sitzungs-Cookie", "Session cookie"),
               L("HttpOnly, SameSite=Lax" + (", Secure" if https else ", ohne Secure (kein HTTPS)"),
                 "HttpOnly, SameSite=Lax" + (", Secure" if https else ", without Secure (no HTTPS)")))
    access.row(L("Content-Security-Policy", "Content security policy"),
               content_security_policy([] if settings.embedded_idp else [settings.oidc_issuer]))
    access.row(L("Einbindung fremder Dienste", "Third-party resources"),
               L("keine: Schriften, Skripte und Bilder kommen nur von der eigenen Adresse",
                 "none: fonts, scripts and images come from the app's own address only"))
    access.row(L("Rollen und Rechte", "Roles and permissions"),
               L("jede Abfrage ist auf die Schule und die Rechte der Person beschränkt",
                 "every query is limited to the school and the person's permissions"))

    records = Part("logging", L("Protokollierung und Rechte der Betroffenen", "Logging and data subjects' rights"))
    records.row(L("Audit-Trail", "Audit trail"),
                L("jedes Ereignis per Hash an das vorige gekettet (Prüfung: schoolcloud audit verify); Personen nur "
                  "als Pseudonym", "every event chained to the previous one by a hash (check: schoolcloud audit "
                  "verify); people only as pseudonyms"))
    records.row(L("IP-Adressen", "IP addresses"), L("gekürzt gespeichert (IPv4 /24, IPv6 /48)",
                                                   "stored truncated (IPv4 /24, IPv6 /48)"))
    records.row(L("Redis", "Redis"),
                L(f"genutzt ({_host(settings.redis_url)}) für Zähler der Fehlversuche und Hintergrund-Signale; "
                  "keine Inhalte", f"used ({_host(settings.redis_url)}) for failed-login counters and background "
                  "signals; no content") if settings.redis_url else L("nicht genutzt", "not used"))
    records.row(L("Auskunft und Datenübertragbarkeit (Art. 15, 20)", "Access and portability (Art. 15, 20)"),
                L("jede Person lädt ihre Daten als ZIP herunter", "everyone downloads their data as a ZIP"))
    records.row(L("Löschung (Art. 17)", "Erasure (Art. 17)"),
                L("Konto, persönliche Ablage, Freigaben und Sitzungen werden entfernt; in geteilten Inhalten "
                  "erscheint ein Pseudonym; Aufgabenmaterial und Rückmeldedateien einer Lehrkraft bleiben dem "
                  "Kurs für die Schülerinnen und Schüler erhalten",
                  "account, personal space, shares and sessions are removed; shared content shows a pseudonym; "
                  "a teacher's task material and feedback files stay with the course for its pupils"))
    records.row(L("Einschränkung (Art. 18)", "Restriction (Art. 18)"),
                L("Konten können eingefroren werden", "accounts can be frozen"))

    retention = Part("retention", L("Löschfristen", "Retention"))
    # the school's own rules (privacy/RETENTION.md), applied daily once agreed to
    rules, pending = await rules_and_pending(school.id)
    trash_days = rules["trash_days"] or settings.trash_days
    retention.row(L("Papierkorb", "Trash"), L(f"{trash_days} Tage", f"{trash_days} days"))
    retention.row(L("Konten von Schülerinnen und Schülern, die die Schule verlassen haben", "Accounts of pupils who left"),
                  L(f"{rules['leavers_days']} Tage nach dem Abgang", f"{rules['leavers_days']} days after leaving"))
    retention.row(L("Inhalt der Protokolleinträge", "Content of audit events"),
                  L(f"nach {rules['audit_days']} Tagen", f"after {rules['audit_days']} days"))
    retention.row(L("Abgelaufene öffentliche Links", "Expired public links"),
                  L(f"{rules['links_days']} Tage nach Ablauf", f"{rules['links_days']} days after expiry"))
    retention.row(L("Gelesene Benachrichtigungen", "Read notifications"),
                  L(f"{rules['notifications_days']} Tage nach dem Lesen", f"{rules['notifications_days']} days after reading"))
    if pending:  # the record says what is applied, not what the defaults would do
        names = [BY_NAME[name].label for name in pending]
        retention.row(L("Noch nicht angewandt (von der Schule nicht bestätigt)", "Not applied yet (not confirmed by "
                        "the school)"), L("; ".join(in_locale("de", n) for n in names),
                                          "; ".join(in_locale("en", n) for n in names)))
    records_days = rules["task_records_days"]
    retention.row(L("Aufgabenunterlagen und Rückmeldedateien gelöschter Lehrkräfte",
                    "Task records of deleted teachers"),
                  L("solange die Aufgabe besteht", "as long as their task exists") if records_days is None else
                  L(f"{records_days} Tage nach der Löschung des Kontos",
                    f"{records_days} days after the account was deleted"))
    registry.load()
    for name, what in (("files.purge_trash", L("Papierkorb leeren", "Emptying the trash")),
                       ("jobs.prune", L("Erledigte Hintergrundaufträge entfernen", "Removing finished jobs"))):
        if name in registry.PERIODIC:
            hours = int(registry.PERIODIC[name].interval.total_seconds() // 3600)
            retention.row(L(f"Automatisch: {what.de}", f"Automatically: {what.en}"),
                          L(f"alle {hours} Stunden (Hintergrundauftrag)", f"every {hours} hours (background job)"))
    retention.row(L("Erledigte Hintergrundaufträge (z. B. Exporte)", "Finished background jobs (e.g. exports)"),
                  L(f"{prune.KEEP.days} Tage", f"{prune.KEEP.days} days"))
    retention.row(L("Abgebrochene Uploads", "Unfinished uploads"),
                  L(f"{settings.upload_expiry_hours} Stunden", f"{settings.upload_expiry_hours} hours"))
    retention.row(L("Datenexporte (Art. 15/20)", "Data exports (Art. 15/20)"),
                  L(f"{settings.export_expiry_hours} Stunden nach der Erstellung", f"{settings.export_expiry_hours} "
                    "hours after they are made"))
    retention.row(L("Sitzungen", "Sessions"), L(f"höchstens {settings.session_max_hours} Stunden",
                                                f"at most {settings.session_max_hours} hours"))
    retention.row(L("Übrige Daten", "Other data"),
                  L("bis zur Löschung durch die Schule (Konto, Inhalt)", "until the school deletes them (account, "
                    "content)"))
    part.parts = [store, access, records, retention]
    return part


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "")


def _size(count: int) -> str:
    size = float(count or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"
