"""Connectors: where a feed's records come from, a file or an HTTP API.

Both yield ``(number, record)`` pairs like the readers: a file's line numbers, or for HTTP the
record's position across all pages (1, 2, ...; ``HttpConnector.locate`` gives its page).

:class:`HttpConnector` pulls JSON pages with httpx:

- a page is a JSON array of records, or an object holding them under ``records_key`` (by
  default the first of ``data``, ``records``, ``items``, ``results`` that is a list);
- pagination follows a ``next`` link (``{"next": url}``, ``{"links": {"next": url}}`` or an
  HTTP ``Link: <url>; rel="next"`` header), or, with ``page_param``, asks page 1, 2, ...
  until a page is empty, short (``page_size``) or the last (``total_pages``/``last_page``);
- a next link to another host is refused, so the authorisation header never leaves the
  origin; a link seen twice ends with an error rather than looping;
- timeouts, connection errors, 429 and 5xx are retried ``retries`` times with exponential
  backoff (``Retry-After`` honoured up to ``max_backoff``); other 4xx fail at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

import httpx

from mortgage_risk.monitoring.ingest.readers import Malformed, ReadItem, read_records

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_RECORD_KEYS = ("data", "records", "items", "results")


class ConnectorError(RuntimeError):
    """A source that cannot be read (HTTP failure after retries, a page that is not JSON)."""


@runtime_checkable
class Connector(Protocol):
    """Anything that yields ``(number, record)`` pairs."""

    def records(self) -> Iterator[ReadItem]: ...


class FileConnector:
    """A feed file: CSV, Parquet, JSON lines or a JSON array (by suffix, or ``format``)."""

    def __init__(self, path: str | Path, *, format: str | None = None,
                 encoding: str = "utf-8-sig") -> None:
        self.path = Path(path)
        self.format = format
        self.encoding = encoding

    def records(self) -> Iterator[ReadItem]:
        return read_records(self.path, format=self.format, encoding=self.encoding)

    def __repr__(self) -> str:
        return f"FileConnector({str(self.path)!r})"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


class HttpConnector:
    """A JSON API, page by page, with retries. See the module docstring for the protocol."""

    def __init__(
        self,
        url: str,
        *,
        auth_header: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        page_param: str | None = None,
        first_page: int = 1,
        page_size_param: str | None = None,
        page_size: int | None = None,
        records_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_pages: int = 100_000,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url}")
        if retries < 0:
            raise ValueError("retries must not be negative")
        self.url = url
        self._headers = {"Accept": "application/json", **(headers or {})}
        if auth_header is not None:
            self._headers["Authorization"] = auth_header
        self.params: dict[str, str | int] = dict(params or {})
        self.page_param = page_param
        self.first_page = first_page
        self.page_size = page_size
        if page_size_param is not None and page_size is not None:
            self.params[page_size_param] = page_size
        self.records_key = records_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_pages = max_pages
        self._transport = transport
        self._sleep = sleep
        self._origin = _origin(url)
        self._pages: list[tuple[str, int]] = []
        self.requests_made = 0

    def __repr__(self) -> str:
        # The authorisation header stays out of logs.
        return f"HttpConnector({self.url!r}, page_param={self.page_param!r})"

    def locate(self, number: int) -> tuple[str, int] | None:
        """``(page URL, index in page from 1)`` of record ``number`` of the last pull."""
        for url, count in self._pages:
            if number <= count:
                return url, number
            number -= count
        return None

    def records(self) -> Iterator[ReadItem]:
        number = 0
        self._pages = []
        for url, page in self.pages():
            self._pages.append((url, len(page)))
            for item in page:
                number += 1
                if isinstance(item, dict):
                    yield number, {str(k): v for k, v in item.items()}
                else:
                    yield number, Malformed(
                        f"a record must be a JSON object, not {type(item).__name__} "
                        f"(page {url})", repr(item)[:500])

    def pages(self) -> Iterator[tuple[str, list[object]]]:
        """Each page's URL and its list of records, in order."""
        with httpx.Client(headers=self._headers, timeout=self.timeout,
                          transport=self._transport, follow_redirects=False) as client:
            if self.page_param is not None:
                yield from self._numbered_pages(client)
            else:
                yield from self._linked_pages(client)

    def _linked_pages(self, client: httpx.Client) -> Iterator[tuple[str, list[object]]]:
        url: str | None = self.url
        params: Mapping[str, str | int] | None = self.params
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise ConnectorError(f"pagination loops back to {url}")
            if len(seen) >= self.max_pages:
                raise ConnectorError(f"more than {self.max_pages} pages")
            seen.add(url)
            response = self._get(client, url, params)
            seen.add(str(response.url))
            body = self._json(response)
            yield str(response.url), self._records_of(body, str(response.url))
            url = self._next_link(body, response)
            params = None  # a next link carries its own query

    def _numbered_pages(self, client: httpx.Client) -> Iterator[tuple[str, list[object]]]:
        assert self.page_param is not None
        page = self.first_page
        for _ in range(self.max_pages):
            params = {**self.params, self.page_param: page}
            response = self._get(client, self.url, params)
            body = self._json(response)
            records = self._records_of(body, str(response.url))
            if not records:
                return
            yield str(response.url), records
            last = body.get("total_pages", body.get("last_page")) if isinstance(body,
                                                                              dict) else None
            if isinstance(last, int) and page >= last:
                return
            if self.page_size is not None and len(records) < self.page_size:
                return
            page += 1
        raise ConnectorError(f"more than {self.max_pages} pages")

    def _get(self, client: httpx.Client, url: str,
             params: Mapping[str, str | int] | None) -> httpx.Response:
        problem = ""
        for attempt in range(self.retries + 1):
            wait = min(self.backoff * 2**attempt, self.max_backoff)
            try:
                self.requests_made += 1
                response = client.get(url, params=params)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response
                problem = f"HTTP {response.status_code}"
                if response.status_code not in _RETRY_STATUS:
                    raise ConnectorError(f"GET {response.url}: {problem}")
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    wait = min(float(retry_after), self.max_backoff)
            if attempt < self.retries:
                self._sleep(wait)
        raise ConnectorError(f"GET {url}: {problem} after {self.retries + 1} attempts")

    @staticmethod
    def _json(response: httpx.Response) -> object:
        try:
            return response.json()
        except ValueError as exc:
            raise ConnectorError(f"GET {response.url}: the page is not JSON ({exc})") from None

    def _records_of(self, body: object, url: str) -> list[object]:
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            keys = (self.records_key,) if self.records_key else _RECORD_KEYS
            for key in keys:
                value = body.get(key)
                if isinstance(value, list):
                    return value
        raise ConnectorError(f"GET {url}: no list of records in the page")

    def _next_link(self, body: object, response: httpx.Response) -> str | None:
        link: object = None
        if isinstance(body, dict):
            link = body.get("next")
            links = body.get("links")
            if link is None and isinstance(links, dict):
                link = links.get("next")
        if link is None:
            link = response.links.get("next", {}).get("url")
        if link is None or link == "":
            return None
        if not isinstance(link, str):
            raise ConnectorError(f"GET {response.url}: the next link is not a URL: {link!r}")
        absolute = urljoin(str(response.url), link)
        if _origin(absolute) != self._origin:
            raise ConnectorError(f"the next link {absolute} leaves {self.url}'s host")
        return absolute
