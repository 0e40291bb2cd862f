// The signature report: tabs load as HTML fragments (and the address follows, so every view
// can be shared), forms and page links inside a tab reload only the tab, and the Graphs tab
// draws its crashes-per-day chart with Chart.js from the data the fragment carries.
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { builderFields, setupBuilder } from "../../crashstats/assets/lib/builder.js";

Chart.register(CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
let chart = null;

function drawGraph(panel) {
  const data = panel.querySelector("#signature-graph-data");
  const canvas = panel.querySelector("#signature-graph");
  if (chart) {
    chart.destroy();
    chart = null;
  }
  if (!data || !canvas) return;
  const graph = JSON.parse(data.textContent);
  chart = new Chart(canvas, {
    type: "line",
    data: {
      labels: graph.days.map((day) => day.date),
      datasets: graph.terms.map((term, index) => ({
        label: term,
        data: graph.days.map((day) => day.counts[index]),
        borderColor: COLORS[index % COLORS.length],
        backgroundColor: COLORS[index % COLORS.length],
        tension: 0.2,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, title: { display: true, text: "crashes" } } },
    },
  });
  canvas.dataset.drawn = "true";
}

// /signature/?signature=..&tab=reports&page=2 -> /signature/reports/?signature=..&page=2
function fragmentUrl(href, base) {
  const url = new URL(href, location.href);
  const params = url.searchParams;
  const tab = params.get("tab") || "summary";
  const field = params.get("field");
  params.delete("tab");
  params.delete("field");
  const paths = {
    aggregations: `aggregation/${encodeURIComponent(field || "product")}/`,
    graphs: `graph/${encodeURIComponent(field || "product")}/`,
  };
  return { tab, url: `${base}${paths[tab] || `${tab}/`}?${params}` };
}

function setupTabs(container) {
  const panel = container.querySelector("#tab-panel");
  const links = [...container.querySelectorAll(".tab-list a[data-tab]")];
  const base = container.dataset.base;

  function markActive(tab) {
    links.forEach((link) => {
      const active = link.dataset.tab === tab;
      link.classList.toggle("active", active);
      if (active) {
        link.setAttribute("aria-current", "page");
        panel.setAttribute("aria-labelledby", link.id);
      } else {
        link.removeAttribute("aria-current");
      }
    });
  }

  async function show(href, push) {
    const { tab, url } = fragmentUrl(href, base);
    markActive(tab);
    panel.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, { headers: { "X-Requested-With": "XMLHttpRequest" } });
      const text = await response.text();
      if (!response.ok && !text.includes("data-tab-content")) {
        panel.replaceChildren(Object.assign(document.createElement("p"), {
          className: "notice notice-error",
          textContent: `This tab could not be loaded (the server answered ${response.status}).`,
        }));
      } else {
        panel.innerHTML = text;
      }
      if (push) history.pushState({ tab }, "", href);
      drawGraph(panel);
    } catch (error) {
      location.assign(href);
    } finally {
      panel.removeAttribute("aria-busy");
    }
  }

  container.querySelector(".tab-list").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-tab]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    show(link.href, true);
  });
  panel.addEventListener("click", (event) => {
    const link = event.target.closest(".pagination a, .crash-table th a");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    show(link.href, true);
  });
  panel.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-tab-form]");
    if (!form) return;
    event.preventDefault();
    const url = new URL(form.action, location.href);
    url.search = new URLSearchParams(new FormData(form)).toString();
    show(url.href, true);
  });
  panel.addEventListener("change", (event) => {
    if (event.target.matches("select[name=field]")) event.target.form.requestSubmit();
  });
  window.addEventListener("popstate", () => show(location.href, false));
  drawGraph(panel);
}

document.addEventListener("DOMContentLoaded", () => {
  const tabs = document.getElementById("signature-tabs");
  if (tabs) setupTabs(tabs);
  if (document.getElementById("filter-rows")) setupBuilder(builderFields());
});
