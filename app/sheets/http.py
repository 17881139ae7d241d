"""The HTTP client the Sheets sync uses under gspread: configurable server, bounded retries, counted calls.

Why this exists instead of gspread's own clients:

- gspread's URL constants hard-code https://sheets.googleapis.com. ``SHEETS_API_URL`` must let the
  same code talk to any server that speaks the Sheets API v4 (the local server the tests start, a
  proxy), so every request's scheme and host are rewritten to the configured base URL.
- gspread's ``BackOffHTTPClient`` retries without bound (and keeps its backoff counter on the
  class). A sync must fail in bounded time, record the error and let the next run complete it, so
  429 and 5xx are retried with capped exponential backoff and full jitter for at most
  ``max_attempts`` attempts, after which gspread's ``APIError`` is raised as usual. A server's
  ``Retry-After`` is honoured (capped), because it knows better than our guess.
- The sync log reports how many API calls a run made (Google allows 60 requests per minute per
  user), so every HTTP attempt, retries included, is counted in :attr:`SheetsHTTPClient.calls`.

Sleep, jitter and backoff base are injectable so that tests of the retry path run in
milliseconds.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, cast

import gspread
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials as TokenCredentials
from gspread.exceptions import APIError
from gspread.http_client import FileType, HTTPClient, HTTPClientType, ParamsType
from requests import Response, Session

log = logging.getLogger(__name__)

GOOGLE_SHEETS_URL = "https://sheets.googleapis.com"
SPREADSHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)  # (connect, read): a hung request must end


class SheetsEndpointError(RuntimeError):
    """gspread tried to reach a Google API other than Sheets while pointed at another server.

    Raised rather than letting the request go to Google: with ``SHEETS_API_URL`` set (tests,
    a proxy) nothing may leave for www.googleapis.com behind the configuration's back. Drive
    calls (opening by title, permissions, export) are not available; open spreadsheets by key.
    """


def is_retryable(status: int) -> bool:
    """429 (quota) and 5xx are transient on Google's side; everything else is our mistake."""
    return status == 429 or 500 <= status <= 599


def retry_after_seconds(
    response: Response, now: Callable[[], datetime] | None = None
) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


class SheetsHTTPClient(HTTPClient):
    """gspread HTTP client with a configurable base URL, bounded retries and a call counter.

    gspread's ``Client`` builds its HTTP client as ``http_client(auth, session)``; use
    :func:`client_for` (which binds the keyword arguments) rather than constructing this by hand.

    One instance serves one sync at a time: :attr:`calls` is a plain counter, not thread-safe.
    """

    def __init__(
        self,
        auth: Credentials,
        session: Session | None = None,
        *,
        base_url: str = GOOGLE_SHEETS_URL,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        timeout: float | tuple[float, float] | None = DEFAULT_TIMEOUT,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base URL must be http(s): {base_url!r}")
        super().__init__(auth, session)
        # HTTPClient only keeps `auth` when it builds the session itself; Client.expiry reads it.
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.jitter = jitter
        self.set_timeout(timeout)
        self.calls = 0  # HTTP requests sent, retries included
        self.retries = 0  # of which were retries

    def url_for(self, endpoint: str) -> str:
        """The URL to request for a gspread endpoint: Sheets URLs moved to :attr:`base_url`."""
        if endpoint.startswith(GOOGLE_SHEETS_URL + "/"):
            return self.base_url + endpoint[len(GOOGLE_SHEETS_URL) :]
        if self.base_url == GOOGLE_SHEETS_URL:
            return endpoint
        raise SheetsEndpointError(
            f"{endpoint} is not a Sheets API v4 endpoint and the Sheets API URL is "
            f"{self.base_url}; open spreadsheets by key"
        )

    def backoff_delay(self, attempt: int, response: Response) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        Retry-After when the server sent one, else full jitter: uniform in
        [0, min(cap, base * 2**(attempt-1))], which spreads retries of many clients apart.
        Both are capped so that a sync's worst case stays bounded.
        """
        asked = retry_after_seconds(response)
        if asked is not None:
            return min(asked, self.backoff_cap)
        return self.jitter() * min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> Response:
        url = self.url_for(endpoint)
        attempt = 0
        while True:
            attempt += 1
            self.calls += 1
            try:
                return super().request(
                    method, url, params=params, data=data, json=json, files=files, headers=headers
                )
            except APIError as error:
                status = error.response.status_code
                if not is_retryable(status) or attempt >= self.max_attempts:
                    raise
                delay = self.backoff_delay(attempt, error.response)
            self.retries += 1
            log.warning(
                "Sheets API %s %s answered %s; retry %d/%d in %.2fs",
                method.upper(),
                url,
                status,
                attempt,
                self.max_attempts - 1,
                delay,
            )
            self.sleep(delay)


def client_for(
    base_url: str = GOOGLE_SHEETS_URL,
    token: str | None = None,
    credentials_file: str | os.PathLike[str] | None = None,
    max_attempts: int = 5,
    *,
    backoff_base: float = 0.5,
    backoff_cap: float = 8.0,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
    timeout: float | tuple[float, float] | None = DEFAULT_TIMEOUT,
) -> gspread.Client:
    """A gspread Client talking to `base_url` through :class:`SheetsHTTPClient`.

    Credentials: a ready bearer `token` (``SHEETS_ACCESS_TOKEN``) wins over a service-account
    JSON `credentials_file` (``SHEETS_CREDENTIALS``), which is asked for the spreadsheets scope
    only. A bare token cannot be refreshed, so its session does not try to on 401: the 401
    surfaces as gspread's ``APIError`` instead of google-auth's ``RefreshError``. A service
    account's session renews its token on 401 once, as google-auth does by default.

    The call counter is ``client.http_client.calls`` (or :func:`http_client_of`).
    """
    credentials: Credentials
    session: Session | None
    if token:
        credentials = TokenCredentials(token)
        session = AuthorizedSession(credentials, refresh_status_codes=())
    elif credentials_file:
        credentials = service_account.Credentials.from_service_account_file(
            os.fspath(credentials_file), scopes=[SPREADSHEETS_SCOPE]
        )
        session = None
    else:
        raise ValueError(
            "Sheets credentials missing: give an access token or a service-account file"
        )
    factory = partial(
        SheetsHTTPClient,
        base_url=base_url,
        max_attempts=max_attempts,
        backoff_base=backoff_base,
        backoff_cap=backoff_cap,
        sleep=sleep,
        jitter=jitter,
        timeout=timeout,
    )
    return gspread.Client(credentials, session=session, http_client=cast(HTTPClientType, factory))


def http_client_of(client: gspread.Client) -> SheetsHTTPClient:
    """The :class:`SheetsHTTPClient` under a client made by :func:`client_for`."""
    http = client.http_client
    if not isinstance(http, SheetsHTTPClient):
        raise TypeError("this gspread Client was not made by client_for()")
    return http
