"""Interchange: a case as HL7 FHIR R4 (4.0.1) and forms' answers as CSV, out and back in.

Headless and without the store: these modules turn plain values (``snapshot``) and form
specs into FHIR resources and CSV rows, and FHIR answers back into a form's answers.
``services/interchange.py`` reads the store into those values, writes the files and the
audit events, and stores what an import brings (docs/interchange.md).
"""
