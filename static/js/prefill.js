// "Add existing <name>": fill the name field with the name the email already has.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-fill-name]");
  if (!button) return;
  const name = document.getElementById("id_name");
  if (name) {
    name.value = button.dataset.fillName;
    name.focus();
  }
});
