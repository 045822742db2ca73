"""The results table on stdout, the ours/baseline ratios, the PASS/MISS targets and ``bench/results.json``."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Measurement

MB = 1024 * 1024
FEW_MB = 5 * MB          # "within a few MB": the 1,000,000-message export's peak over the 1,000-message one
FLOOR_SLACK = 1.10       # scenario 6: within 10% of the floor


@dataclass
class Target:
    name: str
    passed: bool | None   # None: not measured
    detail: str

    @property
    def verdict(self) -> str:
        return "N/A " if self.passed is None else ("PASS" if self.passed else "MISS")

    def to_json(self) -> dict:
        return {"name": self.name, "verdict": self.verdict.strip(), "detail": self.detail}


def _count(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def _secs(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _mem(value: int | None) -> str:
    return "-" if value is None else f"{value / MB:.2f} MB"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return "-"
    if b == 0:
        return "-" if a == 0 else "inf"
    return f"{a / b:.3g}x"


def _extra(m: Measurement) -> str:
    parts = []
    if "export_bytes" in m.extra:
        parts.append(f"{m.extra['messages']:,} msgs, {m.extra['export_bytes'] / MB:.1f} MB file")
    if "floor_s" in m.extra:
        parts.append(f"floor {m.extra['floor_s']:.2f} s ({m.extra.get('time_over_floor')}x)")
    if "events_per_second" in m.extra:
        parts.append(f"{m.extra['events_per_second']} events/s mirrored of {m.extra.get('offered_per_second')}/s "
                     f"offered, missing {m.extra.get('missing')}, duplicates {m.extra.get('duplicates')}")
    if "catch_up_s" in m.extra:
        parts.append(f"caught up in {m.extra['catch_up_s']} s, missing {m.extra.get('missing')}, duplicates "
                     f"{m.extra.get('duplicates')} ({m.extra.get('dropped_by_slack')} events dropped by Slack)")
    if "slack_writes" in m.extra:
        parts.append(f"Slack {m.extra['slack_reads']:g} reads + {m.extra['slack_writes']:g} writes")
    if "line_wait_s" in m.extra:
        x = m.extra
        limited = ", ".join(f"{k} {v}" for k, v in x.get("rate_limited_by_method", {}).items()) or "none"
        parts.append(f"{x['runs']} runs, parts written {x.get('parts_written')}, 429s: {limited}, "
                     f"{x['line_wait_s']:.2f} s in line, last run ended {x['in_step_after_last_change_s']:.2f} s "
                     f"after the last change, in step: topic {_yes(x['final_topic_in_step'])}, summary "
                     f"{_yes(x['final_summary_in_step'])}, failed runs {len(x.get('failed_runs') or [])}")
    if "calls_per_second" in m.extra:
        parts.append(f"{m.extra['calls_per_second']:.1f} calls/s, duplicates {m.extra.get('duplicates')}")
    if m.note:
        parts.append(m.note)
    return "; ".join(parts)


def _yes(value: object) -> str:
    return "yes" if value else "NO"


HEADER = ("scenario / case", "lat", "strategy", "Slack/op", "429/op", "SOAR/op", "median", "p95", "peak mem",
          "notes")


def table(results: list[Measurement]) -> str:
    """All measurements, each baseline followed by the ours/baseline ratios of its case."""
    rows: list[tuple[str, ...]] = []
    by_key = {(m.scenario, m.case, m.latency_ms, m.strategy): m for m in results}
    for m in results:
        rows.append((f"{m.scenario}. {m.case}", f"{m.latency_ms:g} ms", m.strategy, _count(m.slack_calls),
                     _count(m.rate_limited), _count(m.soar_calls), _secs(m.median_s), _secs(m.p95_s),
                     _mem(m.peak_bytes), _extra(m)))
        mine = by_key.get((m.scenario, m.case, m.latency_ms, "ours"))
        if m.strategy == "baseline" and mine is not None and m.ops:
            rows.append(("", "", "ours/base", _ratio(mine.slack_calls, m.slack_calls), "",
                         _ratio(mine.soar_calls, m.soar_calls), _ratio(mine.median_s, m.median_s),
                         _ratio(mine.p95_s, m.p95_s), _ratio(mine.peak_bytes, m.peak_bytes), ""))
    widths = [max(len(HEADER[i]), *(len(r[i]) for r in rows)) if rows else len(HEADER[i])
              for i in range(len(HEADER))]
    widths[0] = min(widths[0], 64)
    lines = [_fmt(HEADER, widths), _fmt(tuple("-" * w for w in widths), widths)]
    last = None
    for row in rows:
        scenario = row[0].split(".", 1)[0] if row[0] else last
        if last is not None and scenario != last and row[0]:
            lines.append("")
        last = scenario
        lines.append(_fmt(row, widths))
    return "\n".join(lines)


def _fmt(row: tuple[str, ...], widths: list[int]) -> str:
    cells = []
    for i, (text, width) in enumerate(zip(row, widths, strict=True)):
        shown = text[:width - 1] + "…" if i == 0 and len(text) > width else text
        cells.append(shown.ljust(width) if i in (0, 2, 9) else shown.rjust(width))
    return "  ".join(cells).rstrip()


def targets(results: list[Measurement]) -> list[Target]:
    """The issue's targets, judged on ours' figures."""
    out = []
    s1 = [m for m in results if m.scenario == "1" and m.strategy == "ours" and m.case.startswith("linked")]
    if s1:
        worst = max(m.slack_calls for m in s1)
        out.append(Target("scenario 1: post to the linked channel in <= 2 Slack calls", worst <= 2,
                          f"at most {worst:g} Slack calls per post over {len(s1)} runs "
                          f"(early/late channel, {', '.join(sorted({f'{m.latency_ms:g} ms' for m in s1}))})"))
    else:
        out.append(Target("scenario 1: post to the linked channel in <= 2 Slack calls", None, "not run"))

    s4 = {m.extra.get("messages_seeded", _size(m.case)): m for m in results
          if m.scenario == "4" and m.strategy == "ours" and m.peak_bytes is not None}
    if len(s4) >= 2:
        small, large = min(s4), max(s4)
        growth = s4[large].peak_bytes - s4[small].peak_bytes
        out.append(Target(f"scenario 4: export peak memory at {large:,} messages within a few MB of {small:,}",
                          growth <= FEW_MB,
                          f"{_mem(s4[small].peak_bytes)} at {small:,} → {_mem(s4[large].peak_bytes)} at "
                          f"{large:,} (+{growth / MB:.2f} MB; limit +{FEW_MB / MB:g} MB)"))
    else:
        out.append(Target("scenario 4: export peak memory flat", None, "not run"))

    s5 = [m for m in results if m.scenario == "5" and m.strategy == "ours" and m.ops]
    if s5:
        dups = sum(int(m.extra.get("duplicates", 0)) for m in s5)
        out.append(Target("scenario 5: no duplicated channels or rows", dups == 0,
                          "; ".join(f"{m.latency_ms:g} ms: {m.extra.get('duplicate_detail', '')}" for m in s5)))
    else:
        notes = {m.note for m in results if m.scenario == "5"}
        out.append(Target("scenario 5: no duplicated channels or rows", None,
                          "; ".join(sorted(notes)) or "not run"))

    if s5:
        lost = [m for m in s5 if m.extra.get("failed") or m.extra.get("timed_out")]
        out.append(Target("scenario 5: every call completed (no failure, no time-out)", not lost,
                          "; ".join(f"{_short_case(m.case)}: {m.extra.get('failed', 0)} failed, "
                                    f"{m.extra.get('timed_out', 0)} timed out of {m.ops}" for m in lost)
                          or f"{sum(m.ops for m in s5):,} calls over {len(s5)} runs"))

    s5 = [m for m in s5 if m.extra.get("time_over_floor")]
    if not s5:
        out.append(Target("scenario 5: limited by Slack's configured rate", None, "no rate-limit floor in this plan"))
    else:
        worst = max(m.extra["time_over_floor"] for m in s5)
        out.append(Target("scenario 5: limited by Slack's configured rate, not by fn_slack (within 10% of the "
                          "floor the limits set)", worst <= FLOOR_SLACK,
                          "; ".join(f"{m.latency_ms:g} ms, {_short_case(m.case)}: {m.extra['elapsed_s']:.1f} s vs "
                                    f"floor {m.extra['floor_s']:.0f} s ({m.extra['time_over_floor']}x)" for m in s5)))

    s6 = [m for m in results if m.scenario == "6" and m.strategy == "ours" and m.ops]
    if s6:
        worst = max(m.extra["time_over_floor"] for m in s6)
        out.append(Target("scenario 6: export under Tier-3 limits within 10% of the floor", worst <= FLOOR_SLACK,
                          "; ".join(f"{m.latency_ms:g} ms: {m.median_s:.2f} s vs floor {m.extra['floor_s']:.2f} s "
                                    f"({m.extra['time_over_floor']}x)" for m in s6)))
    else:
        out.append(Target("scenario 6: export within 10% of the floor", None, "not run"))
    s7 = [m for m in results if m.scenario == "7" and m.strategy == "ours" and m.ops]
    outages = [m for m in s7 if "catch_up_s" in m.extra]
    s7 = [m for m in s7 if m not in outages]
    if outages:
        lost = sum(int(m.extra.get("duplicates", 0)) + int(m.extra.get("missing", 0)) for m in outages)
        out.append(Target("scenario 7: nothing lost or doubled across an outage longer than Slack's hold",
                          lost == 0, "; ".join(f"{m.ops} messages written while down: missing "
                                               f"{m.extra.get('missing')}, duplicates {m.extra.get('duplicates')}, "
                                               f"caught up in {m.extra.get('catch_up_s')} s" for m in outages)))
    if s7:
        bad = sum(int(m.extra.get("duplicates", 0)) + int(m.extra.get("missing", 0)) for m in s7)
        out.append(Target("scenario 7: every Slack event mirrored exactly once by one and by two run processes",
                          bad == 0, "; ".join(f"{m.case.split(':')[0]}: {m.extra.get('events_per_second')} events/s, "
                                             f"p50 {_secs(m.median_s)}, p95 {_secs(m.p95_s)}, missing "
                                             f"{m.extra.get('missing')}, duplicates {m.extra.get('duplicates')}"
                                             for m in s7)))
    else:
        out.append(Target("scenario 7: every Slack event mirrored exactly once", None, "not run"))
    out.extend(_flat_cost_targets(s7))
    out.extend(_sync_targets(results))
    return out


def _sync_targets(results: list[Measurement]) -> list[Target]:
    """Scenario 8: no Slack call when nothing changed; a severity change costs one write per part it changes
    (topic and summary); a burst under Tier-2 limits ends in step with no failed run."""
    s8 = [m for m in results if m.scenario == "8" and m.strategy == "ours" and m.ops]
    still = [m for m in s8 if m.case == "no change"]
    severity = [m for m in s8 if m.case == "severity change"]
    bursts = [m for m in s8 if "line_wait_s" in m.extra]
    if not s8:
        return [Target("scenario 8: the channel kept in step", None, "not run")]
    out = []
    if still:
        worst = max(m.slack_calls for m in still)
        out.append(Target("scenario 8: no Slack call when nothing changed", worst == 0,
                          f"at most {worst:g} Slack calls per run ({len(still)} latencies)"))
    if severity:
        writes = sorted({m.extra["slack_writes"] for m in severity})
        out.append(Target("scenario 8: a severity change writes the topic and the summary once each (2 writes)",
                          writes == [2], f"{', '.join(f'{w:g}' for w in writes)} Slack writes per change"))
    for m in bursts:
        x = m.extra
        ok = x["final_topic_in_step"] and x["final_summary_in_step"] and not x.get("failed_runs")
        out.append(Target("scenario 8: a burst under Tier-2 limits ends in step, no run failed", ok,
                          f"{m.ops} changes: {m.rate_limited:g} answered 429, {x['line_wait_s']:.2f} s in line, "
                          f"last run ended {x['in_step_after_last_change_s']:.2f} s after the last change, "
                          f"{len(x.get('failed_runs') or [])} failed runs"))
    return out


def _flat_cost_targets(s7: list) -> list[Target]:
    """Events/s with 100,000 rows already in slack_messages_db against the same backlog with none (same run)."""
    base = next((m for m in s7 if "all at once" in m.case and m.case.startswith("1 run process")
                 and "rows already" not in m.case), None)
    out = []
    for where in ("other incidents", "the mirrored incidents"):
        seeded = next((m for m in s7 if f"rows already in slack_messages_db of {where}" in m.case), None)
        name = f"scenario 7: events/s flat with 100,000 rows in slack_messages_db of {where} (at least half)"
        if base is None or seeded is None or not base.extra.get("events_per_second"):
            out.append(Target(name, None, "not run"))
            continue
        ratio = (seeded.extra.get("events_per_second") or 0) / base.extra["events_per_second"]
        out.append(Target(name, ratio >= 0.5, f"{seeded.extra.get('events_per_second')} vs "
                                               f"{base.extra['events_per_second']} events/s with none ({ratio:.2f}x), "
                                               f"SOAR calls/event {seeded.soar_calls:.2f} vs {base.soar_calls:.2f}"))
    return out


def scale_out_table(results: list[Measurement]) -> str:
    """Scenario 5 as doc/benchmarks.md's scale-out table: one markdown row per run, with failed calls, wasted
    channel creations, time ÷ floor and CPU per call of each run process."""
    rows = [m for m in results if m.scenario == "5" and m.strategy == "ours" and m.ops]
    if not rows:
        return ""
    lines = ["| case | calls | processes | Slack/op (429s) | SOAR/op | total | floor | time ÷ floor | failed | "
             "channels (creates, wasted) | dup | CPU ms/call: each run process / SOAR / ActiveMQ / Slack | "
             "function time median / p95 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for m in rows:
        parts = m.case.split(", ")
        x = m.extra
        cpu = x.get("cpu_ms_per_call") or {}
        each = " + ".join(f"{v:g}" for k, v in sorted(cpu.items()) if k.startswith("run process"))
        others = " / ".join(f"{cpu[k]:g}" if cpu.get(k) is not None else "–"
                            for k in ("soar sandbox", "activemq", "slack sandbox"))
        creates = (f"{x.get('channels_created')} ({x.get('create_answers')}, +{x.get('wasted_creates', 0)})"
                   if not parts[0].startswith("channels linked") else "–")
        floor = x.get("floor_s")
        lines.append(
            f"| {parts[0]}, {parts[-1]} | {m.ops} | {x.get('processes')} | {m.slack_calls:.2f} ({m.rate_limited:.3f}) "
            f"| {m.soar_calls:.2f} | {x.get('elapsed_s', 0):.1f} s | {floor:g} s | {x.get('time_over_floor')}× "
            f"| {x.get('failed', 0) + x.get('timed_out', 0)} | {creates} | {x.get('duplicates', 0)} "
            f"| {each} / {others} | {m.median_s * 1000:,.0f} ms / {m.p95_s:.1f} s |")
    return "\n".join(lines)


def _short_case(case: str) -> str:
    """Scenario 5's case without the sizes: what the calls do, how many processes, which broker."""
    parts = case.split(", ")
    return ", ".join([parts[0], *parts[4:]])


def _size(case: str) -> int:
    return int(case.split(" ", 1)[0].replace(",", ""))


def target_lines(found: Iterable[Target]) -> str:
    return "\n".join(f"[{t.verdict}] {t.name}: {t.detail}" for t in found)


def write_json(path: Path, plan_name: str, results: list[Measurement], found: list[Target],
               meta: dict) -> None:
    data = {"plan": plan_name, **meta, "targets": [t.to_json() for t in found],
            "results": [_clean(m.to_json()) for m in results]}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def read_json(path: Path, plan_name: str, exclude: set[str]) -> tuple[list[Measurement], dict]:
    """The measurements of an earlier run of the same plan, except those of the scenarios in ``exclude``,
    and that run's notes (start time, machine, method)."""
    if not path.exists():
        return [], {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("plan") != plan_name:
        raise SystemExit(f"{path} holds results of the {data.get('plan')} plan, not {plan_name}: run without --update")
    nan = float("nan")
    kept = []
    for item in data.get("results", []):
        if item["scenario"] in exclude:
            continue
        for key in ("slack_calls", "rate_limited", "soar_calls", "median_s", "p95_s"):
            if item.get(key) is None:
                item[key] = nan
        kept.append(Measurement(**item))
    meta = {k: v for k, v in data.items() if k not in ("plan", "targets", "results", "partial")}
    return kept, meta


def _clean(value):
    """JSON has no NaN: not-measured figures become null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
