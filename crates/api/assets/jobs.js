/* jobs.js: the home view. Upload (drop or choose one or several PDFs, optional client and
 * project, progress while the bytes go up) and the caller's jobs with live status. Each
 * upload is listed the moment it starts; the list then follows GET /jobs and GET /status.
 * Everything from the server is put in with textContent, never as HTML. */
"use strict";

const Jobs = (() => {
  const POLL_ACTIVE_MS = 1500;
  const POLL_IDLE_MS = 10000;
  /* Rows by key: a job id, or "upload-N" until the server has answered. */
  const rows = new Map();
  let uploads = 0;
  let pollTimer = null;
  let onOpen = () => {};

  /* What a person can do about a failure, by error code. */
  const ADVICE = {
    INVALID_PDF: "The file is not a readable PDF. Export it again from the drawing tool and submit it again.",
    ENCRYPTED_PDF: "The PDF is password-protected. Save a copy without the password and submit that.",
    TOO_MANY_PAGES: "The set has too many pages. Split it into smaller files and submit each.",
    PAGE_TOO_LARGE: "A page is larger than the limit. Export the sheet at its real size and submit again.",
    PAYLOAD_TOO_LARGE: "The file is too large. Reduce it (fewer pages, compressed images) and submit again.",
    EMPTY_BODY: "The file was empty. Choose the drawing again.",
    UNSUPPORTED_MEDIA_TYPE: "Only PDF files are processed. Export the drawing as PDF.",
    PROCESSING_TIMEOUT: "Processing took too long. Split the set into smaller files and submit again.",
    PAGE_TOO_COMPLEX: "A page is too complex to analyse. Split it or simplify the export and submit again.",
    CANCELLED: "The job was cancelled. Submit the file again if you still need it.",
  };

  function adviceFor(error) {
    if (ADVICE[error.code]) return ADVICE[error.code];
    if (error.retryable) return "This failure may be temporary: submit the same file again.";
    return "Submit the file again; if it fails the same way, report the job id to the operator.";
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function rowFor(key) {
    let row = rows.get(key);
    if (!row) {
      const li = el("li", "job");
      document.getElementById("job-list").prepend(li);
      row = { li, view: null, name: "" };
      rows.set(key, row);
    }
    return row;
  }

  function render(row) {
    const { li, view } = row;
    li.replaceChildren();
    const name = el("div", "name", (view && view.file_name) || row.name || (view && view.job_id) || "");
    li.appendChild(name);
    if (!view) {
      li.dataset.status = row.failed ? "failed" : "uploading";
      li.appendChild(el("div", "state", row.failed ? "upload failed" : "uploading " + Math.round(row.sent * 100) + " %"));
      if (row.failed) {
        const failure = el("div", "failure", row.failed.code + ": " + row.failed.message + " ");
        failure.appendChild(el("span", "advice", adviceFor(row.failed)));
        li.appendChild(failure);
      } else {
        const bar = el("progress");
        bar.max = 1;
        bar.value = row.sent;
        li.appendChild(bar);
      }
      return;
    }
    li.dataset.jobId = view.job_id;
    li.dataset.status = view.status;
    const p = view.progress || {};
    let state = view.status;
    if (view.current_stage && view.status === "processing") state += " · " + view.current_stage.replace(/_/g, " ");
    if (p.pages_total) state += " · page " + p.pages_done + " of " + p.pages_total;
    const right = el("div", "state");
    right.appendChild(el("span", "status-" + view.status, state));
    if (view.status === "completed") {
      const open = el("button", "open-job", "Open");
      open.type = "button";
      open.setAttribute("aria-label", "Open " + (view.file_name || view.job_id));
      open.addEventListener("click", () => onOpen(view.job_id));
      right.append(" ", open);
    }
    li.appendChild(right);
    if (view.status === "queued" || view.status === "processing") {
      const bar = el("progress");
      bar.max = 100;
      bar.value = p.percent || 0;
      bar.setAttribute("aria-label", "progress of " + (view.file_name || view.job_id));
      li.appendChild(bar);
    }
    if (view.error && (view.status === "failed" || view.status === "cancelled")) {
      const failure = el("div", "failure");
      failure.append(el("strong", "", view.error.code), ": " + view.error.message + " ");
      failure.appendChild(el("span", "advice", adviceFor(view.error)));
      li.appendChild(failure);
    }
    if (view.warnings && view.warnings.length) {
      const notes = el("ul", "notes");
      for (const w of view.warnings) {
        notes.appendChild(el("li", "", (w.page ? "page " + w.page + ": " : "") + w.code + ": " + w.message));
      }
      li.appendChild(notes);
    }
  }

  function show(view) {
    const row = rowFor(view.job_id);
    row.view = view;
    render(row);
  }

  function upload(file) {
    const key = "upload-" + ++uploads;
    const row = rowFor(key);
    row.name = file.name;
    row.sent = 0;
    render(row);
    const form = new FormData();
    const client = document.getElementById("client-input").value.trim();
    const project = document.getElementById("project-input").value.trim();
    if (client) form.append("client_name", client);
    if (project) form.append("project_name", project);
    form.append("drawing_file", file, file.name);
    Api.request("POST", "/process-drawing", {
      body: form,
      onUploadProgress: (fraction) => {
        row.sent = fraction;
        render(row);
      },
    })
      .then((accepted) => {
        // The row becomes the job's: same element, now keyed by its id.
        rows.delete(key);
        if (rows.has(accepted.job_id)) {
          // A poll listed the job first: keep that row.
          row.li.remove();
          return undefined;
        }
        rows.set(accepted.job_id, row);
        row.view = { job_id: accepted.job_id, status: accepted.status, file_name: file.name, progress: {} };
        render(row);
        return Api.request("GET", "/status/" + accepted.job_id).then(show);
      })
      .catch((error) => {
        row.failed = error;
        render(row);
      })
      .finally(schedulePoll);
  }

  async function poll() {
    pollTimer = null;
    try {
      const list = await Api.request("GET", "/jobs");
      document.getElementById("jobs-error").textContent = "";
      // Oldest first, so prepending leaves the newest on top.
      for (const view of list.jobs.slice().reverse()) show(view);
    } catch (error) {
      document.getElementById("jobs-error").textContent = "Could not list jobs: " + error.message;
    }
    schedulePoll();
  }

  function schedulePoll() {
    if (pollTimer) clearTimeout(pollTimer);
    const active = [...rows.values()].some(
      (r) => !r.failed && (!r.view || r.view.status === "queued" || r.view.status === "processing"),
    );
    pollTimer = setTimeout(poll, active ? POLL_ACTIVE_MS : POLL_IDLE_MS);
  }

  function acceptFiles(files) {
    for (const file of files) upload(file);
  }

  function init(open) {
    onOpen = open;
    const zone = document.getElementById("drop-zone");
    const input = document.getElementById("file-input");
    input.addEventListener("change", () => {
      acceptFiles(input.files);
      input.value = "";
    });
    zone.addEventListener("dragover", (e) => {
      e.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      acceptFiles(e.dataTransfer.files);
    });
    // The label is a button to a keyboard user too.
    document.querySelector(".file-label").addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        input.click();
      }
    });
  }

  return {
    init,
    start: poll,
    stop: () => {
      if (pollTimer) clearTimeout(pollTimer);
      pollTimer = null;
    },
  };
})();
