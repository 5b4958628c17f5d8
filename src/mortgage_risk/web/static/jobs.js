// Polls a background job's progress and updates the page in place (the page also works without
// JavaScript: it then refreshes itself every two seconds while the job runs).
(function () {
  "use strict";
  const box = document.getElementById("job");
  if (!box) return;
  const id = box.dataset.job;
  const statusEl = document.getElementById("job-status");
  const labels = JSON.parse(statusEl.dataset.labels || "{}");
  function show(job) {
    statusEl.textContent = labels[job.status] || job.status;
    const stageEl = document.getElementById("job-stage");
    const stages = JSON.parse(stageEl.dataset.labels || "{}");
    const key = (job.stage || "").split(" ")[0];
    stageEl.textContent = stages[key] || job.stage || "";
    const bar = document.getElementById("job-progress");
    bar.value = job.percent;
    bar.textContent = job.percent + "%";
    document.getElementById("job-percent").textContent = job.percent + "%";
    const err = document.getElementById("job-error");
    if (job.error) { err.textContent = job.error; err.hidden = false; }
    if (job.status === "done") { window.location.reload(); }
    return job.status === "queued" || job.status === "running";
  }
  function poll() {
    fetch("/api/v1/jobs/" + encodeURIComponent(id), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) { if (job && show(job)) { setTimeout(poll, 700); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  if (box.dataset.status === "queued" || box.dataset.status === "running") { setTimeout(poll, 300); }
})();
