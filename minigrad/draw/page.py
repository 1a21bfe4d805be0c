"""The look of the backward player (player.py): the web page with its few lines
of script, a slide frame as SVG, and the highlight colours as DOT attributes
for PNG frames. Nothing here is fetched from anywhere: the page is one file."""
from __future__ import annotations

import json
import re
import textwrap
from html import escape

ORANGE, GREEN = "#e8590c", "#2f9e44"

# The drawing's highlights, as CSS (page and SVG frames) and as DOT (PNG frames).
SHAPES = ("ellipse", "polygon", "path", "polyline")
DRAWING_CSS = f"""
{", ".join(f".mg-current {s}" for s in SHAPES)} {{ fill: #ffd8a8; stroke: {ORANGE}; stroke-width: 3px; }}
{", ".join(f".mg-receive {s}" for s in SHAPES)} {{ stroke: {ORANGE}; stroke-width: 2px;
  stroke-dasharray: 5 3; }}
{", ".join(f".mg-done {s}" for s in SHAPES)} {{ stroke: {GREEN}; stroke-width: 2px; }}
.edge.mg-flow path {{ stroke: {ORANGE}; stroke-width: 2.5px; stroke-dasharray: 7 4;
  animation: mg-back 0.7s linear infinite; }}
.edge.mg-flow polygon {{ fill: {ORANGE}; stroke: {ORANGE}; }}
@keyframes mg-back {{ to {{ stroke-dashoffset: 11; }} }}
"""
HIGHLIGHT = {
    "current": f'fillcolor="#ffd8a8" color="{ORANGE}" penwidth=3',
    "receive": f'color="{ORANGE}" penwidth=2',
    "done": f'color="{GREEN}" penwidth=2',
    "flow": f'color="{ORANGE}" penwidth=2.5 dir=back',     # the arrow points where g goes
}

CSS = """
body { margin: 0; height: 100vh; display: flex; flex-direction: column; color: #222;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
header { display: flex; align-items: center; gap: 6px; padding: 8px 14px;
  background: #fafafa; border-bottom: 1px solid #ddd; }
h1 { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  font-size: 15px; margin: 0 14px 0 0; }
header > * { flex-shrink: 0; }
header > h1 { flex-shrink: 1; }
button { font: inherit; padding: 3px 10px; background: #fff; border: 1px solid #bbb;
  border-radius: 4px; cursor: pointer; }
button:disabled { opacity: 0.4; cursor: default; }
#slider { flex: 1 1 80px; min-width: 80px; }
#counter { min-width: 60px; text-align: right; color: #555; }
main { flex: 1; display: flex; min-height: 0; }
#graph { flex: 3; overflow: hidden; padding: 8px; box-sizing: border-box; }
#graph.natural { overflow: auto; }
#graph svg { width: 100%; height: 100%; }
#graph.natural svg { width: auto; height: auto; }
aside { flex: 2; min-width: 300px; max-width: 420px; overflow: auto; padding: 10px 14px;
  border-left: 1px solid #ddd; }
#heading { font-weight: 600; color: #e8590c; }
#caption { font-size: 16px; margin: 4px 0 8px; }
#details { font-size: 12.5px; color: #444; margin: 0 0 12px; padding-left: 18px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { text-align: left; vertical-align: top; padding: 2px 6px; border-bottom: 1px solid #eee; }
td.value { font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
tr.now { background: #fff4e6; font-weight: 600; }
.key { font-size: 12px; color: #666; margin: 0 0 8px; }
.key b { color: #e8590c; } .key i { color: #2f9e44; font-style: normal; font-weight: 600; }
"""

SCRIPT = """
(function () {
  const frames = JSON.parse(document.getElementById("frames").textContent);
  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector("#graph svg"), pane = $("graph"), slider = $("slider");
  const last = frames.length - 1, marks = ["mg-current", "mg-receive", "mg-done", "mg-flow"];
  let at = 0, timer = null;
  slider.max = last;
  const mark = (selector, cls) => svg.querySelectorAll(selector).forEach((e) => e.classList.add(cls));
  const node = (name) => ".mg-n-" + CSS.escape(name);

  function show(k) {
    at = Math.max(0, Math.min(last, k));
    const f = frames[at];
    svg.querySelectorAll("." + marks.join(",.")).forEach((e) => e.classList.remove(...marks));
    for (let j = 1; j < at; j++) frames[j].current.forEach((n) => mark(node(n), "mg-done"));
    f.receive.forEach((n) => mark(node(n), "mg-receive"));
    f.current.forEach((n) => mark(node(n), "mg-current"));
    f.flow.forEach(([a, b]) => mark(".mg-e-" + CSS.escape(a + "-" + b), "mg-flow"));
    $("heading").textContent = f.heading;
    $("caption").textContent = f.caption;
    $("details").replaceChildren(...f.details.map((line) => {
      const li = document.createElement("li"); li.textContent = line; return li; }));
    const rows = [];
    for (let j = 1; j <= at; j++) frames[j].rows.forEach((r) => {
      const tr = document.createElement("tr");
      if (j === at) tr.className = "now";
      r.forEach((text, c) => {
        const td = document.createElement("td"); td.textContent = text;
        if (c === 2) td.className = "value";
        tr.appendChild(td); });
      rows.push(tr); });
    $("rows").replaceChildren(...rows);
    const now = $("rows").querySelector("tr.now");
    if (now) now.scrollIntoView({ block: "nearest" });
    slider.value = at;
    $("counter").textContent = at + " / " + last;
    $("prev").disabled = at === 0;
    $("next").disabled = at === last;
    const current = svg.querySelector(".mg-current");
    if (current) {                      // keep the current node in view, inside the pane only
      const r = current.getBoundingClientRect(), p = pane.getBoundingClientRect();
      if (r.top < p.top || r.bottom > p.bottom) pane.scrollTop += r.top - p.top - p.height / 2;
      if (r.left < p.left || r.right > p.right) pane.scrollLeft += r.left - p.left - p.width / 2;
    }
  }
  function stop() { clearInterval(timer); timer = null; $("play").textContent = "▶ play"; }
  function play() {
    if (timer) return stop();
    if (at === last) show(0);
    $("play").textContent = "❚❚ pause";
    timer = setInterval(() => (at >= last ? stop() : show(at + 1)), 1500);
  }
  $("first").onclick = () => show(0);
  $("prev").onclick = () => show(at - 1);
  $("next").onclick = () => show(at + 1);
  $("play").onclick = play;
  $("zoom").onclick = () => { pane.classList.toggle("natural"); show(at); };
  slider.oninput = () => show(Number(slider.value));
  document.addEventListener("keydown", (e) => {
    const go = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: last }[e.key];
    if (go !== undefined) { show(go); e.preventDefault(); }
    else if (e.key === " ") { play(); e.preventDefault(); }
  });
  show(0);
})();
"""


def page(title, svg, frames):
    """The player: controls, the drawing, the caption and the table of gradients."""
    data = json.dumps(frames, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}{DRAWING_CSS}</style></head>
<body>
<header><h1 title="{escape(title)}">{escape(title)}</h1>
<button id="first" title="back to the start (Home)">« start</button>
<button id="prev" title="previous step (←)">◀ previous</button>
<button id="play" title="play / pause (space)">▶ play</button>
<button id="next" title="next step (→)">next ▶</button>
<input id="slider" type="range" min="0" value="0" aria-label="step">
<span id="counter"></span>
<button id="zoom" title="fit the drawing to the window, or show it at its own size">zoom</button></header>
<main><div id="graph">{svg}</div>
<aside><p class="key"><b>orange</b>: the node backward() is at, and the edges its gradients
travel (against the arrows); dashed: inputs receiving; <i>green</i>: done.</p>
<div id="heading"></div><div id="caption"></div><ul id="details"></ul>
<table><thead><tr><th>step</th><th>gradient</th><th>value</th></tr></thead>
<tbody id="rows"></tbody></table></aside></main>
<script type="application/json" id="frames">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""


def slide_svg(svg, heading, caption, chars_per_line=95):
    """One slide frame: the heading and caption above the (already highlighted) drawing."""
    box = re.search(r'<svg width="[^"]*" height="[^"]*"\s+viewBox="([^"]*)"', svg)
    width, height = (float(v) for v in box[1].split()[2:])
    chars = max(40, min(chars_per_line, int(width / 6.5)))
    lines = textwrap.wrap(caption, chars, break_long_words=False, break_on_hyphens=False) or [""]
    top = 30 + 17 * len(lines)
    width = max(width, 6.5 * max(len(line) for line in lines) + 20, 7.8 * len(heading) + 20)
    # The drawing nested below the caption, in the outer picture's units (points).
    inner = (f'<svg x="0" y="{top}" width="{box[1].split()[2]}" height="{box[1].split()[3]}" '
             f'viewBox="{box[1]}"' + svg[box.end():])
    text = "".join(f'<tspan x="10" dy="17">{escape(s)}</tspan>' for s in lines)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width:.0f}pt" height="{height + top:.0f}pt" '
            f'viewBox="0 0 {width:.0f} {height + top:.0f}">\n<style>{DRAWING_CSS}</style>\n'
            f'<rect width="100%" height="100%" fill="white"/>\n'
            f'<text x="10" y="20" font-family="Helvetica,Arial,sans-serif" font-size="14" '
            f'font-weight="bold" fill="{ORANGE}">{escape(heading)}</text>\n'
            f'<text y="22" font-family="Helvetica,Arial,sans-serif" font-size="13">{text}</text>\n'
            f"{inner}</svg>\n")
