/* schedule.js: the schedule beside the drawing. A table of components (filter by type, search,
 * sort by any column), the totals with each type's colour, the warnings, the details of the
 * selected component, and the downloads. Rows are focusable and Enter or Space selects, so the
 * whole view works from the keyboard. */
"use strict";

const Schedule = (() => {
  let components = [];
  let selected = -1;
  let sortKey = "page";
  let sortAscending = true;
  let onSelect = () => {};
  let colorOf = () => "#000";

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* A colour per type, spread around the hue circle in the order the types first appear. */
  function palette(types) {
    const colours = new Map();
    types.forEach((type, i) => colours.set(type, "hsl(" + Math.round((i * 137.508) % 360) + ", 80%, 42%)"));
    return (type) => colours.get(type) || "#444";
  }

  function location(c) {
    return c.location || "";
  }

  function where(c) {
    const b = c.bbox;
    return "page " + c.page + " at (" + Math.round(b.x0) + ", " + Math.round(b.y0) + ")–(" + Math.round(b.x1) + ", " + Math.round(b.y1) + ") pt";
  }

  function describe(c) {
    return c.id + " · " + c.type + " · " + (location(c) || "no location") + " · " + Math.round(c.confidence * 100) + " % · " + c.source + (c.evidence ? " · " + c.evidence : "");
  }

  function visible(index) {
    const c = components[index];
    const type = document.getElementById("type-filter").value;
    const query = document.getElementById("search-input").value.trim().toLowerCase();
    if (type && c.type !== type) return false;
    if (!query) return true;
    return [c.id, c.type, location(c), c.evidence || "", c.system || ""].some((v) => v.toLowerCase().includes(query));
  }

  function sortValue(c) {
    if (sortKey === "location") return location(c).toLowerCase();
    if (sortKey === "page" || sortKey === "confidence") return c[sortKey];
    return String(c[sortKey]).toLowerCase();
  }

  function renderRows() {
    const order = components.map((_, i) => i).filter(visible);
    order.sort((a, b) => {
      const x = sortValue(components[a]);
      const y = sortValue(components[b]);
      const cmp = x < y ? -1 : x > y ? 1 : a - b;
      return sortAscending ? cmp : -cmp;
    });
    const body = document.getElementById("schedule-body");
    body.replaceChildren();
    for (const index of order) {
      const c = components[index];
      const tr = el("tr");
      tr.tabIndex = 0;
      tr.dataset.index = index;
      tr.dataset.id = c.id;
      if (index === selected) {
        tr.classList.add("selected");
        tr.setAttribute("aria-selected", "true");
      }
      const idCell = el("td");
      const swatch = el("span", "swatch");
      swatch.style.borderColor = colorOf(c.type);
      idCell.append(swatch, c.id);
      tr.append(idCell, el("td", "", c.type), el("td", "", String(c.page)), el("td", "", location(c)), el("td", "", Math.round(c.confidence * 100) + " %"));
      body.appendChild(tr);
    }
    Viewer.filter(visible);
  }

  function renderDetails(c) {
    const box = document.getElementById("details");
    box.replaceChildren();
    const dl = el("dl");
    const fields = [
      ["Id", c.id],
      ["Type", c.type],
      ["System", c.system || ""],
      ["Location", location(c) || "—"],
      ["Where", where(c)],
      ["Confidence", Math.round(c.confidence * 100) + " %"],
      ["Source", c.source],
      ["Evidence", c.evidence || c.reason || "—"],
    ];
    for (const [name, value] of fields) dl.append(el("dt", "", name), el("dd", "", value));
    box.appendChild(dl);
  }

  /* Marks component `index` in the table (and scrolls its row into view when the box was
   * clicked) and shows its details. */
  function select(index, fromBox) {
    selected = index;
    for (const tr of document.querySelectorAll("#schedule-body tr.selected")) {
      tr.classList.remove("selected");
      tr.removeAttribute("aria-selected");
    }
    const row = document.querySelector('#schedule-body tr[data-index="' + index + '"]');
    if (row) {
      row.classList.add("selected");
      row.setAttribute("aria-selected", "true");
      if (fromBox) row.scrollIntoView({ block: "center" });
    }
    renderDetails(components[index]);
  }

  function load(schedule, source, select) {
    components = schedule.components;
    selected = -1;
    onSelect = select;
    const types = [...new Set(Object.keys(schedule.totals || {}).concat(components.map((c) => c.type)))];
    colorOf = palette(types);

    const filterSelect = document.getElementById("type-filter");
    filterSelect.replaceChildren(new Option("All types", ""));
    for (const type of types) filterSelect.appendChild(new Option(type, type));
    document.getElementById("search-input").value = "";

    const totals = document.getElementById("totals-body");
    totals.replaceChildren();
    for (const type of types) {
      const tr = el("tr");
      const name = el("td");
      const swatch = el("span", "swatch");
      swatch.style.borderColor = colorOf(type);
      name.append(swatch, type);
      const count = (schedule.totals && schedule.totals[type]) || components.filter((c) => c.type === type).length;
      tr.append(name, el("td", "", String(count)));
      totals.appendChild(tr);
    }
    const all = el("tr");
    all.append(el("th", "", "All"), el("th", "", String(components.length)));
    totals.appendChild(all);

    const warnings = document.getElementById("warnings");
    warnings.replaceChildren();
    for (const w of schedule.warnings || []) {
      warnings.appendChild(el("p", "", "⚠ " + (w.page ? "page " + w.page + ": " : "") + w.code + ": " + w.message));
    }

    const downloads = document.getElementById("downloads");
    downloads.replaceChildren(el("span", "muted", "Download:"));
    for (const name of source.downloads) {
      const button = el("button", "download", name.split(".").pop().toUpperCase());
      button.type = "button";
      button.dataset.file = name;
      button.setAttribute("aria-label", "Download " + name);
      button.addEventListener("click", () => source.download(name));
      downloads.appendChild(button);
    }
    document.getElementById("details").replaceChildren(el("p", "muted", "Select a component in the table or on the drawing."));
  }

  function init() {
    document.getElementById("type-filter").addEventListener("change", renderRows);
    document.getElementById("search-input").addEventListener("input", renderRows);
    for (const button of document.querySelectorAll("#schedule-table th button")) {
      button.addEventListener("click", () => {
        const key = button.dataset.sort;
        sortAscending = key === sortKey ? !sortAscending : true;
        sortKey = key;
        renderRows();
      });
    }
    const body = document.getElementById("schedule-body");
    body.addEventListener("click", (e) => {
      const tr = e.target.closest("tr");
      if (tr) onSelect(Number(tr.dataset.index), "row");
    });
    body.addEventListener("keydown", (e) => {
      const tr = e.target.closest("tr");
      if (!tr) return;
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        onSelect(Number(tr.dataset.index), "row");
      } else if (e.key === "ArrowDown" && tr.nextElementSibling) {
        e.preventDefault();
        tr.nextElementSibling.focus();
      } else if (e.key === "ArrowUp" && tr.previousElementSibling) {
        e.preventDefault();
        tr.previousElementSibling.focus();
      }
    });
  }

  return { init, load, render: renderRows, select, describe, colorOf: (type) => colorOf(type) };
})();
