"""Where a machine's CPU time goes, from /proc (Linux): per process tree and the whole machine.

For the session bench (``bench_sessions.py``): the split of the machine's CPU during the page loads
between the app server, the browser (Chromium and every process it started), the bench itself and
everything else on the machine.  A process's time includes its reaped children's (``cutime``/``cstime``),
so a renderer that exits inside the window is still counted, on its parent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds incl. reaped children) of one process, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1: text.rindex(")")]
    f = text.rsplit(")", 1)[1].split()  # f[0] is the state (field 3 of proc(5))
    return name, int(f[1]), (int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) / _TICK


def processes() -> dict[int, tuple[str, int, float]]:
    """Every live process: pid -> (name, parent pid, CPU seconds incl. reaped children)."""
    out = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (s := _stat(int(entry.name))) is not None:
            out[int(entry.name)] = s
    return out


def descendants(procs: dict[int, tuple[str, int, float]], root: int) -> set[int]:
    """``root`` and every live process under it."""
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in procs and pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, ()))
    return seen


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot (all CPUs; /proc/stat minus idle and iowait)."""
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = f[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK  # guest time is already in user


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds used so far by the groups of a split, and by the whole machine."""

    groups: dict[str, float]
    machine: float


def snapshot(server: int, bench: int, browser_name: str = "chromium") -> Snapshot:
    """The server's process tree, the browser's (every ``browser_name`` process under the bench, with
    their children), the bench (its own process and its other children: the Playwright driver, the
    sign-in provider), and the machine."""
    procs = processes()
    srv = descendants(procs, server)
    mine = descendants(procs, bench) - srv
    roots = {p for p in mine if procs[p][0] == browser_name and procs[procs[p][1]][0] != browser_name}
    browser = set().union(*(descendants(procs, r) for r in roots)) if roots else set()

    def total(pids: set[int]) -> float:
        # a tree's time: the sum over its live processes (each with its reaped children)
        return sum(procs[p][2] for p in pids)

    return Snapshot({"server": total(srv), "browser": total(browser), "bench": total(mine - browser)}, machine_busy())


def split(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds each group used between two snapshots, with ``other`` (the rest of the machine) and
    ``machine`` (all of it)."""
    used = {k: after.groups[k] - before.groups[k] for k in after.groups}
    machine = after.machine - before.machine
    return {**used, "other": machine - sum(used.values()), "machine": machine}
