"""Screenshots of the main pages of the documentation site, in real headless Chromium.

To see what a reader sees (formulas, piece tables, figures) without a display::

    apt-get install -y chromium          # Debian's package, once
    python docs/_gen/screenshots.py [--out DIR] [--site DIR] [--pages home tutorial ...]

It builds the site with ``mkdocs build --strict`` into a temporary folder (or uses the
build given by ``--site``), serves it on 127.0.0.1, and writes one PNG per page into
``--out`` (default ``site-screenshots/``): ``home.png``, ``tutorial.png``, one per Concepts
page, ``reference-conventions.png``, ``reference-semantics.png`` and
``howto-representation-file.png``, each 1280 pixels wide (``--width``, ``--height``).
Every Chromium run has a fresh profile and no network but the local server.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = "/usr/bin/chromium"


def main_pages() -> dict[str, str]:
    """Screenshot name -> page path in the site, for the pages a reader opens first."""
    pages = {"home": "", "tutorial": "tutorial/", "concepts": "concepts/"}
    concepts = os.path.join(ROOT, "docs", "concepts")
    for name in sorted(os.listdir(concepts)):
        if name.endswith(".md") and name != "index.md":
            pages[f"concepts-{name[:-3]}"] = f"concepts/{name[:-3]}/"
    pages["reference-conventions"] = "reference/conventions/"
    pages["reference-semantics"] = "reference/semantics/"
    pages["howto-representation-file"] = "howto/representation-file/"
    return pages


def build_site(site: str) -> None:
    """``mkdocs build --strict`` of the repository into ``site``."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", site],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"mkdocs build failed:\n{result.stdout}{result.stderr}")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(site: str) -> http.server.ThreadingHTTPServer:
    """A server of ``site`` on a free port of 127.0.0.1, running in a daemon thread."""
    handler = functools.partial(_Quiet, directory=site)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def screenshot(url: str, png: str, width: int, height: int, chromium: str = CHROMIUM) -> None:
    """One PNG of ``url`` from headless Chromium, with a new empty profile."""
    profile = tempfile.mkdtemp(prefix="pwverify-chromium-")
    try:
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
                   f"--screenshot={png}", f"--window-size={width},{height}", url]
        result = subprocess.run(command, capture_output=True, text=True, timeout=180)
        if result.returncode or not os.path.exists(png):
            raise SystemExit(f"chromium failed on {url}:\n{result.stderr[-2000:]}")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main(argv=None) -> int:
    pages = main_pages()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="site-screenshots", help="folder of the PNGs")
    parser.add_argument("--site", help="an existing build of the site (default: build one now)")
    parser.add_argument("--pages", nargs="+", choices=sorted(pages), help="only these pages")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2000)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    if not os.path.exists(args.chromium):
        raise SystemExit(f"{args.chromium} not found: apt-get install -y chromium")
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pwverify-site-") as tmp:
        site = args.site
        if site is None:
            site = os.path.join(tmp, "site")
            print("building the site ...", flush=True)
            build_site(site)
        server = serve(os.path.abspath(site))
        try:
            base = f"http://127.0.0.1:{server.server_address[1]}/"
            for name in args.pages or pages:
                png = os.path.join(args.out, f"{name}.png")
                screenshot(base + pages[name], png, args.width, args.height, args.chromium)
                print(png, flush=True)
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
