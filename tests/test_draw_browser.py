"""The backward player in a real browser: headless Chromium opens the page from disk
(file://), "next" is clicked through the walk, the highlighted node and the caption follow,
and the page asks the network for nothing. Pages: lesson 1's neuron and BatchNorm2d."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import layers
import minigrad as mg
from conftest import CHROMEDRIVER, CHROMIUM

LESSON_1 = Path(__file__).resolve().parents[1] / "tutorials" / "01_chain_rule.py"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,800"]


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    from selenium.webdriver.chrome.service import Service
    options = chromium.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = chromium.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def lesson_1_page(tmp_path):
    out = tmp_path / "lesson1"
    subprocess.run([sys.executable, str(LESSON_1), "--out", str(out), "--fast"], check=True,
                   capture_output=True, cwd=tmp_path)
    return out / "backward_walk.html"


def batchnorm2d_page(tmp_path):
    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal((2, 3, 4, 4)), requires_grad=True, name="x")
    out = layers.BatchNorm2d(3)(x)
    path = tmp_path / "bn2d.html"
    mg.save_backward_steps(out, path, gradient=rng.standard_normal(out.shape))
    return path


def shown(driver):
    """(the highlighted nodes' classes, the caption, the counter) as the page shows them."""
    current = driver.execute_script(
        "return Array.from(document.querySelectorAll('#graph .mg-current'), e => e.getAttribute('class'))")
    text = {k: driver.find_element("id", k).text for k in ("caption", "counter")}
    return tuple(current), text["caption"], text["counter"]


@pytest.mark.parametrize("make, steps", [(lesson_1_page, 7), (batchnorm2d_page, 14)],
                         ids=["lesson1-neuron", "BatchNorm2d"])
def test_clicking_next_walks_the_graph_without_the_network(browser, tmp_path, make, steps):
    path = make(tmp_path)
    browser.get_log("performance")          # forget what the browser did before this page
    browser.get(path.as_uri())
    seen = [shown(browser)]
    assert seen[0][0] == () and seen[0][2] == f"0 / {steps}"      # the start: nothing lit yet
    for k in range(1, steps + 1):
        browser.find_element("id", "next").click()
        seen.append(shown(browser))
        current, caption, counter = seen[-1]
        assert counter == f"{k} / {steps}"
        assert len(current) == 1 and "node mg-n-" in current[0], current
        assert current != seen[-2][0] and caption != seen[-2][1], f"frame {k} did not change"
    assert browser.find_element("id", "next").get_attribute("disabled")
    assert browser.find_elements("css selector", "#rows tr")          # the table filled in
    browser.find_element("tag name", "body").send_keys("\ue012")      # the left arrow key
    assert shown(browser)[2] == f"{steps - 1} / {steps}"
    browser.execute_script("const s = document.getElementById('slider'); s.value = 3;"
                           "s.dispatchEvent(new Event('input'))")
    assert shown(browser)[1:] == seen[3][1:]                          # the slider's frame
    play = browser.find_element("id", "play")
    play.click()
    assert "pause" in play.text                                       # autoplay runs ...
    play.click()
    assert "play" in play.text                                        # ... and stops

    requested = requests_made(browser, path.as_uri())
    assert requested and all(u.startswith(("file:", "data:")) for u in requested), requested
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def requests_made(browser, uri):
    """The URLs the page at uri asked for: its resource timing entries and the network
    requests the performance log saw for it."""
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent" and \
                message["params"].get("documentURL") == uri:
            requested.append(message["params"]["request"]["url"])
    return requested


def test_the_network_check_sees_a_request(browser, tmp_path):
    page = tmp_path / "fetches.html"
    page.write_text('<!DOCTYPE html><img src="http://192.0.2.1/x.png"><p>a page that fetches</p>')
    browser.get_log("performance")
    browser.get(page.as_uri())
    assert "http://192.0.2.1/x.png" in requests_made(browser, page.as_uri())
