/* api.js: how the page talks to the API, and where a job view's data comes from.
 *
 * The API key lives in sessionStorage only (this tab, gone when it closes) and travels in the
 * x-api-key header, never in a URL, so it stays out of history, referrers and server logs.
 * Requests use XMLHttpRequest rather than fetch because only XHR reports upload progress.
 * A job view reads its data through a "source": the API when served, or the data embedded
 * in report.html when opened from disk; the rest of the page cannot tell them apart. */
"use strict";

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const Api = (() => {
  const KEY_STORAGE = "drawings.apiKey";
  let onUnauthorized = () => {};

  function key() {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  }
  function setKey(value) {
    sessionStorage.setItem(KEY_STORAGE, value);
  }
  function forgetKey() {
    sessionStorage.removeItem(KEY_STORAGE);
  }

  function errorOf(xhr) {
    const body = xhr.responseType === "json" ? xhr.response : null;
    const error = body && body.error;
    if (error && error.code) {
      return new ApiError(xhr.status, error.code, error.message || "", error.details);
    }
    return new ApiError(xhr.status, "HTTP_" + xhr.status, xhr.statusText || "request failed");
  }

  /* One request. responseType: "json", "blob" or "text". */
  function request(method, path, options = {}) {
    const { body = null, responseType = "json", onUploadProgress } = options;
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, path);
      xhr.responseType = responseType;
      const current = key();
      if (current) xhr.setRequestHeader("x-api-key", current);
      if (onUploadProgress) {
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable) onUploadProgress(e.loaded / e.total);
        };
      }
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(xhr.response);
          return;
        }
        // A blob answer's error body is not parsed; its status says enough here.
        const error = errorOf(xhr);
        if (xhr.status === 401) onUnauthorized(error);
        reject(error);
      };
      xhr.onerror = () => reject(new ApiError(0, "NETWORK", "the server could not be reached"));
      xhr.send(body);
    });
  }

  /* Saves a response as a file: an <a download> over an object URL, because a plain link
   * could not carry the key header. */
  async function download(path, name) {
    const blob = await request("GET", path, { responseType: "blob" });
    const url = URL.createObjectURL(blob);
    clickDownload(url, name);
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function clickDownload(href, name) {
    const a = document.createElement("a");
    a.href = href;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  /* The data of a job view from the API. Images come as blobs (an <img src> could not send
   * the key) and are turned into object URLs. */
  function serverSource(jobId) {
    const base = "/results/" + encodeURIComponent(jobId);
    return {
      jobId,
      schedule: () => request("GET", base + "/components.json"),
      pages: () => request("GET", base + "/pages").then((list) => list.pages),
      imageUrl: (page) =>
        request("GET", page.image, { responseType: "blob" }).then((blob) => URL.createObjectURL(blob)),
      downloads: ["components.json", "schedule.csv", "schedule.xlsx"],
      download: (name) => download(base + "/" + name, name),
    };
  }

  /* The data embedded in report.html (see crates/api/src/ui.rs `report_html`). */
  function reportSource(data) {
    const files = new Map(data.downloads);
    return {
      jobId: data.job_id,
      fileName: data.file_name,
      schedule: () => Promise.resolve(data.schedule),
      pages: () => Promise.resolve(data.pages),
      imageUrl: (page) => Promise.resolve(page.image),
      downloads: data.downloads.map(([name]) => name),
      download: (name) => clickDownload(files.get(name), name),
    };
  }

  return {
    key,
    setKey,
    forgetKey,
    request,
    serverSource,
    reportSource,
    setOnUnauthorized: (f) => {
      onUnauthorized = f;
    },
  };
})();
