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


def fold_with_index(repaired: str) -> tuple[str, list[int]]:
    """``normalise`` of a text already repaired, with where each of its characters is in that text
    (to map a quote found in the normalised form back to the words a reader sees)."""
    index = [i for i, ch in enumerate(repaired) if not _APOSTROPHES.match(ch)]
    return "".join(repaired[i] for i in index), index


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
    folded, index = fold_with_index(text)
    target = normalise(exact)
    start = folded.find(target)
    if start < 0 or not target:
        raise ValueError(f"quote not found in source: {exact[:60]!r}")
    begin, end = index[start], index[start + len(target) - 1] + 1
    prefix = text[max(0, begin - width):begin]
    suffix = text[end:end + width]
    # Trim words cut by the window, so the context starts and ends on word boundaries.
    if begin - width > 0 and not text[begin - width - 1].isspace() and " " in prefix:
        prefix = prefix[prefix.index(" "):]
    if end + width < len(text) and not text[end + width].isspace() and " " in suffix:
        suffix = suffix[:suffix.rindex(" ") + 1]
    return prefix, suffix
