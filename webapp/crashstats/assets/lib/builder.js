// The Super Search field builder (Super Search and signature report filter forms): the
// operator menu follows the chosen field, valueless operators disable the value, lines are
// added and removed. Without JavaScript the form still submits its lines.

// The page carries {"fields": {name: type}, "types": {type: {operators, valueless}}}.
export function builderFields() {
  const data = document.getElementById("builder-fields");
  return data ? JSON.parse(data.textContent) : { fields: {}, types: {} };
}

export function setupBuilder(spec) {
  const operatorsOf = (row) => spec.types[spec.fields[row.querySelector("[data-field]").value]];
  const rows = document.getElementById("filter-rows");
  const template = document.getElementById("filter-row-template");
  const add = document.getElementById("add-row");

  function syncValue(row) {
    const operator = row.querySelector("[data-operator]");
    const value = row.querySelector("[data-value]");
    const kind = operatorsOf(row);
    const valueless = kind ? kind.valueless.includes(operator.value) : false;
    value.disabled = valueless;
    if (valueless) value.value = "";
  }

  function syncOperators(row) {
    const kind = operatorsOf(row);
    const operator = row.querySelector("[data-operator]");
    if (!kind) return;
    const previous = operator.value;
    operator.replaceChildren(
      ...kind.operators.map((choice) => {
        const option = document.createElement("option");
        option.value = choice.value;
        option.textContent = choice.label;
        option.selected = choice.value === previous;
        return option;
      }),
    );
    syncValue(row);
  }

  function enhance(row) {
    const remove = row.querySelector("[data-remove-row]");
    remove.hidden = false;
    remove.addEventListener("click", () => row.remove());
    row.querySelector("[data-field]").addEventListener("change", () => syncOperators(row));
    row.querySelector("[data-operator]").addEventListener("change", () => syncValue(row));
  }

  rows.querySelectorAll(".filter-row").forEach(enhance);
  add.hidden = false;
  add.addEventListener("click", () => {
    const row = template.content.firstElementChild.cloneNode(true);
    rows.append(row);
    enhance(row);
    row.querySelector("[data-value]").focus();
  });
}
