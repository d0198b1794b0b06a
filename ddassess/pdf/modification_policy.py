"""What an incremental update may add after a signature, and what a refused one added.

pyHanko's difference analysis with a policy stricter than its default: the only change
allowed after a signature is filling one of the plan's own pre-existing, empty signature
fields, plus bookkeeping a reader never shows (cross-reference and object streams, the
document security store, catalogue keys such as /Extensions, the modification date and
producer pyHanko rewrites). Anything else is refused, and ``what_changed`` says in a
reader's words what the first refused revision added or changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyhanko.pdf_utils.reader import HistoricalResolver
    from pyhanko.sign.diff_analysis import ReferenceUpdate, StandardDiffPolicy, WhitelistRule


def strict_diff_policy() -> StandardDiffPolicy:
    """pyHanko's standard difference analysis with only what a signed plan may gain: one of
    its existing signature fields filled (``SigFieldModificationRule``; no field creation, no
    other field changes), and bookkeeping a reader never shows (cross-reference and object
    streams, the document security store, catalogue keys such as /Extensions, and the
    modification date and producer pyHanko writes into the document information and XMP
    metadata at every signature). Any other change to the document information or metadata,
    annotations, pages, content and anything unclassified are left unexplained, which
    pyHanko reports as a suspicious modification."""
    from pyhanko.sign.diff_analysis import (
        CatalogModificationRule,
        DSSCompareRule,
        FormUpdatingRule,
        ModificationLevel,
        ObjectStreamRule,
        SigFieldModificationRule,
        StandardDiffPolicy,
        XrefStreamRule,
    )

    return StandardDiffPolicy(
        global_rules=[
            CatalogModificationRule(),
            _date_and_producer_only().as_qualified(ModificationLevel.LTA_UPDATES),
            XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
            ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
            DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ],
        form_rule=FormUpdatingRule(field_rules=[SigFieldModificationRule()]),
        ignore_orphaned_objects=False,
    )


_BOOKKEEPING = {"/ModDate", "/Producer"}
_XMP_BOOKKEEPING = {"ModifyDate", "MetadataDate", "Producer"}


def _info_essentials(info: Any) -> dict[str, str]:
    return {str(k): str(v.get_object()) for k, v in info.get_object().items() if k not in _BOOKKEEPING}


def _xmp_essentials(stream: Any) -> list[tuple[str, str]]:
    """The XMP metadata's values, whatever the layout, without pyHanko's bookkeeping."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(stream.get_object().data, parser=parser)
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name in _XMP_BOOKKEEPING:
            continue
        if el.text and el.text.strip():
            out.append((name, el.text.strip()))
        out += [(etree.QName(k).localname, v) for k, v in el.attrib.items()
                if etree.QName(k).localname not in _XMP_BOOKKEEPING]
    return sorted(out)


def _date_and_producer_only() -> WhitelistRule:
    """A rule that approves a new document information dictionary or XMP metadata stream
    only when nothing but the modification date and the producer changed (what pyHanko
    writes at every signature); a changed title, author or subject is left unexplained, so
    refused. The class is made here so that pyHanko is imported only when a plan is checked."""
    from pyhanko.sign.diff_analysis import DocInfoRule, MetadataUpdateRule, WhitelistRule

    class DateAndProducerOnly(WhitelistRule):
        def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterator[ReferenceUpdate]:
            try:
                old_info = old.trailer_view.get_value_as_reference("/Info", optional=True)
                new_info = new.trailer_view.get_value_as_reference("/Info", optional=True)
                if old_info is not None and new_info is not None and \
                        _info_essentials(old(old_info)) == _info_essentials(new(new_info)):
                    yield from DocInfoRule().apply(old, new)
                old_xmp, new_xmp = old.root.raw_get("/Metadata"), new.root.raw_get("/Metadata")
                if _xmp_essentials(old_xmp) == _xmp_essentials(new_xmp):
                    yield from MetadataUpdateRule().apply(old, new)
            except Exception:  # noqa: BLE001 - anything unreadable stays unexplained, so refused
                return

    return DateAndProducerOnly()


_POLICY: list[StandardDiffPolicy] = []


def diff_policy() -> StandardDiffPolicy:
    """The strict policy, made once."""
    if not _POLICY:
        _POLICY.append(strict_diff_policy())
    return _POLICY[0]


def what_changed(sig: Any) -> tuple[str, int]:
    """The first revision after ``sig`` that the strict policy refuses, in words."""
    from pyhanko.sign.diff_analysis import SuspiciousModification

    reader = sig.reader
    base = reader.get_historical_resolver(sig.signed_revision)
    for revision in range(sig.signed_revision + 1, reader.xrefs.total_revisions):
        try:
            diff_policy().apply(base, reader.get_historical_resolver(revision))
        except SuspiciousModification:
            return _describe(reader, revision), revision
        except Exception as exc:  # noqa: BLE001 - a revision pyHanko cannot even compare
            return f"revision {revision + 1} cannot be analysed ({exc.__class__.__name__})", revision
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if sig.evaluate_signature_coverage() < SignatureCoverageLevel.ENTIRE_REVISION:
        return ("its signature dictionary was re-defined after signing, so what it covers is not what is shown "
                "(signature wrapping)"), sig.signed_revision
    return "its permissions (DocMDP) were broken", sig.signed_revision + 1


def _describe(reader: Any, revision: int) -> str:
    """What a revision added or changed, in a reader's words."""
    from pyhanko.pdf_utils import generic

    xrefs = reader.xrefs
    new = reader.get_historical_resolver(revision)
    old = reader.get_historical_resolver(revision - 1)
    try:
        page_refs = [ref.idnum for ref in _page_refs(new.root["/Pages"])]
    except Exception:  # noqa: BLE001
        page_refs = []
    pages = {num: i + 1 for i, num in enumerate(page_refs)}
    said: list[str] = []

    def say(text: str) -> None:
        if text not in said:
            said.append(text)

    refs = sorted(xrefs.explicit_refs_in_revision(revision), key=lambda r: r.idnum)
    freed = xrefs.refs_freed_in_revision(revision) if hasattr(xrefs, "refs_freed_in_revision") else []
    for ref in refs:
        existed = xrefs.get_historical_ref(ref, revision - 1) is not None
        verb = "changed" if existed else "added"
        try:
            obj = new(ref)
        except Exception:  # noqa: BLE001
            say(f"{verb} an unreadable object")
            continue
        if not isinstance(obj, generic.DictionaryObject):
            say(f"{verb} object {ref.idnum}")
            continue
        try:
            kind = obj.get("/Type")
            if obj.get("/FT") == "/Sig" or (obj.get("/Subtype") == "/Widget" and "/T" in obj):
                name = str(obj.get("/T", "?"))
                if not existed:
                    say(f"added a new signature field '{name}'" + _on_page(obj, pages))
                else:
                    say(f"changed the signature field '{name}'")
            elif obj.get("/Subtype") == "/Widget" or kind == "/Annot":
                say(f"{verb} an annotation ({str(obj.get('/Subtype', '?')).lstrip('/')})" + _on_page(obj, pages))
            elif kind == "/Page":
                say(f"{verb} page {pages.get(ref.idnum, '?')}")
            elif kind == "/Pages":
                say(f"{verb} the page tree")
            elif kind == "/Catalog":
                keys = sorted(str(k) for k in set(obj) | set(old.root) if k not in ("/AcroForm", "/DSS", "/Metadata")
                              and (k not in obj or k not in old.root or obj.raw_get(k) != old.root.raw_get(k)))
                if keys:
                    say(f"{verb} the document catalogue ({', '.join(keys)})")
            elif kind == "/Outlines" or "/First" in obj and "/Count" in obj:
                say(f"{verb} the outline (bookmarks)")
            elif "/Fields" in obj:
                say(f"{verb} the form's list of fields")
            elif kind in ("/SigFieldLock", "/TransformParams", "/SigRef"):
                continue
            elif kind == "/Sig":
                say(f"{verb} a signature dictionary" if existed else "added a signature")
            elif kind == "/Metadata":
                if not existed or _xmp_essentials(obj) != _xmp_essentials(old.root.raw_get("/Metadata")):
                    say(f"{verb} the document's XMP metadata")
            elif kind == "/Font" or kind == "/FontDescriptor":
                say(f"{verb} a font")
            elif kind in ("/XRef", "/ObjStm"):
                continue
            elif isinstance(obj, generic.StreamObject):
                say(f"{verb} a content stream" if obj.get("/Subtype") != "/Image" else f"{verb} an image")
            elif "/Producer" in obj or "/Title" in obj or "/ModDate" in obj:
                if not existed or _info_essentials(obj) != _info_essentials(old(ref)):
                    say(f"{verb} the document information")
            else:
                say(f"{verb} object {ref.idnum}" + (f" ({str(kind).lstrip('/')})" if kind else ""))
        except Exception:  # noqa: BLE001 - a damaged object is still a change
            say(f"{verb} object {ref.idnum}")
    if freed:
        say(f"deleted {len(freed)} object(s)")
    said.sort(key=lambda t: 0 if "field '" in t or "annotation" in t else 1 if "page" in t else 2)
    return "; ".join(said[:4]) + (f" and {len(said) - 4} more change(s)" if len(said) > 4 else "") \
        if said else "a change that cannot be explained"


def _page_refs(node: Any) -> list[Any]:
    out = []
    for kid in node.get_object().raw_get("/Kids"):
        obj = kid.get_object()
        if obj.get("/Type") == "/Pages":
            out += _page_refs(obj)
        else:
            out.append(kid.reference if hasattr(kid, "reference") else kid)
    return out


def _on_page(obj: Any, pages: dict[int, int]) -> str:
    try:
        ref = obj.raw_get("/P")
        return f" on page {pages[ref.idnum]}"
    except (KeyError, AttributeError):
        return ""

