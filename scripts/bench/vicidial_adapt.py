"""VICIdial's adaptive-predictive dialing, re-implemented in Python for the pacing benchmark
only (never used by the product).

Source read: VICIdial's ``bin/AST_VDadapt.pl`` (the dial level) and ``bin/AST_VDauto_dial.pl``
(calls placed from the dial level), in the public mirror github.com/ccabrerar/vicidial at
commit 739c0ce2c9869273a82060a167e4ccc743180078 (SVN revision 3884, November 2024; the
adapt script's changelog runs to 240219), with the campaign column defaults of
``extras/MySQL_AST_CREATE_tables.sql``. The logic is re-written here from reading it, not
translated line by line; the Perl names are quoted so each step can be checked against it.

AST_VDadapt.pl, per campaign, once a master loop (``$CLIdelay`` = 1 s):

- ``count_agents_lines`` samples READY|DONE agents (``$ready_agents``), answered calls
  waiting for an agent (``vicidial_auto_calls`` status LIVE, ``$waiting_calls``) and every
  logged-in agent whatever the status (``$total_agents``), and averages the last
  ``$stat_it`` = 15 samples: ``$stat_differential = $ready_diff_avg - $waiting_diff_avg``,
  ``$total_agents_avg``.
- ``calculate_drops`` every 60 loops (``$drop_count_updater``, 61 at start so the first loop
  takes a baseline): today's calls, answers (human-answered statuses; DROP and XDROP are
  human-answered) and drops, ``$VCSdrops_answers_today_pct`` = drops / answers (answers at
  least 1), and the last minute's ``$VCScalls_one`` and ``$VCSdrops_one_pct`` = drops /
  calls, each percentage ``sprintf("%.2f")``.
- ``calculate_dial_level`` every 15 loops (``$diff_ratio_updater``): with
  ``$differential_target = $differential_onemin + $adaptive_dl_diff_target`` and
  ``$differential_mul = $differential_target / $agents_average_onemin``, the intensity
  modifier scales the change (``$intensity_mul = $adaptive_intensity / 100``: a rise times
  ``1 + $intensity_mul``, a fall times ``|$intensity_mul - 1|``) and the new level is
  ``$auto_dial_level * (1 + $intensity_diff_mul)``, ``sprintf("%.3f")``; capped at
  ``$adaptive_maximum_level``, raised to 1. Then, inside the same recalculation, the DROP
  PERCENTAGE RULES: more than 20 calls in the last minute with over 50% dropped halves it;
  more than 50 calls today with ``$VCSdrops_answers_today_pct`` over
  ``$adaptive_dropped_percentage``: ADAPT_HARD_LIMIT sets 1.0, ADAPT_AVERAGE halves,
  ADAPT_TAPERED multiplies by ``$tapered_rate`` (1 with more than "1000" HHMM left before
  ``$adaptive_latest_server_time``, else the HHMM difference / 1000; 1.0 once past it).
  Finally "ALWAYS RAISE DIAL_LEVEL TO 1.0 IF IT IS LOWER" and the UPDATE into
  ``vicidial_campaigns.auto_dial_level``, a VARCHAR(6) (MySQL in VICIdial's non-strict mode
  keeps the first six characters).

AST_VDauto_dial.pl, once a loop (``$loop_delay`` = 2.5 s): ``$DBIPcount`` = agents
READY|DONE|QUEUE|INCALL (agents in dispo are PAUSED and not counted), plus
``$adaptive_dl_diff_target``; ``$DBIPgoalcalls = sprintf("%.0f", $DBIPadlevel * $DBIPcount)``;
``$DBIPexistcalls`` = the campaign's calls SENT|RINGING|LIVE|XFER|CLOSER (ringing, waiting and
talking); ``$DBIPmakecalls = goal - exist`` new calls.

Default method: the schema's ``dial_method`` default is MANUAL (no adaptive method is a
default), so the benchmark uses ADAPT_HARD_LIMIT: it is the first adaptive method in the
admin screen's list and, per VICIdial's help text, the one that "will dial predictively up to
the dropped percentage and then not allow aggressive dialing once the drop limit is reached",
i.e. a hard daily cap like ours; ADAPT_TAPERED deliberately lets the rate run over the cap
early in the shift, and ADAPT_AVERAGE only halves. The other two are implemented too.

Left out, each off by default in VICIdial: dial level and available-only tally thresholds,
in-call tally seconds, inbound blending, shared-agent campaigns, drop-rate groups and the UK
OFCOM drop formula. The starting level is 1.0 (the column's default, 0, would be raised to 1
by the first recalculation anyway).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

ADAPT_LOOP_S = 1.0  # AST_VDadapt.pl $CLIdelay
STAT_IT = 15  # samples averaged by count_agents_lines
DIAL_LEVEL_EVERY = 15  # loops between calculate_dial_level ($diff_ratio_updater)
DROPS_EVERY = 60  # loops between calculate_drops ($drop_count_updater)
AUTO_DIAL_LOOP_S = 2.5  # AST_VDauto_dial.pl $loop_delay


class DialMethod(StrEnum):
    ADAPT_HARD_LIMIT = "ADAPT_HARD_LIMIT"
    ADAPT_AVERAGE = "ADAPT_AVERAGE"
    ADAPT_TAPERED = "ADAPT_TAPERED"


@dataclass(frozen=True)
class Campaign:
    """The ``vicidial_campaigns`` columns the adaptive logic reads, with their defaults."""

    dial_method: DialMethod = DialMethod.ADAPT_HARD_LIMIT
    adaptive_dropped_percentage: float = 3.0
    adaptive_maximum_level: float = 3.0
    adaptive_intensity: float = 0.0
    adaptive_dl_diff_target: int = 0
    adaptive_latest_server_time: int = 2100
    available_only_ratio_tally: bool = False
    auto_dial_level: float = 1.0  # where the benchmark starts


def _pct(part: int, whole: int) -> float:
    return float(f"{part / whole * 100:.2f}")


def _varchar6(level: float) -> float:
    """The UPDATE into VARCHAR(6): Perl's number-to-string (%.15g), first six characters."""
    return float(f"{level:.15g}"[:6])


@dataclass
class DropStats:
    """What ``calculate_drops`` leaves for ``calculate_dial_level``."""

    calls_today: int = 0
    drops_answers_today_pct: float = 0.0
    calls_one: int = 0
    drops_one_pct: float = 0.0


@dataclass
class Adapt:
    """AST_VDadapt.pl's loop for one campaign. The simulator calls ``log_call`` for each
    call's final status (the ``vicidial_log`` rows) and ``loop`` once a second."""

    campaign: Campaign = field(default_factory=Campaign)
    level: float = 0.0
    samples: deque[tuple[int, int, int]] = field(default_factory=lambda: deque(maxlen=STAT_IT))
    diff_ratio_updater: int = 0
    drop_count_updater: int = 61  # "set to 61 initially so that a baseline drop count is pulled"
    drops: DropStats = field(default_factory=DropStats)
    calls_today: int = 0
    answers_today: int = 0
    drops_today: int = 0
    last_minute: deque[tuple[float, bool]] = field(default_factory=deque)  # (when, dropped)
    levels: list[float] = field(default_factory=list)  # every level set, for the report
    drop_rule_cuts: int = 0

    def __post_init__(self) -> None:
        self.level = self.campaign.auto_dial_level

    def log_call(self, now: float, answered: bool, dropped: bool) -> None:
        """One ``vicidial_log`` row: answered means a human-answered status (DROP is one)."""
        self.calls_today += 1
        self.answers_today += answered or dropped
        self.drops_today += dropped
        self.last_minute.append((now, dropped))

    def loop(self, now: float, ready: int, waiting: int, total: int, hourmin: int) -> None:
        """One master loop: sample, then drops every 60 loops and the level every 15."""
        self.samples.append((ready, waiting, total))
        n = len(self.samples)
        ready_avg = sum(s[0] for s in self.samples) / n
        waiting_avg = sum(s[1] for s in self.samples) / n
        total_avg = sum(s[2] for s in self.samples) / n
        recalc_drops = recalc_level = False
        if total_avg > 0:
            if self.drop_count_updater >= DROPS_EVERY:
                self.calculate_drops(now)
                recalc_drops = True
            if self.diff_ratio_updater >= DIAL_LEVEL_EVERY:
                self.calculate_dial_level(ready_avg - waiting_avg, total_avg, hourmin)
                recalc_level = True
        # End of the master loop: counters reset where a calculation ran, then + $CLIdelay.
        self.drop_count_updater = 1 if recalc_drops else self.drop_count_updater + 1
        self.diff_ratio_updater = 1 if recalc_level else self.diff_ratio_updater + 1

    def calculate_drops(self, now: float) -> None:
        while self.last_minute and self.last_minute[0][0] <= now - 60.0:
            self.last_minute.popleft()
        calls_one = len(self.last_minute)
        drops_one = sum(dropped for _, dropped in self.last_minute)
        today_pct = 0.0
        if self.calls_today > 0 and self.drops_today > 0:
            today_pct = _pct(self.drops_today, max(self.answers_today, 1))
        self.drops = DropStats(
            calls_today=self.calls_today,
            drops_answers_today_pct=today_pct,
            calls_one=calls_one,
            drops_one_pct=_pct(drops_one, calls_one) if drops_one > 0 else 0.0,
        )

    def calculate_dial_level(self, differential: float, agents_avg: float, hourmin: int) -> None:
        c = self.campaign
        target = differential + c.adaptive_dl_diff_target
        mul = target / agents_avg if target != 0 and agents_avg != 0 else 0.0
        pct_raw = mul * 100
        intensity_mul = c.adaptive_intensity / 100
        if pct_raw < 0:
            intensity_diff = pct_raw * abs(intensity_mul - 1)
        else:
            intensity_diff = pct_raw * (intensity_mul + 1)
        level = float(f"{self.level * (intensity_diff / 100 + 1):.3f}")
        level = min(level, c.adaptive_maximum_level)
        level = max(level, 1.0)
        level = self._drop_rules(level, hourmin)
        self.level = _varchar6(max(level, 1.0))
        self.levels.append(self.level)

    def _drop_rules(self, level: float, hourmin: int) -> float:
        """DROP PERCENTAGE RULES TO LOWER DIAL_LEVEL, applied in every recalculation."""
        c, d = self.campaign, self.drops
        before = level
        if d.calls_one > 20 and d.drops_one_pct > 50:
            level /= 2
        if d.calls_today > 50 and d.drops_answers_today_pct > c.adaptive_dropped_percentage:
            hours_left = c.adaptive_latest_server_time - hourmin
            tapered_rate = 1.0 if hours_left > 1000 else hours_left / 1000
            if c.dial_method == DialMethod.ADAPT_HARD_LIMIT:
                level = 1.0
            elif c.dial_method == DialMethod.ADAPT_AVERAGE:
                level /= 2
            elif hours_left < 0:
                level = 1.0
            else:
                level *= tapered_rate
        self.drop_rule_cuts += level < before
        return level


def calls_to_place(
    level: float, ready: int, in_call: int, existing: int, campaign: Campaign | None = None
) -> int:
    """AST_VDauto_dial.pl's count for one loop: ``$DBIPmakecalls = $DBIPgoalcalls -
    $DBIPexistcalls``. ``ready``: READY|DONE agents; ``in_call``: INCALL|QUEUE agents;
    ``existing``: the campaign's calls ringing, waiting for an agent or talking."""
    c = campaign or Campaign()
    count = ready if c.available_only_ratio_tally else ready + in_call
    count = max(0, count + c.adaptive_dl_diff_target)
    goal = int(f"{level * count:.0f}")
    if c.available_only_ratio_tally:
        goal += in_call  # $tally_xfer_line_counter: calls XFERed to agents
    return max(0, goal - existing)
