// Progressive enhancement only: the upload's progress bar and drag and drop, and a job's live state.
"use strict";

function text(tag, s) { const e = document.createElement(tag); e.textContent = s; return e; }

// a job waiting in the Ray cluster's queue says what for ("waiting for 1 GPU on the Ray cluster")
function progressText(p) {
  return p.message || (p.stage + " " + p.done + "/" + p.total);
}

function setupUpload() {
  const form = document.getElementById("upload");
  if (!form) return;
  const file = document.getElementById("file"), drop = document.getElementById("drop");
  const bar = document.getElementById("progress"), out = document.getElementById("upload-result");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    if (e.dataTransfer.files.length) file.files = e.dataTransfer.files;
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = document.getElementById("dataset-name").value.trim();
    if (!file.files.length || !name) return;
    const data = new FormData(); data.append("file", file.files[0]);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/ui/datasets/" + encodeURIComponent(name) + "/upload");
    xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    xhr.setRequestHeader("X-Requested-With", "fetch");
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) bar.value = 100 * ev.loaded / ev.total; };
    xhr.onload = () => {
      bar.value = 100;
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {error: {message: xhr.statusText}}; }
      out.hidden = false; out.replaceChildren();
      if (xhr.status >= 400) { const p = text("p", body.error.message); p.className = "error"; p.setAttribute("role", "alert"); out.append(p); return; }
      if (!body.invalid) { window.location = body.url; return; }
      const d = out.dataset;
      out.append(text("h2", body.invalid + " " + d.tRejected + " (" + d.tFirst + ")"));
      const list = document.createElement("ul"); list.className = "rejects";
      body.errors.forEach((line) => list.append(text("li", line)));
      out.append(list);
      const a = text("a", d.tRejects); a.href = body.rejects; out.append(a, text("span", " · "));
      const v = text("a", d.tOpen); v.href = body.url; out.append(v);
    };
    xhr.onerror = () => { out.hidden = false; out.replaceChildren(text("p", "network error")); };
    xhr.send(data);
  });
}

function setupJob() {
  const box = document.getElementById("job");
  if (!box || box.dataset.final === "yes") return;
  const stateEl = document.getElementById("job-state"), log = document.getElementById("job-log");
  const bar = document.getElementById("job-progress"), ptext = document.getElementById("job-progress-text");
  const tick = async () => {
    const r = await fetch("/ui/jobs/" + box.dataset.job + ".json", {headers: {"X-Requested-With": "fetch"}});
    if (!r.ok) return;
    const job = await r.json();
    stateEl.replaceChildren(stateBadge(box.dataset, job.state));
    if (job.progress) {
      bar.max = job.progress.total || 1; bar.value = job.progress.done || 0;
      ptext.textContent = progressText(job.progress);
    }
    log.textContent = job.log_tail.join("\n");
    if (FINAL.includes(job.state)) { window.location.reload(); return; }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}

const FINAL = ["succeeded", "failed", "cancelled"];

function stateBadge(labels, state) {
  const label = labels["t" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
  return Object.assign(text("span", label), {className: "badge state-" + state});
}

function setupJobList() {
  // the jobs page: each unfinished row follows its job in place (no reload) until it finishes
  const table = document.getElementById("jobs");
  if (!table) return;
  table.querySelectorAll("tr[data-live-job]").forEach((row) => {
    const tick = async () => {
      const r = await fetch("/ui/jobs/" + row.dataset.liveJob + ".json", {headers: {"X-Requested-With": "fetch"}});
      if (!r.ok) return;
      const job = await r.json();
      row.querySelector("[data-cell=state]").replaceChildren(stateBadge(table.dataset, job.state));
      if (job.progress) {
        row.querySelector("[data-cell=progress]").textContent = progressText(job.progress);
      }
      if (job.seconds) row.querySelector("[data-cell=seconds]").textContent = job.seconds;
      if (!FINAL.includes(job.state)) setTimeout(tick, 1000);
    };
    setTimeout(tick, 1000);
  });
}

document.addEventListener("DOMContentLoaded", () => { setupUpload(); setupJob(); setupJobList(); });
