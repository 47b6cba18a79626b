"""Reading a file to merge: its SHA-256 (beside the load), refusals before any parser sees it, and
loading it into a writer with a progress bar."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from ..dataset import Writer
from ..formats import jsonld_context_refusal, xml_declares_entities
from .records import MergeError


class _Digest(threading.Thread):
    """The SHA-256 of a file, computed in the background (or at once, when asked before it started)."""

    def __init__(self, path: Path):
        super().__init__(daemon=True, name="merge-sha256")
        self.path, self.value, self.error = path, None, None

    def run(self) -> None:
        try:
            self.value = sha256_of(self.path)
        except OSError as exc:
            self.error = exc

    def result(self) -> str:
        if self.value is None and self.error is None:
            if self.is_alive():
                self.join()
            else:
                self.run()
        if self.error is not None:
            raise self.error
        return self.value

    def start(self) -> None:
        if self.value is None and not self.is_alive():
            super().start()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Progress(io.RawIOBase):
    """A file wrapper that reports how far the parser has read, for the progress bar."""

    def __init__(self, raw, total: int, report: Callable[[int, int], None]):
        self.raw, self.total, self.report, self.done, self._last = raw, total, report, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.done += len(data)
        if self.done - self._last >= (1 << 22) or not data:
            self._last = self.done
            self.report(self.done, self.total)
        return len(data)


def progress_bar(done: int, total: int) -> None:
    if total <= 0:
        return
    share = min(1.0, done / total)
    sys.stderr.write(f"\r  [{'#' * int(share * 30):<30}] {share:6.1%} of {total / 1e6:.1f} MB")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def refuse_hostile(path: Path, fmt: ox.RdfFormat, max_bytes: int) -> None:
    """Refuse, before any parser sees it, a file too large, RDF/XML declaring entities, or JSON-LD
    whose context would have to be fetched."""
    size = path.stat().st_size
    if size > max_bytes:
        raise MergeError(f"{path}: refused: the file is {size} bytes, over the limit of {max_bytes} "
                         "(setting max_merge_bytes)")
    if fmt == ox.RdfFormat.RDF_XML:
        with _open(path) as handle:
            hostile = xml_declares_entities(iter(lambda: handle.read(1 << 20), b""))
        if hostile:
            raise MergeError(f"{path}: refused: RDF/XML with a DOCTYPE or entity declarations is not accepted "
                             "(external entities could read local files; nested entities can exhaust memory)")
    if fmt == ox.RdfFormat.JSON_LD:
        with _open(path) as handle:
            reason = jsonld_context_refusal(handle.read())
        if reason is not None:
            message, line, column = reason
            where = f":{line}:{column}" if line is not None else ""
            raise MergeError(f"{path}{where}: {message}")


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


class _NativeProgress(threading.Thread):
    """Reports how far a native reader has read a file, by polling the kernel's record of the open
    file's offset (/proc/self/fdinfo, Linux): pyoxigraph then reads the file by its path, about 1.6
    times as fast as through a Python file object, and the progress bar stays. Elsewhere it reports
    only the end."""

    def __init__(self, path: Path, total: int, report: Callable[[int, int], None]):
        super().__init__(daemon=True, name="merge-progress")
        self.path, self.total, self.report, self.done = str(path.resolve()), total, report, threading.Event()

    def _offset(self) -> int | None:
        try:
            for fd in os.listdir("/proc/self/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/self/fd/{fd}") == self.path:
                        with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
                            return int(info.readline().split()[1])
        except OSError:
            return None
        return None

    def run(self) -> None:
        while not self.done.wait(0.25):
            offset = self._offset()
            if offset:
                self.report(min(offset, self.total), self.total)

    def __enter__(self) -> _NativeProgress:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.join()
        if exc[0] is None:
            self.report(self.total, self.total)


def _load(writer: Writer, path: Path, fmt: ox.RdfFormat, graph: str,
          progress: Callable[[int, int], None] | None) -> None:
    size = path.stat().st_size
    base = path.resolve().as_uri()
    if fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG) and path.suffix.lower() != ".gz":
        try:
            with _NativeProgress(path, size, progress) if progress else contextlib.nullcontext():
                writer.load_path(str(path), fmt, graph, base_iri=base)
        except SyntaxError as exc:
            line = f":{exc.lineno}" if exc.lineno else ""
            raise MergeError(f"{path}{line}: cannot parse: {exc.msg}") from exc
        return
    raw = _open(path)
    stream = io.BufferedReader(_Progress(raw, size, progress), 1 << 20) if progress else raw
    try:
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            # Named graphs of the file are folded into the source's graph.
            target = ox.NamedNode(graph)
            writer.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, target)
                               for q in ox.parse(stream, format=fmt, base_iri=base))
        else:
            writer.load(stream, fmt, graph, base_iri=base)
    except SyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        raise MergeError(f"{path}{line}: cannot parse: {exc.msg}") from exc
    finally:
        raw.close()


