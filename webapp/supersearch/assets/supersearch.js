// Super Search: the field builder (operators follow the chosen field, lines are added and
// removed), result tabs, and paging or sorting without reloading the form. Everything here
// also works without JavaScript: the form submits its lines and the server builds the URL.
import { builderFields, setupBuilder } from "../../crashstats/assets/lib/builder.js";
import { setupAllTabs } from "../../crashstats/assets/lib/tabs.js";

function setupResultPaging(container) {
  const resultsPath = container.dataset.resultsPath;
  const searchPath = container.dataset.searchPath;

  async function load(href, push) {
    const url = new URL(href, location.href);
    container.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`${resultsPath}${url.search}`, { headers: { "X-Requested-With": "XMLHttpRequest" } });
      if (response.status === 429) throw new Error("too many searches in a short time; wait a minute");
      container.innerHTML = await response.text();
      setupAllTabs(container);
      if (push) history.pushState({ results: true }, "", url);
    } catch (error) {
      location.assign(url);
    } finally {
      container.removeAttribute("aria-busy");
    }
  }

  container.addEventListener("click", (event) => {
    const link = event.target.closest(".pagination a, .crash-table th a");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const url = new URL(link.href, location.href);
    if (url.pathname !== searchPath) return;
    event.preventDefault();
    load(link.href, true);
  });
  window.addEventListener("popstate", () => load(location.href, false));
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.getElementById("filter-rows")) setupBuilder(builderFields());
  const results = document.getElementById("search-results");
  if (results) {
    setupAllTabs(results);
    setupResultPaging(results);
  }
});
