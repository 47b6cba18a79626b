"""SPARQL syntax errors in plain words: the line, the column and a hint, not the parser's token sets.

One module for every place a user meets them: the command line (``eurasia-kg query``) and the query
endpoint behind the UI. The hints and the keywords they suggest are data (``data/sparql-hints.toml``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .config import PREFIXES

HINTS_FILE = Path(__file__).parent / "data" / "sparql-hints.toml"
# pyoxigraph: "error at 3:10: expected one of ..."; rdflib (pyparsing): "... (at char 12), (line:3, col:10)".
OXIGRAPH_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.S)
PYPARSING_POSITION = re.compile(r"\(line:(\d+), col:(\d+)\)")
# Strings, IRIs and comments are skipped when brackets are matched.
SKIP = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
                  r'|<[^<>"{}|^`\\\s]*>|#[^\n]*')
OPEN_QUOTE = re.compile(r'"""|\'\'\'|"|\'')
WORD = re.compile(r"[A-Za-z_][\w]*")
PREFIXED_NAME = re.compile(r"([A-Za-z][\w.-]*)?:[\w.%-]*$")
BRACKETS = {"{": "}", "(": ")", "[": "]"}
CLOSERS = {v: k for k, v in BRACKETS.items()}


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    column: int
    hint: str
    source: str | None = None  # the file the query came from, if any

    def __str__(self) -> str:
        where = f" in {self.source}" if self.source else ""
        return f"syntax error{where} at line {self.line}, column {self.column}: {self.hint}"


@cache
def _data() -> dict:
    return tomllib.loads(HINTS_FILE.read_text(encoding="utf-8"))


def _hint(name: str, **values) -> str:
    return _data()["hints"][name].format(**values)


def position(message: str, line_offset: int = 0) -> tuple[int, int, str] | None:
    """(line, column, what the parser expected) from a parser's message, lines counted in the user's text."""
    found = OXIGRAPH_POSITION.match(message.strip())
    if found:
        return int(found.group(1)) - line_offset, int(found.group(2)), found.group(3)
    found = PYPARSING_POSITION.search(message)
    if found:
        return int(found.group(1)) - line_offset, int(found.group(2)), message
    return None


def explain(query: str, message: str, line_offset: int = 0, source: str | None = None) -> SyntaxProblem | None:
    """The problem a parser reported, in plain words; None when its message gives no position.

    The parser stops where it can go no further, which is often after the mistake (at the end of
    the query for an unclosed brace): when a hint finds the mistake itself, its place is given."""
    located = position(message, line_offset)
    if located is None:
        return None
    line, column, expected = located
    expected = re.sub(r"^expected (one of )?", "", expected.strip())
    hint, offset = _guess(query, _offset(query, max(1, line), column), expected)
    if offset is not None:
        line, column = _line_column(query, offset)
    return SyntaxProblem(max(1, line), column, hint, source)


def describe(query: str, message: str, line_offset: int = 0, source: str | None = None) -> str:
    """One line for the user: the explained problem, or the parser's message made one line."""
    problem = explain(query, message, line_offset, source)
    return str(problem) if problem else " ".join(message.split())


def _offset(query: str, line: int, column: int) -> int:
    lines = query.split("\n")
    before = sum(len(text) + 1 for text in lines[: line - 1])
    return min(len(query), before + max(0, column - 1))


def _line_column(query: str, offset: int) -> tuple[int, int]:
    line = query.count("\n", 0, offset) + 1
    return line, offset - (query.rfind("\n", 0, offset) + 1) + 1


def _guess(query: str, at: int, expected: str) -> tuple[str, int | None]:
    """A hint, and where the mistake is when that is not where the parser stopped."""
    start = _unclosed_string(query)
    if start is not None and start <= at:
        line, column = _line_column(query, start)
        return _hint("string", line=line, column=column, quote=OPEN_QUOTE.match(query, start).group(0)), None
    if "Prefix not found" in expected:
        name = PREFIXED_NAME.search(query[:at])
        prefix = (name.group(1) or "") if name else ""
        if prefix not in PREFIXES:
            known = ", ".join(f"{p}:" for p in list(PREFIXES)[:4])
            return _hint("prefix", prefix=prefix, known=known), name.start() if name else None
    if "IRI parsing failed" in expected:
        start = query.rfind("<", 0, at)
        if start >= 0:
            end = query.find(">", start)
            return _hint("iri", iri=query[start:end + 1 if end >= 0 else at]), start
    count = re.search(r"\b(?:LIMIT|OFFSET)\s+([^\s\d]\S*)", _blank_literals(query[: at + 1]), re.I)
    if count:
        return _hint("number"), count.start(1)
    for offset, word in _bare_words(query):
        if offset > at:
            break
        if word.upper() not in _data()["keywords"] and word != "a":
            suggestion = difflib.get_close_matches(word.upper(), _data()["keywords"], n=1, cutoff=0.75)
            if suggestion:
                return _hint("keyword", word=word, suggestion=suggestion[0]), offset
            if _only_prologue(query[:offset]):
                return _hint("query_form", word=word), offset
    operator = MISSING_OPERAND.search(_blank_literals(query[: at + 1]))
    if operator:
        return _hint("expression"), operator.start(1)
    shape = _triple_shape(query, at)
    if shape is not None:
        return _hint(shape[0]), shape[1]
    stray = _unbalanced(query)
    rest = query[at:].strip()
    if stray is not None and (not rest or stray[1] in CLOSERS):
        offset, bracket = stray
        line, column = _line_column(query, offset)
        if bracket in BRACKETS:
            return _hint("unclosed", bracket=bracket, closer=BRACKETS[bracket], line=line, column=column), None
        return _hint("unopened", bracket=bracket, opener=CLOSERS[bracket]), offset
    if expected == '")"':
        return _hint("closing_parenthesis"), None
    if not rest:
        return _hint("ends_early"), None
    if re.fullmatch(r"\['0' ?\.\.=? ?'9'\]", expected) or (re.search(r"'0' ?\.\.=? ?'9'", expected)
                                                           and re.match(r"[^\d\s]", rest)
                                                           and re.search(r"\b(LIMIT|OFFSET)\s*$", query[:at], re.I)):
        return _hint("number"), None
    if re.search(r"\b(ABS|STR|BOUND|COALESCE)\b", expected):
        return _hint("expression"), None
    if '"?"' in expected and '"$"' in expected and not re.search(r"\b[A-Z]{3,}\b", expected):
        return _hint("variable"), None
    token = rest.split()[0]
    return _hint("unexpected", token=token[:40]), None


# An operator with nothing after it, before a closing parenthesis: "FILTER(?o = )".
MISSING_OPERAND = re.compile(r"(!=|<=|>=|=|<|>|\+|-|/|&&|\|\|)\s*\)")
# Terms of a triple pattern, and what separates or opens things, for spotting a missing '.'.
TOKEN = re.compile(r'(?P<term>[?$]\w+|<[^<>\s]*>|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|[\w-]*:[\w.%-]*\w|\d+)'
                   r'|(?P<word>[A-Za-z_]\w*)|(?P<mark>[{}()\[\].;,])|#[^\n]*|\S')


def _triple_shape(query: str, at: int) -> tuple[str, int] | None:
    """A triple pattern with a term missing, or a fourth term after three without '.', ';' or ','
    (in the groups of a query, outside VALUES blocks and parentheses)."""
    depth, run, need, blocks, previous_word = 0, 0, 3, [], ""
    for found in TOKEN.finditer(query[: at + 1]):
        kind, text = found.lastgroup, found.group(0)
        checked = bool(blocks) and not blocks[-1] and depth == 0
        if kind == "mark":
            if checked and text in ".}" and 0 < run < need:
                return "incomplete", found.start()
            if text == "{":
                blocks.append(previous_word.upper() == "VALUES" or bool(blocks and blocks[-1]))
            elif text == "}" and blocks:
                blocks.pop()
            depth += {"(": 1, ")": -1}.get(text, 0)
            run, need = 0, {";": 2, ",": 1, "[": 2}.get(text, 3)
        elif kind == "word" and text != "a":
            previous_word, run = text, 0
        elif kind in ("term", "word") and checked:
            run += 1
            if run == need + 1:
                return "separator", found.start()
    return None


def _blank_literals(text: str) -> str:
    """The text with strings, IRIs and comments blanked out (same length), so operators in them are ignored."""
    return SKIP.sub(lambda m: " " * len(m.group(0)), text)


def _bare_words(query: str):
    """Words outside strings, IRIs and comments that are not variables, prefixed names or language tags."""
    text = _blank_literals(query)
    for found in WORD.finditer(text):
        start, end = found.span()
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if before in "?$:@._-" or before.isalnum() or after in ":":
            continue
        yield start, found.group(0)


def _word_before(query: str, at: int) -> str | None:
    found = re.search(r"([A-Za-z_][\w-]*)\s*$", query[:at])
    return found.group(1) if found else None


def _only_prologue(text: str) -> bool:
    return not re.sub(r"(?is)\s*(PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>|#[^\n]*)", "", text).strip()


def _outside_literals(query: str):
    """(offset, character) of every character outside complete strings, IRIs and comments (those
    SKIP matches), in order; an unclosed string's opening quote is yielded like any character."""
    at = 0
    while at < len(query):
        skipped = SKIP.match(query, at)
        if skipped:
            at = skipped.end()
            continue
        yield at, query[at]
        at += 1


def _unclosed_string(query: str) -> int | None:
    """Where a string starts that is never closed (strings, IRIs and comments before it skipped)."""
    return next((at for at, _ in _outside_literals(query) if OPEN_QUOTE.match(query, at)), None)


def _unbalanced(query: str) -> tuple[int, str] | None:
    """The first bracket without its partner: an unclosed opener (its offset) or a stray closer."""
    stack: list[tuple[int, str]] = []
    for at, char in _outside_literals(query):
        if char in BRACKETS:
            stack.append((at, char))
        elif char in CLOSERS:
            if not stack or stack[-1][1] != CLOSERS[char]:
                return at, char
            stack.pop()
    return stack[-1] if stack else None
