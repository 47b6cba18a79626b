"""The network over time: measures per month, quarter, Gregorian year or Iranian year.

The network is built once; each window's network is cut from it (``build.restrict``: the events
whose whole interval lies in the window, the people who took part in them, and the edges of those
events, reweighted). Events without dates, and events whose interval spans two windows (a date the
source gives only as a year, seen by quarter), belong to no window of that period; ``uncounted``
says how many.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .build import restrict
from .measures import compute_measures
from .model import Network, Window, check_period, periods


@dataclass
class WindowResult:
    window: Window
    network: Network
    results: dict[str, dict]


@dataclass
class Timeline:
    period: str
    windows: list[WindowResult]
    uncounted: int  # events on the network that fall in no single window (undated or spanning two)


def windows_of(network: Network, period: str) -> list[Window]:
    """The windows of ``period`` from the earliest to the latest dated event of the network."""
    check_period(period)
    starts = [_day(i["start"]) for i in network.events.values() if i.get("start")]
    ends = [_day(i["end"]) for i in network.events.values() if i.get("end")]
    if not starts or not ends:
        return []
    return periods(period, min(starts), max(ends))


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value[:10])


def measures_by_period(network: Network, period: str, measures: Iterable[str], keep_empty: bool = False,
                       **sampling) -> Timeline:
    """Each window's network and measures, in order; windows without an event are left out unless asked."""
    measures = tuple(measures)
    used = _events_in_use(network)
    counted: set[str] = set()
    results = []
    for window in windows_of(network, period):
        part = restrict(network, window)
        counted |= set(part.events) & used
        if part.graph.number_of_nodes() == 0 and not keep_empty:
            continue
        results.append(WindowResult(window, part, compute_measures(part.graph, measures, **sampling)))
    return Timeline(period, results, len(used - counted))


def _events_in_use(network: Network) -> set[str]:
    used = {e for _, _, d in network.graph.edges(data=True) for e in d["events"]}
    for node, joined in network.participation.items():
        if node in network.graph:
            used |= joined
    return used & set(network.events)


def timeline_rows(timeline: Timeline, measures: Iterable[str]) -> list[dict]:
    """Long format: one row per window and node, with the node's value of each measure."""
    rows = []
    for part in timeline.windows:
        for node, data in part.network.graph.nodes(data=True):
            row = {"window": part.window.label, "start": part.window.start.isoformat(),
                   "end": part.window.end.isoformat(), "node": node, "label": data.get("label", node)}
            row.update({m: part.results.get(m, {}).get(node) for m in measures})
            rows.append(row)
    return rows


def node_series(timeline: Timeline, node: str, measure: str) -> list[tuple[Window, float | None]]:
    """A node's value of ``measure`` in each window (None where the node took no part)."""
    return [(part.window, part.results.get(measure, {}).get(node)) for part in timeline.windows]


def measures_table(network: Network, results: dict[str, dict]) -> list[dict]:
    rows = []
    for node, data in network.graph.nodes(data=True):
        row = {"node": node, "label": data.get("label", node), "country": data.get("country", "")}
        row.update({m: values.get(node) for m, values in results.items()})
        rows.append(row)
    return rows
