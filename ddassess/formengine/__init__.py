"""The forms engine: form files in, frozen specs, checked answers, scores, bands, flags.

Headless (no Qt). The form language is documented in forms/README.md.
"""

from ddassess.formengine.catalogue import Catalogue, DefinitionUnavailableError, load_catalogue, load_form_text
from ddassess.formengine.evaluate import Evaluation, FlagResult, ScoreResult, check, evaluate
from ddassess.formengine.expr import FUNCTIONS, CaseContext
from ddassess.formengine.problems import Problem
from ddassess.formengine.spec import FIELD_TYPES, FieldSpec, FormSpec, ScoreSpec, SectionSpec

__all__ = [
    "FIELD_TYPES",
    "FUNCTIONS",
    "CaseContext",
    "Catalogue",
    "DefinitionUnavailableError",
    "Evaluation",
    "FieldSpec",
    "FlagResult",
    "FormSpec",
    "Problem",
    "ScoreResult",
    "ScoreSpec",
    "SectionSpec",
    "check",
    "evaluate",
    "load_catalogue",
    "load_form_text",
]
