"""Code lists the generator draws from. SKS diagnosis codes follow ICD-10 (§0); the choice of
codes and their weights is illustrative [I], not a national distribution."""

from __future__ import annotations

# The nine preventable-admission groups (§2.2) with a weight each.
PREVENTABLE = {
    "DJ189": 0.22, "DJ159": 0.05, "DJ209": 0.05, "DJ22": 0.04,      # lower respiratory infection
    "DN390": 0.14, "DN300": 0.05,                                    # cystitis / UTI
    "DS720": 0.07, "DS525": 0.03, "DS422": 0.02, "DS322": 0.02,      # fractures
    "DE869": 0.10,                                                   # dehydration
    "DA099": 0.04, "DK529": 0.02,                                    # gastroenteritis
    "DK590": 0.05,                                                   # constipation
    "DD509": 0.03,                                                   # nutritional anaemia
    "DZ742": 0.04,                                                   # social / care reasons
    "DL899": 0.03,                                                   # pressure ulcer
}
# Condition-specific acute admissions and the secondary (B) code recording the condition.
EXACERBATION = {
    "copd": "DJ441", "heart_failure": "DI500", "t2d": "DE111", "t1d": "DE101", "asthma": "DJ459",
    "dementia": "DF051", "cancer": "DC189", "schizophrenia": "DF209", "ra": "DM059",
    "osteoporosis": "DM800",
}
CHRONIC_CODE = {
    "copd": "DJ449", "heart_failure": "DI509", "t2d": "DE119", "t1d": "DE109", "asthma": "DJ459",
    "dementia": "DF009", "cancer": "DC509", "schizophrenia": "DF209", "ra": "DM059",
    "osteoporosis": "DM819",
}
CONDITION_SPECIALTY = {
    "copd": "pulmonology", "heart_failure": "cardiology", "t2d": "endocrinology", "t1d": "endocrinology",
    "asthma": "pulmonology", "dementia": "geriatrics", "cancer": "oncology", "schizophrenia": "psychiatry",
    "ra": "rheumatology", "osteoporosis": "endocrinology",
}
CANCER_CODES = ["DC189", "DC349", "DC509", "DC619", "DC259", "DC679"]
# Other acute medical and surgical reasons for admission.
GENERAL_ACUTE = {
    "DR074": ("cardiology", 0.12), "DI219": ("cardiology", 0.07), "DI639": ("neurology", 0.06),
    "DI489": ("cardiology", 0.06), "DR109": ("surgery", 0.09), "DK359": ("surgery", 0.05),
    "DK802": ("surgery", 0.05), "DA419": ("infectious_diseases", 0.05), "DN179": ("internal_medicine", 0.04),
    "DR539": ("internal_medicine", 0.07), "DR55": ("internal_medicine", 0.06), "DK922": ("gastroenterology", 0.04),
    "DI269": ("internal_medicine", 0.03), "DR060": ("pulmonology", 0.06), "DJ069": ("internal_medicine", 0.05),
    "DG409": ("neurology", 0.03), "DE871": ("internal_medicine", 0.03),
}
# Injuries: action diagnosis with contact reason accident (ALCC02) or violence/self-harm.
INJURY = ["DS610", "DS934", "DS009", "DS828", "DS800", "DS060", "DT140", "DS420"]
# Planned admissions: diagnosis, specialty and the SKS procedure done [M for the procedure codes].
PLANNED = [
    ("DM161", "orthopaedics", "KNFB20"), ("DM171", "orthopaedics", "KNGB20"),
    ("DK802", "surgery", "KJKA21"), ("DI251", "cardiology", "KFNG02"),
    ("DK409", "surgery", "KJAB10"), ("DN40", "surgery", "KKED22"), ("DN819", "gynaecology_obstetrics", "KLEF00"),
]
FRACTURE_PROCEDURE = "KNFJ51"
OUTPATIENT_GENERAL = [
    ("DZ031", "internal_medicine"), ("DM545", "orthopaedics"), ("DR101", "surgery"), ("DZ348", "gynaecology_obstetrics"),
    ("DR51", "neurology"), ("DI109", "cardiology"), ("DR05", "pulmonology"), ("DL409", "internal_medicine"),
]
XRAY_CHEST = "UXRC00"
