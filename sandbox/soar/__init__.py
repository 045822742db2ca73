"""A local SOAR org (HTTPS REST + STOMP over TLS) that a real `resilient-circuits run` connects to."""

from .sandbox import DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, SoarSandbox
from .state import SoarState

__all__ = ["DEFAULT_API_KEY_ID", "DEFAULT_API_KEY_SECRET", "SoarSandbox", "SoarState"]
