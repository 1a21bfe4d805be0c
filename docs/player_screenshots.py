"""Screenshots of the backward player (minigrad/draw/player.py), as PNGs next to this file.

    python docs/player_screenshots.py

Writes the players of lesson 1's neuron and of a BatchNorm2d, opens each from disk in
headless Chromium (Debian's chromium and chromium-driver, and the selenium package), steps
to one frame and saves what the browser shows: player_neuron.png, player_batchnorm2d.png.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import layers
import minigrad as mg

HERE = Path(__file__).resolve().parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars"]


def neuron(path):
    """Lesson 1: L = tanh(w*x + b)^2, at the step where y's two gradients are added."""
    x = mg.Tensor(1.5, requires_grad=True, name="x")
    w = mg.Tensor(0.8, requires_grad=True, name="w")
    b = mg.Tensor(-0.4, requires_grad=True, name="b")
    u = w * x
    v = u + b
    y = mg.tanh(v)
    L = y * y
    mg.save_backward_steps(L, path, names={"u": u, "v": v, "y": y, "L": L}, show_values=True,
                           title="L = tanh(w*x + b)^2: L.backward(), one node at a time")
    return 2


def batchnorm2d(path):
    """BatchNorm2d in autograd mode, at x - mean, where the gradients of its two uses are added."""
    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal((2, 3, 4, 4)), requires_grad=True, name="x")
    out = layers.BatchNorm2d(3)(x)
    mg.save_backward_steps(out, path, gradient=rng.standard_normal(out.shape),
                           title="BatchNorm2d(3), backward='autograd': the backward walk")
    return 10


def main():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        for flag in FLAGS + [f"--user-data-dir={tmp}/profile"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            for name, make, height in [("neuron", neuron, 820), ("batchnorm2d", batchnorm2d, 900)]:
                driver.set_window_size(1100, height)
                page = Path(tmp) / f"{name}.html"
                clicks = make(page)
                driver.get(page.as_uri())
                for _ in range(clicks):
                    driver.find_element("id", "next").click()
                driver.save_screenshot(str(HERE / f"player_{name}.png"))
                print(f"wrote {HERE / f'player_{name}.png'}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
