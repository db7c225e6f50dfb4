#!/usr/bin/env python3
"""Opens the documentation site's pages in headless Chromium and fails on any console error,
uncaught exception or failed request (a 4xx/5xx answer or a load that failed).

    python3 scripts/lib/check_site_browser.py SITE_DIR [--base PATH] [EXTRA_PAGE ...]

The site is served on a loopback port by Python's http.server (under /PATH/ when --base is
given, as it is published). The pages: every .html file at SITE_DIR's top level (the book's
pages) and each EXTRA_PAGE (a path inside SITE_DIR: the references' front pages). Chromium is
driven through the DevTools protocol over a pipe (--remote-debugging-pipe), with nothing but the
standard library: each page in a new tab, the Runtime, Log and Network domains enabled, then the
load event and a second of quiet for scripts that run late. Prints each problem and a closing
line "browser: N pages, N with errors"; exit status 1 when a page has one.
"""

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Generous: on a machine busy with builds Chromium starts and loads slowly; a page that loads
# cleanly passes however long it took.
LOAD_TIMEOUT = 60.0
STARTUP_TIMEOUT = 180.0
SETTLE = 1.0


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Browser:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="iav-docs-chromium-")
        read_in, write_in = os.pipe()    # we write commands, Chromium reads fd 3
        read_out, write_out = os.pipe()  # Chromium writes answers and events on fd 4
        args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}", "about:blank"]

        def child_fds():
            os.dup2(read_in, 3)
            os.dup2(write_out, 4)

        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=child_fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The child's ends are inherited through 3 and 4; close ours.
        os.close(read_in)
        os.close(write_out)
        self.out = os.fdopen(write_in, "wb", buffering=0)
        self.inp = os.fdopen(read_out, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.lock = threading.Lock()
        self.answers = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = self.inp.read(65536)
            if not chunk:
                return
            self.buf += chunk
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self.lock:
                    if "id" in msg:
                        self.answers[msg["id"]] = msg
                    else:
                        self.events.append(msg)

    def send(self, method, params=None, session=None, wait=True, timeout=LOAD_TIMEOUT):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.out.write(json.dumps(msg).encode() + b"\0")
        if not wait:
            return None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.next_id in self.answers:
                    answer = self.answers.pop(self.next_id)
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
            time.sleep(0.01)
            if self.proc.poll() is not None:
                raise RuntimeError(f"{method}: Chromium exited ({self.proc.returncode})")
        raise RuntimeError(f"{method}: no answer from Chromium in {timeout:.0f} s")

    def wait_started(self):
        """Waits until Chromium answers on its pipe (its start-up, slow on a busy machine)."""
        self.send("Browser.getVersion", timeout=STARTUP_TIMEOUT)

    def take_events(self, session):
        with self.lock:
            mine = [e for e in self.events if e.get("sessionId") == session]
            self.events = [e for e in self.events if e.get("sessionId") != session]
        return mine

    def close(self):
        try:
            self.send("Browser.close", wait=False)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def check_page(browser, url):
    """The problems of one page."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Page.navigate", {"url": url}, session=session)
    problems = []
    events = []
    loaded_at = None
    deadline = time.monotonic() + LOAD_TIMEOUT
    while time.monotonic() < deadline:
        events += browser.take_events(session)
        if loaded_at is None and any(e["method"] == "Page.loadEventFired" for e in events):
            loaded_at = time.monotonic()
        if loaded_at is not None and time.monotonic() - loaded_at >= SETTLE:
            break
        time.sleep(0.05)
    else:
        problems.append(f"no load event within {LOAD_TIMEOUT} s")
    requests = {}
    for e in events:
        method, params = e["method"], e.get("params", {})
        if method == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]["url"]
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            problems.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            problems.append(f"uncaught exception: {text}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            problems.append(f"console error ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            problems.append(f"{params['response']['status']} for {params['response']['url']}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            problems.append(f"request failed ({params.get('errorText')}): {requests.get(params['requestId'], '?')}")
    browser.send("Target.closeTarget", {"targetId": target})
    return sorted(set(problems))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site")
    parser.add_argument("--base", default="", help="the path the site is published under")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("extra", nargs="*")
    args = parser.parse_intermixed_args(argv)
    site = Path(args.site).resolve()
    base = args.base.strip("/")
    root = site
    serve_dir = None
    if base:
        # Served under /BASE/, as published: a folder whose BASE entry is the site.
        serve_dir = Path(tempfile.mkdtemp(prefix="iav-docs-serve-"))
        (serve_dir / base).parent.mkdir(parents=True, exist_ok=True)
        (serve_dir / base).symlink_to(site)
        root = serve_dir
    pages = sorted(p.name for p in site.glob("*.html")) + args.extra
    missing = [p for p in pages if not (site / p).is_file() and not (site / p / "index.html").is_file()]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prefix = f"http://127.0.0.1:{server.server_address[1]}/" + (f"{base}/" if base else "")
    browser = Browser(args.chromium)
    bad = 0
    try:
        browser.wait_started()
        for p in missing:
            print(f"problem: {p}: not in the site")
            bad += 1
        for page in pages:
            if page in missing:
                continue
            problems = check_page(browser, prefix + page)
            for problem in problems:
                print(f"problem: {page}: {problem}")
            bad += 1 if problems else 0
    finally:
        browser.close()
        server.shutdown()
        if serve_dir:
            shutil.rmtree(serve_dir, ignore_errors=True)
    print(f"browser: {len(pages)} pages, {bad} with errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
