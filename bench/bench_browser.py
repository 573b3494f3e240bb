"""What a page load costs the browser, per page, and what signed-in pages left open cost it while idle.

The session bench (``bench_sessions.py``) showed the 2 s target missed on a 2-core machine because the
twenty Chromium renderers share the cores with the server (issue 14): this bench says which pages the
browser pays for, and on what.  It starts the harness of ``tests/browser/conftest.py`` (the test
OpenID Connect provider and one app server on a new database seeded with the demo data, as
``bench_sessions.py`` does), signs ``--sessions`` browser contexts in one headless Chromium in, and then,
``--rounds`` times, opens each page in every session at once (a click on its sidebar link, until the
page's h1 is shown and the app's root is back at ``notRunning``, as in ``bench_sessions.py``) and waits
``--settle`` seconds more and then until no renderer's main thread is busy over half a second (at most
30 s), so that what the browser draws after the script has finished (charts embed asynchronously; with
many sessions the drawing lags far behind) is counted with the page that caused it.  Per page it prints:

* the CPU seconds (user + system) of Chromium's whole process tree from the clicks to the end of the
  settle, per page load, minus the idle rate measured before (``bench/proc_cpu.py``);
* the same for the app server (its process tree);
* Chrome DevTools' ``Performance.getMetrics`` deltas over the same span, per load, summed over the
  sessions: ``TaskDuration`` (the renderer's main thread busy), ``ScriptDuration`` (JavaScript),
  ``LayoutDuration`` and ``RecalcStyleDuration`` [s], and the DOM ``Nodes`` the page holds at the end.

With ``--idle S`` it also measures, after the page loads, Chromium's and the server's CPU over ``S``
seconds with every session left on each page in turn (nothing clicked), from when the browser has gone
quiet after drawing it: a page that keeps the browser busy while nobody touches it (an animation, a chart
re-laying out, websocket traffic) shows here.

The figures are CPU times, not wall times: other work on this shared machine stretches wall times far
more than it changes them (the load average is printed before and after).

Usage: ``.venv/bin/python bench/bench_browser.py [--sessions 1] [--rounds 3] [--settle 1.5] [--idle 0]
[--pages Appraisal,Screening]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import bench_sessions as bs  # noqa: E402  (bench/ is not a package: the harness, the page list, the load signal)
import proc_cpu  # noqa: E402

METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


async def _metrics(cdp) -> dict[str, float]:
    return {m["name"]: float(m["value"]) for m in (await cdp.send("Performance.getMetrics"))["metrics"]}


async def _split(server: int) -> proc_cpu.Snapshot:
    return proc_cpu.snapshot(server, os.getpid())


async def _run(args, url: str, users: list[str], server: int, chromium: str, chromium_args: list[str]):
    from playwright.async_api import async_playwright

    pages = args.pages.split(",") if args.pages else [p for p in bs.PAGES if p != "Overview"] + ["Overview"]
    rows: dict[str, list[dict[str, float]]] = {p: [] for p in pages}
    idle: dict[str, dict[str, float]] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=chromium_args)
        try:
            sessions = []
            for sub in users:  # one after the other: the sign-ins are not measured
                context = await browser.new_context(viewport={"width": 1400, "height": 1000})
                context.set_default_timeout(args.timeout * 1000)
                page = await context.new_page()
                for _ in range(3):
                    if await bs._sign_in(page, url, sub, args.timeout * 1000, []):
                        break
                    await context.clear_cookies()
                else:
                    raise RuntimeError(f"{sub} could not sign in")
                cdp = await context.new_cdp_session(page)
                await cdp.send("Performance.enable")
                sessions.append((page, cdp))
            await asyncio.sleep(args.settle)
            a, t = await _split(server), time.perf_counter()
            await asyncio.sleep(3.0)
            b = await _split(server)
            base = {k: v / (time.perf_counter() - t) for k, v in proc_cpu.split(a, b).items()}  # idle rate [CPU-s/s]

            async def load(page, name: str) -> float:
                t0 = time.perf_counter()
                await page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True).click()
                await bs._done(page, bs.PAGES[name], args.timeout * 1000)
                return time.perf_counter() - t0

            async def quiet(limit: float = 30.0) -> None:
                """Wait (at most ``limit`` s) until no renderer's main thread is busy over half a second: with
                several sessions the browser is still drawing well after the last script run has finished."""
                t_end = time.perf_counter() + limit
                prev = sum([(await _metrics(c))["TaskDuration"] for _, c in sessions])
                while time.perf_counter() < t_end:
                    await asyncio.sleep(0.5)
                    now = sum([(await _metrics(c))["TaskDuration"] for _, c in sessions])
                    if now - prev < 0.01 * len(sessions):
                        return
                    prev = now

            for _r in range(args.rounds):
                for name in pages:
                    m0 = [await _metrics(c) for _, c in sessions]
                    s0, t0 = await _split(server), time.perf_counter()
                    walls = await asyncio.gather(*(load(p, name) for p, _ in sessions))
                    await asyncio.sleep(args.settle)
                    await quiet()
                    s1, span = await _split(server), time.perf_counter() - t0
                    m1 = [await _metrics(c) for _, c in sessions]
                    used = proc_cpu.split(s0, s1)
                    n = len(sessions)
                    row = {"wall": statistics.median(walls),
                           "browser": (used["browser"] - base["browser"] * span) / n,
                           "server": (used["server"] - base["server"] * span) / n,
                           "nodes": statistics.median(x["Nodes"] for x in m1)}
                    for k in METRICS:
                        row[k] = sum(y[k] - x[k] for x, y in zip(m0, m1)) / n
                    rows[name].append(row)
            if args.idle > 0:
                for name in pages:
                    await asyncio.gather(*(load(p, name) for p, _ in sessions))
                    await asyncio.sleep(args.settle)
                    await quiet()
                    m0 = [await _metrics(c) for _, c in sessions]
                    s0, t0 = await _split(server), time.perf_counter()
                    await asyncio.sleep(args.idle)
                    s1, span = await _split(server), time.perf_counter() - t0
                    m1 = [await _metrics(c) for _, c in sessions]
                    used = proc_cpu.split(s0, s1)
                    idle[name] = {"browser": used["browser"] / span, "server": used["server"] / span,
                                  "TaskDuration": sum(y["TaskDuration"] - x["TaskDuration"] for x, y in zip(m0, m1)) / span}
        finally:
            await browser.close()
    return rows, idle, base


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3, help="times every session opens every page (default 3)")
    ap.add_argument("--settle", type=float, default=1.5, help="seconds measured after each load finished (default 1.5)")
    ap.add_argument("--idle", type=float, default=0.0, help="seconds of idle measurement per page (default 0: none)")
    ap.add_argument("--pages", help="comma-separated sidebar names (default all, Overview last)")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    h = bs._harness()
    users = [f"user{i:02d}" for i in range(1, args.sessions + 1)]
    import subprocess

    subprocess.run([sys.executable, "-m", "finance.batch"], cwd=ROOT, check=True, timeout=600)
    load_before = os.getloadavg()
    live = h.start_signed_in_app(Path(tempfile.mkdtemp(prefix="cpscreen-bench-browser-")),
                                 users=[{"sub": u, "email": f"{u}@example.org", "name": u} for u in users],
                                 exchange_timeout=30.0)
    try:
        rows, idle, base = asyncio.run(_run(args, live.url, users, live.app.proc.pid, h.CHROMIUM, h.CHROMIUM_ARGS))
    finally:
        live.stop()
    print(f"cpscreen: browser and server CPU per page load, {args.sessions} session(s) loading each page at once, "
          f"{args.rounds} round(s), {args.settle:g} s settle counted; idle rate subtracted (browser "
          f"{base['browser']:.3f}, server {base['server']:.3f} CPU-s/s)")
    print("round 1 includes the server's first render of each page; 'later' is the median of the other rounds")
    head = ["wall", "browser", "server", *METRICS, "nodes"]
    print(f"{'page':<11}{'rounds':>7}" + "".join(f"{h_[:12]:>13}" for h_ in head))
    for name, rs in rows.items():
        for label, part in (("1", rs[:1]), ("later", rs[1:])):
            if part:
                print(f"{name:<11}{label:>7}" + "".join(f"{statistics.median(r[k] for r in part):>13.3f}" for k in head))
    if idle:
        print(f"idle, {args.idle:g} s per page, {args.sessions} session(s) on it: CPU-s per second (all sessions)")
        for name, v in idle.items():
            print(f"{name:<11} browser {v['browser']:.3f}  server {v['server']:.3f}  renderer main threads busy "
                  f"{v['TaskDuration']:.3f}")
    la = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, {la[0]:.1f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
