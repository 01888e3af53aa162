/* main.js: starts the page. Served, it asks GET /health whether keys are on, asks for a key
 * if so, and routes between the jobs list (#) and a job view (#job/{id}); the key is never
 * in the hash. Opened as report.html, it shows the embedded job view and nothing else. */
"use strict";

(() => {
  const panels = ["key-panel", "home-panel", "job-panel"];
  let authOn = false;

  function show(panel) {
    for (const id of panels) document.getElementById(id).hidden = id !== panel;
  }

  function select(index, from) {
    Schedule.select(index, from === "box");
    Viewer.select(index, from === "row");
  }

  async function openJob(source, title) {
    Jobs.stop();
    show("job-panel");
    document.getElementById("job-title").textContent = title || source.jobId;
    const [schedule, pages] = await Promise.all([source.schedule(), source.pages()]);
    // The schedule sets the colours the viewer reads when it draws the boxes, and its rows
    // filter the boxes: load it, draw, then fill the table.
    Schedule.load(schedule, source, select);
    Viewer.load(pages, schedule, source, Schedule.colorOf, Schedule.describe, (index) => select(index, "box"));
    Schedule.render();
    document.body.dataset.jobLoaded = source.jobId;
    // Milliseconds from navigation to an interactive view, for the browser test to report.
    document.body.dataset.jobLoadedMs = Math.round(performance.now());
  }

  function route() {
    if (authOn && !Api.key()) {
      show("key-panel");
      document.getElementById("key-input").focus();
      return;
    }
    document.body.dataset.jobLoaded = "";
    const match = /^#job\/([0-9a-f]{32})$/.exec(location.hash);
    if (match) {
      // The title is the drawing's name once the status says it; the id until then.
      Api.request("GET", "/status/" + match[1])
        .then((view) => {
          if (view.file_name) document.getElementById("job-title").textContent = view.file_name;
        })
        .catch(() => {});
      openJob(Api.serverSource(match[1])).catch((error) => {
        show("home-panel");
        document.getElementById("jobs-error").textContent = "Could not open job: " + error.message;
        Jobs.start();
      });
      return;
    }
    document.getElementById("job-title").textContent = "";
    show("home-panel");
    Jobs.start();
  }

  function initKeyForm() {
    const form = document.getElementById("key-form");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const input = document.getElementById("key-input");
      Api.setKey(input.value.trim());
      try {
        await Api.request("GET", "/jobs?limit=1");
        input.value = "";
        document.getElementById("key-error").textContent = "";
        document.getElementById("forget-key").hidden = false;
        route();
      } catch (error) {
        Api.forgetKey();
        document.getElementById("key-error").textContent = error.status === 401 ? "That key was refused." : error.message;
      }
    });
    document.getElementById("forget-key").addEventListener("click", () => {
      Api.forgetKey();
      location.hash = "";
      location.reload();
    });
    Api.setOnUnauthorized(() => {
      if (!authOn) return;
      Api.forgetKey();
      Jobs.stop();
      route();
    });
  }

  async function start() {
    Viewer.init();
    Schedule.init();
    const embedded = document.getElementById("report-data");
    if (embedded) {
      const data = JSON.parse(embedded.textContent);
      document.getElementById("home-link").removeAttribute("href");
      await openJob(Api.reportSource(data), data.file_name);
      return;
    }
    Jobs.init((jobId) => {
      location.hash = "#job/" + jobId;
    });
    initKeyForm();
    try {
      const health = await Api.request("GET", "/health");
      authOn = health.auth === "on";
    } catch (_) {
      authOn = false;
    }
    document.getElementById("forget-key").hidden = !(authOn && Api.key());
    window.addEventListener("hashchange", route);
    route();
  }

  start();
})();
