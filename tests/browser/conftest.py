"""Browser-test harness: the real app (``streamlit run app.py``) on a fresh seeded database, driven
by Playwright in Debian's headless Chromium.

* ``live_app`` (module scope): seeds a new database in a temporary folder, starts Streamlit on a
  free port with ``CPSCREEN_DB`` pointing at it, waits for ``/_stcore/health``, yields a
  :class:`LiveApp`, and stops the server (process group) afterwards.
* ``browser`` (session scope): Chromium at ``/usr/bin/chromium`` (override with
  ``CPSCREEN_CHROMIUM``) with the flags a container needs.  If it cannot start the tests *fail*
  (they never skip), so CI fails when the browser tests cannot run.
* ``page``: a new browser context and page per test; on failure a full-page screenshot goes to
  ``test-artifacts/<test name>.png``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CPSCREEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_TIMEOUT = 60.0  # [s]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    url: str
    db: Path
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """Stop the server (and its children); idempotent."""
        stop_process_group(self.proc)


def stop_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group ``proc`` leads (SIGKILL after 10 s); idempotent."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


_WARMED: list[bool] = []


def start_app(tmp: Path, *, secrets: Path | None = None, port: int | None = None) -> LiveApp:
    """Seed a database in ``tmp`` and serve the app on it; ``secrets`` is the only secrets file it reads
    (none by default: local single-user mode, whatever secrets the developer's machine holds).

    As ``scripts/run.sh`` does, the numerical kernels are compiled (cached on disk) before the first
    server starts: on a new machine the first page that appraises otherwise compiled them inside its
    script run, 30 s and more on a slow 2-core host, and the first browser test timed out waiting.
    """
    db = tmp / "browser.duckdb"
    env = {**os.environ, "CPSCREEN_DB": str(db), "PYTHONUNBUFFERED": "1"}
    if not _WARMED:
        subprocess.run([sys.executable, "-m", "programme.warm"], cwd=ROOT, env=env, check=True, capture_output=True)
        _WARMED.append(True)
    subprocess.run([sys.executable, "-m", "store.seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = port or _free_port()
    log = tmp / "streamlit.log"
    streamlit = Path(sys.executable).with_name("streamlit")
    cmd = [str(streamlit), "run", "app.py", "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--secrets.files", str(secrets or tmp / "no-secrets.toml")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    app = LiveApp(url, db, proc, log)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return app
        except OSError:
            pass
        time.sleep(0.3)
    app.stop()
    raise RuntimeError(f"streamlit did not answer on {url} within {STARTUP_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("live_app"))
    yield app
    app.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium) "
                    "or set CPSCREEN_CHROMIUM; the browser tests must run")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def screenshot_on_failure(request, page) -> None:
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # the page may be gone; the failure itself is what matters
            print(f"screenshot failed: {exc}", file=sys.stderr)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(20_000)
    pg = context.new_page()
    yield pg
    screenshot_on_failure(request, pg)
    context.close()


#: true once the app's root is not running a script (nor has a rerun requested): Streamlit's running
#: indicator (stStatusWidget) is no such signal, it appears only 0.5 s into a run (bench/bench_sessions.py)
_SCRIPT_DONE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.dataset.testScriptState === 'notRunning';
}"""


def wait_idle(page) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_function(_SCRIPT_DONE, timeout=30_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    page.wait_for_timeout(150)


def go(page, name: str, heading: str | None = None) -> None:
    """Open a page from the sidebar navigation and wait for it to finish running."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=heading or name, level=1).wait_for()
    wait_idle(page)


@pytest.fixture
def ui():
    """The helpers above, for test modules (conftest is not importable under importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(go=go, wait_idle=wait_idle, screenshot_on_failure=screenshot_on_failure)


# --- sign-in (issue 14): a real OpenID Connect provider on loopback and the app configured for it ---

#: The users the test provider signs in with one click (its "predefined users"), with their claims.
OIDC_USERS = (
    {"sub": "alice", "email": "alice@example.org", "name": "Alice Example"},
    {"sub": "bob", "email": "bob@example.org", "name": "Bob Example"},
)


@dataclass
class OidcProvider:
    """``oidc-provider-mock`` (Authlib's OpenID Connect server, PyPI) serving on 127.0.0.1 in its own process."""

    url: str
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        stop_process_group(self.proc)


def start_oidc_provider(tmp: Path, users=OIDC_USERS, token_max_age: int = 3600, *, wait: bool = True) -> OidcProvider:
    """Start the provider on a free loopback port; with ``wait``, return once its discovery document answers."""
    import json

    port = _free_port()
    log = tmp / "oidc.log"
    cmd = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port),
           "--token-max-age", str(token_max_age)]
    for user in users:
        cmd += ["--user-claims", json.dumps(user)]
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "NO_COLOR": "1"})
    provider = OidcProvider(f"http://127.0.0.1:{port}", proc, log)
    if wait:
        wait_for_provider(provider)
    return provider


def wait_for_provider(provider: OidcProvider) -> None:
    """Return once the provider's discovery document answers; stop it and raise after STARTUP_TIMEOUT."""
    import json

    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if provider.proc.poll() is not None:
            raise RuntimeError(f"the OpenID Connect provider exited with {provider.proc.returncode}:\n"
                               f"{provider.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{provider.url}/.well-known/openid-configuration", timeout=2) as r:
                if json.load(r).get("issuer"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    provider.stop()
    raise RuntimeError(f"the OpenID Connect provider did not answer within {STARTUP_TIMEOUT:.0f} s:\n"
                       f"{provider.log.read_text()[-3000:]}")


@dataclass
class SignedInApp:
    """The app with ``[auth]`` pointing at ``provider``; ``cookie_secret`` signs its identity cookies."""

    app: LiveApp
    provider: OidcProvider
    cookie_secret: str

    @property
    def url(self) -> str:
        return self.app.url

    def stop(self) -> None:
        for proc in (self.app.proc, self.provider.proc):  # both told at once: shutdowns overlap
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        self.app.stop()
        self.provider.stop()


def start_signed_in_app(tmp: Path, users=OIDC_USERS, *, exchange_timeout: float | None = None) -> SignedInApp:
    """A provider knowing ``users`` and the app configured for it through a secrets file written in ``tmp``
    (new secrets each time).  ``exchange_timeout`` [s] bounds the app's calls to the provider (Authlib's
    ``timeout``, default 5 s): a saturated machine answers the code exchange later than that."""
    import secrets as pysecrets

    provider = start_oidc_provider(tmp, users, wait=False)  # starts while the database is seeded and the app starts
    try:
        port = _free_port()
        cookie_secret = pysecrets.token_hex(32)
        path = tmp / "secrets.toml"
        path.write_text(f'''[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "cpscreen-test"
client_secret = "{pysecrets.token_hex(16)}"
server_metadata_url = "{provider.url}/.well-known/openid-configuration"
''' + ("" if exchange_timeout is None else f"\n[auth.client_kwargs]\ntimeout = {float(exchange_timeout)}\n"),
                        encoding="utf-8")
        app = start_app(tmp, secrets=path, port=port)
        try:
            add_users(app.db, users)
            wait_for_provider(provider)
        except BaseException:
            app.stop()
            raise
        return SignedInApp(app, provider, cookie_secret)
    except BaseException:
        provider.stop()
        raise


#: The roles the test users hold in the service (store.access): Alice is a member of the NL demo
#: enterprise, every other user an admin.
OIDC_ROLES = {"alice@example.org": ("member", "nl_plating")}


def add_users(db: Path, users=OIDC_USERS) -> None:
    """Make the provider's users users of the service (as ``cpscreen users add`` and ``grant`` do), in local mode.

    Each change opens the app's database for that change only (store.service), beside the running app.
    """
    from store.access import Actor
    from store.service import Store

    admin = Store.open(Actor.local(), db)
    for user in users:
        admin.add_user(user["email"], user.get("name", ""))
        admin.grant(user["email"], *OIDC_ROLES.get(user["email"], ("admin",)))


def sign_in(page, app_url: str, sub: str) -> None:
    """Open the app, press *Sign in*, choose ``sub`` at the provider, and wait for the Overview page."""
    page.goto(app_url)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name=sub, exact=True).click()  # the provider's one-click user
    page.get_by_role("heading", name="cpscreen", level=1, exact=True).wait_for()
    wait_idle(page)


@pytest.fixture(scope="module")
def signed_in_app(tmp_path_factory):
    app = start_signed_in_app(tmp_path_factory.mktemp("signed_in_app"))
    yield app
    app.stop()


@pytest.fixture
def auth_ui():
    """The sign-in helpers above, for test modules."""
    from types import SimpleNamespace

    return SimpleNamespace(sign_in=sign_in, users=OIDC_USERS)
