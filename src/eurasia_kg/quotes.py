"""Check provenance quotes against the text of their source.

The stored article was extracted from a PDF and carries damage (see
``../shared/sources/README.md``); quotes in the graph are written with that damage
repaired, so both sides are normalised before they are compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .config import TEXT_ARTEFACTS

_APOSTROPHES = re.compile(r"['’‘]")
_SPACE = re.compile(r"\s+")


def repair(text: str) -> str:
    """Undo the extraction artefacts and fold whitespace, keeping apostrophes."""
    for damaged, repaired in TEXT_ARTEFACTS.items():
        text = text.replace(damaged, repaired)
    return _SPACE.sub(" ", text).strip()


def normalise(text: str) -> str:
    """The form in which a quote and its source are compared.

    Possessive apostrophes are missing from the extracted text ("Russias"), so
    apostrophes are dropped on both sides rather than guessed back in.
    """
    return _APOSTROPHES.sub("", repair(text))


@dataclass(frozen=True)
class QuoteCheck:
    quote: str
    exact: str
    found: bool
    context_found: bool


def check_quote(source_text: str, quote: str, exact: str, prefix: str = "", suffix: str = "") -> QuoteCheck:
    """Whether ``exact`` (and ``prefix + exact + suffix``) occurs in ``source_text``."""
    haystack = normalise(source_text)
    found = normalise(exact) in haystack
    in_context = normalise(f"{prefix}{exact}{suffix}") in haystack if (prefix or suffix) else found
    return QuoteCheck(quote, exact, found, in_context)


def context_of(source_text: str, exact: str, width: int = 32) -> tuple[str, str]:
    """Prefix and suffix (about ``width`` characters, cut at word breaks) around ``exact``.

    Used when adding a source, to fill in oa:prefix and oa:suffix.
    """
    text = repair(source_text)
    folded = normalise(text)
    target = normalise(exact)
    start = folded.find(target)
    if start < 0:
        raise ValueError(f"quote not found in source: {exact[:60]!r}")
    # Map positions in the apostrophe-free text back to the repaired text.
    index = [i for i, ch in enumerate(text) if not _APOSTROPHES.match(ch)]
    begin, end = index[start], index[start + len(target) - 1] + 1
    prefix = text[max(0, begin - width):begin]
    suffix = text[end:end + width]
    # Trim words cut by the window, so the context starts and ends on word boundaries.
    if begin - width > 0 and not text[begin - width - 1].isspace() and " " in prefix:
        prefix = prefix[prefix.index(" "):]
    if end + width < len(text) and not text[end + width].isspace() and " " in suffix:
        suffix = suffix[:suffix.rindex(" ") + 1]
    return prefix, suffix
