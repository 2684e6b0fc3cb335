// rafter scope: draws the model served at /api/state (polled) and animates
// the messages of the /events stream. No framework, no build step.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const CX = 300, CY = 270, RING = 200, R = 40;
const STRIP = 40;            // entries shown per log strip
const MAX_DOTS = 80;         // messages drawn at once; more are sampled out
const TERM_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
  "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"];

let state = null;            // the last /api/state
let fetchedAt = 0;           // performance.now() of that fetch
const pos = {};              // peer name -> {x, y}
const dots = [];             // messages in flight
let sent = 0, drawn = 0, statsSince = performance.now();
let streamLost = 0;          // events /events dropped because this page read too slowly

function el(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function h(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function termColour(t) { return TERM_COLOURS[(t - 1 + TERM_COLOURS.length) % TERM_COLOURS.length]; }
function roleOf(p) { return !p.up ? (state.running[p.name] ? "down" : "stopped") : p.role; }
// travelMs is how long a message dot takes: the network delay of slow
// motion (scope.go's slowLatency) when there is one, else long enough to
// be seen.
function travelMs() {
  const slow = state ? state.settings.slow : 1;
  return Math.max(250, Math.min(2500, (slow - 1) * 20));
}

async function post(action, params) {
  const q = new URLSearchParams(params || {}).toString();
  const r = await fetch("/api/" + action + (q ? "?" + q : ""), { method: "POST" });
  return r.json();
}

// ---- layout (built once, when the peers are first known) ----
function build() {
  const n = state.peers.length;
  state.peers.forEach((p, i) => {
    const a = -Math.PI / 2 + 2 * Math.PI * i / n;
    pos[p.name] = { x: CX + RING * Math.cos(a), y: CY + RING * Math.sin(a) };
  });
  const links = document.getElementById("links");
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const a = state.peers[i].name, b = state.peers[j].name;
    const g = el("g", { class: "linkg" }, links);
    const line = el("line", { class: "link", id: "link-" + a + "-" + b, "data-a": a, "data-b": b,
      x1: pos[a].x, y1: pos[a].y, x2: pos[b].x, y2: pos[b].y }, g);
    el("title", {}, line).textContent = "link " + a + " - " + b + ": click to cut or heal";
    const m = el("text", { class: "cutmark", x: (pos[a].x + pos[b].x) / 2, y: (pos[a].y + pos[b].y) / 2 + 5,
      "text-anchor": "middle", visibility: "hidden" }, g);
    m.textContent = "\u2702 cut";
    line.addEventListener("click", () => post(line.classList.contains("cut") ? "heal" : "cut", { a, b }));
  }
  const nodes = document.getElementById("nodes");
  for (const p of state.peers) {
    const { x, y } = pos[p.name];
    const g = el("g", { class: "node", id: "node-" + p.name, "data-peer": p.name, transform: `translate(${x},${y})` }, nodes);
    el("circle", { class: "timer-bg", r: R + 8 }, g);
    el("circle", { class: "timer", r: R + 8, transform: "rotate(-90)" }, g);
    el("circle", { class: "body", r: R }, g);
    el("circle", { class: "flash", r: R }, g);
    el("text", { class: "name", y: -4 }, g).textContent = p.name;
    el("text", { class: "term", y: 14 }, g);
    el("text", { class: "role", y: R + 24 }, g);
    el("text", { class: "sub", y: R + 38 }, g);
    el("text", { class: "note", y: -R - 14 }, g);
  }
  const tbody = document.querySelector("#strips tbody");
  const members = document.getElementById("members");
  for (const p of state.peers) {
    const tr = h("tr", { id: "row-" + p.name, "data-peer": p.name });
    tr.appendChild(h("td", { class: "pname" }, p.name));
    tr.appendChild(h("td", {}, "")).appendChild(h("span", { class: "badge" }));
    const ctl = tr.appendChild(h("td", { class: "ctl" }));
    const btn = (label, action, title, fn) => {
      const b = h("button", { "data-action": action, "data-peer": p.name, title }, label);
      if (action.startsWith("kill")) b.className = "danger";
      b.addEventListener("click", fn);
      ctl.appendChild(b);
      return b;
    };
    btn("kill consensus", "kill-consensus", "crash the consensus actor: the supervisor restarts both actors",
      () => post("kill", { peer: p.name, actor: "consensus" }).then(show));
    btn("kill log", "kill-log", "crash the log server: the supervisor restarts both actors",
      () => post("kill", { peer: p.name, actor: "log" }).then(show));
    btn("stop", "stopstart", "stop or start the peer", function () {
      post(this.textContent, { peer: p.name }).then(show);
    });
    btn("isolate", "isolate", "cut (or heal) every link of this peer", function () {
      post(this.textContent === "isolate" ? "isolate" : "rejoin", { peer: p.name }).then(show);
    });
    btn("make leader", "transfer", "transfer the leadership to this peer",
      () => post("transfer", { peer: p.name }).then(show));
    tr.appendChild(h("td", {})).appendChild(h("div", { class: "strip" }));
    tr.appendChild(h("td", { class: "marks" }));
    tbody.appendChild(tr);
    const lab = h("label", {});
    const cb = h("input", { type: "checkbox", value: p.name, "data-member": p.name });
    cb.style.width = "auto";
    lab.appendChild(cb);
    lab.appendChild(document.createTextNode(" " + p.name));
    members.appendChild(lab);
  }
  document.getElementById("slow").value = String(state.settings.slow);
  document.getElementById("prevote").checked = state.settings.prevote;
  document.getElementById("subtitle").textContent = n + " peers in one process";
  syncMembers(true);
}

function show(r) {
  const res = document.getElementById("result");
  if (r.ok) return;
  res.className = "hint err";
  res.textContent = r.error;
}

let membersTouched = false;
function syncMembers(force) {
  if (membersTouched && !force) return;
  for (const cb of document.querySelectorAll("[data-member]")) cb.checked = state.members.includes(cb.value);
}

// ---- drawing the model ----
function render() {
  if (!state) return;
  if (performance.now() - polledAt >= POLL_MS) poll();
  const cuts = new Set(state.cuts);
  for (const line of document.querySelectorAll(".link")) {
    const cut = cuts.has(line.dataset.a + "|" + line.dataset.b);
    line.classList.toggle("cut", cut);
    line.nextSibling.setAttribute("visibility", cut ? "visible" : "hidden");
  }
  const since = performance.now() - fetchedAt;
  for (const p of state.peers) {
    const g = document.getElementById("node-" + p.name);
    const role = roleOf(p);
    g.dataset.role = role; g.dataset.term = p.term; g.dataset.up = p.up;
    g.classList.toggle("nonmember", state.members.length > 0 && !state.members.includes(p.name));
    g.querySelector(".body").setAttribute("class", "body role-" + role);
    g.querySelector(".term").textContent = "term " + p.term;
    g.querySelector(".role").textContent = role + (p.restarts ? "  \u21bb" + p.restarts : "");
    let sub = "", frac = 0;
    if (p.up && role !== "leader" && p.timer_total_ms > 0) {
      const left = Math.max(0, p.timer_left_ms - since);
      frac = left / p.timer_total_ms;
      sub = "election in " + (left / 1000).toFixed(1) + "s";
    } else if (role === "leader") {
      sub = "sends heartbeats";
    }
    g.dataset.timerLeft = Math.round(frac * 1000);
    const c = 2 * Math.PI * (R + 8);
    g.querySelector(".timer").setAttribute("stroke-dasharray", `${c * frac} ${c}`);
    g.querySelector(".sub").textContent = sub;
    g.querySelector(".note").textContent = p.note && !p.up ? p.note : "";
  }
  requestAnimationFrame(render);
}

function renderStrips() {
  let hi = 0;
  for (const p of state.peers) hi = Math.max(hi, p.last, p.base + p.terms.length);
  const lo = Math.max(1, hi - STRIP + 1);
  for (const p of state.peers) {
    const tr = document.getElementById("row-" + p.name);
    const role = roleOf(p);
    const badge = tr.querySelector(".badge");
    badge.className = "badge role-" + role;
    badge.textContent = role + " \u00b7 t" + p.term;
    const stopBtn = tr.querySelector('[data-action="stopstart"]');
    stopBtn.textContent = state.running[p.name] ? "stop" : "start";
    const iso = tr.querySelector('[data-action="isolate"]');
    const isolated = state.peers.every(q => q.name === p.name ||
      state.cuts.includes([p.name, q.name].sort().join("|")));
    iso.textContent = isolated && state.peers.length > 1 ? "rejoin" : "isolate";
    const strip = tr.querySelector(".strip");
    strip.textContent = "";
    for (let i = lo; i <= hi; i++) {
      const k = i - p.base - 1;
      const t = k >= 0 && k < p.terms.length ? p.terms[k] : 0;
      const cell = h("div", { "data-index": i });
      if (!t) {
        cell.className = "cell empty";
      } else {
        cell.className = "cell" + (i <= p.commit ? " committed" : "") + (i <= p.applied ? " applied" : "");
        cell.style.background = termColour(t);
        cell.dataset.term = t;
        cell.title = `entry ${i}, term ${t}` + (i <= p.commit ? ", committed" : ", not committed") +
          (i <= p.applied ? ", applied" : "");
      }
      if (i % 10 === 0 || i === lo) cell.textContent = i;
      strip.appendChild(cell);
    }
    tr.querySelector(".marks").textContent = `last ${p.last} \u00b7 commit ${p.commit} \u00b7 applied ${p.applied}`;
    tr.dataset.commit = p.commit; tr.dataset.applied = p.applied; tr.dataset.last = p.last;
  }
  const log = document.getElementById("eventlog");
  log.textContent = "";
  for (const line of state.log.slice().reverse()) log.appendChild(h("li", {}, line));
  const elapsed = (performance.now() - statsSince) / 1000;
  if (elapsed > 2) {
    document.getElementById("msgstats").textContent =
      `messages: ${(sent / elapsed).toFixed(0)}/s sent, ${(drawn / elapsed).toFixed(0)}/s drawn` +
      (drawn < sent ? " (sampled: too many to draw)" : "") +
      (state.dropped + streamLost ? ` \u00b7 events lost by a slow reader: ${state.dropped + streamLost}` : "");
    sent = 0; drawn = 0; statsSince = performance.now();
  }
  syncMembers(false);
}

// poll fetches the model every POLL_MS. It is driven by animation frames
// as well as a timer: a browser may slow timers down (a headless one, a
// busy one) but not the frames of a visible page, and a countdown drawn
// from a stale model would lie.
const POLL_MS = 150;
let polling = false, polledAt = 0;
async function poll() {
  if (polling) return;
  polling = true; polledAt = performance.now();
  try {
    const r = await fetch("/api/state");
    state = await r.json();
    fetchedAt = performance.now();
    if (!Object.keys(pos).length) { build(); requestAnimationFrame(render); }
    renderStrips();
  } catch (e) { /* the server restarts or is gone: try again */ }
  polling = false;
}
function pollLoop() {
  if (performance.now() - polledAt >= POLL_MS) poll();
  setTimeout(pollLoop, POLL_MS);
}

// ---- messages ----
function msgClass(e) {
  if ((e.msg === "vote" || e.msg === "pre_vote_reply" || e.msg === "append_entries_reply") && !e.success) return "m-refused";
  return ["append_entries", "append_entries_reply", "request_vote", "pre_vote", "vote", "pre_vote_reply"]
    .includes(e.msg) ? "m-" + e.msg : "m-other";
}

function onSend(e) {
  sent++;
  if (!pos[e.from] || !pos[e.to] || dots.length >= MAX_DOTS) return;
  drawn++;
  const heartbeat = e.msg === "append_entries" && !e.last;
  const c = el("circle", { r: heartbeat ? 4 : 7, class: msgClass(e) }, document.getElementById("messages"));
  el("title", {}, c).textContent = `${e.msg} ${e.from}\u2192${e.to} term ${e.term}` + (e.last ? ` [${e.first || ""}..${e.last}]` : "");
  dots.push({ c, from: pos[e.from], to: pos[e.to], t0: performance.now(), dur: travelMs(), dropped: e.verdict === "drop" });
}

function animate(now) {
  for (let i = dots.length - 1; i >= 0; i--) {
    const d = dots[i];
    let f = (now - d.t0) / d.dur;
    const end = d.dropped ? 0.5 : 1;
    if (f >= end) {
      if (d.dropped && !d.x) {
        d.x = true;
        d.c.setAttribute("class", "m-refused");
        d.t0 = now - d.dur * 0.5;
      }
      if (!d.dropped || f >= 0.9) { d.c.remove(); dots.splice(i, 1); continue; }
      f = 0.5;
    }
    const dx = d.to.x - d.from.x, dy = d.to.y - d.from.y, len = Math.hypot(dx, dy);
    const s = R / len + f * (1 - 2 * R / len);
    d.c.setAttribute("cx", d.from.x + dx * s);
    d.c.setAttribute("cy", d.from.y + dy * s);
  }
  requestAnimationFrame(animate);
}

function flash(peer) {
  const g = document.getElementById("node-" + peer);
  if (!g) return;
  g.classList.remove("flashing");
  void g.getBoundingClientRect();
  g.classList.add("flashing");
}

function listen() {
  const es = new EventSource("/events?kind=send,kill,restart,start");
  es.onmessage = m => {
    const e = JSON.parse(m.data);
    streamLost += e.dropped || 0;
    if (e.kind === "send") onSend(e); else flash(e.peer);
  };
}

// ---- controls ----
document.getElementById("write-btn").addEventListener("click", async () => {
  const key = document.getElementById("write-key").value, value = document.getElementById("write-value").value;
  const res = document.getElementById("result");
  res.className = "hint"; res.textContent = "writing " + key + "=" + value + " ...";
  const r = await post("write", { key, value });
  if (r.ok) {
    res.className = "hint ok";
    res.dataset.index = r.index;
    res.textContent = `written ${key}=${value}: entry ${r.index} is committed (a majority has it).`;
  } else show(r);
});
document.getElementById("read-btn").addEventListener("click", async () => {
  const key = document.getElementById("write-key").value;
  const res = document.getElementById("result");
  const r = await post("read", { key });
  if (r.ok) {
    res.className = "hint ok";
    res.textContent = r.found ? `read ${key} = ${r.value} (linearizable)` : `${key} is not set`;
  } else show(r);
});
document.getElementById("members-btn").addEventListener("click", async () => {
  const peers = [...document.querySelectorAll("[data-member]:checked")].map(c => c.value).join(",");
  const res = document.getElementById("result");
  res.className = "hint"; res.textContent = "changing membership to " + peers + " ...";
  const r = await post("members", { peers });
  membersTouched = false;
  if (r.ok) { res.className = "hint ok"; res.textContent = "members: " + peers; } else show(r);
});
document.getElementById("members").addEventListener("change", () => { membersTouched = true; });
document.getElementById("apply-settings").addEventListener("click", async () => {
  const res = document.getElementById("result");
  res.className = "hint"; res.textContent = "restarting the peers ...";
  const slow = document.getElementById("slow").value, prevote = document.getElementById("prevote").checked;
  const r = await post("settings", { slow, prevote });
  if (r.ok) { res.className = "hint ok"; res.textContent = `restarted: slow motion x${slow}, PreVote ${prevote ? "on" : "off"}`; } else show(r);
});
document.getElementById("heal-all").addEventListener("click", () => post("healall").then(show));

pollLoop();
listen();
requestAnimationFrame(animate);
