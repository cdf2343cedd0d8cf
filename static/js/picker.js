// Record pickers (crm/widgets/record_picker.html): Enter in a picker's search box
// searches at once instead of saving the whole record form around it.
document.addEventListener("keydown", (event) => {
  const box = event.target;
  if (event.key === "Enter" && box.matches && box.matches(".picker-search input")) {
    event.preventDefault();
    box.dispatchEvent(new Event("search", { bubbles: true }));
  }
});
