"""What a network is made of: options, time windows, the built network, and the checks on input.

Nothing here runs a query or an algorithm; ``build``, ``measures`` and ``timeline`` do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import networkx as nx

from .. import calendars

# Article edge kinds (from the curated graphs) and the kind of merged event data (CAMEO 04x).
ARTICLE_KINDS = ("met", "co-participated", "visited-host")
EVENT_DATA_KIND = "consulted"
EDGE_KINDS = (*ARTICLE_KINDS, EVENT_DATA_KIND)
INSTITUTION_KIND = "held-post"
MEASURES = ("degree", "weighted_degree", "betweenness", "closeness", "eigenvector", "pagerank", "core_number",
            "community")
PERIODS = ("month", "quarter", "year", "iranian-year")
LOUVAIN_SEED = 42


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while a network is built or measured: building hundreds of
    thousands of dicts and sets (no cycles among them) triggers collection after collection, which took a
    third of the build and of the measures on the 10k-people network. Reference counting still frees
    memory; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # Straight to the oldest generation: re-enabling alone would make the next allocation traverse
            # every object made meanwhile (4.6 s at 100k people) only to find no garbage.
            gc.freeze()
            gc.enable()
            gc.unfreeze()


class NetworkError(ValueError):
    """Bad input (unknown measure, edge kind, source or period, malformed date, empty window): the message lists
    what is accepted."""


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date
    label: str

    def contains(self, start: str | None, end: str | None) -> bool:
        """An event is in the window when its whole interval is (undated events are in no window)."""
        if not start or not end:
            return False
        return self.start <= _day(start) and _day(end) <= self.end


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value[:10])


def parse_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise NetworkError(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None


def make_window(start: str | None = None, end: str | None = None,
                iranian_year: int | str | None = None) -> Window | None:
    if iranian_year is not None:
        if start or end:
            raise NetworkError("give either --from/--to or --iranian-year, not both")
        try:
            year = int(iranian_year)
        except (TypeError, ValueError):
            raise NetworkError(
                f"--iranian-year must be a Solar Hijri year such as 1391, not {iranian_year!r}") from None
        first, last = calendars.solar_hijri_year(year)
        return Window(first, last, f"Iranian year {year}")
    if start is None and end is None:
        return None
    first = parse_date(start, "--from") if start else dt.date.min
    last = parse_date(end, "--to") if end else dt.date.max
    if last < first:
        raise NetworkError(f"the window ends ({last}) before it starts ({first})")
    return Window(first, last, f"{start or '…'} to {end or '…'}")


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise NetworkError(f"unknown period {period!r}; accepted: {', '.join(PERIODS)}")
    return period


def period_of(day: dt.date, period: str) -> Window:
    """The window of ``period`` that holds ``day``: a month, a quarter, a Gregorian or an Iranian
    (Solar Hijri, from Nowruz) year. Iranian years come from convertdate, through calendars."""
    if period == "month":
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return Window(first, following - dt.timedelta(days=1), f"{day.year}-{day.month:02d}")
    if period == "quarter":
        quarter = (day.month - 1) // 3
        first = dt.date(day.year, 3 * quarter + 1, 1)
        following = dt.date(day.year + 1, 1, 1) if quarter == 3 else dt.date(day.year, 3 * quarter + 4, 1)
        return Window(first, following - dt.timedelta(days=1), f"{day.year}-Q{quarter + 1}")
    if period == "year":
        return Window(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), str(day.year))
    if period == "iranian-year":
        year = calendars.gregorian_to_solar_hijri(day)[0]
        first, last = calendars.solar_hijri_year(year)
        return Window(first, last, f"{year} SH")
    raise NetworkError(f"unknown period {period!r}; accepted: {', '.join(PERIODS)}")


def periods(period: str, first: dt.date, last: dt.date) -> list[Window]:
    """Every window of ``period`` from the one holding ``first`` to the one holding ``last``, in order."""
    check_period(period)
    windows = []
    day = first
    while day <= last:
        window = period_of(day, period)
        windows.append(window)
        day = window.end + dt.timedelta(days=1)
    return windows


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


def check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    kinds = _unique(kinds)
    unknown = [k for k in kinds if k not in EDGE_KINDS]
    if unknown:
        raise NetworkError(f"unknown edge kind {', '.join(unknown)}; accepted: {', '.join(EDGE_KINDS)}")
    return kinds


def check_measures(measures: Iterable[str]) -> tuple[str, ...]:
    measures = _unique(measures)
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise NetworkError(f"unknown measure {', '.join(unknown)}; accepted: {', '.join(MEASURES)}")
    return measures


def parse_sources(text: str | None) -> tuple[str, ...] | None:
    """``--sources``: None (all merged sources), "none" (the curated graphs only) or names, comma-separated."""
    if text is None or text.strip() in ("", "all"):
        return None
    if text.strip() == "none":
        return ()
    return _unique(text.split(","))


@dataclass
class Options:
    kinds: tuple[str, ...] = EDGE_KINDS
    window: Window | None = None
    include_unnamed: bool = True
    include_institutions: bool = False
    include_interpretations: bool = False
    weight: str = "events"  # "events": number of shared events; "unit": every edge weighs 1
    sources: tuple[str, ...] | None = None  # merged sources to include; None: all of them

    def __post_init__(self) -> None:
        self.kinds = check_kinds(self.kinds)
        if self.weight not in ("events", "unit"):
            raise NetworkError(f"unknown weighting {self.weight!r}; accepted: events, unit")
        if self.sources is not None:
            self.sources = _unique(self.sources)


@dataclass
class Network:
    """A networkx graph and what it rests on.

    Nodes carry ``label``, ``kind`` (person, institution or actor), ``country``, ``unnamed``.
    Edges carry ``events`` (IRIs, in order), ``event_kinds`` (event → its kinds on this edge),
    ``kinds``, ``sources`` (the named graphs the events come from) and ``weight``.
    ``events`` maps each event to its label, dates, wording, quotes, CAMEO code and graphs;
    ``participation`` maps each node to the events it took part in (for time windows).
    """

    graph: nx.Graph
    options: Options
    events: dict[str, dict] = field(default_factory=dict)
    participation: dict[str, set[str]] = field(default_factory=dict)
    dataset: list[str] = field(default_factory=list)  # the named graphs the network was built from
