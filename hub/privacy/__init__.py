"""Privacy rules: redaction of identifiers, generalisation, disclosure control.

Pure rules only (no Flask, no database sessions). ``hub.privacy.redaction`` loads Presidio and
spaCy, so it is imported lazily: ``from hub.privacy.redaction import get_redactor``.
"""

from hub.privacy.disclosure import (
    equivalence_classes,
    is_k_anonymous,
    k_anonymous,
    suppress_count,
    suppress_mean,
    suppress_median,
)
from hub.privacy.generalise import age_band, normalise_postcode, postcode_district, to_month
from hub.privacy.nhs_number import is_valid_nhs_number

__all__ = [
    "age_band",
    "equivalence_classes",
    "is_k_anonymous",
    "is_valid_nhs_number",
    "k_anonymous",
    "normalise_postcode",
    "postcode_district",
    "suppress_count",
    "suppress_mean",
    "suppress_median",
    "to_month",
]
