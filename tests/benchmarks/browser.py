"""Headless Chromium over the DevTools protocol: the accountant's browser with Odoo's web client
and the overlay, and the moment the overlay shows a stage (a MutationObserver notes it with the
browser's clock, which is the machine's)."""

import json
import shutil
import subprocess
import threading
from pathlib import Path

import requests
import websocket

from tests.live_odoo import free_port, wait_until

CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Notes the first time each stage of the overlay is on screen: window.__stp[stage] = Date.now().
OBSERVER = """
(() => {
    window.__stp = {};
    const note = () => {
        const status = document.querySelector('.o_stripe_terminal_overlay .o_stp_status');
        if (status && !(status.dataset.stage in window.__stp)) {
            window.__stp[status.dataset.stage] = Date.now();
        }
    };
    if (window.__stpObserver) {
        window.__stpObserver.disconnect();
    }
    window.__stpObserver = new MutationObserver(note);
    window.__stpObserver.observe(document.body, {subtree: true, childList: true, attributes: true});
    note();
})()
"""

OPEN_OVERLAY = """
(async () => {
    const env = odoo.__WOWL_DEBUG__.root.env;
    await env.services.action.doAction({
        type: 'ir.actions.client', tag: 'stripe_terminal_overlay', name: 'Card Payment',
        target: 'current', params: {payment_id: %d},
    });
    return true;
})()
"""


class Browser:
    def __init__(self, workdir):
        executable = next((shutil.which(name) for name in CHROMIUM if shutil.which(name)), None)
        if not executable:
            raise RuntimeError("Chromium is needed for the status latency benchmark")
        self.port = free_port()
        self.workdir = Path(workdir)
        log = open(self.workdir / "chromium.log", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                executable,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-allow-origins=*",
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.workdir / 'chromium-profile'}",
                "--window-size=1366,768",
                "about:blank",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.http = requests.Session()
        self.http.trust_env = False
        targets = wait_until(self._pages, timeout=30, message="Chromium")
        self.ws = websocket.create_connection(
            targets[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self._ids = iter(range(1, 10**9))
        self._lock = threading.Lock()

    def _pages(self):
        try:
            targets = self.http.get(f"http://127.0.0.1:{self.port}/json", timeout=2).json()
        except (requests.RequestException, ValueError):
            return None
        return [t for t in targets if t.get("type") == "page"] or None

    def send(self, method, **params):
        with self._lock:
            message_id = next(self._ids)
            self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
            while True:
                message = json.loads(self.ws.recv())
                if message.get("id") == message_id:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message.get("result", {})

    def evaluate(self, expression, await_promise=False):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=await_promise,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"in the page: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def open_web_client(self, url, session_id):
        """Log in (the session's cookie) and wait for the web client."""
        self.send("Network.enable")
        self.send("Network.setCookie", name="session_id", value=session_id, url=url, httpOnly=True)
        self.send("Page.navigate", url=f"{url}/web")
        wait_until(
            lambda: self.evaluate(
                "!!(window.odoo && odoo.__WOWL_DEBUG__ && document.querySelector('.o_main_navbar'))"
            ),
            timeout=120,
            interval=0.2,
            message="the web client",
        )

    def open_overlay(self, payment_id):
        """Open the overlay on the payment (as Collect does), then note its stages from now on
        (the previous overlay is gone once the action is done)."""
        self.evaluate(OPEN_OVERLAY % payment_id, await_promise=True)
        self.evaluate(OBSERVER)

    def stage_shown_at(self, stage):
        """Unix time (s) the overlay first showed `stage`, or None."""
        shown = self.evaluate(f"window.__stp && window.__stp[{json.dumps(stage)}]")
        return shown / 1000 if shown else None

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.http.close()
