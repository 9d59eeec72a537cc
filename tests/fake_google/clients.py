"""Real Google clients pointed at a ``FakeWorkspace``: google-api-python-client services
built from the bundled discovery documents, and a gspread client whose session rewrites
Google's hosts to the fake."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import gspread
import requests
import requests.adapters
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource, build_from_document

from sync.google.apis import GoogleApis, RetryPolicy

from .discovery import load_document
from .server import FakeWorkspace

GOOGLE_HOSTS = frozenset({"sheets.googleapis.com", "www.googleapis.com"})


def fake_credentials(fake: FakeWorkspace | None = None) -> Credentials:
    return Credentials(token=fake.token if fake is not None else "fake-token")


def discovery_document(name: str, root_url: str) -> dict[str, Any]:
    """A copy of the bundled discovery document ``name`` (e.g. ``"forms.v1"``) whose
    ``rootUrl`` and ``mtlsRootUrl`` are ``root_url``."""
    doc = copy.deepcopy(load_document(name))
    doc["rootUrl"] = root_url
    doc["mtlsRootUrl"] = root_url
    return doc


def build_service(
    fake: FakeWorkspace, name: str, credentials: Credentials | None = None
) -> Resource:
    return build_from_document(
        discovery_document(name, fake.url),
        credentials=credentials or fake_credentials(fake),
    )


def forms_service(fake: FakeWorkspace, credentials: Credentials | None = None) -> Resource:
    return build_service(fake, "forms.v1", credentials)


def gmail_service(fake: FakeWorkspace, credentials: Credentials | None = None) -> Resource:
    return build_service(fake, "gmail.v1", credentials)


def sheets_service(fake: FakeWorkspace, credentials: Credentials | None = None) -> Resource:
    return build_service(fake, "sheets.v4", credentials)


class FakeHostAdapter(requests.adapters.HTTPAdapter):
    """Sends ``https://sheets.googleapis.com/...`` and ``https://www.googleapis.com/...``
    to the fake (same path and query); refuses any other host."""

    def __init__(self, root_url: str, hosts: frozenset[str] = GOOGLE_HOSTS) -> None:
        super().__init__()
        self.target = urlsplit(root_url)
        self.hosts = hosts

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        if parts.hostname not in self.hosts:
            raise requests.exceptions.ConnectionError(
                f"FakeHostAdapter: refusing to reach {parts.hostname!r}", request=request
            )
        request.url = urlunsplit(
            (self.target.scheme, self.target.netloc, parts.path, parts.query, parts.fragment)
        )
        kwargs["proxies"] = {}
        return super().send(request, **kwargs)


def fake_session(fake: FakeWorkspace, credentials: Credentials | None = None) -> AuthorizedSession:
    session = AuthorizedSession(credentials or fake_credentials(fake))
    session.trust_env = False
    session.mount("https://", FakeHostAdapter(fake.url))
    return session


def gspread_client(fake: FakeWorkspace, credentials: Credentials | None = None) -> gspread.Client:
    creds = credentials or fake_credentials(fake)
    return gspread.Client(auth=creds, session=fake_session(fake, creds))


def fake_apis(fake: FakeWorkspace, *, max_attempts: int = 6) -> GoogleApis:
    """The production ``GoogleApis`` pointed at ``fake``, never sleeping between retries."""
    return GoogleApis(
        Credentials(token=fake.token),
        root_url=fake.url,
        retry=RetryPolicy(max_attempts=max_attempts),
        sleep=lambda s: None,
    )
