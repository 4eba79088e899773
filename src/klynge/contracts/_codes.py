"""Closed code sets of the canonical model, with their Danish names.

Sources are in `../shared/domain/danish-domain.md` (LPR3 §3.3, FSIII §4.5, MedCom §8).
"""

from __future__ import annotations

# LPR3 contact type (kontakttype).
CONTACT_TYPES = {
    "ALCA00": "Fysisk fremmøde (physical attendance)",
    "ALCA03": "Virtuel kontakt (virtual: video or phone)",
    "ALCA10": "Udekontakt (home visit by hospital staff)",
}
# LPR3 priority.
PRIORITIES = {"ATA1": "Akut (acute)", "ATA3": "Planlagt (planned)"}
# LPR3 contact reason (kontaktårsag); the readmission indicator excludes 02-04.
CONTACT_REASONS = {
    "ALCC01": "Sygdom/tilstand (illness)",
    "ALCC02": "Ulykke (accident)",
    "ALCC03": "Voldshandling (violence)",
    "ALCC04": "Selvmordsforsøg (suicide attempt)",
    "ALCC05": "Senfølge (late effect)",
}
BRANCHES = {"somatic": "Somatik", "psychiatric": "Psykiatri"}

# Specialty of the responsible unit; `medical` marks the medical (non-surgical) specialties
# used by the medical bed-day indicator.
SPECIALTIES = {
    "emergency": ("Akutmedicin", True),
    "internal_medicine": ("Intern medicin", True),
    "geriatrics": ("Geriatri", True),
    "cardiology": ("Kardiologi", True),
    "pulmonology": ("Lungemedicin", True),
    "endocrinology": ("Endokrinologi", True),
    "gastroenterology": ("Gastroenterologi", True),
    "infectious_diseases": ("Infektionsmedicin", True),
    "neurology": ("Neurologi", True),
    "oncology": ("Onkologi", True),
    "rheumatology": ("Reumatologi", True),
    "paediatrics": ("Pædiatri", True),
    "surgery": ("Kirurgi", False),
    "orthopaedics": ("Ortopædkirurgi", False),
    "gynaecology_obstetrics": ("Gynækologi og obstetrik", False),
    "psychiatry": ("Psykiatri", False),
}

DIAGNOSIS_TYPES = {"A": "Aktionsdiagnose (main)", "B": "Bidiagnose (secondary)"}

# Municipal services: FSIII code -> (service group, Danish name). Nursing home residence has
# no FSIII indsats code; `PLEJEBOLIG` stands for it (Ældreloven §47, formerly SEL §192).
SERVICE_GROUPS = {
    "personal_care": "Personlig pleje",
    "practical_help": "Praktisk hjælp",
    "home_nursing": "Hjemmesygepleje",
    "rehabilitation": "Rehabilitering og genoptræning",
    "temporary_stay": "Midlertidigt ophold",
    "respite": "Aflastning",
    "nursing_home": "Plejebolig",
    "preventive": "Forebyggelse",
}
SERVICES = {
    "H1.1": ("personal_care", "Personlig hygiejne"),
    "H1.2": ("personal_care", "Udskillelser"),
    "H1.3": ("personal_care", "Ernæring"),
    "H1.4": ("personal_care", "Mobilitet"),
    "H1.6": ("personal_care", "Tilsyn/omsorg"),
    "H1.7": ("practical_help", "Indkøb"),
    "H1.8": ("practical_help", "Rengøring"),
    "H1.9": ("practical_help", "Tøjvask"),
    "H1.10": ("practical_help", "Tilberede/anrette mad"),
    "H1.11": ("practical_help", "Madservice"),
    "H2.5": ("rehabilitation", "RH personlig hygiejne"),
    "H2.4": ("rehabilitation", "RH mobilitet"),
    "H3.1": ("respite", "Aflastningsophold uden for hjemmet"),
    "H4.1": ("temporary_stay", "Midlertidigt ophold (SEL §84 stk. 2)"),
    "H5.1": ("rehabilitation", "Genoptræning af funktionsnedsættelse (SEL §86 stk. 1)"),
    "H6.1": ("rehabilitation", "Vedligehold af færdigheder (SEL §86 stk. 2)"),
    "G1.7": ("home_nursing", "Hudproblem"),
    "G1.12": ("home_nursing", "Ernæringsindsats"),
    "G1.20": ("home_nursing", "Medicinadministration"),
    "G1.21": ("home_nursing", "Medicindispensering"),
    "G1.39": ("home_nursing", "Sårbehandling"),
    "G1.41": ("home_nursing", "Undersøgelser og måling af værdier"),
    "G2.1": ("home_nursing", "Sygeplejefaglig udredning"),
    "G2.2": ("home_nursing", "Opfølgning"),
    "G2.3": ("home_nursing", "Koordinering"),
    "PLEJEBOLIG": ("nursing_home", "Plejebolig/plejehjem (Ældreloven §47)"),
    "FOREBYG": ("preventive", "Forebyggende hjemmebesøg"),
}

# FSIII functional states (funktionsevnetilstande) used in assessments, §4.4.
FUNCTIONAL_STATES = {
    "J1.1": "Vaske sig", "J1.2": "Kropspleje", "J1.3": "Af- og påklædning", "J1.4": "Drikke",
    "J1.5": "Fødeindtagelse", "J1.6": "Spise", "J1.7": "Varetage egen sundhed", "J1.8": "Gå på toilet",
    "J2.1": "Husligt arbejde", "J2.2": "Lave mad", "J2.3": "Daglige rutiner",
    "J2.4": "Skaffe varer og tjenesteydelser",
    "J3.1": "Løfte og bære", "J3.2": "Bevæge sig omkring", "J3.3": "Transportmidler",
    "J3.4": "Færden i omgivelser", "J3.5": "Forflytte sig", "J3.6": "Ændre kropsstilling",
    "J3.7": "Muskelstyrke", "J3.8": "Gå", "J3.9": "Udholdenhed",
    "J4.1": "Kommunikationsudstyr", "J4.2": "Hukommelse", "J4.3": "Orienteringsevne",
    "J4.4": "Overordnede kognitive funktioner", "J4.5": "Følelsesfunktioner",
    "J4.6": "Energi og handlekraft", "J4.7": "Tilegne sig færdigheder", "J4.8": "Problemløsning",
    "J5.1": "Lønnet beskæftigelse",
}
# FSIII severity scale B1 (no limitation) .. B5 (total limitation).
SEVERITIES = {
    "B1": "Ingen/ubetydelige begrænsninger", "B2": "Lette begrænsninger",
    "B3": "Moderate begrænsninger", "B4": "Svære begrænsninger", "B5": "Totale begrænsninger",
}

GP_CONTACT_KINDS = {
    "consultation": "Konsultation",
    "phone": "Telefonkonsultation",
    "email": "E-mailkonsultation",
    "video": "Videokonsultation",
    "home_visit": "Sygebesøg",
    "chronic_care": "Kronikerkontrol/årskontrol",
}

# Vaccines as grouped in the Danish vaccination register (DDV).
VACCINES = {
    "DITEKIPOL_HIB": "Di-Te-Ki-Pol/Hib", "PNEUMOKOK_BORN": "Pneumokok (børn)", "MFR": "MFR",
    "HPV": "HPV", "INFLUENZA": "Influenza", "COVID19": "COVID-19", "PNEUMOKOK": "Pneumokok (PPV23/PCV)",
    "HEPATITIS_B": "Hepatitis B", "RSV": "RSV",
}

SECTORS = {"hospital": "Sygehus", "municipality": "Kommune", "gp": "Almen praksis"}
APPOINTMENT_STATUSES = {
    "booked": "Booket", "attended": "Gennemført", "cancelled": "Aflyst", "no_show": "Udeblevet",
}

# MedCom messages, §8: advis (HospitalNotification), XDIS16/18/21, epikrise, CareCommunication.
MESSAGE_TYPES = {
    "hospital_notification": "Advis om sygehusophold (HospitalNotification)",
    "admission_report": "Indlæggelsesrapport (XDIS16)",
    "discharge_report": "Udskrivningsrapport (XDIS18)",
    "discharge_letter": "Epikrise (udskrivningsbrev)",
    "care_plan": "Plejeforløbsplan (XDIS21)",
    "care_communication": "Korrespondancemeddelelse (CareCommunication)",
}

SEXES = {"F": "Kvinde", "M": "Mand"}
