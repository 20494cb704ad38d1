"""Installable as a PWA (issue #22): the manifest and its icons; the service worker, which answers a
page load without a network with the offline page and caches nothing else — an API request made
offline fails instead of being answered with stale scores; back online the app loads as before."""

from __future__ import annotations

import re
import struct
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Error, Page, Response, expect

from tests.web.conftest import Stack, login

pytestmark = pytest.mark.browser

OFFLINE = "网络连接已断开"
UNIT = "yunzhongqu"  # a unit liaison, who uses the platform on a phone

# The registration of the page's origin once its worker is active (registered after the page's
# load event by src/pwa.ts).
ACTIVATED = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const worker = registration.active;
  if (worker.state !== "activated") {
    await new Promise((done) =>
      worker.addEventListener("statechange", () => worker.state === "activated" && done()));
  }
  return { scope: registration.scope, script: worker.scriptURL, state: worker.state };
}"""

# Every cache of the origin and the paths it holds.
CACHED = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const requests = await (await caches.open(name)).keys();
    found[name] = requests.map((request) => new URL(request.url).pathname);
  }
  return found;
}"""

# One API request as the app makes it, with the bearer token: its status, or how it failed.
FETCH = """async ([url, token]) => {
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    return `answered ${response.status}`;
  } catch (error) {
    return `failed: ${error.name}`;
  }
}"""


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", body[16:24])  # the IHDR chunk comes first
    return width, height


def test_the_manifest_is_linked_valid_and_its_icons_are_there(page: Page) -> None:
    page.goto("/login")
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    theme = page.locator('meta[name="theme-color"]').get_attribute("content")
    assert href == "/manifest.webmanifest"

    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest: dict[str, Any] = response.json()
    assert manifest["name"] == "云岭市营商环境改革平台"
    assert 0 < len(manifest["short_name"]) <= 12
    assert (manifest["start_url"], manifest["scope"], manifest["display"], manifest["lang"]) == (
        "/",
        "/",
        "standalone",
        "zh-CN",
    )
    assert manifest["theme_color"] == theme == "#b71c1c"  # the header's red
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])

    icons = set()
    for icon in manifest["icons"]:
        image = page.request.get(icon["src"])
        assert image.status == 200, icon["src"]
        assert image.headers["content-type"] == "image/png", icon["src"]
        assert icon["type"] == "image/png"
        width, height = _png_size(image.body())
        assert icon["sizes"] == f"{width}x{height}", icon["src"]
        icons.add((icon["sizes"], icon.get("purpose", "any")))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons

    apple = page.request.get(
        page.locator('link[rel="apple-touch-icon"]').get_attribute("href") or ""
    )
    assert (apple.status, apple.headers["content-type"]) == (200, "image/png")

    # Chromium reads the manifest without an error.
    cdp = page.context.new_cdp_session(page)
    read = cdp.send("Page.getAppManifest")
    assert read["url"].endswith("/manifest.webmanifest")
    assert read["errors"] == []

    # The worker's script is never kept in a cache for long: a new version reaches every phone.
    script = page.request.get("/sw.js")
    assert script.status == 200
    assert "javascript" in script.headers["content-type"]
    assert "no-cache" in script.headers["cache-control"]


def test_offline_page_without_a_network_and_no_api_data_from_a_cache(
    context: BrowserContext, page: Page, stack: Stack
) -> None:
    login(page, UNIT)
    worker = page.evaluate(ACTIVATED)
    assert worker == {
        "scope": f"{stack.web}/",
        "script": f"{stack.web}/sw.js",
        "state": "activated",
    }
    # Installable: Chromium finds nothing missing (manifest, icons, …). A Playwright context is
    # incognito, where Chromium offers no install, but it still lists every other reason.
    errors = page.context.new_cdp_session(page).send("Page.getInstallabilityErrors")
    assert [e["errorId"] for e in errors["installabilityErrors"]] == ["in-incognito"]

    # Scores, under the worker: only the page load itself went through it; the API calls, the
    # scripts and styles went to the network untouched.
    responses: list[Response] = []

    def record(response: Response) -> None:
        responses.append(response)

    page.on("response", record)
    page.get_by_test_id("menu-scores").click()
    expect(page.get_by_test_id("ranking").locator("tbody tr").first).to_be_visible()
    page.goto("/scores")
    expect(page.get_by_test_id("ranking").locator("tbody tr").first).to_be_visible()
    page.remove_listener("response", record)
    by_worker = [r for r in responses if r.from_service_worker]
    assert [r.request.resource_type for r in by_worker] == ["document"]
    scores = [
        r.url
        for r in responses
        if "/api/evaluation/" in r.url
        and r.ok
        and r.request.resource_type == "fetch"
        and "/stream" not in r.url
    ]
    assert scores, "the scores page fetched no scores"
    # …and the worker keeps nothing but its offline page.
    assert list(page.evaluate(CACHED).values()) == [["/offline.html"]]

    ranking = scores[0]  # the ranking as the page fetched it
    token = stack.token(UNIT)
    assert page.evaluate(FETCH, [ranking, token]) == "answered 200"

    # The network goes: a page load shows the offline page, at the address asked for, readable
    # on a phone 390 px wide.
    page.set_viewport_size({"width": 390, "height": 844})
    context.set_offline(True)
    page.goto("/scores")
    expect(page.get_by_role("heading", name=OFFLINE)).to_be_visible()
    expect(page.get_by_text("请检查手机的移动数据或 Wi-Fi")).to_be_visible()
    assert page.url == f"{stack.web}/scores"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    retry = page.get_by_role("link", name="重试")
    expect(retry).to_be_visible()

    # The same API request, from that page (under the worker), now fails: no cache answers it.
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert page.evaluate(FETCH, [ranking, token]).startswith("failed")
    assert list(page.evaluate(CACHED).values()) == [["/offline.html"]]
    # Nor is an API address opened as a page answered by the worker (with the offline page or
    # anything else): the browser's own network error. (In a tab of its own: the error page it
    # commits afterwards would interrupt this page's next navigation.)
    tab = context.new_page()
    with pytest.raises(Error, match="ERR_INTERNET_DISCONNECTED"):
        tab.goto(ranking)
    tab.close()

    # Retrying offline keeps the offline page; back online it loads the app again.
    with page.expect_navigation():
        retry.click()
    expect(page.get_by_role("heading", name=OFFLINE)).to_be_visible()
    context.set_offline(False)
    retry.click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    expect(page.get_by_test_id("ranking").locator("tbody tr").first).to_be_visible()
    assert page.url == f"{stack.web}/scores"
    assert page.evaluate(FETCH, [ranking, token]) == "answered 200"
