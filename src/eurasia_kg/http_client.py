"""The one HTTP client of the project (remote stores, push): urllib, with credentials and clear errors."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request

USER_AGENT = "eurasia-kg"


class HttpError(Exception):
    """The server could not be reached; the message names the URL and the reason."""


def auth_header(auth: str | None) -> dict[str, str]:
    """``user:password`` for Basic, ``bearer:TOKEN`` for a bearer token."""
    if not auth:
        return {}
    kind, _, secret = auth.partition(":")
    if kind.lower() == "bearer":
        return {"Authorization": f"Bearer {secret}"}
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


def request(url: str, method: str = "GET", data=None, headers: dict | None = None,
            timeout: float = 300) -> tuple[int, str, bytes]:
    """(status, content type, body); HTTP error statuses are returned, not raised. ``data`` may be
    bytes or an open binary file (then give Content-Length in ``headers``)."""
    req = urllib.request.Request(url, data=data, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 (URL given by the user)
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", "") if exc.headers else "", exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HttpError(f"{url}: {reason}") from exc
