"""What is decided about a query or an update before an engine runs it.

- Too long, or nested too deeply: refused before any parser sees the text. pyoxigraph's parser
  recurses once per level and overflows its stack at a few thousand levels (killing the process),
  and rdflib's raises RecursionError, so the depth is measured here without recursion.
- Every security decision (is it an update, which SERVICE endpoints and LOAD sources it names)
  is taken on rdflib's SPARQL parser and algebra, with prefixes and BASE resolved as SPARQL says.
  At the query endpoint, "is it an update" is decided by pyoxigraph's query parser itself: a text
  that parses as a query cannot change anything; rdflib is asked only for a friendlier message.

Parsing with rdflib costs about 10 ms, ten times a typical query, so it runs only when the text
contains the letters of a keyword it would look for (SERVICE, FROM) or a \\u escape that could
spell one: a keyword cannot appear in a query without its letters. Its decisions are cached per
text in the worker (``Checker``).
"""

from __future__ import annotations

import functools
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass

from .config import PREFIXES
from .sparql import QueryRejected

# One lexeme at a time: strings and comments (whose brackets are not structure), IRIs (whose
# '#' does not start a comment), or a bracket. Not a parser and not a security decision: it only
# bounds the nesting before a recursive parser sees the text. Brackets inside IRI-like lexemes are
# counted anyway, so reading a less-than sign as the start of an IRI can only over-count. As a
# second line, query workers run the engine on a thread with a stack deep enough for a query of
# max_query_length nested brackets (see worker_process.WORKER_STACK_BYTES).
_LEXEME = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"' r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|#[^\n\r]*"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|[{}()\[\]]")
_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")


def nesting_depth(text: str) -> int:
    """The deepest nesting of {}, () and [] outside strings and comments, counted without recursion."""
    depth = deepest = 0
    for match in _LEXEME.finditer(text):
        lexeme = match.group()
        first = lexeme[0]
        if first in "\"'#":
            continue
        for char in lexeme if first == "<" else first:
            if char in _OPEN:
                depth += 1
                deepest = max(deepest, depth)
            elif char in _CLOSE:
                depth = max(0, depth - 1)
    return deepest


def check_size(text: str, kind: str, max_length: int, max_depth: int) -> None:
    """Refuse a text too long or nested too deeply, before anything parses it."""
    if len(text) > max_length:
        raise QueryRejected(f"the {kind} is {len(text)} characters long; the limit is {max_length}")
    depth = nesting_depth(text)
    if depth > max_depth:
        raise QueryRejected(f"the {kind} nests brackets {depth} levels deep; the limit is {max_depth}")


def allowed_endpoint(endpoint: str, allowlist: tuple[str, ...]) -> bool:
    """Whether ``endpoint`` starts with an allowed prefix, at a boundary: the prefix
    http://host:8000 allows http://host:8000/sparql, not http://host:8000.evil.example/."""
    for prefix in allowlist:
        if endpoint == prefix or (prefix and endpoint.startswith(prefix)
                                  and (prefix[-1] in "/?#" or endpoint[len(prefix)] in "/?#")):
            return True
    return False


@dataclass(frozen=True)
class QueryFacts:
    has_dataset: bool = False  # FROM or FROM NAMED


_PROLOGUE = "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in PREFIXES.items())
_PROLOGUE_LINES = _PROLOGUE.count("\n")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _parse(kind: str, text: str, base_iri: str | None):
    """rdflib's algebra of the text (our prefixes pre-declared), or QueryRejected."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    # Our prefixes are declared in lines before the text (the parser's line numbers are moved back).
    # rdflib's initNs would do, but it forgets the user's own prefixes after an update's first operation.
    try:
        if kind == "query":
            return translateQuery(parseQuery(_PROLOGUE + text), base=base_iri)
        return translateUpdate(parseUpdate(_PROLOGUE + text), base=base_iri)
    except RecursionError:
        raise QueryRejected(f"the {kind} is nested too deeply to be checked") from None
    except ParseBaseException as exc:
        raise QueryRejected(f"error at {max(1, exc.lineno - _PROLOGUE_LINES)}:{exc.col}: the {kind} could not be "
                            f"parsed: {exc.msg}") from None
    except Exception as exc:  # rdflib raises assorted errors for a text it cannot translate
        raise QueryRejected(f"the {kind} could not be parsed: {_first_line(exc)}") from None


def _services(node, found: list) -> list:
    """The endpoint term of every SERVICE in an rdflib algebra tree (iteratively: trees can be deep)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name == "ServiceGraphPattern":
                found.append(item.get("term", None))
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def _check_services(terms: list, allowlist: tuple[str, ...]) -> None:
    from rdflib import URIRef

    for term in terms:
        if not isinstance(term, URIRef):
            raise QueryRejected("SERVICE with a variable endpoint is not allowed")
        if not allowed_endpoint(str(term), allowlist):
            raise QueryRejected(f"SERVICE <{term}> is not allowed: federated queries are off unless the "
                                "endpoint is in the configured allowlist")


@functools.lru_cache(maxsize=512)  # a memo of a pure function: the network asks the same queries again and again
def has_dataset_clause(text: str, base_iri: str | None = None) -> bool:
    """Whether a query names its own dataset (FROM or FROM NAMED), by rdflib's parser; a text without
    the letters of FROM (or a \\u escape) has none. False when rdflib cannot read the query."""
    folded = text.casefold()
    if "from" not in folded and "\\u" not in folded:
        return False
    try:
        query = _parse("query", text, base_iri).algebra
    except QueryRejected:
        return False
    return "datasetClause" in query and bool(query["datasetClause"])


def parses_as_update(text: str) -> bool:
    """Whether rdflib reads the text as a SPARQL Update (for the message when a query fails to parse)."""
    try:
        _parse("update", text, None)
    except QueryRejected:
        return False
    return True


class Checker:
    """The checks of one worker, with their decisions cached per text (the algebra is not kept)."""

    def __init__(self, allowlist: tuple[str, ...], max_length: int, max_depth: int, cache_size: int = 256):
        self.allowlist = allowlist
        self.max_length = max_length
        self.max_depth = max_depth
        self.cache_size = cache_size
        self._facts: OrderedDict[tuple[str, str | None], QueryFacts] = OrderedDict()

    def query(self, text: str, base_iri: str | None = None) -> QueryFacts:
        """Refusals for a query (QueryRejected), and what the engine needs to know of it."""
        key = (text, base_iri)
        facts = self._facts.get(key)
        if facts is not None:
            self._facts.move_to_end(key)
            return facts
        check_size(text, "query", self.max_length, self.max_depth)
        facts = self._analyse(text, base_iri)
        self._facts[key] = facts
        while len(self._facts) > self.cache_size:
            self._facts.popitem(last=False)
        return facts

    def _analyse(self, text: str, base_iri: str | None) -> QueryFacts:
        folded = text.casefold()
        could_escape = "\\u" in folded  # \u and \U escapes may spell any keyword
        may_serve = could_escape or "service" in folded
        if not may_serve and "from" not in folded:
            return QueryFacts()
        try:
            algebra = _parse("query", text, base_iri)
        except QueryRejected:
            if parses_as_update(text):
                raise QueryRejected("SPARQL Update is not accepted at the query endpoint; send it to /update") from None
            if may_serve:
                raise  # SERVICE cannot be ruled out without a parse: refuse
            # "from" only: nothing to secure; the engine's parser gives its own message, and a
            # query rdflib cannot read is run over the union default graph.
            return QueryFacts()
        _check_services(_services(algebra.algebra, []), self.allowlist)
        query = algebra.algebra
        return QueryFacts(has_dataset="datasetClause" in query and bool(query["datasetClause"]))

    def update(self, text: str, base_iri: str | None = None) -> list:
        """Refusals for an update: too long or deep, unparseable, or a SERVICE or LOAD that would reach a
        server not allowed. Returns rdflib's operations (the caller checks USING and WITH on them)."""
        check_size(text, "update", self.max_length, self.max_depth)
        operations = list(_parse("update", text, base_iri).algebra)
        for operation in operations:
            if operation.name == "Load":
                source = str(operation["iri"])
                if not allowed_endpoint(source, self.allowlist):
                    raise QueryRejected(f"LOAD <{source}> is not allowed: the server fetches only from the "
                                        "configured allowlist")
        _check_services(_services(operations, []), self.allowlist)
        return operations


def with_update_dataset(update: str, operations: list, using: list[str], using_named: list[str]) -> str:
    """The update with the protocol's using-graph-uri/using-named-graph-uri applied to each operation.

    SPARQL 1.1 Protocol §2.2.3: the parameters act as USING and USING NAMED clauses on every
    DELETE/INSERT … WHERE operation; an update that has its own USING, USING NAMED or WITH is an
    error when they are given. ``operations`` is the parser's reading of the update: it decides
    whether there are USING or WITH clauses; the lexer only finds where each WHERE keyword is.
    """
    if not using and not using_named:
        return update
    for operation in operations:
        # CompValue.get answers a missing key with the key's name: ask for the keys themselves.
        if operation.name == "Modify" and ({"using", "withClause"} & set(operation.keys())):
            raise QueryRejected("the update has its own USING or WITH clause; it cannot also take the "
                                "using-graph-uri or using-named-graph-uri parameters")
    clauses = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    modifies = sum(1 for operation in operations if operation.name == "Modify")
    offsets = _top_level_where_after_group(update)
    if len(offsets) != modifies:
        raise QueryRejected("using-graph-uri and using-named-graph-uri could not be applied to this update")
    for offset in reversed(offsets):
        update = update[:offset] + clauses + update[offset:]
    return update


_WORD_OR_LEXEME = re.compile(_LEXEME.pattern + r"|[A-Za-z_][\w-]*")


def _top_level_where_after_group(text: str) -> list[int]:
    """Offsets of each WHERE outside brackets that follows a closing brace (DELETE/INSERT {…} WHERE)."""
    offsets, depth, previous = [], 0, ""
    for match in _WORD_OR_LEXEME.finditer(text):
        lexeme = match.group()
        if lexeme in _OPEN:
            depth += 1
        elif lexeme in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and lexeme.upper() == "WHERE" and previous == "}":
            offsets.append(match.start())
        previous = lexeme
    return offsets


def raise_recursion_limit(limit: int = 20000) -> None:
    """rdflib's parser recurses per nesting level; on a worker thread with a deep stack it may go deeper."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), limit))
