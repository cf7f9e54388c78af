// The storyboard of one step: bands of blocks (matrices) and operators, drawn from the data the
// server sends (charts/storyboard.py). Every text goes in with textContent, never as HTML: feature
// names come from uploaded files. A click (or Enter) on a cell reports the cell; the server
// explains it and sends it back as `pick` with the cells it comes from as `highlight`.

const ALL = -1;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function marked(cells, r, c) {
  return (cells || []).some(([i, j]) => (i === ALL || i === r) && (j === ALL || j === c));
}

function table(block, data, report) {
  const t = el("table");
  const caption = el("caption");
  const title = el("span", "name", block.name);
  caption.append(title, el("span", "shape", ` ${block.shape}`));
  if (block.formula) caption.append(el("span", "formula", ` ${block.formula}`));
  t.append(caption);
  if (block.cols) {
    const head = el("tr");
    if (block.rows) head.append(el("th", "corner"));
    for (const col of block.cols) {
      const th = el("th", null, col);
      th.scope = "col";
      head.append(th);
    }
    const thead = el("thead");
    thead.append(head);
    t.append(thead);
  }
  const body = el("tbody");
  const pick = data.pick && data.pick[0] === block.id ? data.pick : null;
  const sources = data.highlight[block.id];
  block.cells.forEach((row, r) => {
    const tr = el("tr");
    if (block.rows) {
      const th = el("th", null, block.rows[r]);
      th.scope = "row";
      tr.append(th);
    }
    row.forEach(([text, colour, full], c) => {
      const td = el("td", null, text);
      td.style.background = colour;
      td.dataset.block = block.id;
      td.dataset.row = r;
      td.dataset.col = c;
      td.title = `${block.name} row ${r + 1}, column ${c + 1} = ${full}. Click to explain.`;
      td.tabIndex = -1;
      if (pick && pick[1] === r && pick[2] === c) td.classList.add("picked");
      else if (marked(sources, r, c)) td.classList.add("source");
      tr.append(td);
    });
    body.append(tr);
  });
  if (block.hidden_rows > 0) {
    const tr = el("tr", "more");
    const td = el("td", null, "⋮");
    td.colSpan = block.cells[0].length + (block.rows ? 1 : 0);
    tr.append(td);
    body.append(tr);
  }
  t.append(body);
  const first = t.querySelector("td.picked") || t.querySelector("td");
  if (first) first.tabIndex = 0;
  t.addEventListener("click", (event) => {
    const td = event.target.closest("td[data-block]");
    if (td) report(td);
  });
  t.addEventListener("keydown", (event) => move(event, t, report));
  return t;
}

// Arrow keys move between the cells of one matrix; Enter or Space explains the focused one.
function move(event, t, report) {
  const td = event.target.closest("td[data-block]");
  if (!td) return;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    report(td);
    return;
  }
  const steps = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  const step = steps[event.key];
  if (!step) return;
  const r = Number(td.dataset.row) + step[0];
  const c = Number(td.dataset.col) + step[1];
  const next = t.querySelector(`td[data-row="${r}"][data-col="${c}"]`);
  if (!next) return;
  event.preventDefault();
  td.tabIndex = -1;
  next.tabIndex = 0;
  next.focus();
}

function item(entry, data, report) {
  if (entry.kind === "op") {
    const box = el("div", "op");
    if (entry.label) box.append(el("span", "label", entry.label));
    box.append(el("span", entry.symbol === "→" ? "symbol arrow" : "symbol", entry.symbol));
    return box;
  }
  if (entry.kind === "group") {
    const box = el("div", "group");
    for (const inner of entry.blocks) box.append(item(inner, data, report));
    return box;
  }
  const box = el("figure", "block");
  box.dataset.block = entry.id;
  box.append(table(entry, data, report));
  if (entry.meaning) box.append(el("figcaption", "meaning", entry.meaning));
  return box;
}

// Which of the batch's rows are shown, and the button for the others.
function footer(data, setTriggerValue) {
  const box = el("div", "footer");
  const rows = (n) => `${n.toLocaleString("en")} row${n === 1 ? "" : "s"}`;
  box.append(
    el("span", null, `Rows 1 to ${data.rows_shown} of the batch's ${rows(data.batch_rows)}.`)
  );
  const more = data.more_rows;
  const label = data.expanded
    ? "Show the first rows only"
    : `… ${more.toLocaleString("en")} more row${more === 1 ? "" : "s"}`;
  if (data.expanded || data.more_rows > 0) {
    const button = el("button", "more-rows", label);
    button.type = "button";
    button.addEventListener("click", () =>
      setTriggerValue("rows", data.expanded ? "first" : "all")
    );
    box.append(button);
  }
  return box;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".storyboard");
  if (!root || !data) return;
  const focused = root.querySelector("td:focus");
  const refocus = focused && [focused.dataset.block, focused.dataset.row, focused.dataset.col];
  const report = (td) =>
    setTriggerValue("pick", {
      block: td.dataset.block,
      row: Number(td.dataset.row),
      col: Number(td.dataset.col),
    });
  root.classList.toggle("presenting", Boolean(data.presenting));
  const bands = [];
  for (const band of data.bands) {
    const section = el("section", "band");
    section.dataset.band = band.id;
    section.setAttribute("aria-label", band.title);
    section.append(el("h3", null, band.title));
    const flow = el("div", "flow");
    for (const entry of band.items) flow.append(item(entry, data, report));
    section.append(flow);
    bands.push(section);
  }
  if (data.more_rows > 0 || data.expanded) bands.push(footer(data, setTriggerValue));
  root.replaceChildren(...bands);
  if (refocus) {
    const [b, r, c] = refocus;
    const again = root.querySelector(`td[data-block="${b}"][data-row="${r}"][data-col="${c}"]`);
    if (again) {
      again.tabIndex = 0;
      again.focus();
    }
  }
}
