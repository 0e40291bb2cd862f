// The API reference's "Try it" forms: send the request from the page and show the answer.
// Without JavaScript a GET form simply opens the JSON answer.
import { readJsonAnswer } from "../../crashstats/assets/lib/json_answer.js";

function requestFor(form) {
  const method = form.dataset.method;
  const data = new FormData(form);
  const extra = data.get("_extra") || "";
  const body = data.get("_body");
  data.delete("_extra");
  data.delete("_body");
  const params = new URLSearchParams();
  for (const [name, value] of data) if (value !== "") params.append(name, value);
  for (const line of extra.split(/\r?\n|&/)) {
    const at = line.indexOf("=");
    if (at > 0) params.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  const url = new URL(form.getAttribute("action"), location.href);
  if (method === "GET") {
    url.search = params.toString();
    return { url, init: { method } };
  }
  if (form.hasAttribute("data-json-body")) {
    return { url, init: { method, body, headers: { "Content-Type": "application/json" } } };
  }
  return { url, init: { method, body: params } };
}

async function send(form) {
  const output = form.querySelector("output");
  const status = output.querySelector("[data-status]");
  const text = output.querySelector("[data-body-out]");
  const { url, init } = requestFor(form);
  output.hidden = false;
  status.textContent = `${init.method} ${url.pathname}${url.search} …`;
  try {
    const response = await fetch(url, { ...init, headers: { Accept: "application/json", ...(init.headers || {}) } });
    const answer = await readJsonAnswer(response, 200000);
    status.textContent = `${init.method} ${url.pathname}${url.search} → ${response.status} ${response.statusText}`;
    text.textContent = answer.text;
  } catch (error) {
    status.textContent = `The request failed: ${error.message}`;
    text.textContent = "";
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-try-it]");
  if (!form) return;
  event.preventDefault();
  send(form);
});
