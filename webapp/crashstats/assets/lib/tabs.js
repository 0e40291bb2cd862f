// In-page tabs over server-rendered panels. The markup works without JavaScript (a list of
// links to the panels, every panel shown); this adds the ARIA tab roles, shows one panel at
// a time, keeps the choice in the URL fragment and supports the arrow keys.

export function setupTabs(container) {
  const list = container.querySelector(".tab-list");
  const links = [...list.querySelectorAll("a[href^='#']")];
  const panels = links.map((link) => document.getElementById(link.hash.slice(1)));
  list.setAttribute("role", "tablist");
  links.forEach((link, index) => {
    const panel = panels[index];
    link.parentElement.setAttribute("role", "presentation");
    link.setAttribute("role", "tab");
    link.id = link.id || `tab-${panel.id}`;
    link.setAttribute("aria-controls", panel.id);
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", link.id);
    panel.removeAttribute("aria-label");
    panel.tabIndex = 0;
  });

  function select(index, { focus = false, remember = true } = {}) {
    links.forEach((link, position) => {
      const selected = position === index;
      link.setAttribute("aria-selected", String(selected));
      link.tabIndex = selected ? 0 : -1;
      panels[position].hidden = !selected;
    });
    if (focus) links[index].focus();
    if (remember) history.replaceState(null, "", links[index].hash);
  }

  list.addEventListener("click", (event) => {
    const link = event.target.closest("a[role=tab]");
    if (!link) return;
    event.preventDefault();
    select(links.indexOf(link));
  });
  list.addEventListener("keydown", (event) => {
    const current = links.indexOf(document.activeElement);
    if (current < 0) return;
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -current, End: links.length - 1 - current };
    if (!(event.key in moves)) return;
    event.preventDefault();
    select((current + moves[event.key] + links.length) % links.length, { focus: true });
  });

  const fromHash = panels.findIndex((panel) => `#${panel.id}` === location.hash);
  select(Math.max(fromHash, 0), { remember: false });
}

export function setupAllTabs(root = document) {
  root.querySelectorAll("[data-tabs]").forEach(setupTabs);
}
