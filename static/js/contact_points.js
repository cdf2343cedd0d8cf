// Phones and e-mails on a record's form (crm/records/_contact_points.html).
// Without JavaScript the form has one empty row for another; with it, "Add
// another" copies the last row as an empty one and counts it in the formset.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-row]");
  if (!button) return;
  const fieldset = button.closest("[data-points]");
  const prefix = fieldset.dataset.points;
  const total = fieldset.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
  const max = fieldset.querySelector(`input[name="${prefix}-MAX_NUM_FORMS"]`);
  const rows = fieldset.querySelectorAll(".point-row");
  const index = Number(total.value);
  if (!rows.length || index >= Number(max.value)) return;
  const last = rows[rows.length - 1];
  const row = last.cloneNode(true);
  const pattern = new RegExp(`^(id_)?${prefix}-\\d+-`);
  row.querySelectorAll("[name], [id], label[for]").forEach((element) => {
    for (const attribute of ["name", "id", "for"]) {
      const value = element.getAttribute(attribute);
      if (value) element.setAttribute(attribute, value.replace(pattern, `$1${prefix}-${index}-`));
    }
  });
  row.querySelectorAll("input").forEach((input) => {
    input.value = "";
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  });
  row.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
  row.querySelectorAll(".errorlist").forEach((list) => list.remove());
  row.classList.remove("has-error");
  last.after(row);
  total.value = index + 1;
  row.querySelector("input").focus();
});

document.querySelectorAll("[data-add-row]").forEach((button) => { button.hidden = false; });
