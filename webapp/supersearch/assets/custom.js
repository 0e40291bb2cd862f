// The custom query page: run the query from the page and show the backend's answer below it.
// Without JavaScript the form posts to /search/query/ and the browser shows the JSON answer.
import { readJsonAnswer } from "../../crashstats/assets/lib/json_answer.js";

// SQLite answers ({columns, rows}) also show as a table; values are set as text, never markup.
function showRows(container, parsed) {
  container.replaceChildren();
  container.hidden = !(parsed && Array.isArray(parsed.columns) && Array.isArray(parsed.rows));
  if (container.hidden) return;
  const table = document.createElement("table");
  table.className = "wide-table";
  const head = table.createTHead().insertRow();
  for (const name of parsed.columns) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = name;
    head.appendChild(cell);
  }
  const body = table.createTBody();
  for (const row of parsed.rows) {
    const line = body.insertRow();
    for (const value of row) line.insertCell().textContent = value === null ? "" : String(value);
  }
  container.appendChild(table);
}

async function run(form) {
  const status = document.getElementById("custom-status");
  const answer = document.getElementById("custom-answer");
  const rows = document.getElementById("custom-rows");
  status.textContent = "Running…";
  answer.hidden = true;
  rows.hidden = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
    });
    const { value: parsed, text } = await readJsonAnswer(response, 500000);
    if (response.ok) {
      status.textContent = `${response.status} ${response.statusText}`;
      showRows(rows, parsed);
    } else {
      const reason = parsed && parsed.error ? parsed.error : response.statusText;
      status.textContent = `${response.status}: ${reason}`;
    }
    answer.textContent = text;
    answer.hidden = false;
  } catch (error) {
    status.textContent = `The request failed: ${error.message}`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("custom-query");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(form);
  });
});
