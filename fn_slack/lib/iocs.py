"""Indicators of compromise (IOCs) in a Slack message, and the buttons that offer them as SOAR artifacts (pure:
no Slack, no SOAR).

What counts, read from the message's text as Slack sends it (mrkdwn: ``&amp;``/``&lt;``/``&gt;`` escaped,
links as ``<https://x|label>``, mentions as ``<@U1>``): IPv4 and IPv6 addresses, URLs (``http``/``https``,
also the targets of Slack's link markup), domain names, e-mail addresses (also ``<mailto:…>``), and MD5,
SHA-1 and SHA-256 hashes. Defanged forms are read as what they stand for: ``hxxp://``, ``hxxps://``,
``[.]``, ``(.)``, ``{.}``, ``[dot]``, ``[:]``, ``[@]`` and ``[at]``. What is not offered: a version number
(``1.2.3``, or a dotted run of more than four numbers), a file name (``report.pdf``, ``setup.py``: a name
ending in a common file extension is no domain), a domain or address that is only part of a URL or an e-mail
address already found, mentions and channel links, and anything longer than an artifact button can carry.

Each IOC is offered as the SOAR artifact types that fit it (the names SOAR's built-in artifact types have):
an address as ``IP Address``, a URL as ``URL``, a domain as ``DNS Name``, an e-mail address as ``Email
Sender`` or ``Email Recipient`` (the person picks), a hash as ``Malware MD5 Hash``, ``Malware SHA-1 Hash`` or
``Malware SHA-256 Hash``. A button carries the artifact type, the IOC and the message's ts (and thread): never
an incident. What a click sends back is checked again (:func:`checked_offer`): it must still be an IOC of the
type it names.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.block_kit import IOC_ACTION_PREFIX, IOC_BLOCK_ID, MAX_BUTTON_TEXT, inert_label, slack_escape
from fn_slack.lib.text_conventions import slack_unescape

MAX_OFFERED = 10          # buttons offered under one message sent to SOAR
MAX_VALUE = 1000          # characters of an IOC a button carries (a button's value holds 2,000)
MAX_TEXT = 40000          # characters of a message read (Slack's limit for a message's text)

TYPES_OF = {
    "ip": ("IP Address",),
    "url": ("URL",),
    "domain": ("DNS Name",),
    "email": ("Email Sender", "Email Recipient"),
    "md5": ("Malware MD5 Hash",),
    "sha1": ("Malware SHA-1 Hash",),
    "sha256": ("Malware SHA-256 Hash",),
}
"""The SOAR artifact types (built-in names) each kind of IOC is offered as."""

FILE_EXTENSIONS = frozenset({
    "7z", "bat", "bin", "bmp", "c", "cfg", "cpp", "conf", "csv", "dat", "db", "dll", "doc", "docx", "eml", "exe",
    "gif", "go", "gz", "h", "htm", "html", "ico", "ini", "jar", "java", "jpeg", "jpg", "js", "json", "jsx", "lock",
    "log", "md", "msg", "msi", "odt", "pdf", "php", "pl", "png", "ppt", "pptx", "ps1", "py", "pyc", "rar", "rb",
    "rs", "rtf", "sh", "so", "sql", "svg", "tar", "tgz", "tmp", "ts", "tsx", "txt", "vbs", "wav", "xls", "xlsm",
    "xlsx", "xml", "yaml", "yml", "zip",
})
"""Endings that name a file more often than a top-level domain: ``setup.py`` is not offered as a domain."""

_DEFANGS = (
    (re.compile(r"\bhxxp(s?)(?=(?:\[:\]|:)//)", re.IGNORECASE), r"http\1"),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.IGNORECASE), "."),
    (re.compile(r"\[@\]|\[at\]|\(at\)", re.IGNORECASE), "@"),
)
_MARKUP_RE = re.compile(r"<([^<>\s|]{1,4000})(?:\|([^<>]{0,4000}))?>")
_URL_RE = re.compile(r"\bhttps?://[^\s<>\"'`|\\^{}]{1," + str(MAX_VALUE) + "}", re.IGNORECASE)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = rf"(?:{_LABEL}\.){{1,10}}[a-z]{{2,63}}"
_EMAIL_RE = re.compile(rf"(?<![\w.+%-])[a-z0-9._%+-]{{1,64}}@({_DOMAIN})(?![\w-]|\.\w)", re.IGNORECASE)
_DOMAIN_RE = re.compile(rf"(?<![\w.@/-])({_DOMAIN})(?![\w-]|\.\w)", re.IGNORECASE)
_IPV4_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)")
_IPV6_RE = re.compile(r"(?<![\w:.])([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?![\w:])", re.IGNORECASE)
_HASH_RE = re.compile(r"(?<![0-9a-z])([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})(?![0-9a-z])", re.IGNORECASE)
_HASH_KINDS = {32: "md5", 40: "sha1", 64: "sha256"}
_TRAILING = ".,;:!?)]}'\""
_TS_RE = re.compile(r"^\d{1,12}\.\d{1,8}$")


@dataclass(frozen=True)
class Ioc:
    """One IOC found in a message: its kind (a key of ``TYPES_OF``) and its value, as SOAR is given it."""

    kind: str
    value: str


@dataclass(frozen=True)
class Offer:
    """What one button offers, and what its click sends back: add ``value`` as an artifact of ``artifact_type``,
    citing the message ``ts`` (in ``thread_ts``'s thread) of the channel clicked in."""

    artifact_type: str
    value: str
    ts: str
    thread_ts: str | None = None

    def button_value(self) -> str:
        """The button's value (JSON, at most ``MAX_VALUE`` characters of IOC: well under Slack's 2,000)."""
        return json.dumps({"t": self.artifact_type, "v": self.value, "ts": self.ts, "th": self.thread_ts or ""},
                          separators=(",", ":"))


def refang(text: str) -> str:
    """The text with its defanged IOCs written as what they stand for."""
    for pattern, replacement in _DEFANGS:
        text = pattern.sub(replacement, text)
    return text


def _readable(text: str) -> tuple[str, list[str]]:
    """Slack's mrkdwn as plain text, and the targets of its link markup (``<https://x|label>`` → the label in the
    text and ``https://x`` a target; mentions, channels and ``<!here>`` removed)."""
    targets: list[str] = []

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2) or ""
        if target[:1] in "@#!":
            return " "
        targets.append(slack_unescape(target))
        return f" {label} "

    return _MARKUP_RE.sub(replace, text), targets


def _trimmed_url(url: str) -> str:
    """A URL without the punctuation that ends the sentence it is in (a closing bracket it opened stays)."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _ip(candidate: str) -> str | None:
    """The address, as SOAR is given it (IPv6 compressed), or None when ``candidate`` is no usable address."""
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if address.is_unspecified:
        return None
    return address.compressed


def _domain(candidate: str) -> str | None:
    """The domain in lower case, or None when its ending reads as a file name's."""
    domain = candidate.lower().rstrip(".")
    return None if domain.rsplit(".", 1)[-1] in FILE_EXTENSIONS else domain


class _Found:
    """The IOCs found so far, each once (first found first), and the URLs and e-mail addresses among them (the
    domains and addresses inside those are not offered again)."""

    def __init__(self) -> None:
        self.iocs: dict[tuple[str, str], Ioc] = {}
        self.covered: list[str] = []

    def add(self, kind: str, value: str, *, covers: bool = False) -> None:
        if value and len(value) <= MAX_VALUE and (kind, value.lower()) not in self.iocs:
            self.iocs[(kind, value.lower())] = Ioc(kind, value)
        if covers:
            self.covered.append(value.lower())

    def inside(self) -> str:
        return " ".join(self.covered)


def _links(targets: list[str], found: _Found) -> None:
    """The targets of Slack's link markup: e-mail addresses (``mailto:``) and URLs."""
    for target in map(refang, targets):
        if target.lower().startswith("mailto:"):
            address = target[len("mailto:"):].split("?", 1)[0]
            if _EMAIL_RE.fullmatch(address):
                found.add("email", address.lower(), covers=True)
        elif _URL_RE.fullmatch(target):
            found.add("url", target, covers=True)


def _urls_and_emails(plain: str, found: _Found) -> None:
    for match in _URL_RE.finditer(plain):
        url = _trimmed_url(match.group(0))
        if len(url) > len("https://"):
            found.add("url", url, covers=True)
    for match in _EMAIL_RE.finditer(plain):
        if _domain(match.group(1)):
            found.add("email", match.group(0).lower(), covers=True)


def _addresses_domains_hashes(plain: str, found: _Found) -> None:
    inside = found.inside()
    candidates = [*(m.group(1) for m in _IPV4_RE.finditer(plain)),
                  *(m.group(1) for m in _IPV6_RE.finditer(plain) if m.group(1).count(":") >= 2)]
    for candidate in candidates:
        address = _ip(candidate)
        if address and address.lower() not in inside:
            found.add("ip", address)
    for match in _DOMAIN_RE.finditer(plain):
        domain = _domain(match.group(1))
        if domain and domain not in inside:
            found.add("domain", domain)
    for match in _HASH_RE.finditer(plain):
        value = match.group(1)
        if not value.isdigit():   # a long run of digits is a number, not a hash
            found.add(_HASH_KINDS[len(value)], value.lower())


def find_iocs(text: str, limit: int = MAX_OFFERED) -> list[Ioc]:
    """The IOCs of a Slack message's text, each once, at most ``limit``: its links' targets, then URLs and e-mail
    addresses, addresses, domains and hashes (each kind in the order the text has them)."""
    shown, targets = _readable(str(text or "")[:MAX_TEXT])
    plain = refang(slack_unescape(shown))
    found = _Found()
    _links(targets, found)
    _urls_and_emails(plain, found)
    _addresses_domains_hashes(plain, found)
    return list(found.iocs.values())[:limit]


def offers(text: str, ts: str, thread_ts: str | None = None, limit: int = MAX_OFFERED) -> list[Offer]:
    """One offer per IOC of the message and artifact type that fits it, at most ``limit``."""
    made = [Offer(artifact_type, ioc.value, ts, thread_ts)
            for ioc in find_iocs(text, limit) for artifact_type in TYPES_OF[ioc.kind]]
    return made[:limit]


def _fields(button_value: str) -> tuple[str, str, str, str | None] | None:
    """The artifact type, IOC, ts and thread ts a button's value holds, each of the right shape, or None."""
    try:
        raw = json.loads(button_value)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    artifact_type, value, ts, thread_ts = raw.get("t"), raw.get("v"), raw.get("ts"), raw.get("th") or None
    shaped = all(isinstance(x, str) for x in (artifact_type, value, ts)) and bool(_TS_RE.match(str(ts))) and \
        (thread_ts is None or (isinstance(thread_ts, str) and bool(_TS_RE.match(thread_ts))))
    return (artifact_type, value, ts, thread_ts) if shaped else None


def checked_offer(button_value: str) -> Offer | None:
    """What a click's button value offers, when it is still an IOC of the type it names and cites a message ts;
    None for anything else (a forged or damaged value)."""
    fields = _fields(button_value)
    if fields is None:
        return None
    artifact_type, value, ts, thread_ts = fields
    found = find_iocs(value, limit=2) if value and value == value.strip() else []
    if len(found) != 1 or found[0].value != value or artifact_type not in TYPES_OF[found[0].kind]:
        return None
    return Offer(artifact_type, value, ts, thread_ts)


def same_value(artifact_type: str, first: str, second: str) -> bool:
    """Whether two values of an artifact type are the same IOC (a URL's path is case-sensitive; the others are
    not)."""
    if artifact_type == "URL":
        return first.strip() == second.strip()
    return first.strip().lower() == second.strip().lower()


def _label(offer: Offer) -> str:
    """A button's label: ``Add <value> as <type>``, the value shortened in its middle to fit 75 characters."""
    room = MAX_BUTTON_TEXT - len(messages.ioc_button("", offer.artifact_type))
    value = offer.value if len(offer.value) <= room else offer.value[:room // 2 - 1] + "…" + offer.value[-(room // 2):]
    return inert_label(messages.ioc_button(value, offer.artifact_type))[:MAX_BUTTON_TEXT]


def offer_blocks(text: str, made: list[Offer]) -> list[dict]:
    """The answer to *Send to SOAR* (``text``, mrkdwn) with one button per offer (none: the text alone)."""
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if not made:
        return blocks
    shown = ", ".join(f"`{slack_escape(value)}`" for value in dict.fromkeys(o.value for o in made))
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": messages.ioc_offered(shown)[:3000]}})
    blocks.append({"type": "actions", "block_id": IOC_BLOCK_ID, "elements": [
        {"type": "button", "action_id": f"{IOC_ACTION_PREFIX}{i}", "value": offer.button_value(),
         "text": {"type": "plain_text", "text": _label(offer), "emoji": False}}
        for i, offer in enumerate(made)]})
    return blocks


__all__ = ["FILE_EXTENSIONS", "MAX_OFFERED", "TYPES_OF", "Ioc", "Offer", "checked_offer", "find_iocs",
           "offer_blocks", "offers", "refang", "same_value"]
