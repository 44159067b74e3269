// Tandem's dashboard: one snapshot for the first paint, then the same pushed live (server-sent events read with
// fetch, so the bearer token travels in a header). Every page renders from the latest snapshot.
"use strict";

const state = { snapshot: null, page: "fleet", charts: {}, live: 0 };
window.tandemLive = 0; // snapshots received live; the browser tests watch it

function token() { return localStorage.getItem("tandem.token") || ""; }
function headers(extra) {
  const h = Object.assign({ Accept: "application/json" }, extra || {});
  if (token()) h.Authorization = "Bearer " + token();
  return h;
}
function esc(v) {
  return String(v === undefined || v === null ? "" : v).replace(/[&<>"']/g,
    c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function pct(v) { return v === null || v === undefined ? "" : (100 * v).toFixed(1) + "%"; }
function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? s + " s ago" : s < 3600 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
}
async function problemOf(response) {
  try { const p = await response.json(); return p.detail || p.title || response.statusText; }
  catch (e) { return response.status + " " + response.statusText; }
}
function showProblem(text) {
  const p = document.getElementById("problem");
  p.textContent = text || "";
  p.hidden = !text;
}

function chart(id, config) {
  const old = state.charts[id];
  if (old) {
    old.data.labels = config.data.labels;
    config.data.datasets.forEach((d, i) => {
      if (old.data.datasets[i]) { old.data.datasets[i].data = d.data; old.data.datasets[i].label = d.label; }
      else old.data.datasets.push(d);
    });
    old.data.datasets.length = config.data.datasets.length;
    old.update("none");
    return old;
  }
  const canvas = document.getElementById(id);
  config.options = Object.assign({ animation: false, maintainAspectRatio: false, responsive: true }, config.options || {});
  state.charts[id] = new Chart(canvas, config);
  return state.charts[id];
}

// Draws the drift onsets of a site as dashed vertical lines on its chart (a Chart.js plugin).
const onsetLines = {
  id: "onsetLines",
  afterDatasetsDraw(c, args, options) {
    const xs = options.times || [];
    const { ctx, chartArea, scales } = c;
    ctx.save();
    ctx.strokeStyle = "#b22222";
    ctx.setLineDash([5, 4]);
    xs.forEach(t => {
      const x = scales.x.getPixelForValue(t);
      if (x >= chartArea.left && x <= chartArea.right) {
        ctx.beginPath(); ctx.moveTo(x, chartArea.top); ctx.lineTo(x, chartArea.bottom); ctx.stroke();
      }
    });
    ctx.restore();
  }
};

const pages = {
  fleet(s) {
    const sum = s.summary;
    document.getElementById("fleet-cards").innerHTML = [
      ["devices", sum.devices], ["healthy", sum.healthy], ["degraded", sum.degraded], ["silent", sum.silent],
      ["sites", Object.keys(sum.bySite).length], ["versions running", Object.keys(sum.byVersion).length]
    ].map(([k, v]) => `<div class="card"><b>${esc(v)}</b>${esc(k)}</div>`).join("");
    const rows = s.devices.map(d => `<tr data-device="${esc(d.id)}"><td>${esc(d.id)}</td><td>${esc(d.site)}</td>` +
      `<td>${esc(d.version)}</td><td class="health-${esc(d.health)}">${esc(d.health)}</td><td>${esc(ago(d.lastSeenMs))}</td>` +
      `<td>${esc(d.queueDepth)}</td><td>${esc(d.inferences)}</td><td>${esc(d.uploads)}</td><td>${esc(d.rollbacks)}</td></tr>`);
    document.querySelector("#fleet tbody").innerHTML = rows.join("");
    chart("versions-chart", { type: "bar", data: { labels: Object.keys(sum.byVersion),
      datasets: [{ label: "devices per version", data: Object.values(sum.byVersion), backgroundColor: "#4fa3f7" }] } });
    chart("sites-chart", { type: "bar", data: { labels: Object.keys(sum.bySite),
      datasets: [{ label: "devices per site", data: Object.values(sum.bySite), backgroundColor: "#7cc47f" }] } });
  },
  models(s) {
    document.getElementById("families").innerHTML = s.models.map(f => {
      const rows = f.versions.map(v => {
        const acc = Object.entries(v.metrics).filter(([k]) => k.startsWith("accuracy"))
          .map(([k, x]) => `${esc(k)} ${pct(x)}`).join("<br>");
        const data = Object.entries(v.dataBySource).map(([k, n]) => `${esc(k)} ${esc(n)}`).join(", ");
        return `<tr><td>${esc(v.version)}</td><td>${esc(v.parentVersion)}</td><td>${esc(v.parentTeacher)}</td>` +
          `<td>${esc(v.quantization)}</td><td>${data}</td><td>${acc}</td><td>${esc(v.runningOn.length)}</td></tr>`;
      }).join("");
      return `<div class="family" data-family="${esc(f.modelId)}"><h2>${esc(f.modelId)} (${esc(f.role)}` +
        `${f.group ? ", site " + esc(f.group) : ""}): ${esc(f.devicesRunning)} devices</h2><table><thead><tr><th>version</th>` +
        `<th>previous</th><th>taught by</th><th>form</th><th>learnt from</th><th>metrics</th><th>devices</th></tr></thead>` +
        `<tbody>${rows}</tbody></table></div>`;
    }).join("") || "<p>No model registered yet.</p>";
  },
  rollouts(s) {
    const ended = st => ["COMPLETED", "STOPPED", "ABORTED"].includes(st);
    document.querySelector("#rollouts tbody").innerHTML = s.rollouts.map(p => {
      const waves = p.waves.map(w => `${esc(w.devices.length)} ${esc(w.state)}`).join(" / ");
      const acts = ended(p.state) ? "" : ["pause", "resume", "abort"].map(a =>
        `<button class="act" data-plan="${esc(p.id)}" data-act="${a}">${a}</button>`).join("");
      return `<tr data-plan="${esc(p.id)}"><td>${esc(p.id)}</td><td>${esc(p.spec.modelId)} ${esc(p.spec.version)}</td>` +
        `<td>${esc(p.target)}</td><td>${esc(p.state)}</td><td>${esc(p.currentWave + 1)} of ${esc(p.waves.length)}</td>` +
        `<td>${waves}</td><td>${esc(p.reason)}</td><td>${acts}</td></tr>`;
    }).join("") || `<tr><td colspan="8">No rollout plan yet.</td></tr>`;
  },
  loop(s) {
    const holder = document.getElementById("loop-charts");
    Object.entries(s.loop).forEach(([site, points]) => {
      const id = "loop-" + site.replace(/[^A-Za-z0-9_-]/g, "_");
      if (!document.getElementById(id)) {
        const div = document.createElement("div");
        div.className = "site-chart";
        div.innerHTML = `<canvas id="${id}" data-site="${esc(site)}"></canvas>`;
        holder.appendChild(div);
      }
      const labels = points.map(p => new Date(p.timeMs).toLocaleTimeString());
      const series = (k) => points.map(p => p[k]);
      const onsetIndexes = s.driftOnsets.filter(o => o.site === site)
        .map(o => points.findIndex(p => p.timeMs >= o.timeMs)).filter(i => i >= 0);
      const c = chart(id, { type: "line", data: { labels, datasets: [
        { label: "accuracy", data: series("accuracy"), borderColor: "#2e8b57", spanGaps: true },
        { label: "drift score", data: series("driftScore"), borderColor: "#b22222", spanGaps: true },
        { label: "escalation rate", data: series("escalationRate"), borderColor: "#c77700", spanGaps: true },
        { label: "upload rate", data: series("uploadRate"), borderColor: "#4fa3f7", spanGaps: true }] },
        options: { plugins: { title: { display: true, text: site ? "site " + site : "devices without a site" }, onsetLines: { times: onsetIndexes } },
          scales: { y: { min: 0, max: 1 } } }, plugins: [onsetLines] });
      c.options.plugins.onsetLines.times = onsetIndexes;
    });
    if (!Object.keys(s.loop).length) holder.innerHTML = "<p>No site has reported yet.</p>";
  },
  labels(s) {
    document.querySelector("#labels tbody").innerHTML = s.labelQueue.map(l => `<tr><td>${esc(l.key)}</td>` +
      `<td>${esc(l.site)}</td><td>${esc(l.device)}</td><td>${esc(l.teacherLabel)}</td>` +
      `<td>${esc(l.uncertainty.toFixed(3))}</td><td>${esc(l.priority.toFixed(3))}</td></tr>`).join("")
      || `<tr><td colspan="6">Nothing waits for a person.</td></tr>`;
  }
};

function render() {
  if (!state.snapshot) return;
  pages[state.page](state.snapshot);
}

function show(page) {
  state.page = pages[page] ? page : "fleet";
  document.querySelectorAll(".page").forEach(p => { p.hidden = p.id !== state.page; });
  document.querySelectorAll("nav a").forEach(a => a.classList.toggle("active", a.dataset.page === state.page));
  render();
}

function apply(snapshot) {
  state.snapshot = snapshot;
  render();
  if (window.tandemFirstDataMs === undefined) {
    window.tandemFirstDataMs = performance.now(); // first paint with data, from navigation start (bench/dashboard-load.sh)
  }
}

async function first() {
  const r = await fetch("/api/v1/dashboard", { headers: headers() });
  if (!r.ok) { showProblem("The service refused the dashboard: " + await problemOf(r)); return false; }
  showProblem("");
  apply(await r.json());
  return true;
}

// The live stream is cancelled when the page goes away: a browser holds few connections per host, and a stream
// left open by an earlier page would hold one of them until the server notices.
const liveStream = new AbortController();
window.addEventListener("pagehide", () => liveStream.abort());

async function listen() {
  const live = document.getElementById("live");
  for (let backoff = 1000; ; backoff = Math.min(30000, backoff * 2)) {
    try {
      const r = await fetch("/api/v1/dashboard/events", { headers: headers({ Accept: "text/event-stream" }),
        signal: liveStream.signal });
      if (!r.ok) { showProblem("Live updates refused: " + await problemOf(r)); }
      else {
        live.textContent = "live"; live.className = "live on"; backoff = 1000;
        const reader = r.body.getReader();
        const text = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += text.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = event.split("\n").filter(l => l.startsWith("data:")).map(l => l.slice(5)).join("\n");
            if (data.trim()) {
              apply(JSON.parse(data));
              window.tandemLive++;
              live.textContent = "live · " + new Date().toLocaleTimeString();
            }
          }
        }
      }
    } catch (e) {
      if (liveStream.signal.aborted) return; // the page is going away
      // the service went away: try again below
    }
    live.textContent = "reconnecting"; live.className = "live off";
    await new Promise(ok => setTimeout(ok, backoff));
  }
}

document.addEventListener("click", async e => {
  const b = e.target.closest("button.act");
  if (!b) return;
  const r = await fetch(`/api/v1/rollouts/${encodeURIComponent(b.dataset.plan)}/${b.dataset.act}`,
    { method: "POST", headers: headers() });
  showProblem(r.ok ? "" : `Cannot ${b.dataset.act} ${b.dataset.plan}: ${await problemOf(r)}`);
});
document.getElementById("token-form").addEventListener("submit", e => {
  e.preventDefault();
  localStorage.setItem("tandem.token", document.getElementById("token").value.trim());
  location.reload();
});
window.addEventListener("hashchange", () => show(location.hash.slice(1)));
show(location.hash.slice(1) || "fleet");
first().then(listen);
