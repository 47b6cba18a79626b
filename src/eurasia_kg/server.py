"""Run the web application under waitress.

Waitress, not gunicorn: queries already run in their own killable worker processes, so the
front end needs threads, not forked copies of the app (each of which would start its own
workers); waitress is pure Python, runs anywhere Python does, and buffers slow clients.
"""

from __future__ import annotations

import logging
import time

from waitress import serve as waitress_serve

from . import dataset
from .config import Settings
from .web import create_app

log = logging.getLogger("eurasia_kg.server")


def serve(settings: Settings) -> None:
    # The one dataset, brought up to date with dist/; refused only if there is nothing at all to serve.
    data = dataset.open_dataset(settings)
    dataset.require_data(data, settings.dist_dir)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    app = create_app(settings)
    log.info("eurasia-kg ready in %.2f s: http://%s:%d/ (SPARQL at /sparql)", time.perf_counter() - started,
             settings.host, settings.port)
    waitress_serve(app, host=settings.host, port=settings.port, threads=settings.threads,
                   ident="eurasia-kg", clear_untrusted_proxy_headers=True)
