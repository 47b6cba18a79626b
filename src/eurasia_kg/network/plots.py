"""Figures: the network (node size by a measure, colour by country) and a node's centrality over time."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from .model import LOUVAIN_SEED, Network, NetworkError

FIGURE_SUFFIXES = (".svg", ".png", ".pdf")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_figure(path: Path | str) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise NetworkError("give the figure's file name, ending in .svg, .png or .pdf")
    return path


def plot(network: Network, results: dict[str, dict], measure: str, path: Path) -> None:
    """A static figure for papers: node size follows ``measure``, colour the country; nodes labelled."""
    from .measures import compute_measures

    plt = _pyplot()
    graph = network.graph
    values = results.get(measure) or compute_measures(graph, [measure])[measure]
    top = max(values.values(), default=0) or 1
    countries = sorted({graph.nodes[n].get("country", "") for n in graph})
    palette = plt.get_cmap("tab10")
    colours = [palette(countries.index(graph.nodes[n].get("country", "")) % 10) for n in graph]
    sizes = [200 + 1800 * (values.get(n, 0) / top) for n in graph]
    layout = nx.spring_layout(graph, seed=LOUVAIN_SEED, weight="weight")
    figure, axes = plt.subplots(figsize=(12, 9))
    nx.draw_networkx_edges(graph, layout, ax=axes, width=[1 + graph.edges[e]["weight"] for e in graph.edges],
                           alpha=0.5)
    nx.draw_networkx_nodes(graph, layout, ax=axes, node_size=sizes, node_color=colours)
    nx.draw_networkx_labels(graph, layout, ax=axes, labels={n: graph.nodes[n].get("label", n) for n in graph},
                            font_size=8)
    for index, country in enumerate(countries):
        axes.scatter([], [], color=palette(index % 10), label=country or "unknown")
    axes.legend(title="Country", loc="best")
    axes.set_title(f"Who met whom (node size: {measure})")
    axes.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=150)
    plt.close(figure)


def plot_timeline(series: list[tuple], label: str, measure: str, period: str, out, fmt: str | None = None) -> None:
    """A node's ``measure`` in each window (a gap where it took no part), to ``out`` (a path or a binary
    file object; ``fmt`` "png" or "svg" when ``out`` is a file object)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(9, 3.6))
    labels = [window.label for window, _ in series]
    values = [float("nan") if value is None else float(value) for _, value in series]
    axes.plot(range(len(series)), values, marker="o", color="#1f5f8b")
    axes.set_xticks(range(len(series)))
    axes.set_xticklabels(labels, rotation=45 if len(series) > 8 else 0, ha="right" if len(series) > 8 else "center",
                         fontsize=8)
    axes.set_ylabel(measure)
    axes.set_xlabel(period)
    axes.set_title(f"{label}: {measure} by {period}")
    axes.grid(alpha=0.3)
    if not series:
        axes.text(0.5, 0.5, "no dated events", ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    if fmt is None:
        figure.savefig(out, dpi=150)
    else:
        figure.savefig(out, format=fmt, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(figure)
