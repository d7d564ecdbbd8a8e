"""The Twilio REST client. The library has no base-URL setting; its supported hook is the
``http_client``: ours can send every request to a local mock of api.twilio.com instead
(``HUIFANG_TWILIO_API_URL``; the tests serve Twilio's own OpenAPI description with Prism)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from storage.config import TwilioSettings

HTTP_TIMEOUT_S = 15.0


class HuifangHttpClient(TwilioHttpClient):
    """TwilioHttpClient that may talk to another host, and words mock errors like Twilio's."""

    def __init__(self, api_url: str | None = None, timeout: float = HTTP_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout)
        self.api_url = urlsplit(api_url) if api_url else None

    def request(self, method: str, url: str, *args, **kwargs) -> Response:  # type: ignore[override]
        response = super().request(method, self._rewrite(url), *args, **kwargs)
        if response.status_code >= 400:
            return Response(response.status_code, _with_message(response.text), response.headers)
        return response

    def _rewrite(self, url: str) -> str:
        if self.api_url is None:
            return url
        parts = urlsplit(url)
        base = self.api_url
        path = base.path.rstrip("/") + parts.path
        return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))


def _with_message(text: str) -> str:
    """A problem+json error (RFC 9457, what the mock answers) has no ``message``: give it one
    from its title and validation messages, so the library's exception says what was wrong."""
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if not isinstance(body, dict) or "message" in body or "title" not in body:
        return text
    problems = [v.get("message", "") for v in body.get("validation", []) if isinstance(v, dict)]
    body["message"] = "; ".join([str(body["title"]), *problems])
    return json.dumps(body)


def make_client(settings: TwilioSettings, http_client: HttpClient | None = None) -> Client:
    return Client(
        settings.account_sid,
        settings.auth_token,
        http_client=http_client or HuifangHttpClient(settings.api_url),
    )
