"""Danish and English labels of the citizen overview (Danish is the default)."""

from __future__ import annotations

from datetime import date, datetime

LANGS = ("da", "en")

_L: dict[str, tuple[str, str]] = {
    # sectors
    "hospital": ("Sygehus", "Hospital"),
    "municipality": ("Kommune", "Municipality"),
    "gp": ("Almen praksis", "General practice"),
    "national": ("Nationale registre", "National registers"),
    # timeline kinds
    "hospital_contact": ("Sygehuskontakt", "Hospital contact"),
    "diagnosis": ("Diagnose", "Diagnosis"),
    "procedure": ("Procedure", "Procedure"),
    "municipal_service": ("Kommunal indsats", "Municipal service"),
    "functional_assessment": ("Funktionsevne", "Functional state"),
    "gp_contact": ("Kontakt med egen læge", "GP contact"),
    "lab_result": ("Laboratoriesvar", "Lab result"),
    "prescription": ("Indløst recept", "Redeemed prescription"),
    "vaccination": ("Vaccination", "Vaccination"),
    "message": ("Korrespondance", "Message"),
    "appointment": ("Aftale", "Appointment"),
    # message types
    "hospital_notification": ("Advis om sygehusophold", "Hospital notification"),
    "admission_report": ("Indlæggelsesrapport", "Admission report"),
    "discharge_report": ("Udskrivningsrapport", "Discharge report"),
    "discharge_letter": ("Epikrise", "Discharge letter"),
    "care_plan": ("Plejeforløbsplan", "Care plan"),
    "care_communication": ("Korrespondancemeddelelse", "Care communication"),
    # service groups
    "personal_care": ("Personlig pleje", "Personal care"),
    "practical_help": ("Praktisk hjælp", "Practical help"),
    "home_nursing": ("Hjemmesygepleje", "Home nursing"),
    "rehabilitation": ("Rehabilitering", "Rehabilitation"),
    "temporary_stay": ("Midlertidigt ophold", "Temporary stay"),
    "respite": ("Aflastning", "Respite"),
    "nursing_home": ("Plejebolig", "Nursing home"),
    "preventive": ("Forebyggelse", "Prevention"),
    # gp contact kinds
    "consultation": ("Konsultation", "Consultation"),
    "phone": ("Telefonkonsultation", "Phone"),
    "email": ("E-mailkonsultation", "E-mail"),
    "video": ("Videokonsultation", "Video"),
    "home_visit": ("Sygebesøg", "Home visit"),
    "chronic_care": ("Kronikerkontrol", "Chronic care"),
    # appointment status
    "booked": ("Booket", "Booked"),
    "attended": ("Gennemført", "Attended"),
    "cancelled": ("Aflyst", "Cancelled"),
    "no_show": ("Udeblevet", "No-show"),
    # priorities
    "ATA1": ("akut", "acute"),
    "ATA3": ("planlagt", "planned"),
    # lab codes (NPU), names shortened
    "NPU27300": ("HbA1c", "HbA1c"),
    "NPU18016": ("Kreatinin", "Creatinine"),
    "NPU03429": ("Natrium", "Sodium"),
    "NPU19748": ("C-reaktivt protein (CRP)", "C-reactive protein (CRP)"),
    "NPU02319": ("Hæmoglobin", "Haemoglobin"),
    "NPU03230": ("Kalium", "Potassium"),
    # flags
    "above_reference": ("over referenceinterval", "above reference range"),
    "below_reference": ("under referenceinterval", "below reference range"),
    "above_habitual": ("over habituel værdi", "above habitual value"),
    "below_habitual": ("under habituel værdi", "below habitual value"),
}


def label(key: str | None, lang: str = "da") -> str:
    """The label of a code in ``lang``; the code itself when there is none.

    Examples
    --------
    >>> label("discharge_letter"), label("discharge_letter", "en")
    ('Epikrise', 'Discharge letter')
    """
    if key is None:
        return ""
    pair = _L.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def danish_date(value: date | datetime | str | None) -> str:
    """A date as 23.11.2026 (and a time as 23.11.2026 14:05)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


# Text of the pages (Danish first).
UI: dict[str, tuple[str, str]] = {
    "app": ("Fælles borgeroverblik", "Shared citizen overview"),
    "login": ("Log ind", "Sign in"),
    "logout": ("Log ud", "Sign out"),
    "user": ("Bruger", "User"),
    "password": ("Adgangskode", "Password"),
    "wrong_login": ("Forkert bruger eller adgangskode.", "Wrong user or password."),
    "throttled": ("For mange forkerte forsøg. Prøv igen senere.", "Too many failed attempts. Try again later."),
    "lookup": ("Find borger", "Find citizen"),
    "cpr": ("CPR-nummer", "CPR number"),
    "find": ("Find", "Find"),
    "denied": ("Adgang nægtet", "Access denied"),
    "not_found": ("Borgeren findes ikke", "No such citizen"),
    "master": ("Stamdata", "Master data"),
    "name": ("Navn", "Name"),
    "person_id": ("Pseudonym", "Pseudonym"),
    "born": ("Født", "Born"),
    "sex": ("Køn", "Sex"),
    "F": ("Kvinde", "Female"),
    "M": ("Mand", "Male"),
    "age": ("Alder", "Age"),
    "died": ("Død", "Died"),
    "residence": ("Bopælskommune", "Municipality of residence"),
    "gp": ("Egen læge (ydernummer)", "GP (clinic)"),
    "status": ("Fælles status", "Shared status"),
    "status_save": ("Gem status", "Save status"),
    "status_none": ("Ingen status endnu.", "No status yet."),
    "by": ("af", "by"),
    "upcoming": ("Kommende aftaler", "Upcoming appointments"),
    "none": ("Ingen.", "None."),
    "diagnoses": ("Diagnoseoversigt", "Diagnosis overview"),
    "code": ("Kode", "Code"),
    "first": ("Første", "First"),
    "last": ("Seneste", "Latest"),
    "count": ("Antal", "Count"),
    "latest_admission": ("Seneste indlæggelse", "Latest admission"),
    "letters": ("Seneste epikriser og rapporter", "Latest letters and reports"),
    "labs": ("Laboratoriesvar og habituel værdi", "Lab results and habitual value"),
    "analysis": ("Analyse", "Analysis"),
    "latest_value": ("Seneste værdi", "Latest value"),
    "habitual": ("Habituel værdi", "Habitual value"),
    "reference": ("Referenceinterval", "Reference range"),
    "flags": ("Afvigelser", "Deviations"),
    "timeline": ("Tidslinje på tværs af sektorer", "Timeline across sectors"),
    "search": ("Søg i journalen", "Search the record"),
    "search_placeholder": ("fx epikrise, HbA1c, DJ44", "e.g. discharge letter, HbA1c, DJ44"),
    "date": ("Dato", "Date"),
    "sector": ("Sektor", "Sector"),
    "what": ("Hvad", "What"),
    "details": ("Detaljer", "Details"),
    "hidden": ("oplysninger er skjult efter borgerens ønske (samtykke).",
               "items are hidden at the citizen's request (consent)."),
    "override": ("Værdispring", "Emergency override"),
    "override_reason": ("Begrundelse (skal udfyldes, logges og efterses)",
                        "Reason (required, logged and reviewed)"),
    "override_active": ("Værdispring er brugt: borgerens blokeringer er ophævet for dette opslag, som er logget til eftersyn.",
                        "Emergency override in use: the citizen's blocks are lifted for this look, which is logged for review."),
    "purpose": ("Formål", "Purpose"),
    "treatment": ("Behandling", "Treatment"),
    "care_coordination": ("Koordinering af pleje", "Care coordination"),
    "as_of": ("Opgjort pr.", "As of"),
    "shown": ("viste", "shown"),
    "language": ("English", "Dansk"),
    "logged": ("Dit opslag er logget (hvem, hvornår, formål).", "Your look is logged (who, when, purpose)."),
    "ongoing": ("igangværende", "ongoing"),
}


def ui(key: str, lang: str = "da") -> str:
    """A page text in ``lang``."""
    pair = UI.get(key)
    if pair is None:
        return label(key, lang)
    return pair[1] if lang == "en" else pair[0]


_DENIALS = (  # substring of the reason -> (Danish, English)
    ("no care relation", ("Din organisation har ingen behandlingsrelation til borgeren.",
                          "Your organisation has no care relation with this citizen.")),
    ("no citizen with a care relation", ("Ingen borger med det CPR-nummer har en behandlingsrelation til din organisation.",
                                         "No citizen with that CPR number has a care relation with your organisation.")),
    ("blocked", (("Borgeren har frabedt sig, at din organisation ser oplysningerne. Kun værdispring med en "
                  "begrundelse kan ophæve det."),
                 ("The citizen has blocked access for your organisation; only an emergency override with a reason "
                  "lifts the block."))),
    ("purpose", ("Formålet er ikke tilladt for din rolle.", "That purpose is not allowed for your role.")),
    ("may not", ("Din rolle giver ikke adgang til dette.", "Your role does not give access to this.")),
)


def denial(reason: str, lang: str = "da") -> str:
    """A refusal reason in the page language."""
    for key, (da, en) in _DENIALS:
        if key in reason:
            return en if lang == "en" else da
    return reason
