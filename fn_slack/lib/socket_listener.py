"""The Socket Mode connection (Slack edge): slack_sdk's built-in Socket Mode client with the app-level token,
one handler call per envelope in the client's workers, and each envelope's ack.

Events (``events_api``) are acked when the handler has finished: an envelope acked before its SOAR write is
lost if the process dies in between; unacked, Slack delivers it again (``retry_attempt`` > 0) to one of the
app's connections, possibly another integration server's, and the SOAR-side claim (soar.mirror_log) keeps the
write single. When SOAR is slower than Slack's 3 seconds, Slack's retry meets the claim and waits for it
instead of writing twice. A handler that fails does not ack either, so Slack's retries are fn_slack's retries.

Clicks, shortcuts and slash commands (``interactive``, ``slash_commands``) are acked at once, before the handler
runs: Slack never delivers them again, and the person sees an error when the ack takes longer than 3 seconds
(an action's answer then goes to its ``response_url``). The handler
then does the click's work itself and retries it (``retry.ClickRetries``, in ``questions.QuestionAnswers``).
A modal's submission (``view_submission``) is answered in its ack: ``answer_first(type, payload)`` — fast, no
network — gives the ack's payload (``response_action: errors`` keeps the modal open with the errors shown; an
empty payload closes it), then the handler runs as for any action.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient

from fn_slack.lib.retry import ReconnectBackoff
from fn_slack.lib.settings import SlackSettings

LOG = logging.getLogger(__name__)
SDK_LOG = logging.getLogger("fn_slack.socket_mode")

# (envelope type, payload, delivery facts) → nothing; raising means "do not ack" (an event's envelope).
Handler = Callable[[str, dict, dict], None]
# Envelopes Slack sends once: acked before their handler runs.
ACK_FIRST = frozenset({"interactive", "slash_commands"})
# (envelope type, payload) → the ack's payload, or None for an empty ack (it must not call the network).
AnswerFirst = Callable[[str, dict], dict | None]


def check_app_token(settings: SlackSettings) -> str | None:
    """Ask Slack for a Socket Mode URL with the app-level token (nothing is connected): None when it works,
    else Slack's error code or the reason Slack was not reached."""
    web = WebClient(base_url=settings.api_url, timeout=settings.timeout, ssl=settings.ssl_context(),
                    proxy=settings.proxy, logger=SDK_LOG)
    try:
        web.apps_connections_open(app_token=settings.app_token)
    except SlackApiError as err:
        return str(err.response.get("error") or err.response.status_code)
    except (OSError, SlackClientError) as err:
        return str(err)
    return None


class SocketListener:
    """One Socket Mode connection of this process (slack_sdk reconnects it on ``disconnect`` and drops)."""

    def __init__(self, settings: SlackSettings, handler: Handler, *, concurrency: int = 10,
                 on_error: Callable[[str], None] | None = None,
                 on_connected: Callable[[], None] | None = None, answer_first: AnswerFirst | None = None) -> None:
        if not settings.app_token:
            raise ValueError("no app-level token")
        self.settings = settings
        self.handler = handler
        self.answer_first = answer_first
        self.on_error = on_error or (lambda text: LOG.error("%s", text))
        web = WebClient(base_url=settings.api_url, timeout=settings.timeout, ssl=settings.ssl_context(),
                        proxy=settings.proxy, logger=SDK_LOG)
        self.client = SocketModeClient(app_token=settings.app_token, web_client=web, logger=SDK_LOG,
                                       concurrency=concurrency, proxy=settings.proxy, ping_interval=10)
        self.client.socket_mode_request_listeners.append(self._on_request)
        # Slack greets every new connection (the first, and each one after a drop or a refresh) with hello.
        self.on_connected = on_connected
        self.client.message_listeners.append(self._on_message)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.handled = 0

    def start(self) -> None:
        """Connect in the background, retrying with backoff until connected or closed."""
        self._thread = threading.Thread(target=self._connect_loop, name="fn-slack-socket-mode", daemon=True)
        self._thread.start()

    def _connect_loop(self) -> None:
        for pause in ReconnectBackoff().pauses():
            if self._stop.is_set():
                return
            try:
                self.client.connect()
                return
            except Exception as err:  # noqa: BLE001 - any failure to connect is retried and reported
                self.on_error(str(err))
                self._stop.wait(pause)

    def is_connected(self) -> bool:
        """Whether the Socket Mode connection is open now."""
        return self.client.is_connected()

    def close(self) -> None:
        """Close the connection and stop reconnecting."""
        self._stop.set()
        self.client.close()

    def respond(self, response_url: str, body: dict) -> bool:
        """Answer an interaction through its ``response_url`` (replace the message, or tell the clicker
        alone with ``response_type: ephemeral``); False when Slack refused it (say, the URL expired). Replacing
        the message may be sent again after a dropped connection (the same result twice); an ephemeral answer is
        not, as chat.postEphemeral is not: the person would read it twice."""
        ephemeral = body.get("response_type") == "ephemeral"
        client = WebhookClient(response_url, timeout=self.settings.timeout, ssl=self.settings.ssl_context(),
                               proxy=self.settings.proxy, logger=SDK_LOG, retry_handlers=[] if ephemeral else None)
        try:
            return client.send_dict(body).status_code == 200
        except OSError as err:
            LOG.warning("Slack response URL not reached: %s", err)
            return False

    def _on_message(self, client: SocketModeClient, message: dict, raw: str | None) -> None:
        """``hello`` on a new connection: ``on_connected`` is called (it must return at once: it runs on one of
        the workers that handle envelopes)."""
        if message.get("type") == "hello" and self.on_connected is not None:
            self.on_connected()

    def _ack_payload(self, request: SocketModeRequest) -> dict | None:
        """What the ack of an action carries (``answer_first``); None (an empty ack) when it fails."""
        if self.answer_first is None:
            return None
        try:
            return self.answer_first(request.type, request.payload or {})
        except Exception:  # noqa: BLE001 - the ack must go within 3 seconds; the handler reports the failure
            LOG.exception("The answer to Slack envelope %s (%s) could not be made", request.envelope_id,
                          request.type)
            return None

    def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        facts = {"envelope_id": request.envelope_id, "retry_attempt": request.retry_attempt or 0,
                 "retry_reason": request.retry_reason or ""}
        if request.type in ACK_FIRST:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id,
                                                                payload=self._ack_payload(request)))
            try:
                self.handler(request.type, request.payload or {}, facts)
            except Exception:  # noqa: BLE001 - the handler retries and tells the person; this is a last resort
                LOG.exception("Slack envelope %s (%s) failed after its acknowledgement", request.envelope_id,
                              request.type)
                return
            self.handled += 1
            return
        try:
            self.handler(request.type, request.payload or {}, facts)
        except Exception:  # noqa: BLE001 - unacked on purpose: Slack delivers the envelope again
            LOG.exception("Slack envelope %s not acknowledged; Slack will deliver it again", request.envelope_id)
            return
        self.handled += 1
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))


__all__ = ["SocketListener"]
