"""Which incident (or task) a Slack channel mirrors into, decided from what fn_slack sealed, never from what an
editable cell says.

The incident field ``slack_mirror_channels`` is an index: one indexed query finds the incidents that name the
channel (the candidates); it grants nothing. A channel mirrors into the incident (or task) whose link in
``slack_conversations_db`` is sealed by fn_slack and intact, mirrors, names the channel and is keyed to that
incident (``ChannelLink.mirrors``). Of two such links of different incidents or tasks (two posts turning
mirroring on at the same moment), the one linked first wins: the lowest ``slack_db_time``, then the lowest
incident id, then the oldest row. Every other candidate is *refused*, with what was found there (a
:class:`Finding`): the field naming the channel without a link that mirrors it, a row without fn_slack's seal,
a row changed behind fn_slack's back (each cell, sealed → now), a seal that does not fit its row, or a sealed
link that lost to the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fn_slack.lib.soar.incidents import MirrorIndex
from fn_slack.lib.soar.links import ChannelLink, ConversationsTable, target_of
from fn_slack.lib.soar.seals import BROKEN, CHANGED, Change, Sealer

FIELD_ONLY = "field_only"      # the incident's field names the channel; no row of the incident mirrors it
UNSEALED_ROW = "unsealed"      # a row mirrors it without fn_slack's seal (3.0, or added by hand)
CHANGED_ROW = "changed"        # a row fn_slack sealed was changed since (``changes``)
BROKEN_ROW = "broken"          # the row's seal was changed, made with another key or copied from another row
LATER_LINK = "later"           # a sealed link, made after the link the channel mirrors into


@dataclass(frozen=True)
class Route:
    """The one link a channel mirrors into."""

    incident_id: int
    task_id: int | None
    res_id: str
    channel_name: str
    linked_at: float
    row_id: int

    @property
    def label(self) -> str:
        """"incident 2095" or "task 7 of incident 2095"."""
        return f"task {self.task_id} of incident {self.incident_id}" if self.task_id else f"incident {self.incident_id}"


@dataclass(frozen=True)
class Finding:
    """What a refused incident holds for the channel."""

    kind: str
    res_id: str = ""
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class RouteDecision:
    """Where a channel's messages go (``route``, None: nowhere) and what each other candidate incident holds."""

    channel_id: str
    route: Route | None
    refused: Mapping[int, tuple[Finding, ...]]
    channel_name: str = ""

    def mirrored_elsewhere(self, key: str) -> bool:
        """Whether the channel mirrors into a link other than the one keyed ``key`` (``RES-<incident>[-<task>]``)."""
        return self.route is not None and self.route.res_id != key


def _route(incident_id: int, link: ChannelLink) -> Route:
    place = target_of(link.res_id)
    return Route(incident_id, place[1] if place else None, link.res_id, link.channel_name, link.linked_at, link.row_id)


def _finding(link: ChannelLink, channel_id: str, incident_id: int, route: Route | None) -> Finding | None:
    """What ``link`` (of ``incident_id``) says about the channel, when it claims to mirror it and does not route."""
    if route is not None and route.incident_id == incident_id and route.row_id == link.row_id:
        return None
    if link.mirrors(channel_id, incident_id):
        return Finding(LATER_LINK, link.res_id)
    if channel_id not in link.sealed_channel_ids() or not link.claims_mirroring():
        return None   # a one-way link, or a link of another channel: nothing to refuse
    if link.verdict.state == CHANGED:
        return Finding(CHANGED_ROW, link.res_id, link.verdict.changes)
    if link.verdict.state == BROKEN:
        return Finding(BROKEN_ROW, link.res_id)
    return Finding(UNSEALED_ROW, link.res_id)


def decide(channel_id: str, candidates: Mapping[int, list[ChannelLink]]) -> RouteDecision:
    """The route of ``channel_id`` among the candidate incidents' links (incident → its links, oldest first)."""
    routes = sorted(((link.linked_at, incident_id, link.row_id, _route(incident_id, link))
                     for incident_id, links in candidates.items() for link in links
                     if link.mirrors(channel_id, incident_id)), key=lambda entry: entry[:3])
    route = routes[0][3] if routes else None
    refused: dict[int, tuple[Finding, ...]] = {}
    for incident_id, links in candidates.items():
        found = [finding for link in links if (finding := _finding(link, channel_id, incident_id, route))]
        if not found and (route is None or route.incident_id != incident_id):
            found.append(Finding(FIELD_ONLY))
        if found:
            refused[incident_id] = tuple(found)
    names = [link.channel_name for links in candidates.values() for link in links if link.channel_id == channel_id]
    return RouteDecision(channel_id, route, refused, route.channel_name if route else (names[0] if names else ""))


def read_routes(rest_client: object, sealer: Sealer, channel_id: str) -> RouteDecision:
    """Ask SOAR where ``channel_id`` mirrors: one indexed incident query, then one table read per incident that
    names the channel (normally one)."""
    incidents = MirrorIndex(rest_client).incidents_of(channel_id)
    return decide(channel_id, {incident_id: ConversationsTable(rest_client, incident_id, sealer).links()
                               for incident_id in incidents})


__all__ = ["BROKEN_ROW", "CHANGED_ROW", "FIELD_ONLY", "LATER_LINK", "UNSEALED_ROW", "Finding", "Route",
           "RouteDecision", "decide", "read_routes"]
