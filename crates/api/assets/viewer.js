/* viewer.js: the drawing pages, stacked, each image with an SVG overlay holding one <rect>
 * per component, and a hand-written pan and zoom.
 *
 * The overlay's viewBox is the page in PDF points, the same space as a component's bbox, and
 * it is stretched over the image; the image and the overlay sit in one "surface" that a CSS
 * transform scales and moves, so boxes stay on their devices at every zoom without any
 * arithmetic per box. A page is PAGE_WIDTH surface pixels wide at scale 1.
 *
 * Deep zoom: where the pages were cut into full-resolution tiles, each tile is an image
 * placed over its part of the page (its position in points, as the API lists it), fetched
 * only once the zoom shows the page sharper than its image holds and the tile is in view;
 * the page image stays beneath as the coarse level. */
"use strict";

const Viewer = (() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const PAGE_WIDTH = 1000;
  const PAGE_GAP = 24;
  const MIN_SCALE = 0.05;
  const MAX_SCALE = 40;
  let viewport;
  let surface;
  let tooltip;
  let view = { scale: 1, x: 0, y: 0 };
  /* Box elements by component index. */
  let boxes = [];
  let components = [];
  let onSelect = () => {};
  let describe = () => "";
  /* Tiles not yet fetched: { img, tile, base } (base: the page image beneath). */
  let pendingTiles = [];
  let imageSource = null;
  let tileTimer = 0;

  function apply() {
    surface.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.scale + ")";
    // Once the view settles, not at every step of a wheel turn.
    clearTimeout(tileTimer);
    tileTimer = setTimeout(fetchTilesInView, 120);
  }

  /* Fetches the tiles that are in view where the page is shown sharper than its image. */
  function fetchTilesInView() {
    const area = viewport.getBoundingClientRect();
    const shownWidth = PAGE_WIDTH * view.scale * (window.devicePixelRatio || 1);
    pendingTiles = pendingTiles.filter((t) => {
      if (!t.base.naturalWidth || shownWidth <= t.base.naturalWidth * 1.25) return true;
      const r = t.img.getBoundingClientRect();
      const inView = r.right > area.left && r.left < area.right && r.bottom > area.top && r.top < area.bottom;
      if (!inView) return true;
      imageSource.imageUrl(t.tile).then((url) => {
        t.img.src = url;
      });
      return false;
    });
  }

  function tileImage(page, tile) {
    const img = document.createElement("img");
    img.className = "tile";
    img.alt = "";
    img.draggable = false;
    img.dataset.tile = tile.tile;
    const percent = (v, of) => (100 * v) / of + "%";
    img.style.left = percent(tile.x_pt, page.width_pt);
    img.style.top = percent(tile.y_pt, page.height_pt);
    img.style.width = percent(tile.width_pt, page.width_pt);
    img.style.height = percent(tile.height_pt, page.height_pt);
    return img;
  }

  function zoomAt(factor, cx, cy) {
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
    // Keep the surface point under (cx, cy) where it is.
    view.x = cx - (cx - view.x) * (scale / view.scale);
    view.y = cy - (cy - view.y) * (scale / view.scale);
    view.scale = scale;
    apply();
  }

  function fitScale() {
    return Math.max(MIN_SCALE, (viewport.clientWidth - 2 * PAGE_GAP) / PAGE_WIDTH);
  }

  function fit() {
    view = { scale: fitScale(), x: PAGE_GAP, y: PAGE_GAP };
    apply();
  }

  /* Builds the pages. `colorOf(type)` colours a box; `describeFn(component)` is its tooltip. */
  function load(pages, schedule, source, colorOf, describeFn, select) {
    components = schedule.components;
    onSelect = select;
    describe = describeFn;
    boxes = new Array(components.length);
    imageSource = source;
    pendingTiles = [];
    surface.replaceChildren();
    for (const page of pages) {
      const div = document.createElement("div");
      div.className = "page";
      div.dataset.page = page.page;
      div.style.width = PAGE_WIDTH + "px";
      div.style.height = (PAGE_WIDTH * page.height_pt) / page.width_pt + "px";
      const label = document.createElement("span");
      label.className = "page-label";
      label.textContent = "Page " + page.page;
      const img = document.createElement("img");
      img.className = "page-image";
      img.alt = "Page " + page.page + " of the drawing";
      img.draggable = false;
      source.imageUrl(page).then((url) => {
        img.src = url;
      });
      const svg = document.createElementNS(SVG_NS, "svg");
      svg.setAttribute("viewBox", "0 0 " + page.width_pt + " " + page.height_pt);
      svg.setAttribute("preserveAspectRatio", "none");
      components.forEach((c, index) => {
        if (c.page !== page.page) return;
        const rect = document.createElementNS(SVG_NS, "rect");
        rect.setAttribute("class", "box");
        rect.setAttribute("x", c.bbox.x0);
        rect.setAttribute("y", c.bbox.y0);
        rect.setAttribute("width", Math.max(0, c.bbox.x1 - c.bbox.x0));
        rect.setAttribute("height", Math.max(0, c.bbox.y1 - c.bbox.y0));
        rect.style.stroke = colorOf(c.type);
        rect.dataset.index = index;
        rect.dataset.id = c.id;
        rect.addEventListener("mouseenter", (e) => showTooltip(index, e));
        rect.addEventListener("mousemove", (e) => showTooltip(index, e));
        rect.addEventListener("mouseleave", hideTooltip);
        svg.appendChild(rect);
        boxes[index] = rect;
      });
      const tiles = (page.tiles || []).map((tile) => {
        const t = { img: tileImage(page, tile), tile, base: img };
        pendingTiles.push(t);
        return t.img;
      });
      div.append(label, img, ...tiles, svg);
      surface.appendChild(div);
    }
    fit();
  }

  function showTooltip(index, e) {
    // Placed in the viewer column's coordinates (the tooltip's offset parent).
    const area = tooltip.parentElement.getBoundingClientRect();
    tooltip.textContent = describe(components[index]);
    tooltip.hidden = false;
    tooltip.style.left = e.clientX - area.left + 14 + "px";
    tooltip.style.top = e.clientY - area.top + 14 + "px";
  }

  function hideTooltip() {
    tooltip.hidden = true;
  }

  /* Marks the box of component `index`, and centres it when asked (selection from the
   * table), zooming in to at least twice the fit so a small device is readable. */
  function select(index, centre) {
    for (const b of surface.querySelectorAll(".box.selected")) b.classList.remove("selected");
    const box = boxes[index];
    if (!box) return;
    box.classList.add("selected");
    // Drawn last so it is on top of its neighbours.
    box.parentNode.appendChild(box);
    if (!centre) return;
    const c = components[index];
    const page = box.closest(".page");
    const svg = box.ownerSVGElement.viewBox.baseVal;
    const perPoint = PAGE_WIDTH / svg.width;
    const sx = page.offsetLeft + ((c.bbox.x0 + c.bbox.x1) / 2) * perPoint;
    const sy = page.offsetTop + ((c.bbox.y0 + c.bbox.y1) / 2) * perPoint;
    view.scale = Math.max(view.scale, fitScale() * 2);
    view.x = viewport.clientWidth / 2 - sx * view.scale;
    view.y = viewport.clientHeight / 2 - sy * view.scale;
    apply();
  }

  /* Shows only the boxes whose component passes `visible(index)`. */
  function filter(visible) {
    boxes.forEach((box, index) => {
      if (box) box.classList.toggle("dimmed", !visible(index));
    });
  }

  function init() {
    viewport = document.getElementById("viewport");
    surface = document.getElementById("surface");
    tooltip = document.getElementById("tooltip");
    let drag = null;
    viewport.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false, target: e.target };
    });
    viewport.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) viewport.setPointerCapture(e.pointerId);
      drag.moved = true;
      viewport.classList.add("dragging");
      view.x = drag.vx + dx;
      view.y = drag.vy + dy;
      apply();
    });
    const end = () => {
      if (drag && !drag.moved && drag.target.classList && drag.target.classList.contains("box")) {
        onSelect(Number(drag.target.dataset.index));
      }
      drag = null;
      viewport.classList.remove("dragging");
    };
    viewport.addEventListener("pointerup", end);
    viewport.addEventListener("pointercancel", () => {
      drag = null;
      viewport.classList.remove("dragging");
    });
    viewport.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const area = viewport.getBoundingClientRect();
        zoomAt(Math.exp(-e.deltaY * 0.002), e.clientX - area.left, e.clientY - area.top);
      },
      { passive: false },
    );
    viewport.addEventListener("keydown", (e) => {
      const step = 60;
      const mid = [viewport.clientWidth / 2, viewport.clientHeight / 2];
      const keys = {
        "+": () => zoomAt(1.25, ...mid),
        "=": () => zoomAt(1.25, ...mid),
        "-": () => zoomAt(0.8, ...mid),
        0: fit,
        ArrowLeft: () => (view.x += step),
        ArrowRight: () => (view.x -= step),
        ArrowUp: () => (view.y += step),
        ArrowDown: () => (view.y -= step),
      };
      if (!keys[e.key]) return;
      e.preventDefault();
      keys[e.key]();
      apply();
    });
    document.getElementById("zoom-in").addEventListener("click", () => zoomAt(1.25, viewport.clientWidth / 2, viewport.clientHeight / 2));
    document.getElementById("zoom-out").addEventListener("click", () => zoomAt(0.8, viewport.clientWidth / 2, viewport.clientHeight / 2));
    document.getElementById("zoom-fit").addEventListener("click", fit);
  }

  return { init, load, select, filter, fit };
})();
