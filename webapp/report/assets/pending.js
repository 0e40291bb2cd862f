// The pending page: ask every few seconds whether the processor has finished, then show the
// report. Keeps asking while the answer is "not yet"; stops and says so on any other error.

function poll(box) {
  const statusUrl = box.dataset.statusUrl;
  const reportUrl = box.dataset.reportUrl;
  const seconds = Number(box.dataset.pollSeconds) || 5;
  const status = document.getElementById("pending-status");
  let checks = 0;

  async function check() {
    checks += 1;
    let answer;
    try {
      const response = await fetch(statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      answer = await response.json();
    } catch (error) {
      status.textContent = `Stopped checking: ${error.message}. Reload the page to try again.`;
      return;
    }
    if (answer.processed) {
      status.textContent = "Processed: loading the report…";
      location.replace(reportUrl);
      return;
    }
    status.textContent = `Not processed yet (checked ${checks} time${checks === 1 ? "" : "s"}); checking again in ${seconds} seconds…`;
    setTimeout(check, seconds * 1000);
  }
  setTimeout(check, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("pending");
  if (box) poll(box);
});
