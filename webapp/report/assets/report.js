// The report page: its tabs (Details, Crash Annotations, Modules, ...).
import { setupAllTabs } from "../../crashstats/assets/lib/tabs.js";

document.addEventListener("DOMContentLoaded", () => setupAllTabs());
